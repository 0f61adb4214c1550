/**
 * Packets mqtt-packet decoded after CONNECT, each to its handler. The hot path's packets (PUBLISH
 * without properties, the acks, PINGREQ) come from the in-place decoder straight to their
 * handlers instead (see MqttConnection's PacketSink methods).
 */
import type { Packet } from "mqtt-packet";
import type { ConnectionContext } from "../context.js";
import { REASON } from "../reason-codes.js";
import { handleAck, PUBACK_TYPE, PUBCOMP_TYPE, PUBREC_TYPE, PUBREL_TYPE } from "./acks.js";
import { handleDisconnect } from "./disconnect.js";
import { handlePingreq } from "./ping.js";
import { handlePublishPacket } from "./publish.js";
import { handleSubscribe } from "./subscribe.js";
import { handleUnsubscribe } from "./unsubscribe.js";

export { handleAck } from "./acks.js";
export { handleConnect } from "./connect.js";
export { handlePingreq } from "./ping.js";
export { handlePublish } from "./publish.js";

/** One packet from an open connection. */
export function handlePacket(conn: ConnectionContext, p: Packet): void {
  switch (p.cmd) {
    case "publish":
      return handlePublishPacket(conn, p);
    // mqtt-packet gives every acknowledgement its packet id
    case "puback":
      return handleAck(conn, PUBACK_TYPE, p.messageId!);
    case "pubrec":
      return handleAck(conn, PUBREC_TYPE, p.messageId!);
    case "pubrel":
      return handleAck(conn, PUBREL_TYPE, p.messageId!);
    case "pubcomp":
      return handleAck(conn, PUBCOMP_TYPE, p.messageId!);
    case "subscribe":
      return handleSubscribe(conn, p);
    case "unsubscribe":
      return handleUnsubscribe(conn, p);
    case "pingreq":
      return handlePingreq(conn);
    case "disconnect":
      return handleDisconnect(conn, p);
    case "connect":
      // [MQTT-3.1.0-2]: a second CONNECT is a protocol violation
      conn.log.info("second CONNECT; closing");
      return conn.disconnect(REASON.PROTOCOL_ERROR);
    default:
      conn.log.info({ cmd: p.cmd }, "unexpected packet from a client; closing");
      return conn.disconnect(REASON.PROTOCOL_ERROR);
  }
}

/**
 * The acknowledgements of QoS 1/2 flows (MQTT 3.1.1 §4.3): PUBACK and PUBCOMP settle deliveries
 * to the client, PUBREC is answered with PUBREL, PUBREL from the client with PUBCOMP. The hot
 * path: the in-place decoder calls `handleAck` with the packet type and id, no packet object.
 */
import type { ConnectionContext } from "../context.js";
import { PUBCOMP, PUBREL, queueAck } from "../encode.js";
import { REASON } from "../reason-codes.js";

/** Packet types of the acknowledgements (MQTT 3.1.1 §2.2.1). */
export const PUBACK_TYPE = 4;
export const PUBREC_TYPE = 5;
export const PUBREL_TYPE = 6;
export const PUBCOMP_TYPE = 7;

/** PUBACK (4), PUBREC (5), PUBREL (6) or PUBCOMP (7) with its packet id. */
export function handleAck(conn: ConnectionContext, type: number, packetId: number): void {
  switch (type) {
    case PUBACK_TYPE:
      // `session!`: acks are handed here only once CONNECT made the session
      conn.session!.puback(packetId);
      return;
    case PUBREC_TYPE:
      return handlePubrec(conn, packetId);
    case PUBREL_TYPE:
      return handlePubrel(conn, packetId);
    default:
      conn.session!.pubcomp(packetId);
  }
}

/** PUBREC: the client has a QoS 2 delivery; PUBREL follows (0x92 in v5 for an unknown id). */
function handlePubrec(conn: ConnectionContext, id: number): void {
  if (conn.session!.pubrec(id)) conn.sendPubrel(id);
  else queueAck(conn.writer, PUBREL, id, conn.protocolVersion === 5 ? REASON.PACKET_ID_NOT_FOUND : 0);
}

/** PUBREL: the client's QoS 2 publish is done; PUBCOMP frees its packet id. */
function handlePubrel(conn: ConnectionContext, id: number): void {
  const known = conn.session!.inboundQos2.delete(id);
  queueAck(conn.writer, PUBCOMP, id, conn.protocolVersion === 5 && !known ? REASON.PACKET_ID_NOT_FOUND : 0);
}

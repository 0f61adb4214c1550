/** UNSUBSCRIBE (MQTT 3.1.1 §3.10, MQTT 5 §3.10): v5 says per filter whether it existed. */
import type { IUnsubscribePacket } from "mqtt-packet";
import type { ConnectionContext } from "../context.js";
import { REASON } from "../reason-codes.js";

export function handleUnsubscribe(conn: ConnectionContext, p: IUnsubscribePacket): void {
  // `session!`: UNSUBSCRIBE is handed here only once CONNECT made the session
  const session = conn.session!;
  const codes = p.unsubscriptions.map((f) => (session.unsubscribe(f) ? REASON.SUCCESS : REASON.NO_SUBSCRIPTION_EXISTED));
  if (session.persistent) conn.ctx.changed();
  // mqtt-packet decoded UNSUBSCRIBE, which always has a packet id
  if (conn.protocolVersion === 5) conn.send({ cmd: "unsuback", messageId: p.messageId!, granted: codes });
  else conn.send({ cmd: "unsuback", messageId: p.messageId!, granted: [] });
}

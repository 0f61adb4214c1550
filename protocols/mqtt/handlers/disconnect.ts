/**
 * DISCONNECT from the client (MQTT 3.1.1 §3.14, MQTT 5 §3.14): the will is discarded unless v5
 * asks for it, a v5 client may change its session expiry, then the connection closes.
 */
import type { IDisconnectPacket } from "mqtt-packet";
import type { ConnectionContext } from "../context.js";
import { REASON } from "../reason-codes.js";

export function handleDisconnect(conn: ConnectionContext, p: IDisconnectPacket): void {
  const v5 = conn.protocolVersion === 5;
  // [MQTT-3.14.4-3]: a clean DISCONNECT discards the will; v5 0x04 asks for it anyway
  if (!(v5 && p.reasonCode === REASON.DISCONNECT_WITH_WILL)) conn.will = null;
  const expiry = p.properties?.sessionExpiryInterval;
  if (v5 && expiry !== undefined) {
    if (conn.sessionExpiry === 0 && expiry > 0) {
      // [MQTT-3.14.2-2]
      conn.will = null;
      return conn.disconnect(REASON.PROTOCOL_ERROR);
    }
    conn.sessionExpiry = expiry;
    // `session!`: DISCONNECT is handed here only once CONNECT made the session
    conn.session!.persistent = expiry > 0;
  }
  conn.close();
}

/** PINGREQ (MQTT 3.1.1 §3.12): answered at once; any read already counts for the keep-alive. */
import type { ConnectionContext } from "../context.js";

/** PINGRESP (MQTT 3.1.1 §3.13), the same two bytes every time. */
const PINGRESP = Buffer.from([0xd0, 0x00]);

export function handlePingreq(conn: ConnectionContext): void {
  conn.writer.writeAlone(PINGRESP);
}

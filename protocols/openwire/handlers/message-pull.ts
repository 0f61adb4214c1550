import type { MessagePull } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import type { OpenWireRefusal } from "../exceptions.js";
import { idKey } from "../ids.js";

/** MessagePull: a prefetch-0 consumer asks for one message (consumer.ts `pull`). */
export function messagePull(conn: OpenWireConnection, pull: MessagePull): OpenWireRefusal | null {
  if (pull.consumerId === null) return null;
  const key = idKey(pull.consumerId);
  const c = conn.consumers.get(key);
  if (c !== undefined) c.pull(pull.timeout);
  else conn.browsers.get(key)?.pull();
  return null;
}

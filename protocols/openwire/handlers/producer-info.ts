import type { ProducerInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { targetOf } from "../destinations.js";
import { INVALID_DESTINATION, OpenWireRefusal } from "../exceptions.js";

/** ProducerInfo: a producer's fixed destination, if it has one, must be one we serve. */
export function producerInfo(_conn: OpenWireConnection, info: ProducerInfo): OpenWireRefusal | null {
  if (info.destination === null) return null;
  const t = targetOf(info.destination);
  return typeof t === "string" ? new OpenWireRefusal(INVALID_DESTINATION, t) : null;
}

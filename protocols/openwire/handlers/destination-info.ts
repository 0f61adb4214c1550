import type { DestinationInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { OpenWireRefusal, UNSUPPORTED } from "../exceptions.js";

/** DestinationInfo (temporary destinations): not served yet. */
export function destinationInfo(_conn: OpenWireConnection, _info: DestinationInfo): OpenWireRefusal | null {
  return new OpenWireRefusal(UNSUPPORTED, "temporary destinations are not supported yet");
}

import type { TransactionInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { OpenWireRefusal, UNSUPPORTED } from "../exceptions.js";

/** TransactionInfo: not served yet. */
export function transactionInfo(_conn: OpenWireConnection, _info: TransactionInfo): OpenWireRefusal | null {
  return new OpenWireRefusal(UNSUPPORTED, "transactions are not supported yet");
}

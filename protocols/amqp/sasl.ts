import { BrokerError, type FieldTable, ReplyCode } from "../../src/core/index.js";
import { decodeTableBody } from "./codec/field-table.js";

/** The SASL mechanisms connection.start offers, RabbitMQ's defaults. */
export const SASL_MECHANISMS = "PLAIN AMQPLAIN";

export interface Credentials {
  username: string;
  password: string;
}

/** connection.start-ok's response for its mechanism; a refusal as RabbitMQ words it. */
export function parseCredentials(mechanism: string, response: Buffer): Credentials | BrokerError {
  if (mechanism === "PLAIN") {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = response.toString("utf8").split("\u0000");
    if (parts.length !== 3)
      return new BrokerError(
        ReplyCode.ACCESS_REFUSED,
        "Login was refused using authentication mechanism PLAIN. For details see the broker logfile.",
      );
    return { username: parts[1]!, password: parts[2]! };
  }
  if (mechanism === "AMQPLAIN") {
    // AMQPLAIN's response is a field table without its length prefix
    let table: FieldTable;
    try {
      table = decodeTableBody(response, 0, response.length);
    } catch {
      return new BrokerError(
        ReplyCode.ACCESS_REFUSED,
        "Login was refused using authentication mechanism AMQPLAIN. For details see the broker logfile.",
      );
    }
    const str = (v: unknown) => (typeof v === "string" ? v : Buffer.isBuffer(v) ? v.toString() : "");
    return { username: str(table["LOGIN"]), password: str(table["PASSWORD"]) };
  }
  return new BrokerError(ReplyCode.COMMAND_INVALID, `unknown authentication mechanism '${mechanism}'`);
}

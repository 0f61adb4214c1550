import type { Close } from "../codec/types.generated.js";
import type { Amqp10Connection } from "../connection.js";

/** The client's close: logged if it carries an error, answered with ours. */
export function handleClose(c: Amqp10Connection, f: Close): void {
  if (f.error !== undefined)
    c.log.info({ condition: f.error.condition }, `AMQP 1.0 client closed with ${f.error.condition}: ${f.error.description ?? ""}`);
  c.close();
}

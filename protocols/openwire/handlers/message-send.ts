import { BrokerError } from "../../../src/core/index.js";
import type { OpenWireConnection } from "../connection.js";
import { destinationText, publishTarget, targetOf } from "../destinations.js";
import { INVALID_DESTINATION, OpenWireRefusal, refusalOf, UNSUPPORTED } from "../exceptions.js";
import { coreMessage, messageProblem } from "../message.js";
import type { ScannedMessage } from "../message-scan.js";
import { queueFor } from "./queues.js";
import { tempsOf } from "../temp-destinations.js";

/**
 * A JMS message from a producer, published on the core with its command bytes (`frame`) as its
 * encoding. True when a durable queue took it persistently (its Response then waits for the disk).
 * One sent in a transaction waits in it for the commit.
 */
export function messageSend(conn: OpenWireConnection, m: ScannedMessage, frame: Buffer): boolean | OpenWireRefusal {
  if (m.destination === null) return new OpenWireRefusal(INVALID_DESTINATION, "a message needs a destination");
  const problem = messageProblem(m);
  if (problem !== null) return new OpenWireRefusal(UNSUPPORTED, problem);
  const t = targetOf(m.destination);
  if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
  if (t.temp) {
    // ActiveMQ's client refuses this itself once it has the deletion's advisory
    if (tempsOf(conn.server).get(conn.vhost!.name, m.destination) === undefined) {
      return new OpenWireRefusal(INVALID_DESTINATION, `Cannot publish to a deleted Destination: ${destinationText(m.destination)}`);
    }
  } else if (t.kind === "queue") {
    const q = queueFor(conn, t.name);
    if (q instanceof OpenWireRefusal) return q;
  }
  const [exchange, key] = publishTarget(t);
  const denied = conn.access!.checkPublish(exchange, key);
  if (denied) return refusalOf(denied);
  const msg = coreMessage(exchange, key, m, frame, conn.wire!.version);
  msg.publisher = conn.client; // for noLocal consumers
  if (m.transactionId !== null) {
    const tx = conn.transaction(m.transactionId);
    if (tx instanceof OpenWireRefusal) return tx;
    tx.send(exchange, key, msg); // routed at commit
    return false;
  }
  const r = conn.vhost!.publish(exchange, key, msg);
  if (r instanceof BrokerError) return refusalOf(r);
  return r.persisted > 0;
}

import { BrokerError, type QueueEntry } from "../../src/core/index.js";
import type { OpenWireConnection } from "./connection.js";
import { deadLetterCopy, DLQ_NAME } from "./message.js";

/**
 * A message a client poisoned goes to ActiveMQ.DLQ (declared durable on first use), as
 * ActiveMQ's broker sends it there itself: no permission of the client's is needed. A
 * non-persistent one is dropped, as ActiveMQ drops it by default.
 */
export function deadLetter(conn: OpenWireConnection, entry: QueueEntry, cause: string | null): void {
  const copy = deadLetterCopy(entry.message, cause, conn.wire?.version ?? 1);
  if (copy === null) return;
  const v = conn.vhost!;
  if (v.queue(DLQ_NAME, conn.client) instanceof BrokerError) {
    const ok = v.declareQueue(DLQ_NAME, { durable: true, autoDelete: false, exclusive: false, args: {} }, conn.client);
    if (ok instanceof BrokerError) {
      conn.log.warn({ err: ok.text }, `could not declare ${DLQ_NAME}; the poisoned message is dropped`);
      return;
    }
  }
  const r = v.publish("", DLQ_NAME, copy);
  if (r instanceof BrokerError) conn.log.warn({ err: r.text }, `could not dead-letter a poisoned message to ${DLQ_NAME}`);
}

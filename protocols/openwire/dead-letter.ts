import { BrokerError, type QueueEntry } from "../../src/core/index.js";
import type { OpenWireConnection } from "./connection.js";
import { deadLetterCopy } from "./message.js";

/**
 * A message a client poisoned goes to ActiveMQ.DLQ, or with the individual strategy to
 * ActiveMQ.DLQ.Queue.<queue> / ActiveMQ.DLQ.Topic.<topic> (declared durable on first use), as
 * ActiveMQ's broker sends it there itself: no permission of the client's is needed. A
 * non-persistent one is dropped, as ActiveMQ drops it by default.
 */
export function deadLetter(conn: OpenWireConnection, entry: QueueEntry, cause: string | null): void {
  const copy = deadLetterCopy(entry.message, cause, conn.wire?.version ?? 1, conn.individualDlq);
  if (copy === null) return;
  const v = conn.vhost!;
  const dlq = copy.routingKey;
  if (v.queue(dlq, conn.client) instanceof BrokerError) {
    const ok = v.declareQueue(dlq, { durable: true, autoDelete: false, exclusive: false, args: {} }, conn.client);
    if (ok instanceof BrokerError) {
      conn.log.warn({ err: ok.text }, `could not declare ${dlq}; the poisoned message is dropped`);
      return;
    }
  }
  const r = v.publish("", dlq, copy);
  if (r instanceof BrokerError) conn.log.warn({ err: r.text }, `could not dead-letter a poisoned message to ${dlq}`);
}

import { BrokerError } from "../../../src/core/index.js";
import type { TransactionInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { JMS_EXCEPTION, OpenWireRefusal, refusalOf, UNSUPPORTED } from "../exceptions.js";
import { localTxKey, OpenWireTransaction, TX_BEGIN, TX_COMMIT_ONE_PHASE, TX_END, TX_FORGET, TX_ROLLBACK, txText } from "../transactions.js";

/**
 * TransactionInfo for local transactions: BEGIN opens one, COMMIT_ONE_PHASE routes its sends and
 * applies its acks (true when a persistent message reached a durable queue: the Response then
 * waits for the disk, as a persistent send's does), ROLLBACK drops it. XA transactions (an
 * XATransactionId) are refused.
 */
export function transactionInfo(conn: OpenWireConnection, info: TransactionInfo): OpenWireRefusal | boolean {
  const id = info.transactionId;
  if (id === null) return new OpenWireRefusal(JMS_EXCEPTION, "TransactionInfo without a transaction id");
  const key = localTxKey(id);
  if (key === null)
    return new OpenWireRefusal(
      UNSUPPORTED,
      "XA transactions are not supported by this broker; use local (transacted session) transactions",
    );
  switch (info.type) {
    case TX_BEGIN:
      if (conn.transactions.has(key)) return new OpenWireRefusal(JMS_EXCEPTION, `Transaction '${txText(id)}' has already been started.`);
      conn.transactions.set(key, new OpenWireTransaction());
      return false;
    case TX_COMMIT_ONE_PHASE: {
      const tx = conn.transactions.get(key);
      if (tx === undefined) return new OpenWireRefusal(JMS_EXCEPTION, `Transaction '${txText(id)}' has not been started.`);
      conn.transactions.delete(key);
      return commit(conn, tx);
    }
    case TX_ROLLBACK: {
      if (!conn.transactions.delete(key)) return new OpenWireRefusal(JMS_EXCEPTION, `Transaction '${txText(id)}' has not been started.`);
      return false;
    }
    case TX_END:
    case TX_FORGET:
      return false;
    default:
      return new OpenWireRefusal(
        UNSUPPORTED,
        `TransactionInfo type ${info.type} is for XA transactions, which this broker does not support`,
      );
  }
}

/** The held sends routed in order, then the held acks applied; a refused send fails the commit. */
function commit(conn: OpenWireConnection, tx: OpenWireTransaction): OpenWireRefusal | boolean {
  let persisted = false;
  let refused: OpenWireRefusal | null = null;
  const v = conn.vhost!;
  for (const s of tx.sends) {
    if (s.job !== undefined) {
      // the cron expression was checked to match some time when it was sent
      v.scheduleJob(s.message, s.job.id, s.job.spec);
      continue;
    }
    const r = v.publish(s.exchange, s.routingKey, s.message);
    if (r instanceof BrokerError) refused ??= refusalOf(r);
    else if (r.persisted > 0) persisted = true;
  }
  for (const a of tx.acks) if (!a.consumer.closed) a.consumer.ack(a.tag, a.individual);
  return refused ?? persisted;
}

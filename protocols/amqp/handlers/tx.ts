import { BrokerError, ReplyCode } from "../../../src/core/index.js";
import type { ChannelScope } from "../channel-scope.js";
import { routePublish } from "../publish.js";
import { applySettle } from "../settle.js";
import { Transaction } from "../tx.js";

/** The tx class (90): select, commit, rollback. What a transaction holds is ../tx.ts. */

export function txSelect(ch: ChannelScope): BrokerError | void {
  if (ch.confirms.enabled) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
  ch.tx ??= new Transaction();
  ch.send({ kind: "tx.select-ok" });
}

export function txCommit(ch: ChannelScope): BrokerError | void {
  if (!ch.tx) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
  commit(ch, ch.tx);
}

export function txRollback(ch: ChannelScope): BrokerError | void {
  if (!ch.tx) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
  rollback(ch, ch.tx);
  ch.send({ kind: "tx.rollback-ok" });
}

/**
 * tx.commit: the held publishes are routed and the settlements applied, in order; a transaction
 * whose persistent messages went to disk answers commit-ok only once they are there (as RabbitMQ).
 */
function commit(ch: ChannelScope, tx: Transaction): void {
  ch.tx = new Transaction();
  ch.routedPersistent = false;
  for (const p of tx.publishes) routePublish(ch, p.exchange, p.routingKey, p.mandatory, p.message);
  for (const s of tx.settles) applySettle(ch, s.picked, s.how, s.requeue);
  const durability = ch.ctx.vhost.durability;
  if (ch.routedPersistent && durability !== null) {
    durability.afterCommit({
      committed: () => {
        if (ch.state === "open") ch.send({ kind: "tx.commit-ok" });
      },
    });
    return;
  }
  ch.send({ kind: "tx.commit-ok" });
}

/** tx.rollback: settlements not committed go back to being unacked, in delivery-tag order. */
export function rollback(ch: ChannelScope, tx: Transaction): void {
  ch.tx = new Transaction();
  if (tx.settles.length === 0) return;
  ch.unacked.restore(tx.settles.map((s) => s.picked));
}

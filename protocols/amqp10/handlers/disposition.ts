import { type Disposition, TransactionError, writeDisposition } from "../codec/types.generated.js";
import { Amqp10Error } from "../errors.js";
import type { Session, Unsettled } from "../session.js";

type State = Disposition["state"];

/**
 * The client's outcome for deliveries we sent, as RabbitMQ 4 maps them onto the queue:
 * accepted = ack, released = requeue, rejected = dead-letter (or drop), modified = requeue, with
 * the delivery counted as failed when delivery-failed (the header's delivery-count on the next
 * transfer), or dead-letter when undeliverable-here (RabbitMQ 4 cannot keep a message from one
 * consumer, so it never requeues those: rabbit_classic_queue and rabbit_fifo discard them).
 * Settled without an outcome: the source's default outcome, released.
 */
export function settle(u: Unsettled, state: State): void {
  const q = u.link.queue;
  switch (state?.kind) {
    case "accepted":
      q.ack(u.entry);
      return;
    case "rejected":
      q.discard(u.entry);
      return;
    case "modified":
      if (state.undeliverableHere === true) q.discard(u.entry);
      else q.requeue(u.entry, state.deliveryFailed === true);
      return;
    default:
      // released, none (the default outcome is released)
      q.requeue(u.entry);
  }
}

/**
 * Settles one delivery the disposition covers (no closure per disposition: a module function);
 * an outcome given in a transaction is held by it until the discharge.
 */
function settleOne(s: Session, f: Disposition, id: number): void {
  const u = s.unsettled.get(id);
  if (u === undefined) return;
  // unsettled and without a state: the client has not decided yet
  if (!f.settled && f.state === undefined) return;
  if (f.state?.kind === "transactional-state") {
    const tx = s.transactions.get(f.state.txnId);
    if (tx === undefined)
      throw new Amqp10Error(TransactionError.unknownId, "no transaction with this txn-id is open in the session", "session");
    s.unsettled.delete(id);
    tx.settle(id, u, f.state.outcome);
    return;
  }
  s.unsettled.delete(id);
  settle(u, f.state);
}

/** disposition from the receiver: settles the range first..last of our deliveries. */
export function handleDisposition(s: Session, f: Disposition): void {
  // dispositions for deliveries the client sent us (role sender) have nothing to settle here:
  // we settle those ourselves when we answer them
  if (f.role !== true) return;
  const first = f.first;
  const last = f.last ?? first;
  const count = ((last - first) >>> 0) + 1;
  if (count <= s.unsettled.size) {
    for (let i = 0; i < count; i++) settleOne(s, f, (first + i) >>> 0);
  } else {
    // a range wider than what is outstanding: walk the outstanding instead
    for (const id of [...s.unsettled.keys()]) if ((id - first) >>> 0 < count) settleOne(s, f, id);
  }
  // rcv-settle-mode second: the client waits for us to settle what it decided (a transaction's
  // outcomes are settled by its discharge, not here)
  if (!f.settled && f.state !== undefined && f.state.kind !== "transactional-state") {
    const c = s.conn;
    const start = c.beginFrame(s.channel);
    writeDisposition(c.out, { role: false, first, last, settled: true, state: f.state });
    c.endFrame(start);
  }
}

import type { ChannelScope } from "./channel-scope.js";
import type { SettleHow, Unacked } from "./unacked.js";

/** Settles deliveries in their queues (ack, or nack with or without requeue) and frees their credit. */
export function applySettle(ch: ChannelScope, picked: readonly Unacked[], how: SettleHow, requeue: boolean): void {
  ch.limiter.settled(picked);
  if (how === "ack") {
    for (let i = 0; i < picked.length; i++) {
      const u = picked[i]!;
      u.queue.ack(u.entry);
      ch.flows.queue(u.queue.name).ack++;
    }
  } else {
    // a requeue makes its queue dispatch once this turn's requeues are all back
    for (const u of picked) {
      if (requeue) u.queue.requeue(u.entry);
      else u.queue.discard(u.entry);
    }
  }
  ch.resumeConsumers();
}

/** Everything unsettled goes back to its queue (basic.recover, the channel closing). */
export function requeueAll(ch: ChannelScope): void {
  const all = ch.unacked.takeAll();
  ch.limiter.settled(all);
  // Reverse order keeps the cost of sorted re-insertion near the queue's head
  for (let i = all.length - 1; i >= 0; i--) all[i]!.queue.requeue(all[i]!.entry);
}

import { endsDurable, removeDurable } from "../durable-subscriptions.js";
import type { StompFrame } from "../frame-parser.js";
import { fail, type Outcome } from "../refusals.js";
import type { SessionState } from "../session-state.js";

/**
 * UNSUBSCRIBE by `id` (or, from STOMP 1.0 clients, by destination): the consumer goes and its
 * unacked messages go back to the queue; ActiveMQ's activemq.subscriptionName removes a durable
 * subscription instead.
 */
export function unsubscribe(s: Pick<SessionState, "ctx" | "subscriptions">, f: StompFrame): Outcome {
  const ctx = s.ctx;
  const h = f.headers;
  if (h["activemq.subscriptionName"] !== undefined) return removeDurable(ctx, f);
  const id = h["id"] ?? h["destination"];
  const description = h["id"] !== undefined ? `id='${h["id"]}'` : `destination='${h["destination"]}'`;
  if (id === undefined) {
    return fail(ctx, "Missing destination or id", "UNSUBSCRIBE must include a 'destination' or 'id' header", f);
  }
  const sub = s.subscriptions.get(id);
  if (sub === undefined) {
    return fail(
      ctx,
      "No subscription found",
      `UNSUBSCRIBE must refer to an existing subscription.\nSubscription to "${description}" not found.\n`,
      f,
    );
  }
  const q = sub.subscription.queue;
  s.subscriptions.cancel(sub);
  if (endsDurable(h, sub.destinationHeader) && !q.deleted) ctx.vhost.deleteQueue(q.name, {}, ctx.client);
  return "done";
}

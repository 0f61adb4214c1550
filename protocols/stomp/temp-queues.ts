import { BrokerError } from "../../src/core/index.js";
import type { SessionContext } from "./session-context.js";
import { StompSubscription, type Subscriptions } from "./subscriptions.js";

/**
 * /temp-queue/x (RabbitMQ's temporary reply queues): a private queue per name per connection,
 * consumed by the session itself with subscription id "/temp-queue/x"; a SEND's reply-to naming
 * one is rewritten to /reply-queue/<queue> so the replier can send there.
 */
export class TempQueues {
  /** /temp-queue/<name> → the private queue behind it. */
  private readonly queues = new Map<string, string>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly subscriptions: Subscriptions,
  ) {}

  /** The queue behind /temp-queue/`name`, declared and consumed as subscription `subId` on first use. */
  queueFor(name: string, subId: string): string | BrokerError {
    const known = this.queues.get(name);
    if (known !== undefined) return known;
    const { vhost: v, client } = this.ctx;
    const ok = v.declareQueue("", { exclusive: true, autoDelete: true }, client);
    if (ok instanceof BrokerError) return ok;
    const q = v.queue(ok.queue, client);
    if (q instanceof BrokerError) return q;
    const s = new StompSubscription(this.subscriptions, subId, subId, "auto", 0);
    const sub = q.consume(s, { tag: subId, noAck: true, exclusive: false, priority: 0 });
    if (sub instanceof BrokerError) return sub;
    s.subscription = sub;
    this.subscriptions.add(s);
    this.queues.set(name, ok.queue);
    return ok.queue;
  }
}

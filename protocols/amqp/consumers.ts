import type { ChannelFlows, ClientRef, Consumer, QueueEntry, QueueFlow, Subscription } from "../../src/core/index.js";
import { encodeDelivery } from "./codec/delivery.js";
import { propertiesBytes } from "./codec/properties.js";
import type { ConnectionContext } from "./connection-context.js";
import type { PrefetchLimiter } from "./prefetch-limiter.js";
import type { UnackedDeliveries } from "./unacked.js";

/** What a consumer needs of its channel on every delivery (the channel implements it). */
export interface ConsumerHost {
  readonly id: number;
  readonly state: "open" | "closing" | "closed";
  readonly ctx: ConnectionContext;
  readonly limiter: PrefetchLimiter;
  readonly unacked: UnackedDeliveries;
  /** Per-queue delivery counts for the channel's metrics. */
  readonly flows: ChannelFlows;
  consumerCancelledByBroker(c: ChannelConsumer): void;
}

/** A basic.consume on a channel; the queue calls it while it has credit. */
export class ChannelConsumer implements Consumer {
  subscription!: Subscription;
  /** This consumer's queue's flow on its channel, found at the first delivery. */
  private flow: QueueFlow | null = null;

  constructor(
    readonly channel: ConsumerHost,
    readonly tag: string,
    readonly noAck: boolean,
    /** Per-consumer prefetch (basic.qos global=false at consume time); 0 = unlimited. */
    readonly prefetch: number,
    readonly client: ClientRef,
  ) {}

  /** For the management API's consumer listing. */
  get channelNumber(): number {
    return this.channel.id;
  }
  get prefetchCount(): number {
    return this.prefetch;
  }

  hasCredit(): boolean {
    const ch = this.channel;
    if (ch.ctx.writer.backedUp || ch.state !== "open") return false;
    // per-consumer prefetch ignores no-ack consumers, but the channel-wide limit holds them back
    // too while it is used up (RabbitMQ's limiter: they wait, without counting towards it)
    if (!this.noAck && this.prefetch !== 0 && this.subscription.unacked >= this.prefetch) return false;
    const limiter = ch.limiter;
    return limiter.global === 0 || limiter.volume < limiter.global;
  }

  deliver(entry: QueueEntry, sub: Subscription): void {
    const ch = this.channel;
    const tag = ch.unacked.nextTag();
    if (!this.noAck) {
      ch.unacked.track(tag, entry, sub.queue, this);
      if (ch.limiter.global !== 0) ch.limiter.volume++;
    } else sub.queue.ack(entry);
    const flow = (this.flow ??= ch.flows.queue(sub.queue.name));
    if (this.noAck) flow.deliverNoAck++;
    else flow.deliver++;
    if (entry.redelivered) flow.redeliver++;
    const m = entry.message;
    ch.ctx.writer.write(
      encodeDelivery(ch.id, this.tag, tag, entry.redelivered, m.exchange, m.routingKey, propertiesBytes(m), m.body, ch.ctx.frameMax),
    );
  }

  cancelledByBroker(): void {
    this.channel.consumerCancelledByBroker(this);
  }
}

/**
 * A channel's consumers by tag, and the rotation that hands freed credit to each in turn: a
 * channel-wide prefetch freed by one ack goes to whichever queue dispatches first, so starting one
 * consumer further each time lets every queue have its turn (RabbitMQ's fairness).
 */
export class ChannelConsumers {
  private readonly byTag = new Map<string, ChannelConsumer>();
  /** The consumers as an array for resume's rotation; null after the set changed. */
  private resumeOrder: ChannelConsumer[] | null = null;
  private resumeFrom = 0;

  get size(): number {
    return this.byTag.size;
  }

  has(tag: string): boolean {
    return this.byTag.has(tag);
  }

  get(tag: string): ChannelConsumer | undefined {
    return this.byTag.get(tag);
  }

  add(c: ChannelConsumer): void {
    this.byTag.set(c.tag, c);
    this.resumeOrder = null;
  }

  /** Forgets the consumer with this tag and returns it (its subscription is the caller's). */
  remove(tag: string): ChannelConsumer | undefined {
    const c = this.byTag.get(tag);
    if (c === undefined) return undefined;
    this.byTag.delete(tag);
    this.resumeOrder = null;
    return c;
  }

  /** Cancels every subscription (the channel is closing). */
  cancelAll(): void {
    for (const c of this.byTag.values()) c.subscription.cancel();
    this.byTag.clear();
    this.resumeOrder = null;
  }

  /** Credit may be back (ack, qos change, socket drained): let the queues deliver again. */
  resume(): void {
    if (this.byTag.size === 0) return;
    const order = (this.resumeOrder ??= [...this.byTag.values()]);
    const n = order.length;
    const start = this.resumeFrom % n;
    this.resumeFrom = start + 1;
    for (let i = 0; i < n; i++) order[(start + i) % n]!.subscription.resume();
  }
}

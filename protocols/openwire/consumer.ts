import type { Consumer, QueueEntry, Subscription } from "../../src/core/index.js";
import type { AnyActiveMQDestination, ConsumerId } from "./codec/commands.generated.js";

/** What a consumer needs of its connection. */
export interface ConsumerHost {
  readonly client: import("../../src/core/index.js").ClientRef;
  readonly backedUp: boolean;
  dispatch(c: OpenWireConsumer, entry: QueueEntry, tag: number): void;
  /** A poisoned message's copy goes to the dead-letter queue (before the entry is settled). */
  deadLetter(entry: QueueEntry, cause: string | null): void;
  consumerCancelled(c: OpenWireConsumer): void;
}

/**
 * One JMS consumer (ConsumerInfo): the core's Consumer on one queue. Its credit is the prefetch
 * window: deliveries not yet acknowledged, less those a delivered-ack has moved out of it.
 */
export class OpenWireConsumer implements Consumer {
  subscription!: Subscription;
  /** Delivered and not yet acknowledged, by delivery tag; Map order is delivery order. */
  readonly unacked = new Map<number, QueueEntry>();
  /** Unacked deliveries up to this tag no longer count against the prefetch (delivered acks). */
  deliveredUpTo = 0;
  private delivered = 0;
  /** Closed: a transaction's acks for it are void at commit. */
  closed = false;
  private nextTag = 0;

  constructor(
    private readonly host: ConsumerHost,
    readonly id: ConsumerId,
    readonly key: string,
    readonly sessionKey: string,
    readonly destination: AnyActiveMQDestination,
    readonly prefetch: number,
  ) {}

  get client() {
    return this.host.client;
  }

  get prefetchCount(): number {
    return this.prefetch;
  }

  hasCredit(): boolean {
    return !this.host.backedUp && this.unacked.size - this.delivered < this.prefetch;
  }

  deliver(entry: QueueEntry): void {
    const tag = ++this.nextTag;
    this.unacked.set(tag, entry);
    this.host.dispatch(this, entry, tag);
  }

  cancelledByBroker(): void {
    this.host.consumerCancelled(this);
  }

  /** A delivered ack up to `tag`: those deliveries leave the prefetch window but stay unacked. */
  markDelivered(tag: number): void {
    if (tag > this.deliveredUpTo) this.deliveredUpTo = tag;
    this.recount();
  }

  private recount(): void {
    let n = 0;
    for (const t of this.unacked.keys()) {
      if (t > this.deliveredUpTo) break;
      n++;
    }
    this.delivered = n;
  }

  /** Acknowledges every delivery up to `tag` (a standard ack), or just `tag` (individual). */
  ack(tag: number, individual: boolean): void {
    const q = this.subscription.queue;
    if (individual) {
      const e = this.unacked.get(tag);
      if (e !== undefined) {
        this.unacked.delete(tag);
        q.ack(e);
      }
    } else {
      for (const [t, e] of this.unacked) {
        if (t > tag) break;
        this.unacked.delete(t);
        q.ack(e);
      }
    }
    this.recount();
    this.subscription.resume();
  }

  /**
   * A poison ack for the deliveries from `firstTag` to `lastTag`: the client gave up on them after
   * its redelivery policy. Each is dead-lettered (ActiveMQ.DLQ) and settled.
   */
  poison(firstTag: number, lastTag: number, cause: string | null): void {
    const q = this.subscription.queue;
    for (const [t, e] of this.unacked) {
      if (t > lastTag) break;
      if (t < firstTag) continue;
      this.unacked.delete(t);
      this.host.deadLetter(e, cause);
      q.ack(e);
    }
    this.recount();
    this.subscription.resume();
  }

  /** The consumer goes: unacked messages back to the queue, redelivered, in their order. */
  close(): void {
    this.closed = true;
    const q = this.subscription.queue;
    for (const e of this.unacked.values()) q.requeue(e);
    this.unacked.clear();
    this.subscription.cancel();
  }
}

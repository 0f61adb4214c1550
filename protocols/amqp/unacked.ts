import { BrokerError, type Consumer, type Queue, type QueueEntry, ReplyCode } from "../../src/core/index.js";

/** How deliveries are settled: basic.ack, or basic.nack/reject (requeued or dropped). */
export type SettleHow = "ack" | "nack";

/** A delivery the client still has to settle, by channel delivery tag. */
export interface Unacked {
  readonly tag: number;
  readonly entry: QueueEntry;
  readonly queue: Queue;
  /** null for basic.get deliveries, which no consumer's prefetch counts. */
  readonly consumer: Consumer | null;
}

/**
 * A channel's delivery tags and the deliveries not yet settled (AMQP 0-9-1 §1.8.3.13). The Map
 * keeps insertion order, which is delivery-tag order: `multiple` and rollback rely on it.
 */
export class UnackedDeliveries {
  private readonly byTag = new Map<number, Unacked>();
  private lastTag = 0;

  get size(): number {
    return this.byTag.size;
  }

  /** The next delivery tag; no-ack deliveries take one too. */
  nextTag(): number {
    return ++this.lastTag;
  }

  track(tag: number, entry: QueueEntry, queue: Queue, consumer: Consumer | null): void {
    this.byTag.set(tag, { tag, entry, queue, consumer });
  }

  /** What basic.ack/nack/reject settle, with RabbitMQ's reading of `multiple` and tag 0. */
  pick(tag: number, multiple: boolean): Unacked[] | BrokerError {
    if (multiple && tag === 0) return this.takeAll();
    if (!multiple) {
      const u = this.byTag.get(tag);
      if (!u) return new BrokerError(ReplyCode.PRECONDITION_FAILED, `unknown delivery tag ${tag}`);
      this.byTag.delete(tag);
      return [u];
    }
    if (!this.byTag.has(tag)) return new BrokerError(ReplyCode.PRECONDITION_FAILED, `unknown delivery tag ${tag}`);
    const out: Unacked[] = [];
    for (const [t, u] of this.byTag) {
      if (t > tag) break;
      out.push(u);
    }
    for (const u of out) this.byTag.delete(u.tag);
    return out;
  }

  /** Every unsettled delivery, in tag order; none is left. */
  takeAll(): Unacked[] {
    const all = [...this.byTag.values()];
    this.byTag.clear();
    return all;
  }

  /** Settlements that did not happen (tx.rollback) become unacked again, in delivery-tag order. */
  restore(settled: readonly (readonly Unacked[])[]): void {
    const all = [...this.byTag.values()];
    for (const picked of settled) all.push(...picked);
    all.sort((a, b) => a.tag - b.tag);
    this.byTag.clear();
    for (const u of all) this.byTag.set(u.tag, u);
  }
}

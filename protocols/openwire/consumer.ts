import type { Consumer, QueueEntry, Subscription } from "../../src/core/index.js";
import { type AnyActiveMQDestination, type ConsumerId, writeNested } from "./codec/commands.generated.js";
import { Writer } from "./codec/primitives.js";
import { expiredCause } from "./message.js";

/** What a consumer needs of its connection. */
export interface ConsumerHost {
  readonly client: import("../../src/core/index.js").ClientRef;
  readonly backedUp: boolean;
  dispatch(c: OpenWireConsumer, entry: QueueEntry, tag: number): void;
  /** A MessagePull found nothing: an empty MessageDispatch ends it. */
  pullEnded(c: OpenWireConsumer): void;
  /** A poisoned message's copy goes to the dead-letter queue (before the entry is settled). */
  deadLetter(entry: QueueEntry, cause: string | null): void;
  consumerCancelled(c: OpenWireConsumer): void;
}

/**
 * Unacknowledged deliveries by tag. Tags are consecutive, so they are slots of a ring from the
 * oldest held one: an ack up to a tag walks only what it settles, and no array is reallocated. (A Map walked from its start
 * steps over every entry deleted since it last rehashed: each cumulative ack cost the window.)
 */
export class DeliveryWindow {
  /** A ring: tag t is at t % ring.length; the held tags span at most its length. */
  private ring: (QueueEntry | undefined)[] = new Array<QueueEntry | undefined>(16).fill(undefined);
  /** The lowest tag that may be held, and the last added (lowest - 1 when none was). */
  private low = 1;
  private high = 0;
  size = 0;

  get lowest(): number {
    return this.low;
  }

  get highest(): number {
    return this.high;
  }

  /** `tag` is the one after `highest`. */
  add(tag: number, e: QueueEntry): void {
    if (tag !== this.high + 1) throw new RangeError(`delivery tag ${tag} out of order`);
    if (tag - this.low >= this.ring.length) this.grow();
    this.ring[tag % this.ring.length] = e;
    this.high = tag;
    this.size++;
  }

  get(tag: number): QueueEntry | undefined {
    if (tag < this.low || tag > this.high) return undefined;
    return this.ring[tag % this.ring.length];
  }

  /** Removes and returns the entry of `tag`, if held. */
  take(tag: number): QueueEntry | undefined {
    if (tag < this.low || tag > this.high) return undefined;
    const ring = this.ring;
    const i = tag % ring.length;
    const e = ring[i];
    if (e === undefined) return undefined;
    ring[i] = undefined;
    this.size--;
    if (tag === this.low) {
      // the oldest went: the window starts at the next one still held
      if (this.size === 0) this.low = this.high + 1;
      else while (ring[this.low % ring.length] === undefined) this.low++;
    }
    return e;
  }

  has(tag: number): boolean {
    return this.get(tag) !== undefined;
  }

  /** The held entries in tag order. */
  *values(): IterableIterator<QueueEntry> {
    for (let t = this.low; t <= this.high; t++) {
      const e = this.ring[t % this.ring.length];
      if (e !== undefined) yield e;
    }
  }

  /** Forgets every entry; tags go on from where they were. */
  clear(): void {
    this.ring.fill(undefined);
    this.low = this.high + 1;
    this.size = 0;
  }

  private grow(): void {
    const old = this.ring;
    const ring = new Array<QueueEntry | undefined>(old.length * 2).fill(undefined);
    for (let t = this.low; t <= this.high; t++) ring[t % ring.length] = old[t % old.length];
    this.ring = ring;
  }
}

/**
 * One JMS consumer (ConsumerInfo): the core's Consumer on one queue (several for a composite
 * destination's queues). Its credit is the prefetch
 * window: deliveries not yet acknowledged, less those a delivered-ack has moved out of it.
 */
export class OpenWireConsumer implements Consumer {
  subscription!: Subscription;
  /** A consumer on a composite of queues: its subscriptions to the other queues, sharing its window. */
  readonly others: Subscription[] = [];
  /** It consumes a virtual topic's consumer queue: copies from the topic name the queue as their destination. */
  virtual = false;
  /** Delivered and not yet acknowledged, by delivery tag. */
  readonly unacked = new DeliveryWindow();
  /** Unacked deliveries up to this tag no longer count against the prefetch (delivered acks). */
  deliveredUpTo = 0;
  /**
   * How many of `unacked` have tags up to `deliveredUpTo`: kept as deliveries, acks and delivered
   * acks happen (tags are consecutive), not counted again over the window at every ack.
   */
  private delivered = 0;
  /** Prefetch 0: an outstanding MessagePull lets one message through. */
  private pulls = 0;
  private pullTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Closed: a transaction's acks for it are void at commit. */
  closed = false;
  private nextTag = 0;
  /** Its MessageDispatch up to the message, encoded at its first delivery (connection.ts). */
  dispatchHead: Buffer | null = null;
  /** Its ConsumerId as a nested structure (the same in every version), which acks carry. */
  readonly idBytes: Buffer;

  constructor(
    private readonly host: ConsumerHost,
    readonly id: ConsumerId,
    readonly key: string,
    readonly sessionKey: string,
    readonly destination: AnyActiveMQDestination,
    readonly prefetch: number,
  ) {
    const w = new Writer(64);
    writeNested(w, id);
    this.idBytes = w.take(0);
  }

  get client() {
    return this.host.client;
  }

  get prefetchCount(): number {
    return this.prefetch;
  }

  hasCredit(): boolean {
    if (this.prefetch === 0) return this.pulls > 0 && !this.host.backedUp;
    return !this.host.backedUp && this.unacked.size - this.delivered < this.prefetch;
  }

  deliver(entry: QueueEntry): void {
    if (this.prefetch === 0) this.pulled();
    const tag = ++this.nextTag;
    this.unacked.add(tag, entry);
    if (tag <= this.deliveredUpTo) this.delivered++;
    this.host.dispatch(this, entry, tag);
  }

  cancelledByBroker(): void {
    this.host.consumerCancelled(this);
  }

  /**
   * MessagePull (a prefetch-0 consumer's receive): one message if the queue has one for it; if
   * not, the pull ends with an empty dispatch at once (`timeoutMs` -1, receiveNoWait), after
   * `timeoutMs`, or never (0: it waits for the next message).
   */
  pull(timeoutMs: number): void {
    if (this.prefetch !== 0 || this.closed) return;
    this.pulls = 1;
    this.resume();
    if (this.pulls === 0) return;
    if (timeoutMs < 0) this.endPull();
    else if (timeoutMs > 0) {
      clearTimeout(this.pullTimer);
      this.pullTimer = setTimeout(endPullOf, timeoutMs, this);
      this.pullTimer.unref?.();
    }
  }

  /** The pull found nothing: an empty dispatch tells the client receive() returns null. */
  endPull(): void {
    if (this.pulls === 0) return;
    this.pulled();
    this.host.pullEnded(this);
  }

  private pulled(): void {
    this.pulls = 0;
    clearTimeout(this.pullTimer);
    this.pullTimer = undefined;
  }

  /** A delivered ack up to `tag`: those deliveries leave the prefetch window but stay unacked. */
  markDelivered(tag: number): void {
    const upTo = Math.min(tag, this.nextTag);
    for (let t = this.deliveredUpTo + 1; t <= upTo; t++) if (this.unacked.has(t)) this.delivered++;
    if (tag > this.deliveredUpTo) this.deliveredUpTo = tag;
  }

  /** Settled or handed elsewhere: it leaves the window (and the delivered count, if it was in it). */
  private forget(tag: number): QueueEntry | undefined {
    const e = this.unacked.take(tag);
    if (e !== undefined && tag <= this.deliveredUpTo) this.delivered--;
    return e;
  }

  /** Credit came back: every queue it consumes may deliver again. */
  resume(): void {
    this.subscription.resume();
    for (let i = 0; i < this.others.length; i++) this.others[i]!.resume();
  }

  /** The queue a delivery came from (one of several for a composite consumer). */
  private queueOf(e: QueueEntry) {
    return this.others.length === 0 ? this.subscription.queue : (e.holder?.queue ?? this.subscription.queue);
  }

  /** Acknowledges every delivery up to `tag` (a standard ack), or just `tag` (individual). */
  ack(tag: number, individual: boolean): void {
    if (individual) {
      const e = this.forget(tag);
      if (e !== undefined) this.queueOf(e).ack(e);
    } else {
      const last = Math.min(tag, this.unacked.highest);
      for (let t = this.unacked.lowest; t <= last; t++) {
        const e = this.forget(t);
        if (e !== undefined) this.queueOf(e).ack(e);
      }
    }
    this.resume();
  }

  /**
   * A poison ack for the deliveries from `firstTag` to `lastTag`: the client gave up on them after
   * its redelivery policy. Each is dead-lettered (ActiveMQ.DLQ) and settled.
   */
  poison(firstTag: number, lastTag: number, cause: string | null): void {
    const last = Math.min(lastTag, this.unacked.highest);
    for (let t = Math.max(firstTag, this.unacked.lowest); t <= last; t++) {
      const e = this.forget(t);
      if (e === undefined) continue;
      this.host.deadLetter(e, cause);
      this.queueOf(e).ack(e);
    }
    this.resume();
  }

  /** An expired ack: the client found the message expired; it is dead-lettered as one. */
  expire(tag: number): void {
    const e = this.forget(tag);
    if (e === undefined) return;
    this.host.deadLetter(e, expiredCause(e.message));
    this.queueOf(e).ack(e);
    this.resume();
  }

  /** The consumer goes: unacked messages back to the queue, redelivered, in their order. */
  close(): void {
    this.closed = true;
    this.pulled();
    for (const e of this.unacked.values()) this.queueOf(e).requeue(e);
    this.unacked.clear();
    this.subscription.cancel();
    for (let i = 0; i < this.others.length; i++) this.others[i]!.cancel();
  }
}

/** A pull's timer: a module function, not a closure per pull. */
function endPullOf(c: OpenWireConsumer): void {
  c.endPull();
}

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
 * Unacknowledged deliveries by tag. Tags are consecutive, so they are an array's slots from the
 * oldest held one: an ack up to a tag walks only what it settles. (A Map walked from its start
 * steps over every entry deleted since it last rehashed: each cumulative ack cost the window.)
 */
export class DeliveryWindow {
  private slots: (QueueEntry | undefined)[] = [];
  /** The index of the oldest slot kept, and its tag. */
  private start = 0;
  private startTag = 1;
  size = 0;

  /** The lowest tag that may be held; `highest` the last added (lowest - 1 when none). */
  get lowest(): number {
    return this.startTag;
  }

  get highest(): number {
    return this.startTag + this.slots.length - this.start - 1;
  }

  /** `tag` is the one after `highest`. */
  add(tag: number, e: QueueEntry): void {
    if (tag !== this.highest + 1) throw new RangeError(`delivery tag ${tag} out of order`);
    this.slots.push(e);
    this.size++;
  }

  get(tag: number): QueueEntry | undefined {
    if (tag < this.startTag) return undefined;
    return this.slots[this.start + tag - this.startTag];
  }

  /** Removes and returns the entry of `tag`, if held. */
  take(tag: number): QueueEntry | undefined {
    if (tag < this.startTag) return undefined;
    const i = this.start + tag - this.startTag;
    const e = this.slots[i];
    if (e === undefined) return undefined;
    this.slots[i] = undefined;
    this.size--;
    if (i === this.start) this.trim();
    return e;
  }

  has(tag: number): boolean {
    return this.get(tag) !== undefined;
  }

  /** The held entries in tag order. */
  *values(): IterableIterator<QueueEntry> {
    for (let i = this.start; i < this.slots.length; i++) {
      const e = this.slots[i];
      if (e !== undefined) yield e;
    }
  }

  /** Forgets every entry; tags go on from where they were. */
  clear(): void {
    this.startTag = this.highest + 1;
    this.slots = [];
    this.start = 0;
    this.size = 0;
  }

  private trim(): void {
    const slots = this.slots;
    let i = this.start;
    while (i < slots.length && slots[i] === undefined) i++;
    this.startTag += i - this.start;
    if (i === slots.length) {
      slots.length = 0;
      this.start = 0;
    } else if (i >= 1024 && i * 2 >= slots.length) {
      // the settled front is dropped once it is most of the array, so it never grows without end
      this.slots = slots.slice(i);
      this.start = 0;
    } else this.start = i;
  }
}

/**
 * One JMS consumer (ConsumerInfo): the core's Consumer on one queue. Its credit is the prefetch
 * window: deliveries not yet acknowledged, less those a delivered-ack has moved out of it.
 */
export class OpenWireConsumer implements Consumer {
  subscription!: Subscription;
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
    this.subscription.resume();
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

  /** Acknowledges every delivery up to `tag` (a standard ack), or just `tag` (individual). */
  ack(tag: number, individual: boolean): void {
    const q = this.subscription.queue;
    if (individual) {
      const e = this.forget(tag);
      if (e !== undefined) q.ack(e);
    } else {
      const last = Math.min(tag, this.unacked.highest);
      for (let t = this.unacked.lowest; t <= last; t++) {
        const e = this.forget(t);
        if (e !== undefined) q.ack(e);
      }
    }
    this.subscription.resume();
  }

  /**
   * A poison ack for the deliveries from `firstTag` to `lastTag`: the client gave up on them after
   * its redelivery policy. Each is dead-lettered (ActiveMQ.DLQ) and settled.
   */
  poison(firstTag: number, lastTag: number, cause: string | null): void {
    const q = this.subscription.queue;
    const last = Math.min(lastTag, this.unacked.highest);
    for (let t = Math.max(firstTag, this.unacked.lowest); t <= last; t++) {
      const e = this.forget(t);
      if (e === undefined) continue;
      this.host.deadLetter(e, cause);
      q.ack(e);
    }
    this.subscription.resume();
  }

  /** An expired ack: the client found the message expired; it is dead-lettered as one. */
  expire(tag: number): void {
    const e = this.forget(tag);
    if (e === undefined) return;
    this.host.deadLetter(e, expiredCause(e.message));
    this.subscription.queue.ack(e);
    this.subscription.resume();
  }

  /** The consumer goes: unacked messages back to the queue, redelivered, in their order. */
  close(): void {
    this.closed = true;
    this.pulled();
    const q = this.subscription.queue;
    for (const e of this.unacked.values()) q.requeue(e);
    this.unacked.clear();
    this.subscription.cancel();
  }
}

/** A pull's timer: a module function, not a closure per pull. */
function endPullOf(c: OpenWireConsumer): void {
  c.endPull();
}

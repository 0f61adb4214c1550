/**
 * Stream queues (x-queue-type: stream), as RabbitMQ 3.10 offers them over AMQP 0-9-1: an
 * append-only log that consumers read without removing anything, each from its own offset
 * (`x-stream-offset`), with manual acks and a prefetch limit as flow control. Every delivered
 * message carries its offset in the `x-stream-offset` header. Retention (`x-max-length-bytes`,
 * `x-max-age`) drops whole segments, and only when a new segment starts, as RabbitMQ's osiris does.
 */
import { Deque } from "./deque.js";
import { BrokerError, describe, ReplyCode } from "./errors.js";
import { integerValue, stringValue } from "./field-types.js";
import { type FieldValue, type Message, TypedField } from "./message.js";
import { Enqueued, Queue, type QueueHost, type QueueOptions } from "./queue.js";
import { QueueEntry } from "./queue-entry.js";
import { type Consumer, type ConsumeOptions, Subscription } from "./consumer.js";
import type { RecoveredStreamRecord, StreamStore } from "./durability.js";
import { parseMaxAge } from "./queue-arguments.js";

/** RabbitMQ's default x-stream-max-segment-size-bytes (500 MB). */
export const DEFAULT_STREAM_SEGMENT_BYTES = 500_000_000;
/**
 * Bytes a record is counted for besides its body when filling segments and applying
 * x-max-length-bytes: roughly what osiris spends per record (chunk header share, AMQP sections).
 */
export const STREAM_RECORD_OVERHEAD = 64;

interface StreamRecord {
  readonly offset: number;
  /** Milliseconds since the epoch when the stream took it. */
  readonly timestamp: number;
  /**
   * The message with its x-stream-offset header, shared by every consumer; null once paged out
   * (only the store has it then, read back for each delivery).
   */
  message: Message | null;
  readonly position: number;
  readonly bodySize: number;
}

/** A run of records retention drops together. */
interface StreamSegment {
  readonly firstOffset: number;
  count: number;
  bytes: number;
  lastTimestamp: number;
  /** Store position of the segment's first record (-1 without a store). */
  readonly firstPosition: number;
}

/** Where a consumer starts reading, from its x-stream-offset argument. */
export type StreamStart =
  | { readonly kind: "first" | "last" | "next" }
  | { readonly kind: "offset"; readonly offset: number }
  | { readonly kind: "timestamp"; readonly ms: number };

/**
 * Reads x-stream-offset: "first", "last", "next", an integer offset, an AMQP timestamp (seconds),
 * or an interval string ("1h", "7D": that long ago). Anything else closes the connection with 541,
 * as RabbitMQ 3.10 does (its channel crashes on it).
 */
export function parseStreamOffset(v: FieldValue | undefined, now: number): StreamStart | BrokerError {
  if (v === undefined) return { kind: "next" };
  const s = stringValue(v);
  if (s !== undefined) {
    if (s === "first" || s === "last" || s === "next") return { kind: s };
    const ms = parseMaxAge(s);
    if (ms !== undefined) return { kind: "timestamp", ms: now - ms };
    return new BrokerError(ReplyCode.INTERNAL_ERROR, `invalid x-stream-offset '${s}'`);
  }
  if (v instanceof Date) return { kind: "timestamp", ms: v.getTime() };
  if (v instanceof TypedField && v.type === "T") {
    const t = v.value;
    return { kind: "timestamp", ms: t instanceof Date ? t.getTime() : Number(t) * 1000 };
  }
  const n = integerValue(v);
  if (n !== undefined) return { kind: "offset", offset: n };
  return new BrokerError(ReplyCode.INTERNAL_ERROR, "invalid x-stream-offset");
}

/** A consumer of a stream, with its own read position. */
class StreamSubscription extends Subscription {
  /** The next offset this consumer gets. */
  next = 0;
  /** Paged-out records read back ahead of this consumer: offsets first, first + 1, … */
  ahead: { first: number; messages: Message[] } | null = null;
}

export class StreamQueue extends Queue {
  private readonly records = new Deque<StreamRecord>(1024);
  private readonly segments = new Deque<StreamSegment>();
  private nextOffset = 0;
  private lastTimestamp = 0;
  private totalBytes = 0;
  private readonly segmentBytes: number;
  /** Bytes of messages held in memory, and the offset from which records still hold theirs. */
  private residentBytes = 0;
  private residentFrom = 0;
  private streamDispatching = false;
  private streamRedispatch = false;
  /** The stream's log on disk, when the broker has a store. */
  streamStore: StreamStore | null = null;

  constructor(
    name: string,
    host: QueueHost,
    options: QueueOptions,
    /** Milliseconds since the epoch; injected so retention by age is testable. */
    private readonly now: () => number = Date.now,
  ) {
    super(name, host, options);
    this.segmentBytes = options.parsedArgs.streamMaxSegmentSizeBytes || DEFAULT_STREAM_SEGMENT_BYTES;
  }

  /** RabbitMQ answers declare-ok with 0 messages for a stream, however long it is. */
  override get messageCount(): number {
    return 0;
  }

  /** Records the stream holds now (after retention). */
  get length(): number {
    return this.records.length;
  }

  /** The oldest offset still held, and the one the next message gets. */
  get firstOffset(): number {
    return this.records.length > 0 ? this.records.at(0)!.offset : this.nextOffset;
  }
  get committedOffset(): number {
    return this.nextOffset;
  }

  /** Bytes of messages held in memory (the rest is read back from the store on delivery). */
  get residentMessageBytes(): number {
    return this.residentBytes;
  }

  /** Segments held now (retention drops whole ones). */
  get segmentCount(): number {
    return this.segments.length;
  }

  override get unackedMessageCount(): number {
    let n = 0;
    for (const s of this.consumers) n += s.unacked;
    return n;
  }

  override enqueue(message: Message): Enqueued {
    const ts = Math.max(this.now(), this.lastTimestamp);
    const offset = this.nextOffset;
    // stored with its header, so a record read back is delivered as it was stored
    const m = withOffsetHeader(message, offset);
    const position = this.streamStore !== null ? this.streamStore.append(offset, ts, m) : -1;
    this.append(offset, ts, m, position, message.bodySize, true);
    if (this.consumers.length > 0) this.dispatch();
    return position >= 0 ? Enqueued.Persisted : Enqueued.Accepted;
  }

  /** Takes back a record the store recovered at startup: paged out, read back when delivered. */
  restoreRecord(r: RecoveredStreamRecord): void {
    if (r.offset < this.nextOffset) return;
    this.append(r.offset, r.timestamp, null, r.position, r.bodySize, false);
    this.residentFrom = this.nextOffset;
  }

  private append(offset: number, ts: number, message: Message | null, position: number, bodySize: number, retain: boolean): void {
    const size = bodySize + STREAM_RECORD_OVERHEAD;
    let seg = this.segments.at(this.segments.length - 1);
    if (seg === undefined || (seg.bytes + size > this.segmentBytes && seg.count > 0)) {
      // retention runs when a segment is full, as osiris evaluates it on roll-over
      if (seg !== undefined && retain) this.applyRetention(ts);
      seg = { firstOffset: offset, count: 0, bytes: 0, lastTimestamp: ts, firstPosition: position };
      this.segments.push(seg);
    }
    seg.count++;
    seg.bytes += size;
    seg.lastTimestamp = ts;
    this.totalBytes += size;
    this.records.push({ offset, timestamp: ts, message, position, bodySize });
    this.nextOffset = offset + 1;
    this.lastTimestamp = ts;
    if (message !== null) {
      this.residentBytes += size;
      const store = this.streamStore;
      if (store !== null && this.residentBytes > store.pageOutBytes) this.pageOut(store.pageOutBytes / 2);
    }
  }

  /** Keeps only positions for the oldest records until `target` bytes of messages stay in memory. */
  private pageOut(target: number): void {
    const first = this.firstOffset;
    while (this.residentBytes > target && this.residentFrom < this.nextOffset - 1) {
      if (this.residentFrom < first) this.residentFrom = first;
      const r = this.records.at(this.residentFrom - first)!;
      if (r.message !== null && r.position >= 0) {
        r.message = null;
        this.residentBytes -= r.bodySize + STREAM_RECORD_OVERHEAD;
      }
      this.residentFrom++;
    }
  }

  /**
   * A paged-out record's message, read back from the store a block at a time into the consumer's
   * own read-ahead (consumers at different offsets would evict one another from a shared cache).
   * The records themselves stay paged out, so memory stays bounded: one block per consumer.
   */
  private load(r: StreamRecord, sub: StreamSubscription): Message | null {
    const ahead = sub.ahead;
    if (ahead !== null) {
      const k = r.offset - ahead.first;
      if (k >= 0 && k < ahead.messages.length) return ahead.messages[k]!;
    }
    const store = this.streamStore;
    if (store === null) return null;
    const loaded = store.loadFrom(r.position);
    if (loaded.length === 0 || loaded[0]!.offset !== r.offset) {
      sub.ahead = null;
      return null;
    }
    sub.ahead = { first: r.offset, messages: loaded.map((x) => x.message) };
    return loaded[0]!.message;
  }

  /** Drops the oldest whole segments past x-max-length-bytes or x-max-age; the newest always stays. */
  private applyRetention(now: number): void {
    const args = this.options.parsedArgs;
    const maxBytes = args.maxLengthBytes;
    const maxAge = args.maxAgeMs;
    if (maxBytes === undefined && maxAge === undefined) return;
    let dropped = false;
    while (this.segments.length > 1) {
      const oldest = this.segments.at(0)!;
      const tooBig = maxBytes !== undefined && this.totalBytes > maxBytes;
      const tooOld = maxAge !== undefined && oldest.lastTimestamp < now - maxAge;
      if (!tooBig && !tooOld) break;
      this.segments.shift();
      this.totalBytes -= oldest.bytes;
      for (let i = 0; i < oldest.count; i++) {
        const r = this.records.shift()!;
        if (r.message !== null) this.residentBytes -= r.bodySize + STREAM_RECORD_OVERHEAD;
      }
      dropped = true;
    }
    if (dropped && this.streamStore !== null && this.records.length > 0) {
      const first = this.records.at(0)!.position;
      if (first >= 0) this.streamStore.truncateBefore(first);
    }
  }

  override consume(consumer: Consumer, options: ConsumeOptions): Subscription | BrokerError {
    const what = describe("queue", this.name, this.host.name);
    if (options.noAck) {
      return new BrokerError(ReplyCode.NOT_IMPLEMENTED, `automatic acknowledgement not supported by stream queues ${what}`);
    }
    if (!options.prefetch) {
      return new BrokerError(ReplyCode.PRECONDITION_FAILED, `consumer prefetch count is not set for '${what}'`);
    }
    // every stream consumer reads every record at its own offset: nothing to leave for others
    if (options.selector !== undefined)
      return new BrokerError(ReplyCode.NOT_IMPLEMENTED, `selectors not supported by stream queues ${what}`);
    const start = parseStreamOffset(options.args?.["x-stream-offset"], this.now());
    if (start instanceof BrokerError) return start;
    const sub = new StreamSubscription(this, consumer, options);
    sub.next = this.startOffset(start);
    this.consumers.push(sub);
    this.hadConsumer = true;
    this.dispatchSoon();
    return sub;
  }

  /** The offset a consumer starting at `start` reads first. */
  startOffset(start: StreamStart): number {
    switch (start.kind) {
      case "first":
        return this.firstOffset;
      case "next":
        return this.nextOffset;
      case "last":
        return this.records.length > 0 ? this.nextOffset - 1 : this.nextOffset;
      case "offset":
        return Math.min(Math.max(start.offset, this.firstOffset), this.nextOffset);
      case "timestamp": {
        // the first record taken at or after the timestamp (timestamps never go backwards)
        let lo = 0;
        let hi = this.records.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.records.at(mid)!.timestamp < start.ms) lo = mid + 1;
          else hi = mid;
        }
        return lo < this.records.length ? this.records.at(lo)!.offset : this.nextOffset;
      }
    }
  }

  override cancel(sub: Subscription): void {
    if (!sub.active) return;
    sub.active = false;
    const i = this.consumers.indexOf(sub);
    if (i >= 0) this.consumers.splice(i, 1);
  }

  /** Every consumer reads on from its own offset while it has credit. */
  override dispatch(): void {
    if (this.streamDispatching) {
      this.streamRedispatch = true;
      return;
    }
    this.streamDispatching = true;
    try {
      do {
        this.streamRedispatch = false;
        const subs = this.consumers;
        for (let k = 0; k < subs.length; k++) this.feed(subs[k] as StreamSubscription);
      } while (this.streamRedispatch);
    } finally {
      this.streamDispatching = false;
    }
  }

  private feed(sub: StreamSubscription): void {
    const records = this.records;
    const end = this.nextOffset;
    while (sub.next < end && sub.active) {
      const first = this.firstOffset;
      // retention overtook a slow consumer: it goes on from the oldest record kept
      if (sub.next < first) sub.next = first;
      if (!sub.consumer.hasCredit()) return;
      const r = records.at(sub.next - first)!;
      sub.next++;
      const message = r.message ?? this.load(r, sub);
      // a record whose store file retention removed meanwhile is skipped
      if (message === null) continue;
      const entry = new QueueEntry(r.offset, message);
      entry.deliveryCount = 1;
      entry.holder = sub;
      sub.unacked++;
      sub.consumer.deliver(entry, sub);
    }
  }

  override get(): QueueEntry | null {
    return null;
  }

  /** An ack only gives the consumer its credit back: nothing leaves a stream. */
  override ack(entry: QueueEntry): void {
    const holder = entry.holder;
    if (holder !== null) {
      holder.unacked--;
      entry.holder = null;
    }
  }

  /** Streams have no requeue: a nack, with or without requeue, settles like an ack (as RabbitMQ 3.10). */
  override requeue(entry: QueueEntry): void {
    this.ack(entry);
  }

  override discard(entry: QueueEntry): void {
    this.ack(entry);
  }

  override purge(): number {
    return 0;
  }

  override destroy(): number {
    this.deleted = true;
    this.streamStore?.deleted();
    this.streamStore = null;
    this.records.clear();
    this.segments.clear();
    this.residentBytes = 0;
    const subs = this.consumers.splice(0);
    for (const s of subs) {
      s.active = false;
      s.consumer.cancelledByBroker(s);
    }
    return 0;
  }
}

/** The error RabbitMQ gives for operations streams do not have (basic.get, queue.purge). */
export function streamUnsupported(operation: string, queue: string, vhost: string): BrokerError {
  return new BrokerError(ReplyCode.NOT_IMPLEMENTED, `${operation} not supported by stream queues ${describe("queue", queue, vhost)}`);
}

/** The message as stream consumers get it: the x-stream-offset header (a long) added once, for all of them. */
function withOffsetHeader(m: Message, offset: number): Message {
  const p = m.properties;
  return m.withProperties({ ...p, headers: { ...p.headers, "x-stream-offset": new TypedField("l", offset) } });
}

/**
 * A queue's ready messages: the queue's message container. Everything about paging lives here, so
 * the queue's own logic (consumers, acks, length limits, TTL, priorities) sees one FIFO of entries.
 *
 * Two parts, always in this order:
 *   head  QueueEntry objects with their messages in memory (what dispatch hands out next);
 *   tail  messages that are only on disk, kept as compact typed arrays in chunks: a position
 *         (float64), the body size (uint32) and flags (uint8) — 13 bytes a message, no object.
 * A message goes to the tail once the tail is non-empty (order) or the head has grown past the
 * paging limits. Persistent messages of durable queues are already in the queue's store, so paging
 * them costs nothing but their position; other messages are written to the queue's page file.
 * When the head runs dry, a batch is read back from the tail (sequential reads, one read-ahead).
 *
 * Sequence numbers of tail messages are implicit: each enqueue takes the next number, and while
 * the tail is non-empty every enqueue lands in it, so the tail's numbers are consecutive. A priority
 * queue has one container per level, where that does not hold: its containers are made with
 * `explicitSeq` and keep each tail message's number (8 more bytes a message).
 *
 * Expiry (x-message-ttl, per-message expiration) is decided at the head only, as in RabbitMQ; a
 * tail message's expiry time is kept beside it so the entry made on page-in has it. The column is
 * allocated only in chunks that hold a message with an expiry, so queues without TTL stay at 13
 * bytes a message.
 */
import { Deque } from "./deque.js";
import type { PageFile, PagingLimits, QueueStore } from "./durability.js";
import type { Message } from "./message.js";
import { QueueEntry } from "./queue-entry.js";

const CHUNK = 4096;
const REDELIVERED = 1;
/** The message is in the page file, not in the queue's store. */
const IN_PAGE_FILE = 2;
/** Its message has a message group: set again from its headers on page-in. */
const GROUPED = 4;
/** Messages and bytes read back per page-in. */
const PAGE_IN_ENTRIES = 1024;
const PAGE_IN_BYTES = 1024 * 1024;

class TailChunk {
  readonly positions = new Float64Array(CHUNK);
  readonly sizes = new Uint32Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  /** Sequence numbers (priority levels only; see explicitSeq). */
  readonly seqs: Float64Array | null;
  /** Expiry times (clock ms), allocated when the first message with an expiry lands here. */
  expires: Float64Array | null = null;
  start = 0;
  end = 0;

  constructor(explicitSeq: boolean) {
    this.seqs = explicitSeq ? new Float64Array(CHUNK) : null;
  }
}

export interface ReadyOptions {
  /** The priority level the container holds (entries made on page-in get it); 0 by default. */
  readonly level?: number;
  /** Keep each tail message's sequence number (its numbers need not be consecutive). */
  readonly explicitSeq?: boolean;
}

/** What the container needs from its queue. */
export interface ReadyOwner {
  readonly store: QueueStore | null;
  /** Null when the broker has no data dir: nothing is paged. */
  readonly paging: PagingLimits | null;
  /** Opens the queue's page file (called once, when a non-stored message is first paged out). */
  openPageFile(): PageFile;
}

export class ReadyMessages {
  private readonly head = new Deque<QueueEntry>();
  private headBytes = 0;
  private readonly chunks = new Deque<TailChunk>();
  private tailCount = 0;
  private tailBytes = 0;
  /** Sequence number of the tail's first message. */
  private tailSeq = 0;
  private pageFile: PageFile | null = null;

  private readonly level: number;
  private readonly explicitSeq: boolean;

  constructor(
    private readonly owner: ReadyOwner,
    options: ReadyOptions = {},
  ) {
    this.level = options.level ?? 0;
    this.explicitSeq = options.explicitSeq ?? false;
  }

  get length(): number {
    return this.head.length + this.tailCount;
  }

  /** Body bytes of all ready messages (x-max-length-bytes counts these). */
  get bytes(): number {
    return this.headBytes + this.tailBytes;
  }

  /** Ready messages that are on disk only. */
  get pagedCount(): number {
    return this.tailCount;
  }

  /** Appends a new entry (its position set if the queue's store has it). */
  push(entry: QueueEntry): void {
    const limits = this.owner.paging;
    if (limits !== null && (this.tailCount > 0 || this.overLimit(limits, entry.position >= 0))) {
      const flags = (entry.redelivered ? REDELIVERED : 0) | (entry.message.group !== null ? GROUPED : 0);
      if (entry.position >= 0) {
        this.pushTail(entry.seq, entry.position, entry.bodySize, flags, entry.expiresAt);
        return;
      }
      let position: number;
      try {
        position = (this.pageFile ??= this.owner.openPageFile()).write(entry.message);
      } catch (err) {
        // the page file cannot be written (disk full…): keep the message in memory while order allows
        if (this.tailCount > 0) throw err;
        this.head.push(entry);
        this.headBytes += entry.bodySize;
        return;
      }
      this.pushTail(entry.seq, position, entry.bodySize, flags | IN_PAGE_FILE, entry.expiresAt);
      return;
    }
    this.head.push(entry);
    this.headBytes += entry.bodySize;
  }

  /** Appends a message recovered from the queue's store; decoded only if it stays in memory. */
  pushRecovered(
    seq: number,
    position: number,
    bodySize: number,
    redelivered: boolean,
    expiresAt: number,
    grouped: boolean,
    message: Message | null,
  ): void {
    const limits = this.owner.paging;
    if (limits !== null && (this.tailCount > 0 || this.overLimit(limits, true))) {
      this.pushTail(seq, position, bodySize, (redelivered ? REDELIVERED : 0) | (grouped ? GROUPED : 0), expiresAt);
      return;
    }
    // kept in memory: read back now (sequential reads share the store's read-ahead)
    const m = message ?? this.owner.store!.load(position);
    if (grouped) m.restoreGroup();
    const entry = new QueueEntry(seq, m, bodySize);
    entry.level = this.level;
    entry.position = position;
    entry.redelivered = redelivered;
    entry.expiresAt = expiresAt;
    this.head.push(entry);
    this.headBytes += bodySize;
  }

  private overLimit(limits: PagingLimits, stored: boolean): boolean {
    return this.head.length >= limits.maxEntries || this.headBytes > (stored ? limits.persistentBytes : limits.transientBytes);
  }

  private pushTail(seq: number, position: number, size: number, flags: number, expiresAt: number): void {
    if (this.tailCount === 0) this.tailSeq = seq;
    let c = this.chunks.at(this.chunks.length - 1);
    if (c === undefined || c.end === CHUNK) this.chunks.push((c = new TailChunk(this.explicitSeq)));
    const i = c.end++;
    c.positions[i] = position;
    c.sizes[i] = size;
    c.flags[i] = flags;
    if (c.seqs !== null) c.seqs[i] = seq;
    if (expiresAt !== Infinity && c.expires === null) c.expires = new Float64Array(CHUNK).fill(Infinity);
    if (c.expires !== null) c.expires[i] = expiresAt;
    this.tailCount++;
    this.tailBytes += size;
  }

  /**
   * The ready entries with a sequence number in (`after`, `before`), in order, until `into` holds
   * `limit`, left in place: a paced browser's next batch (a cursor is just the last number it
   * saw). The head is found by binary search, the tail by skipping whole chunks; paged-out
   * entries are read from disk as copies (entries of their own, not the ones page-in will make;
   * nothing is released).
   */
  browseAfter(after: number, before: number, limit: number, into: QueueEntry[]): void {
    const h = this.head;
    // the head is in sequence order (requeues go back to their place)
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (h.at(mid)!.seq <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < h.length && into.length < limit; i++) {
      const e = h.at(i)!;
      if (e.seq >= before) return;
      into.push(e);
    }
    if (into.length >= limit || this.tailCount === 0) return;
    const store = this.owner.store;
    let seq = this.tailSeq;
    for (let k = 0; k < this.chunks.length && into.length < limit; k++) {
      const c = this.chunks.at(k)!;
      const n = c.end - c.start;
      const lastSeq = c.seqs !== null ? c.seqs[c.end - 1]! : seq + n - 1;
      if (lastSeq <= after) {
        seq += n;
        continue;
      }
      for (let i = c.start; i < c.end && into.length < limit; i++, seq++) {
        const s = c.seqs !== null ? c.seqs[i]! : seq;
        if (s <= after) continue;
        if (s >= before) return;
        const flags = c.flags[i]!;
        const position = c.positions[i]!;
        const message = flags & IN_PAGE_FILE ? this.pageFile!.read(position) : store!.load(position);
        if (flags & GROUPED) message.restoreGroup();
        const entry = new QueueEntry(s, message, c.sizes[i]!);
        if (flags & REDELIVERED) entry.redelivered = true;
        entry.level = this.level;
        into.push(entry);
      }
    }
  }

  /** The oldest ready entry, taken out (read back from disk if it was paged out). */
  shift(): QueueEntry | undefined {
    if (this.head.length === 0) {
      if (this.tailCount === 0) return undefined;
      this.pageIn();
    }
    const e = this.head.shift()!;
    this.headBytes -= e.bodySize;
    return e;
  }

  /** The oldest ready entry, left in place. */
  peek(): QueueEntry | undefined {
    if (this.head.length === 0 && this.tailCount > 0) this.pageIn();
    return this.head.peek();
  }

  /** Puts a delivered entry back at its original position (always ahead of the tail: it left from the head). */
  requeue(entry: QueueEntry): void {
    const head = this.head;
    const last = head.at(head.length - 1);
    if (last === undefined || last.seq < entry.seq) head.push(entry);
    else head.insertSorted(entry, (e) => e.seq > entry.seq);
    this.headBytes += entry.bodySize;
  }

  /**
   * Puts back an entry `shift` just gave (a selective dispatch passed over it), in front of the
   * rest: no search, since it was the oldest.
   */
  unshift(entry: QueueEntry): void {
    this.head.unshift(entry);
    this.headBytes += entry.bodySize;
  }

  /** Reads a batch from the tail into the head, in order. */
  private pageIn(): void {
    const store = this.owner.store;
    let n = 0;
    let bytes = 0;
    while (this.tailCount > 0 && n < PAGE_IN_ENTRIES && bytes < PAGE_IN_BYTES) {
      const c = this.chunks.peek()!;
      const i = c.start++;
      const position = c.positions[i]!;
      const size = c.sizes[i]!;
      const flags = c.flags[i]!;
      const seq = c.seqs !== null ? c.seqs[i]! : this.tailSeq;
      this.tailSeq++;
      const expiresAt = c.expires !== null ? c.expires[i]! : Infinity;
      if (c.start === c.end) this.chunks.shift();
      this.tailCount--;
      this.tailBytes -= size;
      let entry: QueueEntry;
      if (flags & IN_PAGE_FILE) {
        const pf = this.pageFile!;
        entry = new QueueEntry(seq, pf.read(position), size);
        pf.release(position);
      } else {
        entry = new QueueEntry(seq, store!.load(position), size);
        entry.position = position;
      }
      if (flags & REDELIVERED) entry.redelivered = true;
      if (flags & GROUPED) entry.message.restoreGroup();
      entry.level = this.level;
      entry.expiresAt = expiresAt;
      this.head.push(entry);
      this.headBytes += size;
      n++;
      bytes += size;
    }
  }

  /**
   * Empties the container (queue.purge). In-memory entries go to `settle`; paged-out ones are
   * settled here: acked in the store, or released from the page file. Returns how many there were.
   */
  clear(settle: (entry: QueueEntry) => void): number {
    const n = this.length;
    for (let e = this.head.shift(); e !== undefined; e = this.head.shift()) settle(e);
    this.head.clear();
    const store = this.owner.store;
    for (let c = this.chunks.shift(); c !== undefined; c = this.chunks.shift()) {
      for (let i = c.start; i < c.end; i++) {
        if (c.flags[i]! & IN_PAGE_FILE) this.pageFile!.release(c.positions[i]!);
        else store?.ack(c.positions[i]!);
      }
    }
    this.headBytes = this.tailBytes = this.tailCount = 0;
    return n;
  }

  /** The queue was deleted: drops everything without settling (its store goes as a whole). */
  destroy(): void {
    this.head.clear();
    this.chunks.clear();
    this.headBytes = this.tailBytes = this.tailCount = 0;
    this.pageFile?.close();
    this.pageFile = null;
  }
}

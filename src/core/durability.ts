/**
 * The seam between the core and a message store, in the core's own terms: no files, no formats.
 * A durable queue holds a QueueStore and writes persistent messages and their settlements to it;
 * front-ends learn through Durability when what they published is on disk, so a publisher confirm,
 * an MQTT PUBACK or a STOMP receipt is sent only after the fsync.
 */
import type { Message } from "./message.js";

/** Told once the batch it was registered in is durable (ok) or could not be made so. */
export interface CommitWaiter {
  committed(ok: boolean): void;
}

/** Group commit as front-ends see it. */
export interface Durability {
  /** The batch now accumulating; everything written since it began becomes durable together. */
  readonly batch: number;
  /** Calls waiter.committed once the batch now accumulating is on disk: one waiter per batch, not per message. */
  afterCommit(waiter: CommitWaiter): void;
}

/**
 * Writes that must reach the OS before any delivery leaves the process (a queue's "delivered up to
 * here" mark, so that a kill -9 cannot lose the fact that a message went out). A store registers
 * once per event-loop turn; every socket write (BatchedWriter) calls `settleDeliveryMarks()` first,
 * and a tick does it anyway for deliveries that leave by other ways (the management API's get).
 */
export interface DeliveryMark {
  settleMark(): void;
}

const pendingMarks: DeliveryMark[] = [];
let marksScheduled = false;

export function deferDeliveryMark(m: DeliveryMark): void {
  pendingMarks.push(m);
  if (!marksScheduled) {
    marksScheduled = true;
    process.nextTick(settleScheduledMarks);
  }
}

function settleScheduledMarks(): void {
  marksScheduled = false;
  settleDeliveryMarks();
}

/**
 * Writes every pending delivery mark: called before bytes that may carry a delivery leave. Returns
 * 0 when those bytes may leave now; on a cluster's leader, the mark sequence they must wait for
 * (`waitForMarks`), or -1 when they must never leave (the term is over with marks unreplicated).
 */
export function settleDeliveryMarks(): number {
  if (pendingMarks.length > 0) {
    for (let i = 0; i < pendingMarks.length; i++) pendingMarks[i]!.settleMark();
    pendingMarks.length = 0;
  }
  return markReplication === null ? 0 : markReplication.sealMarks();
}

/** Told once the delivery marks up to a sequence are held by every node that could lead next. */
export interface MarkWaiter {
  /** `upTo`: the marks replicated so far; -1: they never will be (the term is over). */
  marksReplicated(upTo: number): void;
}

/**
 * A cluster's leader (docs/clustering.md, "Delivery marks"): the marks written so far are shipped
 * to the followers, and bytes that may carry the deliveries they cover wait until every node that
 * could become leader holds them, so a message delivered before a failover comes back flagged.
 */
export interface MarkReplication {
  /** Seals the marks written since the last call; the sequence output sent now waits for (0: none, -1: never). */
  sealMarks(): number;
  /** Calls `w.marksReplicated` once the marks up to `seq` are replicated, or the term ends. */
  whenMarksReplicated(seq: number, w: MarkWaiter): void;
}

/** Null on a single node: deliveries wait for nothing but the local mark write. */
let markReplication: MarkReplication | null = null;

/** Set by a cluster's leader when it starts serving; `null` (by the same one) when it stops. */
export function replicateDeliveryMarks(r: MarkReplication | null, current?: MarkReplication): void {
  if (r === null && current !== undefined && markReplication !== current) return;
  markReplication = r;
}

/** Output held for `seq` (from `settleDeliveryMarks`) is released through `w`. */
export function waitForMarks(seq: number, w: MarkWaiter): void {
  if (markReplication === null) w.marksReplicated(-1);
  else markReplication.whenMarksReplicated(seq, w);
}

/** One durable queue's storage: positions are opaque numbers, ordered by append. */
export interface QueueStore {
  /**
   * Writes a message (buffered; durable at the next commit) and returns its position. `expiresAt`
   * (ms since the epoch; Infinity: never) is kept with it, so its TTL still runs after a restart.
   */
  persist(message: Message, expiresAt: number): number;
  /**
   * The message is going to a consumer: a restart, even after kill -9, flags it redelivered if it
   * comes back. `settled`: a no-ack delivery, acked at once (no unacked state to record).
   */
  delivered(position: number, settled?: boolean): void;
  /** The message is settled and must not come back. */
  ack(position: number): void;
  /** The queue was deleted: its storage goes too. */
  deleted(): void;
  /** Reads a paged-out message back (sequential loads are served from one read-ahead). */
  load(position: number): Message;
}

/**
 * A queue's paging file for messages that need not survive a restart (transient messages, or any
 * message of a transient queue): written without fsync, emptied on every start.
 */
export interface PageFile {
  /** Moves a message out of memory; returns its position in the file. */
  write(message: Message): number;
  /** Reads a message back (the caller then releases it). */
  read(position: number): Message;
  /** The message is back in memory or gone: its space may be reclaimed. */
  release(position: number): void;
  /** The queue is gone: the file goes too. */
  close(): void;
}

/** When a queue's message container pages out (see src/core/ready-messages.ts). */
export interface PagingLimits {
  /** Ready bytes in memory past which persistent messages of durable queues stay on disk only. */
  readonly persistentBytes: number;
  /** Ready bytes in memory past which other messages go to the queue's page file. */
  readonly transientBytes: number;
  /** Ready messages in memory past which every message is paged out, whatever its size. */
  readonly maxEntries: number;
}

/**
 * A message found in the store at startup: where it is and what the queue needs to know without
 * reading it (the queue loads the ones it keeps in memory through its QueueStore). Valid only
 * during the restore call: the store reuses one object for every record.
 */
export interface RecoveredMessage {
  readonly position: number;
  readonly redelivered: boolean;
  readonly bodySize: number;
  /** When it expires, as persisted (ms since the epoch; Infinity: never). */
  readonly expiresAt: number;
  /** It belongs to a message group: the queue sets its group from its headers when it reads it. */
  readonly grouped: boolean;
}

/** A stream's storage: an append-only log read back in order at startup. */
export interface StreamStore {
  /**
   * Writes a record (buffered; durable at the next commit) and returns its position. `job`: a
   * scheduled job's state kept with the message (held messages only), given back at recovery.
   */
  append(offset: number, timestamp: number, message: Message, job?: string): number;
  /**
   * Reads records back from `position` on (streams keep only positions of what they paged out):
   * at least that record, and those after it that one block read brings.
   */
  loadFrom(position: number): { offset: number; message: Message }[];
  /** Resident bytes past which a stream pages its oldest records out of memory. */
  readonly pageOutBytes: number;
  /** One record is done with (a released delayed message): it will not be recovered. */
  ack(position: number): void;
  /** Retention dropped every record before `position`: whole files before it may go. */
  truncateBefore(position: number): void;
  /** The stream was deleted: its storage goes too. */
  deleted(): void;
}

/** A stream record found at startup. */
export interface RecoveredStreamRecord {
  readonly position: number;
  readonly offset: number;
  /** Milliseconds since the epoch when the stream took it. */
  readonly timestamp: number;
  readonly bodySize: number;
  /** The scheduled job stored with the message, null for none. */
  readonly job: string | null;
  message(): Message;
}

/** What a Broker needs from durable storage. */
export interface Persistence {
  readonly durability: Durability;
  /** Opens a durable queue's store; messages it held before a restart are given to `restore` in order. */
  openQueue(vhost: string, queue: string, restore: (recovered: RecoveredMessage, store: QueueStore) => void): QueueStore;
  /** Opens a queue's page file (created empty; lazily, when the queue first pages out). */
  openPageFile(vhost: string, queue: string): PageFile;
  readonly paging: PagingLimits;
  /** Opens a stream's log; the records it held before a restart are given to `restore` in order. */
  openStream?(vhost: string, queue: string, restore: (recovered: RecoveredStreamRecord) => void): StreamStore;
  /** Whether a stream's log exists (opened before a restart and not deleted). */
  hasStream?(vhost: string, queue: string): boolean;
  /** Vhosts, users, permissions, durable exchanges, queues or bindings changed. */
  definitionsChanged(): void;
}

/**
 * MessageStore: what a durable queue needs from storage — append, read by position, mark
 * delivered, ack, recover, and a non-destructive read from an offset. Two implementations pass one
 * contract suite (test/store/message-store.contract.test.ts): MemoryMessageStore (recovers
 * nothing) and DiskMessageStore (a SegmentLog plus an ack log).
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { deferDeliveryMark, type DeliveryMark } from "../core/durability.js";
import { defaultFileCap, type FileHandle, FilePool } from "./file-pool.js";
import type { Flushable, GroupCommit } from "./group-commit.js";
import type { StoreTap } from "./tap.js";
import type { Trash } from "./trash.js";
import { type DroppedTail, type RecordWriter, SegmentLog, segmentOf } from "./segment-log.js";

export interface StoredRecord {
  readonly position: number;
  readonly payload: Buffer;
  /** Handed to a consumer before the restart and never acked: comes back redelivered. */
  readonly delivered: boolean;
}

export interface MessageStore {
  /** Buffers a record and returns its position; durable after the next group commit. */
  append(payload: Buffer): number;
  /** As append, with the record encoded by `writer` where the store keeps it (no buffer of its own). */
  appendWith<T>(writer: RecordWriter<T>, item: T): number;
  read(position: number): Buffer | undefined;
  /**
   * Notes that the record is going to a consumer, so that a restart flags it redelivered should it
   * come back, even after kill -9. `settled`: a no-ack delivery (no unacked state to keep).
   */
  markDelivered(position: number, settled?: boolean): void;
  /** The record is settled: it will not be recovered, and its segment may go. */
  ack(position: number): void;
  /** The records that survived the last shutdown or crash, unacked, in append order. */
  recovered(): readonly StoredRecord[];
  /** Every record kept, acked or not, from `position` on (what streams read). */
  readFrom(position?: number): Iterable<{ position: number; payload: Buffer }>;
  /** Resolves once everything appended or acked so far is durable. */
  sync(): Promise<void>;
  /** Closes files; the data stays. */
  close(): Promise<void>;
  /** Closes and removes everything (the queue was deleted). */
  destroy(): Promise<void>;
}

/** Keeps records in memory; a new instance recovers nothing. */
export class MemoryMessageStore implements MessageStore {
  private readonly records = new Map<number, Buffer>();
  private next = 1;

  append(payload: Buffer): number {
    const p = this.next++;
    this.records.set(p, Buffer.from(payload));
    return p;
  }
  appendWith<T>(writer: RecordWriter<T>, item: T): number {
    const buf = Buffer.allocUnsafe(writer.size(item));
    writer.write(item, buf, 0);
    const p = this.next++;
    this.records.set(p, buf);
    return p;
  }
  read(position: number): Buffer | undefined {
    return this.records.get(position);
  }
  markDelivered(): void {}
  ack(position: number): void {
    this.records.delete(position);
  }
  recovered(): readonly StoredRecord[] {
    return [];
  }
  *readFrom(position = 0): Iterable<{ position: number; payload: Buffer }> {
    for (const [p, payload] of this.records) if (p >= position) yield { position: p, payload };
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    this.records.clear();
    return Promise.resolve();
  }
}

const write = promisify(fs.write);
/** Ack files are fsynced at most this often (and at close); see flush. */
const ACK_SYNC_INTERVAL_MS = 1000;
const fsync = promisify(fs.fsync);

/** Ack file entries: type u8 | segment id u32 BE | offset u32 BE. */
const ENTRY = 9;
const DELIVERED = 1;
const ACKED = 2;
/**
 * `delivered.mark`: segment u32 BE | offset u32 BE of a position past every record ever handed to a
 * consumer. Ack-file entries reach the file only at the next commit, after the delivery may have
 * left; this mark is written (to the page cache, one pwrite) before the socket write that carries
 * the deliveries, once per turn at most, so after kill -9 every record before it that comes back
 * is flagged redelivered. Deliveries go in queue order, so the mark flags (nearly) only messages
 * that did go out; after a clean shutdown the ack files are complete and it is not needed.
 */
const MARK_FILE = "delivered.mark";

export interface DiskMessageStoreOptions {
  dir: string;
  commit: GroupCommit;
  segmentSize?: number;
  onDropped?: (d: DroppedTail) => void;
  /** The last shutdown was clean: older segments' checksums need not be verified again. */
  cleanShutdown?: boolean;
  /** Older segments' checksums were verified already (DiskPersistenceOptions.checksumsVerified); the mark still counts. */
  checksumsVerified?: boolean;
  /**
   * Told about each record that survived, in order, while the store opens; its payload is valid
   * only during the call. Given this, the store keeps no recovered records (recovered() is empty).
   */
  onRecovered?: (position: number, payload: Buffer, delivered: boolean) => void;
  /** The descriptor cache shared by every file of the store (default: one of its own). */
  files?: FilePool;
  /** Told every durable write (segments, ack files, the delivery mark), for replication. */
  tap?: StoreTap;
  /** Where deleted files go (off the event loop); deleted inline without one. */
  trash?: Trash;
}

const APPEND = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND;

/**
 * One segment's ack file (`NNNNNNNNNN.acks`): deleted with its segment, so it never outgrows it.
 * Opened through the store's FilePool when written (the async writes pin it), so it holds no
 * descriptor while idle.
 */
class AckFile {
  readonly file: FileHandle;
  pend: Buffer | null = null;
  pendLen = 0;
  /** Writes under way (the fd is pinned meanwhile); an fsync waits for none of them. */
  inflight = 0;
  /** Written since its last fsync. */
  unsynced = false;
  constructor(
    files: FilePool,
    readonly path: string,
    public size: number,
  ) {
    this.file = files.handle(path, APPEND);
  }
  get closed(): boolean {
    return this.file.closed;
  }
}

/**
 * A queue's directory: segment files (the records) and, beside each, an ack file recording which
 * of its records were delivered and acked. Both go through the shared group commit. An ack file
 * lives exactly as long as its segment, so acks never pile up.
 */
export class DiskMessageStore implements MessageStore, Flushable, DeliveryMark {
  private readonly log: SegmentLog;
  private readonly recoveredRecords: StoredRecord[] = [];
  private readonly ackFiles = new Map<number, AckFile>();
  private readonly dirtyAcks = new Set<AckFile>();
  private lastAckSync = 0;
  private closed = false;
  private readonly files: FilePool;
  private readonly markFile: FileHandle;
  /** The mark in the file: every record before it may have been delivered. */
  private markWritten: number;
  /** The mark the deliveries of this turn need (> markWritten while a write is pending). */
  private markWanted: number;
  private readonly markBuf = Buffer.alloc(8);
  /** Sizes of the ack files found at open: appends are told to the tap at their offset. */
  private readonly ackSizes = new Map<number, number>();

  constructor(private readonly options: DiskMessageStoreOptions) {
    const { dir } = options;
    this.files = options.files ?? new FilePool(defaultFileCap());
    fs.mkdirSync(dir, { recursive: true });
    const markPath = join(dir, MARK_FILE);
    this.markFile = this.files.handle(markPath, fs.constants.O_RDWR | fs.constants.O_CREAT);
    this.markWritten = this.markWanted = this.files.retrying(() => readMark(markPath));
    // after a crash, a record before the mark may have gone out without its ack-file entry
    const crashMark = options.cleanShutdown === true ? 0 : this.markWritten;
    const flaggedByMark: number[] = [];
    const acked = new Set<number>();
    const delivered = new Set<number>();
    const ackNames = this.files.retrying(() => fs.readdirSync(dir)).filter((f) => /^\d{10}\.acks$/.test(f));
    for (const name of ackNames) {
      const data = this.files.retrying(() => fs.readFileSync(join(dir, name)));
      this.ackSizes.set(Number(name.slice(0, 10)), data.length);
      // a torn last entry (crash mid-write) is ignored: that ack was never committed
      const whole = data.length - (data.length % ENTRY);
      for (let off = 0; off < whole; off += ENTRY) {
        const pos = data.readUInt32BE(off + 1) * 2 ** 32 + data.readUInt32BE(off + 5);
        const t = data[off];
        if (t === ACKED) acked.add(pos);
        else if (t === DELIVERED) delivered.add(pos);
      }
    }
    const records = this.recoveredRecords;
    const wasDelivered = (position: number): boolean => {
      if (delivered.has(position)) return true;
      if (position >= crashMark) return false;
      flaggedByMark.push(position);
      return true;
    };
    this.log = SegmentLog.open(
      {
        dir,
        commit: options.commit,
        ...(options.segmentSize !== undefined && { segmentSize: options.segmentSize }),
        ...(options.onDropped && { onDropped: options.onDropped }),
        ...((options.cleanShutdown === true || options.checksumsVerified === true) && { cleanShutdown: true }),
        ...(options.tap !== undefined && { tap: options.tap }),
        ...(options.trash !== undefined && { trash: options.trash }),
        onSegmentDeleted: (id) => this.segmentDeleted(id),
        files: this.files,
        transientPayloads: options.onRecovered !== undefined,
      },
      options.onRecovered
        ? (position, payload) => options.onRecovered!(position, payload, wasDelivered(position))
        : (position, payload) => records.push({ position, payload, delivered: wasDelivered(position) }),
      (position) => acked.has(position),
    );
    // ack files whose segment is gone (deleted just before a crash) go too
    for (const name of ackNames) {
      if (!this.log.hasSegment(Number(name.slice(0, 10)))) this.removeAckFile(join(dir, name));
    }
    // recorded in the ack files, so the flag outlives a later clean shutdown
    for (const position of flaggedByMark) this.entry(DELIVERED, position);
  }

  private segmentDeleted(id: number): void {
    const f = this.ackFiles.get(id);
    if (f !== undefined) {
      this.ackFiles.delete(id);
      this.dirtyAcks.delete(f);
      f.file.close();
    }
    this.removeAckFile(join(this.options.dir, `${String(id).padStart(10, "0")}.acks`));
  }

  private removeAckFile(path: string): void {
    if (this.options.trash !== undefined) this.options.trash.discard(path);
    else fs.rmSync(path, { force: true });
    this.options.tap?.remove(path);
  }

  append(payload: Buffer): number {
    return this.log.append(payload);
  }

  appendWith<T>(writer: RecordWriter<T>, item: T): number {
    return this.log.appendWith(writer, item);
  }

  read(position: number): Buffer | undefined {
    return this.log.read(position);
  }

  markDelivered(position: number, settled = false): void {
    if (!settled) this.entry(DELIVERED, position);
    if (position < this.markWanted) return;
    if (this.markWanted === this.markWritten) deferDeliveryMark(this);
    this.markWanted = position + 1;
  }

  /** DeliveryMark: writes the mark before the deliveries it covers leave (one pwrite, no fsync). */
  settleMark(): void {
    const mark = this.markWanted;
    if (mark <= this.markWritten || this.closed) return;
    const b = this.markBuf;
    b.writeUInt32BE(segmentOf(mark), 0);
    b.writeUInt32BE(mark % 2 ** 32, 4);
    try {
      const fd = this.markFile.pin();
      try {
        fs.writeSync(fd, b, 0, 8, 0);
      } finally {
        this.markFile.unpin();
      }
      this.markWritten = mark;
      this.options.tap?.write(this.markFile.path, 0, Buffer.from(b));
    } catch {
      // not written (out of descriptors, EIO): the next delivery tries again; the ack-file
      // entries written at the next commit still flag these messages
      this.markWanted = this.markWritten;
    }
  }

  ack(position: number): void {
    this.entry(ACKED, position);
    this.log.release(position);
  }

  private entry(type: number, position: number): void {
    if (this.closed) return;
    const seg = segmentOf(position);
    if (!this.log.hasSegment(seg)) return;
    let f = this.ackFiles.get(seg);
    if (f === undefined) {
      f = new AckFile(this.files, join(this.options.dir, `${String(seg).padStart(10, "0")}.acks`), this.ackSizes.get(seg) ?? 0);
      this.ackFiles.set(seg, f);
    }
    let p = f.pend;
    if (p === null || f.pendLen + ENTRY > p.length) {
      const grown = Buffer.allocUnsafe(Math.max(4096, f.pendLen * 2));
      if (p !== null) p.copy(grown, 0, 0, f.pendLen);
      f.pend = p = grown;
    }
    encodeEntry(p, f.pendLen, type, position);
    f.pendLen += ENTRY;
    if (this.dirtyAcks.size === 0) this.options.commit.markDirty(this);
    this.dirtyAcks.add(f);
  }

  /**
   * Flushable: the ack files' buffered entries and the segments'. Ack entries are written in every
   * commit (a killed process loses none of them: they are in the page cache) but fsynced at most
   * once a second and at close: no client waits for an ack to be durable, and one that an OS crash
   * loses only brings its message back, flagged redelivered — at-least-once, as RabbitMQ's queue
   * index journal does. Segment records, which confirms wait for, are durable in every commit.
   */
  async flush(): Promise<void> {
    const jobs: Promise<void>[] = [this.log.flush()];
    const now = Date.now();
    const sync = now - this.lastAckSync >= ACK_SYNC_INTERVAL_MS;
    if (sync) this.lastAckSync = now;
    for (const f of this.dirtyAcks) {
      if (f.pendLen === 0) continue;
      const buf = f.pend!.subarray(0, f.pendLen);
      f.pend = null;
      f.pendLen = 0;
      // O_APPEND: the bytes land at the file's end, which is the size this store has tracked
      this.options.tap?.write(f.path, f.size, buf);
      f.size += buf.length;
      // a write without fsync only copies into the page cache: done here, it costs a syscall of
      // a few µs instead of a threadpool round trip (two thread wake-ups) per commit
      if (!sync && writeAppendNow(f, buf)) continue;
      jobs.push(writeAppend(f, buf, sync));
    }
    this.dirtyAcks.clear();
    if (sync) for (const f of this.ackFiles.values()) if (f.unsynced && f.inflight === 0) jobs.push(syncAckFile(f));
    await Promise.all(jobs);
  }

  recovered(): readonly StoredRecord[] {
    return this.recoveredRecords;
  }

  /** Forgets the records read at open (after the queue has taken them). */
  releaseRecovered(): void {
    this.recoveredRecords.length = 0;
  }

  readFrom(position = 0): Iterable<{ position: number; payload: Buffer }> {
    return this.log.readFrom(position);
  }

  /** Consecutive records from `position`, read from disk in one block of at most `maxBytes`. */
  readBlock(position: number, maxBytes: number): { position: number; payload: Buffer }[] {
    return this.log.readBlock(position, maxBytes);
  }

  /** Deletes the segment files wholly before `position` (stream retention). */
  truncateBefore(position: number): void {
    this.log.dropBefore(position);
  }

  async sync(): Promise<void> {
    await this.options.commit.drain();
  }

  get segmentCount(): number {
    return this.log.segmentCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.options.commit.drain();
    this.closed = true;
    this.log.close();
    this.markFile.close();
    for (const f of this.ackFiles.values()) {
      // a clean shutdown leaves every ack on disk: no acked message comes back after it
      if (f.unsynced && f.inflight === 0) {
        const fd = f.file.pin();
        try {
          fs.fsyncSync(fd);
        } finally {
          f.file.unpin();
        }
      }
      f.file.close();
    }
    this.ackFiles.clear();
  }

  /**
   * The queue was deleted: its files are closed at once and nothing still buffered for them is
   * written. (A file whose descriptor was evicted is opened again by path: after its directory was
   * renamed away, a late write could otherwise land in a new queue's file of the same name.)
   */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.log.close();
    this.markFile.close();
    for (const f of this.ackFiles.values()) f.file.close();
    this.ackFiles.clear();
    this.dirtyAcks.clear();
  }

  async destroy(): Promise<void> {
    await this.close();
    if (this.options.trash !== undefined) this.options.trash.discard(this.options.dir);
    else fs.rmSync(this.options.dir, { recursive: true, force: true });
  }
}

/** Appends `buf` synchronously when its file's descriptor is open; false (nothing written) when not. */
function writeAppendNow(f: AckFile, buf: Buffer): boolean {
  if (f.closed || f.inflight > 0 || f.file.fd < 0) return false;
  const fd = f.file.pin();
  try {
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, null);
    f.unsynced = true;
  } finally {
    f.file.unpin();
  }
  return true;
}

async function writeAppend(f: AckFile, buf: Buffer, sync: boolean): Promise<void> {
  const got = f.file.pool.pinForWrite(f.file);
  const fd = typeof got === "number" ? got : await got;
  if (fd < 0) return; // its segment went meanwhile
  f.inflight++;
  try {
    let done = 0;
    while (done < buf.length && !f.closed) done += (await write(fd, buf, done, buf.length - done, null)).bytesWritten;
    if (f.closed) return;
    if (sync) {
      await fsync(fd);
      f.unsynced = false;
    } else f.unsynced = true;
  } finally {
    f.inflight--;
    f.file.unpin();
  }
}

async function syncAckFile(f: AckFile): Promise<void> {
  const got = f.file.pool.pinForWrite(f.file);
  const fd = typeof got === "number" ? got : await got;
  if (fd < 0) return;
  f.inflight++;
  try {
    if (!f.closed) await fsync(fd);
    f.unsynced = false;
  } finally {
    f.inflight--;
    f.file.unpin();
  }
}

/** The delivery mark a queue directory holds (0: none, nothing was delivered). */
function readMark(path: string): number {
  let data: Buffer;
  try {
    data = fs.readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  // anything but 8 bytes is not a mark this store wrote: assume everything may have gone out
  if (data.length !== 8) return data.length === 0 ? 0 : Infinity;
  return data.readUInt32BE(0) * 2 ** 32 + data.readUInt32BE(4);
}

function encodeEntry(buf: Buffer, at: number, type: number, position: number): void {
  buf[at] = type;
  buf.writeUInt32BE(segmentOf(position), at + 1);
  buf.writeUInt32BE(position % 2 ** 32, at + 5);
}

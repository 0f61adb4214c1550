/**
 * MessageStore: what a durable queue needs from storage — append, read by position, mark
 * delivered, ack, recover, and a non-destructive read from an offset. Two implementations pass one
 * contract suite (test/store/message-store.contract.test.ts): MemoryMessageStore (recovers
 * nothing) and DiskMessageStore (a SegmentLog plus an ack log).
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Flushable, GroupCommit } from "./group-commit.js";
import { type DroppedTail, SegmentLog, segmentOf } from "./segment-log.js";

export interface StoredRecord {
  readonly position: number;
  readonly payload: Buffer;
  /** Handed to a consumer before the restart and never acked: comes back redelivered. */
  readonly delivered: boolean;
}

export interface MessageStore {
  /** Buffers a record and returns its position; durable after the next group commit. */
  append(payload: Buffer): number;
  read(position: number): Buffer | undefined;
  /** Notes that the record went to a consumer (so a restart flags it redelivered). */
  markDelivered(position: number): void;
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
const fsync = promisify(fs.fsync);

/** Ack log entries: type u8 | segment id u32 BE | offset u32 BE. */
const ENTRY = 9;
const DELIVERED = 1;
const ACKED = 2;

export interface DiskMessageStoreOptions {
  dir: string;
  commit: GroupCommit;
  segmentSize?: number;
  onDropped?: (d: DroppedTail) => void;
}

/**
 * A queue's directory: segment files (the records) and acks.log (what was delivered and acked).
 * Both are written through the shared group commit; the ack log is compacted on open.
 */
export class DiskMessageStore implements MessageStore, Flushable {
  private readonly log: SegmentLog;
  private readonly recoveredRecords: StoredRecord[] = [];
  private ackFd: number;
  private ackSize: number;
  private pend: Buffer = Buffer.allocUnsafe(4096);
  private pendLen = 0;
  private dirty = false;
  private closed = false;

  constructor(private readonly options: DiskMessageStoreOptions) {
    const { dir } = options;
    fs.mkdirSync(dir, { recursive: true });
    const ackPath = join(dir, "acks.log");
    const acked = new Set<number>();
    const delivered = new Set<number>();
    if (fs.existsSync(ackPath)) {
      const data = fs.readFileSync(ackPath);
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
    this.log = SegmentLog.open(
      { dir, commit: options.commit, ...(options.segmentSize !== undefined && { segmentSize: options.segmentSize }), ...(options.onDropped && { onDropped: options.onDropped }) },
      (position, payload) => records.push({ position, payload, delivered: delivered.has(position) }),
      (position) => acked.has(position),
    );
    // compact: acks of records whose segment is still on disk, delivered marks of live records
    const live = new Set(records.map((r) => r.position));
    const keep: [number, number][] = [];
    for (const p of acked) if (this.log.hasSegment(segmentOf(p))) keep.push([ACKED, p]);
    for (const p of delivered) if (live.has(p)) keep.push([DELIVERED, p]);
    const buf = Buffer.alloc(keep.length * ENTRY);
    keep.forEach(([t, p], i) => encodeEntry(buf, i * ENTRY, t, p));
    const tmp = `${ackPath}.tmp`;
    const tfd = fs.openSync(tmp, "w");
    fs.writeSync(tfd, buf);
    fs.fsyncSync(tfd);
    fs.closeSync(tfd);
    fs.renameSync(tmp, ackPath);
    this.ackFd = fs.openSync(ackPath, "r+");
    this.ackSize = buf.length;
  }

  append(payload: Buffer): number {
    return this.log.append(payload);
  }

  read(position: number): Buffer | undefined {
    return this.log.read(position);
  }

  markDelivered(position: number): void {
    this.entry(DELIVERED, position);
  }

  ack(position: number): void {
    this.entry(ACKED, position);
    this.log.release(position);
  }

  private entry(type: number, position: number): void {
    if (this.closed) return;
    if (this.pendLen + ENTRY > this.pend.length) {
      const grown = Buffer.allocUnsafe(this.pend.length * 2);
      this.pend.copy(grown, 0, 0, this.pendLen);
      this.pend = grown;
    }
    encodeEntry(this.pend, this.pendLen, type, position);
    this.pendLen += ENTRY;
    if (!this.dirty) {
      this.dirty = true;
      this.options.commit.markDirty(this);
    }
  }

  /** Flushable: the ack log's buffered entries, then the segments'. */
  async flush(): Promise<void> {
    const jobs: Promise<void>[] = [this.log.flush()];
    if (this.dirty) {
      this.dirty = false;
      const buf = this.pend.subarray(0, this.pendLen);
      this.pend = Buffer.allocUnsafe(Math.max(4096, this.pend.length));
      this.pendLen = 0;
      const at = this.ackSize;
      this.ackSize += buf.length;
      jobs.push(this.writeAcks(buf, at));
    }
    await Promise.all(jobs);
  }

  private async writeAcks(buf: Buffer, at: number): Promise<void> {
    if (this.closed) return;
    let done = 0;
    while (done < buf.length) done += (await write(this.ackFd, buf, done, buf.length - done, at + done)).bytesWritten;
    await fsync(this.ackFd);
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
    fs.closeSync(this.ackFd);
  }

  async destroy(): Promise<void> {
    await this.close();
    fs.rmSync(this.options.dir, { recursive: true, force: true });
  }
}

function encodeEntry(buf: Buffer, at: number, type: number, position: number): void {
  buf[at] = type;
  buf.writeUInt32BE(segmentOf(position), at + 1);
  buf.writeUInt32BE(position % 2 ** 32, at + 5);
}

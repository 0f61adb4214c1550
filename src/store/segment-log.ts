/**
 * An append-only log of fixed-size segment files. It knows segments and positions, nothing about
 * messages or queues (LavinMQ's message store is the model).
 *
 * Segment file `<id as 10 digits>.seg`:
 *   header (16 bytes): magic "WRNSEG\r\n" | store version u32 BE | segment id u32 BE
 *   records:           length u32 BE | CRC-32C(payload) u32 BE | payload
 * A position is segmentId * 2^32 + byte offset of the record in its segment: ordered, and a number.
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32c } from "./crc32c.js";
import { defaultFileCap, type FileHandle, FilePool } from "./file-pool.js";
import type { Flushable, GroupCommit } from "./group-commit.js";
import type { StoreTap } from "./tap.js";
import type { Trash } from "./trash.js";

export const STORE_VERSION = 1;
export const SEGMENT_MAGIC = Buffer.from("WRNSEG\r\n", "latin1");
export const SEGMENT_HEADER = 16;
export const RECORD_HEADER = 8;
export const DEFAULT_SEGMENT_SIZE = 8 * 1024 * 1024;
const SEG_SPAN = 2 ** 32;

const DSYNC = typeof fs.constants.O_DSYNC === "number" && process.platform === "linux";
const write = promisify(fs.write);
const fsync = promisify(fs.fsync);

/** A data dir written by a store version this build does not read. */
export class IncompatibleStoreError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
  ) {
    super(
      `${path} was written by Warren store version ${found}; this Warren reads store version ${STORE_VERSION}. Use a matching Warren, or move the data dir aside.`,
    );
  }
}

export interface DroppedTail {
  path: string;
  offset: number;
  bytes: number;
  reason: string;
}

export interface SegmentLogOptions {
  dir: string;
  commit: GroupCommit;
  segmentSize?: number;
  /** Told about every torn or corrupt tail truncated during open. */
  onDropped?: (d: DroppedTail) => void;
  /** Told when a segment file is deleted (its companion files can go too). */
  onSegmentDeleted?: (id: number) => void;
  /**
   * After a clean shutdown only the last two segments (the only ones a crash can have torn) have
   * their records' checksums verified at open; the default, false, verifies every record.
   */
  cleanShutdown?: boolean;
  /** false for page files, whose contents need not survive a crash: written, never fsynced. */
  fsync?: boolean;
  /**
   * The payloads given to `onRecord` at open are valid only during the call: every segment is read
   * into one reused buffer instead of a buffer of its own (a deep queue's gigabyte of segments is
   * then never all in memory, and costs no fresh pages).
   */
  transientPayloads?: boolean;
  /**
   * The descriptor cache segment files are opened through (shared by every log of a store, so
   * descriptors stay bounded however many segments exist); a log of its own by default.
   */
  files?: FilePool;
  /** Told every write, truncation and deletion of a segment file (replication; durable logs only). */
  tap?: StoreTap;
  /** Where deleted segments go (off the event loop); deleted inline without one. */
  trash?: Trash;
}

/** Bytes read at once when a read misses the read-ahead (paged-out queues are read back in order). */
const READ_AHEAD = 256 * 1024;

/** Encodes one kind of record: its size first, then its bytes at a given place (no buffer of its own). */
export interface RecordWriter<T> {
  size(item: T): number;
  /** Writes exactly size(item) bytes; called right after size(item), for the same item. */
  write(item: T, into: Buffer, at: number): void;
}

const BUFFER_WRITER: RecordWriter<Buffer> = {
  size: (b) => b.length,
  write: (b, into, at) => void b.copy(into, at),
};

export const segmentOf = (position: number): number => Math.floor(position / SEG_SPAN);
export const offsetOf = (position: number): number => position % SEG_SPAN;

class Segment {
  /** Opened on demand through the store's FilePool: a segment holds no descriptor while idle. */
  readonly file: FileHandle;
  /** Created since the log opened: its directory entry is fsynced with its first write. */
  created = false;
  /** Bytes in the file plus bytes buffered for it. */
  size: number;
  /** File offset where `pend` starts. */
  pendBase: number;
  pend: Buffer | null = null;
  pendLen = 0;
  /** The buffer being written right now and where it goes. */
  flying: Buffer | null = null;
  flyingBase = 0;
  /** Records not yet acked. */
  live = 0;
  deleted = false;

  /** Closes the file for good: its descriptor goes now, or after the writes under way (they pin it). */
  close(): void {
    this.file.close();
  }

  constructor(
    readonly id: number,
    readonly path: string,
    file: FileHandle,
    size: number,
  ) {
    this.file = file;
    this.size = size;
    this.pendBase = size;
  }

  reserve(n: number): number {
    let p = this.pend;
    if (p === null || this.pendLen + n > p.length) {
      const grown = Buffer.allocUnsafe(Math.max(65536, (this.pendLen + n) * 2));
      if (p !== null) p.copy(grown, 0, 0, this.pendLen);
      this.pend = p = grown;
    }
    const at = this.pendLen;
    this.pendLen += n;
    this.size += n;
    return at;
  }
}

export class SegmentLog implements Flushable {
  private readonly segments = new Map<number, Segment>();
  private current!: Segment;
  private readonly dirty = new Set<Segment>();
  /** Registered with the group commit for its next batch. */
  private registered = false;
  private readonly segmentSize: number;
  private closed = false;
  /** The last read-ahead: bytes [raBase, raBase + raBuf.length) of segment raSeg's file. */
  private raSeg: Segment | null = null;
  private raBase = 0;
  private raBuf: Buffer | null = null;
  /** Segments with a lower id are past a stream's retention (dropBefore). */
  private dropLimit = 0;
  private readonly files: FilePool;

  private constructor(private readonly options: SegmentLogOptions) {
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.files = options.files ?? new FilePool(defaultFileCap());
  }

  /**
   * Opens (creating if need be) the log in `dir`, calling `onRecord` for every intact record in
   * order. A torn or corrupt tail is truncated at the first bad record and reported.
   * `isAcked` says which positions no longer count towards keeping a segment.
   */
  static open(
    options: SegmentLogOptions,
    onRecord: (position: number, payload: Buffer) => void = () => {},
    isAcked: (position: number) => boolean = () => false,
  ): SegmentLog {
    const log = new SegmentLog(options);
    fs.mkdirSync(options.dir, { recursive: true });
    const ids = log.files
      .retrying(() => fs.readdirSync(options.dir))
      .filter((f) => /^\d{10}\.seg$/.test(f))
      .map((f) => Number(f.slice(0, 10)))
      .sort((a, b) => a - b);
    const verifyFrom = options.cleanShutdown ? (ids[ids.length - 2] ?? 0) : 0;
    for (const id of ids) log.recoverSegment(id, onRecord, isAcked, id >= verifyFrom);
    log.scratch = null;
    const last = ids.length > 0 ? log.segments.get(ids[ids.length - 1]!)! : log.createSegment(1);
    log.current = last;
    // segments other than the one being written go as soon as nothing in them is live
    for (const s of [...log.segments.values()]) if (s !== log.current && s.live === 0) log.deleteSegment(s);
    return log;
  }

  /**
   * Fsynced logs open their segments O_DSYNC where the platform has it: the group commit's one
   * write per segment is then durable when it returns, one thread-pool job instead of two.
   */
  private openFlags(base: number): number {
    return this.options.fsync !== false && DSYNC ? base | fs.constants.O_DSYNC : base;
  }

  private segPath(id: number): string {
    return join(this.options.dir, `${String(id).padStart(10, "0")}.seg`);
  }

  private recoverSegment(
    id: number,
    onRecord: (position: number, payload: Buffer) => void,
    isAcked: (p: number) => boolean,
    verify: boolean,
  ): void {
    const path = this.segPath(id);
    const data = this.options.transientPayloads ? this.readIntoScratch(path) : this.files.retrying(() => fs.readFileSync(path));
    let end = data.length;
    if (data.length >= 12 && data.subarray(0, 8).equals(SEGMENT_MAGIC)) {
      const version = data.readUInt32BE(8);
      if (version !== STORE_VERSION) throw new IncompatibleStoreError(path, version);
    } else if (data.length >= 8 || !SEGMENT_MAGIC.subarray(0, data.length).equals(data)) {
      throw new Error(`${path} is not a Warren segment file (bad magic); move it out of the data dir`);
    }
    // no descriptor is kept: a recovered segment is opened again when it is next read or written
    const seg = new Segment(id, path, this.files.handle(path, this.openFlags(fs.constants.O_RDWR)), 0);
    this.segments.set(id, seg);
    if (data.length < SEGMENT_HEADER) {
      // torn while the header was being written: start the segment afresh
      this.report({ path, offset: 0, bytes: data.length, reason: "incomplete segment header" });
      this.truncate(seg, 0);
      seg.size = seg.pendBase = 0;
      this.writeHeader(seg);
      return;
    }
    let off = SEGMENT_HEADER;
    const base = id * SEG_SPAN;
    while (off < end) {
      if (off + RECORD_HEADER > end) {
        this.report({ path, offset: off, bytes: end - off, reason: "incomplete record header" });
        end = off;
        break;
      }
      const len = data.readUInt32BE(off);
      const crc = data.readUInt32BE(off + 4);
      const start = off + RECORD_HEADER;
      if (start + len > end) {
        this.report({ path, offset: off, bytes: end - off, reason: `record of ${len} bytes cut short` });
        end = off;
        break;
      }
      if (verify && crc32c(data, start, start + len) !== crc) {
        this.report({ path, offset: off, bytes: end - off, reason: "checksum mismatch" });
        end = off;
        break;
      }
      const position = base + off;
      if (!isAcked(position)) {
        seg.live++;
        onRecord(position, data.subarray(start, start + len));
      }
      off = start + len;
    }
    if (end < data.length) this.truncate(seg, end);
    seg.size = seg.pendBase = end;
  }

  private truncate(seg: Segment, length: number): void {
    const fd = seg.file.pin();
    try {
      fs.ftruncateSync(fd, length);
      fs.fsyncSync(fd);
    } finally {
      seg.file.unpin();
    }
    this.options.tap?.truncate(seg.path, length);
  }

  /** Recovery's reused read buffer (transientPayloads), dropped once the log is open. */
  private scratch: Buffer | null = null;

  private readIntoScratch(path: string): Buffer {
    const fd = this.files.retrying(() => fs.openSync(path, "r"));
    try {
      const size = fs.fstatSync(fd).size;
      if (this.scratch === null || this.scratch.length < size) this.scratch = Buffer.allocUnsafeSlow(Math.max(size, this.segmentSize));
      let done = 0;
      while (done < size) {
        const n = fs.readSync(fd, this.scratch, done, size - done, done);
        if (n === 0) break;
        done += n;
      }
      return this.scratch.subarray(0, done);
    } finally {
      fs.closeSync(fd);
    }
  }

  private report(d: DroppedTail): void {
    this.options.onDropped?.(d);
  }

  /**
   * A new segment exists in memory only until the commit writes its header and first records: the
   * file is created then, so a publish never fails for want of a descriptor (a commit that cannot
   * open it fails, and its confirms become nacks).
   */
  private createSegment(id: number): Segment {
    const path = this.segPath(id);
    const flags = this.openFlags(fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC);
    const seg = new Segment(id, path, this.files.handle(path, flags), 0);
    seg.created = true;
    this.segments.set(id, seg);
    this.writeHeader(seg);
    return seg;
  }

  /** A new file's directory entry must survive a crash as well as its bytes. */
  private syncDir(): void {
    const dfd = this.files.retrying(() => fs.openSync(this.options.dir, "r"));
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }

  private writeHeader(seg: Segment): void {
    const at = seg.reserve(SEGMENT_HEADER);
    const p = seg.pend!;
    SEGMENT_MAGIC.copy(p, at);
    p.writeUInt32BE(STORE_VERSION, at + 8);
    p.writeUInt32BE(seg.id, at + 12);
    this.markDirty(seg);
  }

  private markDirty(seg: Segment): void {
    if (!this.registered) {
      this.registered = true;
      this.options.commit.markDirty(this);
    }
    this.dirty.add(seg);
  }

  /** Buffers a record; it is durable once the group commit it joined completes. */
  append(payload: Buffer): number {
    return this.appendWith(BUFFER_WRITER, payload);
  }

  /**
   * Buffers a record that `writer` encodes straight into the segment's write buffer, so a message
   * body is copied once, from the client's frame to the buffer the disk write takes.
   */
  appendWith<T>(writer: RecordWriter<T>, item: T): number {
    if (this.closed) throw new Error("segment log is closed");
    const length = writer.size(item);
    const n = RECORD_HEADER + length;
    let seg = this.current;
    if (seg.size + n > this.segmentSize && seg.size > SEGMENT_HEADER) {
      const old = seg;
      seg = this.current = this.createSegment(seg.id + 1);
      if (old.live <= 0 && old.flying === null && old.pendLen === 0) this.deleteSegment(old);
    }
    const at = seg.reserve(n);
    const p = seg.pend!;
    const start = at + RECORD_HEADER;
    p.writeUInt32BE(length, at);
    writer.write(item, p, start);
    p.writeUInt32BE(crc32c(p, start, start + length), at + 4);
    seg.live++;
    this.markDirty(seg);
    return seg.id * SEG_SPAN + seg.pendBase + at;
  }

  /** Writes and fsyncs what was buffered (Flushable; the group commit calls it). */
  async flush(): Promise<void> {
    const segs = [...this.dirty];
    this.dirty.clear();
    this.registered = false;
    const jobs: Promise<void>[] = [];
    for (const seg of segs) {
      if (seg.pendLen === 0 || seg.deleted) continue;
      const buf = seg.pend!.subarray(0, seg.pendLen);
      seg.flying = buf;
      seg.flyingBase = seg.pendBase;
      seg.pend = null;
      seg.pendBase += seg.pendLen;
      seg.pendLen = 0;
      this.options.tap?.write(seg.path, seg.flyingBase, buf);
      jobs.push(this.writeOut(seg, buf, seg.flyingBase));
    }
    await Promise.all(jobs);
  }

  private async writeOut(seg: Segment, buf: Buffer, at: number): Promise<void> {
    const file = seg.file;
    let pinned = false;
    try {
      // pinned until the writes are done: the descriptor is neither evicted nor closed under them
      const got = file.pool.pinForWrite(file);
      const fd = typeof got === "number" ? got : await got;
      if (fd < 0) return; // deleted while waiting for a descriptor
      pinned = true;
      if (seg.created) {
        seg.created = false;
        if (this.options.fsync !== false) this.syncDir();
      }
      let done = 0;
      while (done < buf.length && !file.closed) {
        const { bytesWritten } = await write(fd, buf, done, buf.length - done, at + done);
        done += bytesWritten;
      }
      // O_DSYNC made each write durable as it returned: no fsync round trip through the thread pool
      if (this.options.fsync !== false && !DSYNC && !file.closed) await fsync(fd);
    } catch (err) {
      // no descriptor to be had (EMFILE): nothing was written, so the bytes go back in front of
      // what was buffered since, for the segment's next flush (this commit's confirms are nacked)
      if (!pinned && seg.flying === buf && !file.closed) this.unflush(seg, buf, at);
      // fd-based errors name no file: say which (ENOSPC, EIO, EMFILE…), keeping the code
      const e = err as NodeJS.ErrnoException;
      throw Object.assign(new Error(`${seg.path}: ${e.message}`), { code: e.code, path: seg.path });
    } finally {
      if (pinned) file.unpin();
    }
    if (file.closed) return;
    if (seg.flying === buf) seg.flying = null;
    if (seg !== this.current && !seg.deleted && (seg.live === 0 || seg.id < this.dropLimit)) this.deleteSegment(seg);
  }

  private unflush(seg: Segment, buf: Buffer, at: number): void {
    const rest = seg.pendLen;
    const merged = Buffer.allocUnsafe(Math.max(65536, (buf.length + rest) * 2));
    buf.copy(merged, 0);
    if (rest > 0) seg.pend!.copy(merged, buf.length, 0, rest);
    seg.pend = merged;
    seg.pendLen = buf.length + rest;
    seg.pendBase = at;
    seg.flying = null;
    // written with the log's next flush (not scheduled now: a commit retried at once would fail again)
    this.dirty.add(seg);
  }

  /** The payload at `position`, or undefined if there is none (acked segments may be gone). */
  read(position: number): Buffer | undefined {
    const seg = this.segments.get(segmentOf(position));
    if (seg === undefined || seg.deleted) return undefined;
    const off = offsetOf(position);
    if (off < SEGMENT_HEADER || off + RECORD_HEADER > seg.size) return undefined;
    const head = this.bytes(seg, off, RECORD_HEADER);
    const len = head.readUInt32BE(0);
    if (off + RECORD_HEADER + len > seg.size) return undefined;
    return this.bytes(seg, off + RECORD_HEADER, len);
  }

  private bytes(seg: Segment, off: number, len: number): Buffer {
    if (off >= seg.pendBase) return Buffer.from(seg.pend!.subarray(off - seg.pendBase, off - seg.pendBase + len));
    const f = seg.flying;
    if (f !== null && off >= seg.flyingBase) return Buffer.from(f.subarray(off - seg.flyingBase, off - seg.flyingBase + len));
    // the file part: served from the read-ahead, which is refilled from `off` on a miss
    const ra = this.raBuf;
    if (ra !== null && this.raSeg === seg && off >= this.raBase && off + len <= this.raBase + ra.length) {
      return ra.subarray(off - this.raBase, off - this.raBase + len);
    }
    const fileEnd = f !== null ? seg.flyingBase : seg.pendBase;
    const want = Math.max(len, Math.min(READ_AHEAD, fileEnd - off));
    const out = Buffer.allocUnsafe(want);
    let got = 0;
    const fd = seg.file.pin();
    try {
      while (got < want) {
        const n = fs.readSync(fd, out, got, want - got, off + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      seg.file.unpin();
    }
    if (got < len) throw new Error(`${seg.path}: unexpected end of file at ${off + got}`);
    // a fresh buffer each time: records handed out keep slices of it, so it is never overwritten
    this.raSeg = seg;
    this.raBase = off;
    this.raBuf = out.subarray(0, got);
    return out.subarray(0, len);
  }

  /**
   * The records from `position` on that one read of at most `maxBytes` from the segment's file
   * holds (at least the first, however large): sequential readers (paged-out streams) pay one
   * read per block, not two per record. Records still buffered in memory come one at a time.
   */
  readBlock(position: number, maxBytes: number): { position: number; payload: Buffer }[] {
    const seg = this.segments.get(segmentOf(position));
    if (seg === undefined || seg.deleted) return [];
    const off = offsetOf(position);
    const onDisk = seg.flying !== null ? seg.flyingBase : seg.pendBase;
    const end = Math.min(onDisk, off + maxBytes);
    if (off < SEGMENT_HEADER || off + RECORD_HEADER > end) {
      const one = this.read(position);
      return one === undefined ? [] : [{ position, payload: one }];
    }
    const block = this.bytes(seg, off, end - off);
    const out: { position: number; payload: Buffer }[] = [];
    let at = 0;
    while (at + RECORD_HEADER <= block.length) {
      const len = block.readUInt32BE(at);
      if (at + RECORD_HEADER + len > block.length) break;
      out.push({ position: position + at, payload: block.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len) });
      at += RECORD_HEADER + len;
    }
    if (out.length === 0) {
      const one = this.read(position);
      if (one !== undefined) out.push({ position, payload: one });
    }
    return out;
  }

  /**
   * Non-destructive sequential read from `position` (0 = the oldest record kept), acked or not:
   * what streams consume. Yields records as they are now, including those not yet fsynced.
   */
  *readFrom(position = 0): Generator<{ position: number; payload: Buffer }> {
    const ids = [...this.segments.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      if (id < segmentOf(position)) continue;
      const seg = this.segments.get(id);
      if (seg === undefined || seg.deleted) continue;
      let off = id === segmentOf(position) ? Math.max(offsetOf(position), SEGMENT_HEADER) : SEGMENT_HEADER;
      while (off + RECORD_HEADER <= seg.size) {
        const len = this.bytes(seg, off, RECORD_HEADER).readUInt32BE(0);
        yield { position: id * SEG_SPAN + off, payload: this.bytes(seg, off + RECORD_HEADER, len) };
        off += RECORD_HEADER + len;
      }
    }
  }

  /** One record of a segment is settled; a segment with none left (and not being written) is deleted. */
  release(position: number): void {
    const seg = this.segments.get(segmentOf(position));
    if (seg === undefined || seg.deleted) return;
    seg.live--;
    if (seg.live <= 0 && seg !== this.current && seg.flying === null && seg.pendLen === 0) this.deleteSegment(seg);
  }

  /**
   * Deletes every segment file wholly before `position`, whatever its acks (stream retention:
   * records are never acked, a stream drops its oldest files instead). The current segment stays.
   */
  dropBefore(position: number): void {
    const limit = segmentOf(position);
    // segments still being written go when their write completes (writeOut)
    if (limit > this.dropLimit) this.dropLimit = limit;
    for (const seg of [...this.segments.values()]) {
      if (seg.id < limit && seg !== this.current && seg.flying === null) this.deleteSegment(seg);
    }
  }

  private deleteSegment(seg: Segment): void {
    seg.deleted = true;
    if (this.raSeg === seg) {
      this.raSeg = null;
      this.raBuf = null;
    }
    this.segments.delete(seg.id);
    this.dirty.delete(seg);
    seg.close();
    if (this.options.trash !== undefined) this.options.trash.discard(seg.path);
    else fs.rmSync(seg.path, { force: true });
    this.options.tap?.remove(seg.path);
    this.options.onSegmentDeleted?.(seg.id);
  }

  /** Segment files currently on disk. */
  get segmentCount(): number {
    return this.segments.size;
  }

  /** Which segment ids exist (ack logs drop entries for the others when compacted). */
  hasSegment(id: number): boolean {
    return this.segments.has(id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.segments.values()) s.close();
    this.segments.clear();
  }
}

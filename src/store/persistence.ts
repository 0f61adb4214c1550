/**
 * DiskPersistence: the core's Persistence over files in the data dir.
 *
 *   <dataDir>/warren-store.json      {"storeVersion": 1}: refuses data dirs of other versions
 *   <dataDir>/definitions.json       RabbitMQ definitions format, rewritten atomically on change
 *   <dataDir>/queues/<id>/           one per durable queue: NNNNNNNNNN.seg segments, each with its NNNNNNNNNN.acks
 *   <dataDir>/clean-shutdown         present only while no broker runs after a clean close: the next start
 *                                    verifies checksums of the last segments only (all after a crash)
 *   <dataDir>/paging/<id>/           page files of deep queues (messages no restart keeps); emptied on start
 *   <dataDir>/trash/                 deleted segments, ack files and queue dirs, unlinked off the event loop
 *
 * Every write goes through one GroupCommit, so one event-loop turn's messages, acks and
 * definitions changes share one round of fsyncs.
 */
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type {
  Broker,
  Durability,
  Message,
  PageFile,
  PagingLimits,
  Persistence,
  QueueStore,
  RecoveredMessage,
  RecoveredStreamRecord,
  StreamStore,
} from "../core/index.js";
import { exportDefinitions, importDefinitions, readDefinitions, writeFileAtomic } from "./definitions.js";
import { defaultFileCap, FilePool } from "./file-pool.js";
import { type Flushable, GroupCommit } from "./group-commit.js";
import type { DataDirLock } from "./lock.js";
import { DiskMessageStore } from "./message-store.js";
import {
  decodeMessageRecord,
  MessageRecordWriter,
  messageRecordBodySize,
  messageRecordJob,
  messageRecordExpiry,
  messageRecordGrouped,
  type RecordPropertiesCodec,
} from "./message-record.js";
import { type DroppedTail, IncompatibleStoreError, type RecordWriter, SegmentLog, STORE_VERSION } from "./segment-log.js";
import type { StoreTap } from "./tap.js";
import { Trash } from "./trash.js";

export interface StoreLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DiskPersistenceOptions {
  dataDir: string;
  codec: RecordPropertiesCodec;
  log: StoreLogger;
  segmentSize?: number;
  /** Ready bytes per queue past which stored messages are paged out of memory (default 4 MiB). */
  pageOutBytes?: number;
  /**
   * Descriptors the store keeps open at most, for every queue's segments, ack files and page files
   * together (least recently used ones are closed past it). Default: a quarter of the process's
   * soft limit on open files (/proc/self/limits), between 8 and 4096; the rest is for sockets.
   */
  maxOpenFiles?: number;
  /** The data dir's lock (lock.ts), taken before the store opens; released when it closes. */
  lock: DataDirLock;
  /**
   * Told every durable write (a cluster's leader ships them to its followers: src/cluster).
   * Page files, the lock and the clean-shutdown marker are not durable state and are not told.
   */
  tap?: StoreTap;
  /**
   * Every record was checked already by this process (a cluster follower promoted to leader: it
   * wrote only bytes that came in CRC-checked frames over a session that caught up): as after a
   * clean shutdown only the last two segments of each log are verified, but the delivery marks
   * still count as after a crash.
   */
  checksumsVerified?: boolean;
}

const CLEAN_SHUTDOWN = "clean-shutdown";
export const DEFAULT_PAGE_OUT_BYTES = 4 * 1024 * 1024;
/** Other messages stay in memory longer: paging them costs a write (16 × the persistent limit). */
const TRANSIENT_PAGE_OUT_FACTOR = 16;
/** Ready messages per queue kept in memory at most, however small (each costs ~200 bytes of objects). */
const MAX_IN_MEMORY_ENTRIES = 65536;

class DiskQueueStore implements QueueStore {
  constructor(
    readonly store: DiskMessageStore,
    private readonly owner: DiskPersistence,
    readonly dir: string,
  ) {}

  load(position: number): Message {
    const payload = this.store.read(position);
    if (payload === undefined) throw new Error(`message at position ${position} is missing from ${this.dir}`);
    return decodeMessageRecord(payload, this.owner.codec);
  }

  persist(message: Message, expiresAt: number): number {
    const writer = this.owner.recordWriter;
    writer.expiresAt = expiresAt;
    return this.store.appendWith(writer, message);
  }
  delivered(position: number, settled?: boolean): void {
    this.store.markDelivered(position, settled);
  }
  ack(position: number): void {
    this.store.ack(position);
  }
  deleted(): void {
    this.owner.queueDeleted(this);
    removeStoreDir(this.store, this.dir, this.owner.trash, this.owner.options);
  }
}

/**
 * A queue's page file: a segment log under <dataDir>/paging that is never fsynced (what it holds
 * does not survive a restart anyway) and is written by its own group commit, so paging never
 * delays a confirm. Segments go once every message in them has been read back.
 */
class DiskPageFile implements PageFile {
  private readonly log: SegmentLog;

  constructor(
    private readonly owner: DiskPersistence,
    readonly dir: string,
    commit: GroupCommit,
  ) {
    fs.rmSync(dir, { recursive: true, force: true });
    this.log = SegmentLog.open({
      dir,
      commit,
      fsync: false,
      files: owner.files,
      trash: owner.trash,
      ...(owner.options.segmentSize !== undefined && { segmentSize: owner.options.segmentSize }),
    });
  }

  write(message: Message): number {
    return this.log.appendWith(this.owner.recordWriter, message);
  }

  read(position: number): Message {
    const payload = this.log.read(position);
    if (payload === undefined) throw new Error(`paged message at position ${position} is missing from ${this.dir}`);
    return decodeMessageRecord(payload, this.owner.codec);
  }

  release(position: number): void {
    this.log.release(position);
  }

  close(): void {
    this.owner.pageFileClosed(this);
    this.log.close();
    this.owner.trash.discard(this.dir);
  }
}

/** Stream records: offset f64 BE | timestamp (ms) f64 BE | message record. */
const STREAM_PREFIX = 16;
/** Bytes a paged-out stream reads from disk at once for a consumer reading on. */
const STREAM_READ_BLOCK = 256 * 1024;
/** A stream's in-memory window, as a multiple of a queue's pageOutBytes (64 MiB by default). */
const STREAM_PAGE_OUT_FACTOR = 16;

class DiskStreamStore implements StreamStore {
  constructor(
    readonly store: DiskMessageStore,
    private readonly owner: DiskPersistence,
    readonly dir: string,
  ) {}

  append(offset: number, timestamp: number, message: Message, job?: string): number {
    const writer = this.owner.streamWriter;
    writer.offset = offset;
    writer.timestamp = timestamp;
    if (job !== undefined) writer.records.job = Buffer.from(job);
    return this.store.appendWith(writer, message);
  }

  truncateBefore(position: number): void {
    this.store.truncateBefore(position);
  }

  /**
   * Streams keep STREAM_PAGE_OUT_FACTOR × a queue's pageOutBytes in memory: many consumers replay
   * a stream's recent records, and records read back from disk cost a decode per consumer.
   */
  get pageOutBytes(): number {
    return STREAM_PAGE_OUT_FACTOR * (this.owner.options.pageOutBytes ?? DEFAULT_PAGE_OUT_BYTES);
  }

  loadFrom(position: number): { offset: number; message: Message }[] {
    const codec = this.owner.codec;
    const block = this.store.readBlock(position, STREAM_READ_BLOCK);
    const out = new Array<{ offset: number; message: Message }>(block.length);
    for (let i = 0; i < block.length; i++) {
      const p = block[i]!.payload;
      out[i] = { offset: p.readDoubleBE(0), message: decodeMessageRecord(p.subarray(STREAM_PREFIX), codec) };
    }
    return out;
  }

  ack(position: number): void {
    this.store.ack(position);
  }

  deleted(): void {
    this.owner.queueDeleted(this);
    removeStoreDir(this.store, this.dir, this.owner.trash, this.owner.options);
  }
}

/**
 * Writes stream records (offset f64 | timestamp f64 | message record) straight into the segment's
 * write buffer, as MessageRecordWriter does for queues; offset and timestamp are set per append.
 */
class StreamRecordWriter implements RecordWriter<Message> {
  offset = 0;
  timestamp = 0;

  constructor(readonly records: MessageRecordWriter) {}

  size(m: Message): number {
    return STREAM_PREFIX + this.records.size(m);
  }

  write(m: Message, into: Buffer, at: number): void {
    into.writeDoubleBE(this.offset, at);
    into.writeDoubleBE(this.timestamp, at + 8);
    this.records.write(m, into, at + STREAM_PREFIX);
  }
}

const DELIVERED = 1;
const GROUPED_RECORD = 2;

/** What recovery found of a queue's records, in flat arrays (no object or buffer per record). */
class RecoveredSummaries {
  private readonly positions: number[] = [];
  private readonly sizes: number[] = [];
  private readonly expiries: number[] = [];
  /** DELIVERED | GROUPED_RECORD per record. */
  private readonly flags: number[] = [];

  add(position: number, delivered: boolean, bodySize: number, expiresAt: number, grouped: boolean): void {
    this.positions.push(position);
    this.flags.push((delivered ? DELIVERED : 0) | (grouped ? GROUPED_RECORD : 0));
    this.sizes.push(bodySize);
    this.expiries.push(expiresAt);
  }

  /** Hands out one reused RecoveredMessage per record, in order. */
  each(visit: (r: RecoveredMessage) => void): void {
    const r = { position: 0, redelivered: false, bodySize: 0, expiresAt: Infinity, grouped: false };
    for (let i = 0; i < this.positions.length; i++) {
      const f = this.flags[i]!;
      r.position = this.positions[i]!;
      r.redelivered = (f & DELIVERED) !== 0;
      r.grouped = (f & GROUPED_RECORD) !== 0;
      r.bodySize = this.sizes[i]!;
      r.expiresAt = this.expiries[i]!;
      visit(r);
    }
  }
}

/** Moves a deleted queue's directory to the trash at once: a queue declared again starts empty. */
function removeStoreDir(store: DiskMessageStore, dir: string, trash: Trash, { log, tap }: DiskPersistenceOptions): void {
  // closed first, with nothing still buffered written: a late write must not follow the files
  store.abandon();
  try {
    trash.discard(dir);
  } catch (err) {
    log.error({ err, dir }, "could not remove a deleted queue's store");
    return;
  }
  tap?.remove(dir);
}

export class DiskPersistence implements Persistence, Flushable {
  readonly commit: GroupCommit;
  readonly codec: RecordPropertiesCodec;
  /** Encodes messages straight into the segments' write buffers (one per store: it is stateful for a call). */
  readonly recordWriter: MessageRecordWriter;
  /** The same for stream records (their own, so a stream append never sees a queue's pending expiry). */
  readonly streamWriter: StreamRecordWriter;
  private broker: Broker | null = null;
  private definitionsDirty = false;
  private readonly stores = new Set<DiskQueueStore | DiskStreamStore>();
  private readonly definitionsPath: string;
  /** Torn or corrupt segment tails dropped while opening queues. */
  readonly dropped: DroppedTail[] = [];
  /** Every file of the store is opened through this bounded descriptor cache. */
  readonly files: FilePool;
  /** Deleted files and directories go here, to be unlinked off the event loop. */
  readonly trash: Trash;

  constructor(readonly options: DiskPersistenceOptions) {
    this.files = new FilePool(options.maxOpenFiles ?? defaultFileCap());
    this.trash = new Trash(options.dataDir);
    this.codec = options.codec;
    this.recordWriter = new MessageRecordWriter(options.codec);
    this.streamWriter = new StreamRecordWriter(new MessageRecordWriter(options.codec));
    this.commit = new GroupCommit((err) => options.log.error({ err }, "store commit failed; confirms are nacked"));
    this.definitionsPath = join(options.dataDir, "definitions.json");
    checkStoreVersion(options.dataDir, options.tap);
    const persistentBytes = options.pageOutBytes ?? DEFAULT_PAGE_OUT_BYTES;
    this.paging = {
      persistentBytes,
      transientBytes: persistentBytes * TRANSIENT_PAGE_OUT_FACTOR,
      maxEntries: MAX_IN_MEMORY_ENTRIES,
    };
    // taken away while running: a crash leaves no marker, and the next start verifies every record
    const marker = join(options.dataDir, CLEAN_SHUTDOWN);
    this.cleanShutdown = fs.existsSync(marker);
    fs.rmSync(marker, { force: true });
    // page files hold nothing a restart keeps
    this.trash.discard(join(options.dataDir, "paging"));
  }

  openPageFile(vhost: string, queue: string): PageFile {
    // a fresh directory per opening: a queue deleted and declared again never meets its old file
    const id = `${queueId(vhost, queue)}-${++this.pageFileSeq}`;
    const pf = new DiskPageFile(this, join(this.options.dataDir, "paging", id), this.pageCommit);
    this.pageFiles.add(pf);
    return pf;
  }

  pageFileClosed(pf: DiskPageFile): void {
    this.pageFiles.delete(pf);
  }

  readonly paging: PagingLimits;
  /** Page files are written by their own commit: no fsync, and confirms never wait for them. */
  private readonly pageCommit = new GroupCommit((err) => this.options.log.error({ err }, "page file write failed"));
  private readonly pageFiles = new Set<DiskPageFile>();
  private pageFileSeq = 0;
  private readonly cleanShutdown: boolean;

  get durability(): Durability {
    return this.commit;
  }

  /**
   * Attaches to a broker and restores what the data dir holds. Returns false on a first start
   * (no definitions yet), when the caller seeds the default user and vhost.
   */
  restore(broker: Broker): boolean {
    this.broker = broker;
    broker.attachPersistence(this);
    const defs = readDefinitions(this.definitionsPath);
    if (defs !== null) importDefinitions(broker, defs, this.definitionsPath);
    this.removeOrphans();
    return defs !== null;
  }

  openStream(vhost: string, queue: string, restore: (r: RecoveredStreamRecord) => void): StreamStore {
    const { dir, store } = this.openDir(vhost, queue);
    const ss = new DiskStreamStore(store, this, dir);
    const codec = this.codec;
    for (const r of store.recovered()) {
      const p = r.payload;
      const record = p.subarray(STREAM_PREFIX);
      restore({
        position: r.position,
        offset: p.readDoubleBE(0),
        timestamp: p.readDoubleBE(8),
        bodySize: messageRecordBodySize(record),
        job: messageRecordJob(record),
        message: () => decodeMessageRecord(record, codec),
      });
    }
    store.releaseRecovered();
    this.stores.add(ss);
    return ss;
  }

  hasStream(vhost: string, queue: string): boolean {
    return fs.existsSync(join(this.options.dataDir, "queues", queueId(vhost, queue)));
  }

  openQueue(vhost: string, queue: string, restore: (r: RecoveredMessage, store: QueueStore) => void): QueueStore {
    // the scan keeps what the queue needs of each record in flat arrays, not the records: the
    // messages it keeps in memory are read back through the store's read-ahead
    const found = new RecoveredSummaries();
    const { dir, store } = this.openDir(vhost, queue, (position, payload, delivered) =>
      found.add(position, delivered, messageRecordBodySize(payload), messageRecordExpiry(payload), messageRecordGrouped(payload)),
    );
    const qs = new DiskQueueStore(store, this, dir);
    found.each((r) => restore(r, qs));
    this.stores.add(qs);
    return qs;
  }

  private openDir(
    vhost: string,
    queue: string,
    onRecovered?: (position: number, payload: Buffer, delivered: boolean) => void,
  ): { dir: string; store: DiskMessageStore } {
    const dir = join(this.options.dataDir, "queues", queueId(vhost, queue));
    const store = new DiskMessageStore({
      dir,
      commit: this.commit,
      files: this.files,
      ...(onRecovered !== undefined && { onRecovered }),
      cleanShutdown: this.cleanShutdown,
      ...(this.options.checksumsVerified === true && { checksumsVerified: true }),
      ...(this.options.tap !== undefined && { tap: this.options.tap }),
      trash: this.trash,
      ...(this.options.segmentSize !== undefined && { segmentSize: this.options.segmentSize }),
      onDropped: (d) => {
        this.dropped.push(d);
        this.options.log.warn({ ...d, vhost, queue }, `dropped a damaged tail of ${d.bytes} bytes from ${d.path} (${d.reason})`);
      },
    });
    return { dir, store };
  }

  queueDeleted(qs: DiskQueueStore | DiskStreamStore): void {
    this.stores.delete(qs);
  }

  /** Queue directories no definition names (deleted, or declared after the last definitions write). */
  private removeOrphans(): void {
    const root = join(this.options.dataDir, "queues");
    if (!fs.existsSync(root)) return;
    const live = new Set([...this.stores].map((s) => s.dir));
    for (const name of fs.readdirSync(root)) {
      const dir = join(root, name);
      if (live.has(dir)) continue;
      this.trash.discard(dir);
      this.options.tap?.remove(dir);
    }
  }

  definitionsChanged(): void {
    if (this.broker === null) return;
    this.definitionsDirty = true;
    this.commit.markDirty(this);
  }

  /** Flushable: the definitions file, rewritten in the same commit as the messages it names. */
  flush(): Promise<void> {
    if (this.definitionsDirty && this.broker !== null) {
      this.definitionsDirty = false;
      const json = JSON.stringify(exportDefinitions(this.broker), null, 2);
      this.files.retrying(() => writeFileAtomic(this.definitionsPath, json));
      this.options.tap?.replace(this.definitionsPath, Buffer.from(json));
    }
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.commit.drain();
    await this.pageCommit.drain();
    for (const pf of [...this.pageFiles]) pf.close();
    await Promise.all([...this.stores].map((s) => s.store.close()));
    this.stores.clear();
    await this.commit.drain(); // the definitions too
    writeFileAtomic(join(this.options.dataDir, CLEAN_SHUTDOWN), `${new Date().toISOString()}\n`);
    this.releaseLock();
  }

  /** Gives up the data dir (close does it; also for a start that failed half-way). */
  releaseLock(): void {
    this.options.lock.release();
  }
}

/** A queue's directory name: vhost and queue names may hold any character, hashes do not. */
function queueId(vhost: string, queue: string): string {
  return createHash("sha256").update(vhost).update("\0").update(queue).digest("hex").slice(0, 32);
}

/** Writes the store version marker on first use; refuses a data dir written by another version. */
function checkStoreVersion(dataDir: string, tap: StoreTap | undefined): void {
  const path = join(dataDir, "warren-store.json");
  let found: number | undefined;
  try {
    const parsed = JSON.parse(fs.readFileSync(path, "utf8")) as { storeVersion?: unknown };
    found = typeof parsed.storeVersion === "number" ? parsed.storeVersion : -1;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`${path} is unreadable or not JSON: ${(err as Error).message}`);
  }
  if (found === undefined) {
    const text = JSON.stringify({ storeVersion: STORE_VERSION }) + "\n";
    writeFileAtomic(path, text);
    tap?.replace(path, Buffer.from(text));
  } else if (found !== STORE_VERSION) throw new IncompatibleStoreError(dataDir, found);
}

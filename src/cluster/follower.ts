/**
 * A follower's side of replication: listens on the replication port, accepts the leader's
 * connection and applies the store's file operations to its own data dir, so that the data dir is
 * always a valid single-node store (docs/clustering.md). Everything in a frame is checked before
 * any of it is applied (protocol.ts); a frame that fails, a stranger's cluster id or an epoch below
 * the highest seen is refused, logged once and the connection closed.
 *
 * Writes are synchronous and in arrival order: a follower serves no clients, and order is what
 * keeps its files equal to the leader's. A COMMIT is acknowledged once what was written up to it
 * is fsynced: a group commit of its own, one fsync round in flight (on the thread pool, so writes
 * of the next batches are applied meanwhile), and the COMMITs that arrive during it are all
 * acknowledged by the next round with one ACK of the highest.
 */
import * as fs from "node:fs";
import { open as openFile } from "node:fs/promises";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../store/definitions.js";
import { TRASH_DIR, Trash } from "../store/trash.js";
import { fileHashes } from "./chunk-hashes.js";
import { type Frame, FrameDecoder, frames, FrameType, isStorePath, ProtocolError } from "./protocol.js";

export interface FollowerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FollowerOptions {
  readonly dataDir: string;
  readonly nodeName: string;
  readonly clusterId: string;
  readonly port: number;
  readonly host?: string;
  readonly log: FollowerLogger;
  /** The highest epoch known so far (from etcd): older leaders are refused. */
  readonly epoch?: number;
  /** How a file's data is made durable (node:fs's fdatasync; tests hold it to watch the ACKs). */
  readonly fdatasync?: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;
  /** Where removed files go (default: the data dir's own trash; tests hold its unlinks). */
  readonly trash?: Trash;
}

/** Files the follower never touches: the data dir's lock is the running node's. */
const KEEP_ON_RESET = new Set(["warren.lock", TRASH_DIR]);
/** A queue's delivery mark (see DiskMessageStore): written, never fsynced. */
const MARK_SUFFIX = "/delivered.mark";
/** Top-level entries of a data dir that hold durable store files (the rest is not replicated). */
const STORE_ENTRIES = new Set(["warren-store.json", "definitions.json", "mqtt", "queues"]);

class LeaderConnection {
  readonly decoder = new FrameDecoder(true);
  epoch = -1;
  leader = "";
  closed = false;
  /** The highest COMMIT applied on this connection (acknowledged once a sync round covers it). */
  committed = -1;
  /** The highest COMMIT acknowledged on this connection. */
  acked = -1;
  constructor(readonly socket: net.Socket) {}
}

export class ReplicationFollower {
  private readonly server: net.Server;
  private readonly trash: Trash;
  private highestEpoch: number;
  private active: LeaderConnection | null = null;
  private readonly conns = new Set<LeaderConnection>();
  /** Files written since the last COMMIT, open until it fsyncs them. */
  private readonly open = new Map<string, number>();
  private readonly dirsToSync = new Set<string>();
  /** A sync round is under way (its files left `open`; it closes them when done). */
  private syncing = false;
  /** Batches acknowledged, refusals made: what tests and /api/nodes look at. */
  readonly stats = { ackedBatch: 0, refused: 0, resets: 0, frames: 0, bytesWritten: 0, manifests: 0 };
  /** The last refusal's reason. */
  lastRefusal = "";
  /**
   * True once the latest leader session acknowledged a COMMIT (its catch-up done): every store
   * file here then holds the leader's bytes, compared by hash, or bytes from CRC-checked frames.
   */
  caughtUp = false;
  /** Told when the active leader's connection closes from its side (not refused or closed here). */
  onLeaderGone: ((leader: { name: string; epoch: number }) => void) | null = null;

  private constructor(private readonly options: FollowerOptions) {
    this.highestEpoch = options.epoch ?? 0;
    this.trash = options.trash ?? new Trash(options.dataDir);
    this.server = net.createServer((s) => this.accept(s));
  }

  static async listen(options: FollowerOptions): Promise<ReplicationFollower> {
    const f = new ReplicationFollower(options);
    await new Promise<void>((resolve, reject) => {
      f.server.once("error", reject);
      f.server.listen(options.port, options.host, () => {
        f.server.off("error", reject);
        resolve();
      });
    });
    return f;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The leader's epoch now (etcd): connections of older terms are closed and refused from now on. */
  raiseEpoch(epoch: number): void {
    if (epoch <= this.highestEpoch) return;
    this.highestEpoch = epoch;
    for (const c of this.conns) if (c.epoch >= 0 && c.epoch < epoch) this.refuse(c, `epoch ${c.epoch} is older than the current ${epoch}`);
  }

  get epoch(): number {
    return this.highestEpoch;
  }

  /** The leader streaming to this follower now, if any. */
  get leader(): { name: string; epoch: number } | null {
    return this.active === null ? null : { name: this.active.leader, epoch: this.active.epoch };
  }

  private accept(socket: net.Socket): void {
    const c = new LeaderConnection(socket);
    this.conns.add(c);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.received(c, chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      c.closed = true;
      this.conns.delete(c);
      if (this.active === c) {
        this.active = null;
        this.onLeaderGone?.({ name: c.leader, epoch: c.epoch });
      }
    });
  }

  private received(c: LeaderConnection, chunk: Buffer): void {
    if (c.closed) return;
    const got = c.decoder.push(chunk);
    if (got instanceof ProtocolError) return this.refuse(c, got.reason);
    for (const f of got) {
      if (c.closed) return;
      this.stats.frames++;
      const problem = this.check(c, f);
      if (problem !== null) return this.refuse(c, problem);
      try {
        this.apply(c, f);
      } catch (err) {
        this.options.log.error({ err, frame: f.type }, "replication: applying a write failed");
        return this.refuse(c, `apply failed: ${(err as Error).message}`);
      }
    }
  }

  /** Why a frame is not acceptable on this connection now, or null. */
  private check(c: LeaderConnection, f: Frame): string | null {
    if (c.epoch < 0) {
      if (f.type !== FrameType.Hello) return `expected HELLO, got frame type ${f.type}`;
      if (f.clusterId !== this.options.clusterId) return `cluster id ${JSON.stringify(f.clusterId)} is not this cluster's`;
      if (f.epoch < this.highestEpoch) return `epoch ${f.epoch} is older than the current ${this.highestEpoch}`;
      return null;
    }
    if (f.epoch !== c.epoch) return `frame epoch ${f.epoch} differs from the connection's ${c.epoch}`;
    if (f.epoch < this.highestEpoch) return `epoch ${f.epoch} is older than the current ${this.highestEpoch}`;
    if (
      f.type === FrameType.Hello ||
      f.type === FrameType.Welcome ||
      f.type === FrameType.Ack ||
      f.type === FrameType.Have ||
      f.type === FrameType.HaveEnd
    )
      return `unexpected frame type ${f.type}`;
    if (this.active !== c) return "not the active leader connection";
    return null;
  }

  private apply(c: LeaderConnection, f: Frame): void {
    switch (f.type) {
      case FrameType.Hello: {
        this.highestEpoch = f.epoch;
        c.epoch = f.epoch;
        c.leader = f.leader;
        // one leader at a time: the newest hello wins, older connections go
        for (const o of this.conns)
          if (o !== c && !o.closed) this.refuse(o, `replaced by ${f.leader}'s connection (epoch ${f.epoch})`, false);
        this.closeFiles();
        this.caughtUp = false;
        this.active = c;
        this.options.log.info({ leader: f.leader, epoch: f.epoch }, `replicating from ${f.leader} (epoch ${f.epoch})`);
        this.removeNonStoreEntries();
        this.send(c, frames.welcome(f.epoch, this.options.nodeName));
        // the leader copies only what differs from what this node holds (delta catch-up)
        void this.sendManifest(c).catch((err: unknown) => {
          this.options.log.error({ err }, "replication: listing this node's files failed");
          this.refuse(c, `listing files failed: ${(err as Error).message}`);
        });
        return;
      }
      case FrameType.Refuse:
        this.options.log.warn({ leader: c.leader, reason: f.reason }, `replication: the leader ended the connection: ${f.reason}`);
        return this.drop(c);
      case FrameType.Reset:
        return this.reset();
      case FrameType.Write:
        return this.write(f.path, f.offset, f.bytes);
      case FrameType.Replace: {
        const abs = this.abs(f.path);
        fs.mkdirSync(dirname(abs), { recursive: true });
        this.closeFile(abs);
        writeFileAtomic(abs, f.bytes);
        return;
      }
      case FrameType.Remove: {
        const abs = this.abs(f.path);
        for (const p of [...this.open.keys()]) if (p === abs || p.startsWith(`${abs}/`)) this.closeFile(p);
        // a purge or a drained backlog removes dozens of segments: unlinked inline they would
        // hold back the ACK every confirm waits for (the name is free at once all the same)
        this.trash.discard(abs);
        this.dirsToSync.add(dirname(abs));
        return;
      }
      case FrameType.Truncate: {
        const fd = this.fileFor(this.abs(f.path));
        fs.ftruncateSync(fd, f.length);
        return;
      }
      case FrameType.Commit: {
        c.committed = f.batch;
        this.sync(c);
        return;
      }
      default:
        throw new ProtocolError(`unexpected frame type ${f.type}`);
    }
  }

  private abs(path: string): string {
    // protocol.ts admitted only the store's own relative file names
    return join(this.options.dataDir, path);
  }

  private fileFor(abs: string): number {
    let fd = this.open.get(abs);
    if (fd === undefined) {
      const existed = fs.existsSync(abs);
      if (!existed) {
        fs.mkdirSync(dirname(abs), { recursive: true });
        this.dirsToSync.add(dirname(abs));
        this.dirsToSync.add(dirname(dirname(abs)));
      }
      fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT);
      this.open.set(abs, fd);
    }
    return fd;
  }

  /**
   * What is not durable store state goes before a leader streams here: a clean-shutdown marker
   * from when this node led (the store would trust its files without checking them), page files.
   */
  private removeNonStoreEntries(): void {
    for (const name of fs.readdirSync(this.options.dataDir)) {
      if (KEEP_ON_RESET.has(name) || STORE_ENTRIES.has(name)) continue;
      this.trash.discard(join(this.options.dataDir, name));
      this.dirsToSync.add(this.options.dataDir);
    }
  }

  /** The store's files held here now, relative to the data dir. */
  private storeFiles(): string[] {
    const root = this.options.dataDir;
    const out: string[] = [];
    for (const name of ["warren-store.json", "definitions.json", "mqtt/state.json"]) if (fs.existsSync(join(root, name))) out.push(name);
    let queues: string[] = [];
    try {
      queues = fs.readdirSync(join(root, "queues"));
    } catch {
      // no queue yet
    }
    for (const q of queues.sort()) {
      const rq = `queues/${q}`;
      if (!isStorePath(rq)) continue;
      let names: string[];
      try {
        names = fs.readdirSync(join(root, rq));
      } catch {
        continue;
      }
      for (const n of names.sort()) if (isStorePath(`${rq}/${n}`)) out.push(`${rq}/${n}`);
    }
    return out;
  }

  /** HAVE for every store file (its size and chunk hashes), then HAVE-END. */
  private async sendManifest(c: LeaderConnection): Promise<void> {
    this.stats.manifests++;
    for (const rel of this.storeFiles()) {
      let fh;
      try {
        fh = await openFile(this.abs(rel), "r");
      } catch {
        continue;
      }
      try {
        const { size } = await fh.stat();
        const hashes = await fileHashes(fh, size);
        if (c.closed || this.active !== c) return;
        this.send(c, frames.have(c.epoch, rel, size, hashes));
      } finally {
        await fh.close();
      }
    }
    if (!c.closed && this.active === c) this.send(c, frames.haveEnd(c.epoch));
  }

  private write(path: string, offset: number, bytes: Buffer): void {
    this.stats.bytesWritten += bytes.length;
    const fd = this.fileFor(this.abs(path));
    // every file the store writes is written from offset 0 when it is created
    if (offset === 0) fs.ftruncateSync(fd, 0);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, offset + done);
  }

  /** RESET: the leader is about to send the whole store; nothing of the old contents stays. */
  private reset(): void {
    this.closeFiles();
    this.stats.resets++;
    for (const name of fs.readdirSync(this.options.dataDir)) {
      if (KEEP_ON_RESET.has(name)) continue;
      this.trash.discard(join(this.options.dataDir, name));
    }
    this.dirsToSync.add(this.options.dataDir);
  }

  /**
   * Starts a sync round for `c`'s COMMITs unless one is under way (it starts the next when done):
   * it makes everything applied so far durable, file data then directory entries, and then
   * acknowledges the highest COMMIT applied when it started. Writes applied during the round go
   * to files opened afresh, for the next round.
   */
  private sync(c: LeaderConnection): void {
    if (this.syncing || c.closed || this.active !== c || c.committed <= c.acked) return;
    this.syncing = true;
    const batch = c.committed;
    const files = [...this.open];
    this.open.clear();
    const dirs = [...this.dirsToSync];
    this.dirsToSync.clear();
    const datasync = this.options.fdatasync ?? fs.fdatasync;
    let waiting = 1;
    let failed: Error | null = null;
    const fileSynced = (err: NodeJS.ErrnoException | null): void => {
      if (err !== null && failed === null) failed = err;
      if (--waiting > 0) return;
      for (const [, fd] of files) fs.closeSync(fd);
      if (failed === null) {
        try {
          syncDirs(dirs);
        } catch (e) {
          failed = e as Error;
        }
      }
      this.syncing = false;
      if (failed !== null) {
        this.options.log.error({ err: failed }, "replication: fsync failed");
        return this.refuse(c, `fsync failed: ${failed.message}`);
      }
      if (!c.closed && this.active === c) {
        c.acked = batch;
        this.caughtUp = true;
        this.stats.ackedBatch = batch;
        this.send(c, frames.ack(c.epoch, batch));
      }
      // COMMITs that arrived meanwhile (or a newer leader's)
      if (this.active !== null) this.sync(this.active);
    };
    // a delivery mark is not fsynced, here as on the leader (it matters after kill -9 of the
    // leader, when this process and its page cache live on): a COMMIT of marks alone costs no fsync
    for (const [abs, fd] of files) {
      if (abs.endsWith(MARK_SUFFIX)) continue;
      waiting++;
      datasync(fd, fileSynced);
    }
    fileSynced(null);
  }

  private closeFile(abs: string): void {
    const fd = this.open.get(abs);
    if (fd === undefined) return;
    this.open.delete(abs);
    fs.closeSync(fd);
  }

  private closeFiles(): void {
    for (const fd of this.open.values()) fs.closeSync(fd);
    this.open.clear();
  }

  private send(c: LeaderConnection, bufs: Buffer[]): void {
    for (const b of bufs) c.socket.write(b);
  }

  private refuse(c: LeaderConnection, reason: string, log = true): void {
    if (c.closed) return;
    this.stats.refused++;
    this.lastRefusal = reason;
    if (log) {
      const peer = `${c.socket.remoteAddress ?? "?"}:${c.socket.remotePort ?? "?"}`;
      this.options.log.warn({ peer, reason }, `replication connection from ${peer} refused: ${reason}`);
    }
    this.send(c, frames.refuse(Math.max(c.epoch, 0), reason));
    this.drop(c);
  }

  private drop(c: LeaderConnection): void {
    c.closed = true;
    if (this.active === c) {
      this.active = null;
      // what was written without a COMMIT stays (the store's recovery drops a torn tail)
      this.closeFiles();
    }
    c.socket.end();
    c.socket.destroySoon();
  }

  async close(): Promise<void> {
    for (const c of this.conns) {
      c.closed = true;
      c.socket.destroy();
    }
    this.conns.clear();
    this.active = null;
    this.closeFiles();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** fsyncs directories whose entries changed (a file created or removed in them). */
function syncDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    let dfd: number;
    try {
      dfd = fs.openSync(dir, "r");
    } catch {
      continue; // removed since
    }
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }
}

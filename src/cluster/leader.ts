/**
 * The leader's side of replication (docs/clustering.md): the store's tap and its group commit's
 * replication hook. Every durable write becomes a frame sent to each follower over one TCP
 * connection the leader opens; each commit batch ends with a COMMIT, and the batch counts as
 * committed (confirms go out) only once followers' ACKs make a majority with the leader and every
 * member of the in-sync set has it. A follower that connects first says what it holds (each file's
 * size and chunk hashes); the leader copies, from a consistent point, only what differs (files it
 * lacks, tails of files that grew, files that diverged from the first chunk that differs), then
 * the writes made meanwhile. Those are queued in memory up to a bound; past it the follower's
 * session is dropped and its next catch-up copies what it still lacks.
 */
import * as fs from "node:fs";
import { type FileHandle, open as openFile } from "node:fs/promises";
import * as net from "node:net";
import { dirname, join, relative } from "node:path";
import { type MarkReplication, type MarkWaiter, replicateDeliveryMarks } from "../core/index.js";
import type { GroupCommit } from "../store/group-commit.js";
import type { CommitReplication, StoreTap } from "../store/tap.js";
import { chunkHash, readAt } from "./chunk-hashes.js";
import {
  FrameDecoder,
  frames,
  FrameType,
  HASH_BYTES,
  HASH_CHUNK,
  isStorePath,
  MAX_CHUNK,
  PROTOCOL_HEADER,
  ProtocolError,
} from "./protocol.js";

export interface Member {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** Where the in-sync set is kept (etcd, written only while this leader's term holds). */
export interface InSyncStore {
  write(nodes: readonly string[]): Promise<void>;
}

export interface LeaderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReplicationLeaderOptions {
  readonly dataDir: string;
  readonly clusterId: string;
  readonly nodeName: string;
  readonly epoch: number;
  /** The other members (followers), each dialled on its replication address. */
  readonly followers: readonly Member[];
  /**
   * Members of the cluster, this leader included: a majority of it must hold a batch (at least
   * the leader and its followers; members added later count from then on).
   */
  readonly clusterSize: number;
  readonly log: LeaderLogger;
  readonly inSync: InSyncStore;
  /** The nodes etcd lists as in sync when this term begins (this leader included). */
  readonly initialInSync?: readonly string[];
  /** False once the lease may have expired: nothing is confirmed from then on. */
  readonly leading?: () => boolean;
  /** Delay before dialling a follower again (grows to 8 × this). */
  readonly retryMs?: number;
  /**
   * Bytes of writes queued for one follower while its catch-up copy runs; past this its session
   * is dropped (it copies what it still lacks when it reconnects). Default 64 MiB.
   */
  readonly maxCopyQueueBytes?: number;
}

type LinkState = "connecting" | "handshake" | "manifest" | "waiting-copy" | "copying" | "live" | "down";

/** What a follower holds of one file: its size and the hash of each HASH_CHUNK from offset 0. */
interface HeldFile {
  readonly size: number;
  readonly hashes: Buffer;
}

/** A follower's catch-up figures (status()): what its copies sent and what waited in memory. */
export interface CatchUpStats {
  /** Copies started (one per session that reached the copy). */
  copies: number;
  /** Bytes of file contents the last copy sent (WRITE payloads). */
  lastCopyBytes: number;
  /** Milliseconds the last completed copy took, from the listing to streaming live. */
  lastCopyMs: number;
  /** Files the last copy found diverged on the follower (copied from the first differing chunk). */
  lastDiverged: number;
  /** Most bytes of writes queued for this follower during a copy. */
  maxQueuedBytes: number;
  /** Sessions dropped because the writes queued during a copy passed the bound. */
  overflows: number;
}

/** A follower whose socket holds this much unsent is dropped (it catches up by a copy later). */
const MAX_BACKLOG = 256 * 1024 * 1024;
const COPY_CHUNK = HASH_CHUNK;
const DEFAULT_MAX_COPY_QUEUE = 64 * 1024 * 1024;
/** The store's per-queue delivery mark (see DiskMessageStore): its writes are sealed at once. */
const MARK_FILE = "/delivered.mark";

class FollowerLink {
  state: LinkState = "down";
  socket: net.Socket | null = null;
  decoder = new FrameDecoder(false);
  /** Writes made while the store is being copied, sent after it. */
  queue: Buffer[] = [];
  queuedBytes = 0;
  /** What the follower said it holds (HAVE frames of this session). */
  held = new Map<string, HeldFile>();
  readonly catchUp: CatchUpStats = { copies: 0, lastCopyBytes: 0, lastCopyMs: 0, lastDiverged: 0, maxQueuedBytes: 0, overflows: 0 };
  ackedBatch = 0;
  /** Acknowledging this batch makes the follower caught up. */
  caughtUpBatch = Infinity;
  retries = 0;
  timer: NodeJS.Timeout | null = null;
  /** The socket corked by this turn's first send (uncorked at the end of the turn). */
  corked: net.Socket | null = null;
  // replication lag (docs/clustering.md, "Operations"): bytes of this connection's stream given to
  // the socket, those covered by the last acknowledged COMMIT, and [batch, sent bytes] at each
  // COMMIT sent live (flat pairs, consumed from `markAt`)
  sentBytes = 0;
  ackedBytes = 0;
  marks: number[] = [];
  markAt = 0;
  /** The leader's emitted bytes when this link was last live (its lag while it is not). */
  emittedWhenLive = 0;
  constructor(readonly member: Member) {}

  /** A COMMIT of `batch` has just been given to the socket. */
  mark(batch: number): void {
    this.marks.push(batch, this.sentBytes);
  }

  /** The follower acknowledged `batch`: the bytes sent up to its COMMIT are acknowledged. */
  acked(batch: number): void {
    const m = this.marks;
    while (this.markAt < m.length && m[this.markAt]! <= batch) {
      this.ackedBytes = m[this.markAt + 1]!;
      this.markAt += 2;
    }
    if (this.markAt > 64 && this.markAt * 2 > m.length) {
      this.marks = m.slice(this.markAt);
      this.markAt = 0;
    }
  }
}

/** A follower's replication lag, as /api/nodes and Prometheus show it. */
export interface FollowerLag {
  readonly name: string;
  readonly state: LinkState;
  readonly ackedBatch: number;
  /** Batches sealed this term that it has not acknowledged. */
  readonly lagBatches: number;
  /**
   * Bytes sent or owed to it that it has not acknowledged: on a live link, those sent after its
   * last acknowledged COMMIT; while copying, also the writes queued behind the copy (not what the
   * copy has still to send: a delta copy learns that only file by file); while down, at least the
   * bytes the leader has emitted since it was last live.
   */
  readonly lagBytes: number;
  readonly catchUp: CatchUpStats;
}

interface PendingBatch {
  readonly batch: number;
  readonly done: (ok: boolean) => void;
}

export class ReplicationLeader implements StoreTap, CommitReplication, MarkReplication {
  private readonly links: FollowerLink[];
  private sealed = 0;
  private readonly pending: PendingBatch[] = [];
  /** Followers every batch must reach: the in-sync set as etcd has it (or more). */
  private readonly required = new Set<string>();
  private inSyncNodes: Set<string>;
  private inSyncWrite: Promise<void> = Promise.resolve();
  private closed = false;
  private clusterSize: number;
  private commit: GroupCommit | null = null;
  /** Bytes of every operation emitted this term (a down follower's lag is counted from it). */
  private emitted = 0;
  /** A delivery mark was written since the last `sealMarks`. */
  private marksDirty = false;
  /** The last batch number that carried delivery marks. */
  private markSeq = 0;
  /** Every node that could lead next holds the marks of batches up to this (only grows). */
  private marksHeld = 0;
  /** Writers waiting for marks (parallel arrays, in registration order, from `markHead` on). */
  private markWaiters: MarkWaiter[] = [];
  private markWaiterSeqs: number[] = [];
  private markHead = 0;
  /** Failed or closed: marks not replicated by now never will be. */
  private termOver = false;
  /** A turn's sends are corked: `uncork` runs once at the end of the turn. */
  private uncorkScheduled = false;

  constructor(private readonly options: ReplicationLeaderOptions) {
    this.links = options.followers.map((m) => new FollowerLink(m));
    this.clusterSize = Math.max(options.clusterSize, this.links.length + 1);
    this.inSyncNodes = new Set(options.initialInSync ?? [options.nodeName]);
    this.inSyncNodes.add(options.nodeName);
    for (const n of this.inSyncNodes) if (n !== options.nodeName) this.required.add(n);
  }

  /**
   * Takes over the store's commit and starts dialling the followers. The store (opened with this
   * as its tap) has restored by now: what it wrote meanwhile reaches followers by their copy.
   */
  start(commit: GroupCommit): void {
    this.commit = commit;
    commit.replication = this;
    replicateDeliveryMarks(this);
    void this.persistInSync();
    for (const l of this.links) this.dial(l);
  }

  /** A member that joined the cluster while this node leads: it is dialled and counts from now on. */
  addFollower(m: Member): void {
    if (m.name === this.options.nodeName || this.links.some((l) => l.member.name === m.name)) return;
    const l = new FollowerLink(m);
    this.links.push(l);
    this.clusterSize = Math.max(this.clusterSize, this.links.length + 1);
    if (this.commit !== null && !this.closed) this.dial(l);
  }

  /** Per follower: state, last acknowledged batch, lag; and the batches sealed so far. */
  status(): { sealed: number; inSync: string[]; followers: FollowerLag[] } {
    return {
      sealed: this.sealed,
      inSync: [...this.inSyncNodes],
      followers: this.links.map((l) => ({
        name: l.member.name,
        state: l.state,
        ackedBatch: l.ackedBatch,
        catchUp: { ...l.catchUp },
        lagBatches: Math.max(0, this.sealed - l.ackedBatch),
        lagBytes:
          l.state === "live"
            ? l.sentBytes - l.ackedBytes
            : l.state === "copying"
              ? l.sentBytes + l.queuedBytes - l.ackedBytes
              : this.emitted - l.emittedWhenLive,
      })),
    };
  }

  // ---- StoreTap: the store's writes, as frames ----

  private rel(path: string): string | null {
    const r = relative(this.options.dataDir, path);
    return isStorePath(r) ? r : null;
  }

  write(path: string, offset: number, bytes: Buffer): void {
    const r = this.rel(path);
    if (r === null) return;
    if (r.endsWith(MARK_FILE)) this.marksDirty = true;
    const epoch = this.options.epoch;
    if (bytes.length <= MAX_CHUNK) return this.emit(frames.write(epoch, r, offset, bytes));
    for (let at = 0; at < bytes.length; at += MAX_CHUNK) {
      this.emit(frames.write(epoch, r, offset + at, bytes.subarray(at, Math.min(bytes.length, at + MAX_CHUNK))));
    }
  }

  replace(path: string, bytes: Buffer): void {
    const r = this.rel(path);
    if (r !== null) this.emit(frames.replace(this.options.epoch, r, bytes));
  }

  remove(path: string): void {
    const r = this.rel(path);
    if (r !== null) this.emit(frames.remove(this.options.epoch, r));
  }

  truncate(path: string, length: number): void {
    const r = this.rel(path);
    if (r !== null) this.emit(frames.truncate(this.options.epoch, r, length));
  }

  private emit(bufs: Buffer[]): void {
    for (const b of bufs) this.emitted += b.length;
    for (const l of this.links) {
      if (l.state === "live") this.send(l, bufs);
      else if (l.state === "copying") this.enqueue(l, bufs);
      // other states get what they lack by their copy once connected
    }
  }

  /** Keeps a write for a follower being copied to; past the bound its session goes. */
  private enqueue(l: FollowerLink, bufs: Buffer[]): void {
    for (const b of bufs) {
      l.queue.push(b);
      l.queuedBytes += b.length;
    }
    if (l.queuedBytes > l.catchUp.maxQueuedBytes) l.catchUp.maxQueuedBytes = l.queuedBytes;
    if (l.queuedBytes > (this.options.maxCopyQueueBytes ?? DEFAULT_MAX_COPY_QUEUE)) {
      l.catchUp.overflows++;
      this.options.log.warn(
        { follower: l.member.name, queuedBytes: l.queuedBytes },
        `writes queued for ${l.member.name} during its catch-up passed the bound; it will catch up again`,
      );
      l.queue = [];
      l.queuedBytes = 0;
      l.socket?.destroy();
    }
  }

  private send(l: FollowerLink, bufs: Buffer[]): void {
    const s = l.socket;
    if (s === null) return;
    // a turn's frames (a batch's writes and its COMMIT: several frames of two buffers each) leave
    // in one writev at the end of the turn, not one write syscall per buffer
    if (l.corked !== s) {
      l.corked?.uncork();
      s.cork();
      l.corked = s;
      if (!this.uncorkScheduled) {
        this.uncorkScheduled = true;
        process.nextTick(this.uncork);
      }
    }
    for (const b of bufs) {
      s.write(b);
      l.sentBytes += b.length;
    }
    if (s.writableLength > MAX_BACKLOG) {
      this.options.log.warn({ follower: l.member.name }, `follower ${l.member.name} is too far behind; it will catch up again`);
      s.destroy();
    }
  }

  private readonly uncork = (): void => {
    this.uncorkScheduled = false;
    for (const l of this.links) {
      const s = l.corked;
      if (s === null) continue;
      l.corked = null;
      s.uncork();
    }
  };

  // ---- CommitReplication ----

  /** No write is in flight: a follower waiting for a copy gets one from this point. */
  private startCopy(l: FollowerLink): void {
    if (l.state !== "waiting-copy" || l.socket === null) return;
    const files = this.listFiles();
    l.state = "copying";
    l.queue = [];
    l.queuedBytes = 0;
    l.catchUp.copies++;
    void this.copy(l, l.socket, files);
  }

  seal(done: (ok: boolean) => void): void {
    const batch = ++this.sealed;
    this.emit(frames.commit(this.options.epoch, batch));
    for (const l of this.links) if (l.state === "live") l.mark(batch);
    if (this.closed) return done(false);
    this.pending.push({ batch, done });
    this.evaluate();
  }

  /** Confirms every batch, in order, that the rule allows now. */
  private evaluate(): void {
    const leading = this.options.leading;
    while (this.pending.length > 0) {
      if (leading !== undefined && !leading()) return this.failPending();
      const head = this.pending[0]!;
      let acks = 1;
      let missing = false;
      for (const l of this.links) {
        if (l.ackedBatch >= head.batch) acks++;
        else if (this.required.has(l.member.name)) missing = true;
      }
      if (acks < Math.floor(this.clusterSize / 2) + 1 || missing) return;
      this.pending.shift();
      head.done(true);
    }
  }

  /** Every batch waiting is failed (its confirms become nacks): the term is over. */
  failPending(): void {
    const p = this.pending.splice(0);
    for (const b of p) b.done(false);
    this.endMarks();
  }

  // ---- MarkReplication: deliveries wait until the next leader would flag them ----

  /**
   * The marks written since the last call get a COMMIT of their own (a batch number with no
   * confirm waiting on it), so followers' ACKs say when they hold them.
   */
  sealMarks(): number {
    if (this.marksDirty) {
      this.marksDirty = false;
      this.markSeq = ++this.sealed;
      this.emit(frames.commit(this.options.epoch, this.markSeq));
      this.updateMarks();
    }
    if (this.markSeq <= this.marksHeld) return 0;
    return this.termOver ? -1 : this.markSeq;
  }

  whenMarksReplicated(seq: number, w: MarkWaiter): void {
    if (this.termOver) return w.marksReplicated(seq <= this.marksHeld ? this.marksHeld : -1);
    if (seq <= this.marksHeld) return w.marksReplicated(this.marksHeld);
    this.markWaiters.push(w);
    this.markWaiterSeqs.push(seq);
  }

  /**
   * How far a follower holds the marks, as far as a next leader is concerned. Only a node of
   * `in-sync` can lead, and a follower joins it by acknowledging a batch sealed after its copy
   * (`caughtUpBatch`): so a streaming follower counts with its ACKs (or that batch, which it must
   * acknowledge before it can lead), a follower of `in-sync` that is not streaming holds back
   * every mark until etcd no longer lists it, and any other one never leads with older marks.
   */
  private marksHeldBy(l: FollowerLink): number {
    if (l.state === "live") return Math.max(l.ackedBatch, l.caughtUpBatch === Infinity ? 0 : l.caughtUpBatch);
    return this.required.has(l.member.name) ? 0 : Infinity;
  }

  /** Recomputes how far every possible next leader holds the marks, and releases their waiters. */
  private updateMarks(): void {
    if (this.termOver) return;
    const leading = this.options.leading;
    if (leading !== undefined && !leading()) return this.endMarks();
    let held = this.sealed;
    for (const l of this.links) held = Math.min(held, this.marksHeldBy(l));
    if (held <= this.marksHeld) return;
    this.marksHeld = held;
    const seqs = this.markWaiterSeqs;
    let i = this.markHead;
    while (i < seqs.length && seqs[i]! <= held) i++;
    if (i === this.markHead) return;
    const release = this.markWaiters.slice(this.markHead, i);
    if (i === seqs.length) {
      this.markWaiters = [];
      this.markWaiterSeqs = [];
      this.markHead = 0;
    } else {
      this.markHead = i;
      if (i >= 1024 && i * 2 >= seqs.length) {
        this.markWaiters = this.markWaiters.slice(i);
        this.markWaiterSeqs = seqs.slice(i);
        this.markHead = 0;
      }
    }
    for (const w of release) w.marksReplicated(held);
  }

  /** The term is over: output waiting for marks never leaves. */
  private endMarks(): void {
    if (this.termOver) return;
    this.termOver = true;
    const waiters = this.markWaiters.slice(this.markHead);
    this.markWaiters = [];
    this.markWaiterSeqs = [];
    this.markHead = 0;
    for (const w of waiters) w.marksReplicated(-1);
  }

  // ---- the in-sync set ----

  private persistInSync(): Promise<void> {
    const nodes = [...this.inSyncNodes];
    this.inSyncWrite = this.inSyncWrite.then(() => this.options.inSync.write(nodes));
    return this.inSyncWrite;
  }

  private addInSync(name: string): void {
    if (this.inSyncNodes.has(name)) return;
    this.inSyncNodes.add(name);
    this.required.add(name); // required at once: stricter never hurts
    this.persistInSync().then(
      () => this.options.log.info({ follower: name }, `follower ${name} is in sync`),
      (err: unknown) => this.options.log.warn({ err, follower: name }, "could not record the in-sync set"),
    );
  }

  /** A follower fell behind: batches stop waiting for it only once etcd no longer lists it. */
  private dropInSync(name: string): void {
    if (!this.inSyncNodes.has(name)) return;
    this.inSyncNodes.delete(name);
    const attempt = (): void => {
      this.persistInSync().then(
        () => {
          if (this.inSyncNodes.has(name)) return;
          this.required.delete(name);
          this.options.log.warn({ follower: name }, `follower ${name} is out of sync`);
          this.evaluate();
          this.updateMarks();
        },
        (err: unknown) => {
          this.options.log.warn({ err, follower: name }, "could not record the in-sync set; confirms wait");
          this.inSyncWrite = Promise.resolve();
          if (!this.closed) setTimeout(attempt, 500).unref();
        },
      );
    };
    attempt();
  }

  // ---- links ----

  private dial(l: FollowerLink): void {
    if (this.closed) return;
    l.state = "connecting";
    l.decoder = new FrameDecoder(false);
    l.ackedBatch = 0;
    l.caughtUpBatch = Infinity;
    l.sentBytes = 0;
    l.ackedBytes = 0;
    l.marks = [];
    l.markAt = 0;
    const s = net.connect(l.member.port, l.member.host);
    l.socket = s;
    s.setNoDelay(true);
    s.on("connect", () => {
      l.state = "handshake";
      s.write(PROTOCOL_HEADER);
      for (const b of frames.hello(this.options.epoch, this.options.clusterId, this.options.nodeName)) s.write(b);
    });
    s.on("data", (chunk: Buffer) => this.received(l, s, chunk));
    s.on("error", () => {});
    s.on("close", () => this.linkDown(l, s));
  }

  private received(l: FollowerLink, s: net.Socket, chunk: Buffer): void {
    if (l.socket !== s) return;
    const got = l.decoder.push(chunk);
    if (got instanceof ProtocolError) {
      this.options.log.warn({ follower: l.member.name, reason: got.reason }, `follower ${l.member.name} sent bad input: ${got.reason}`);
      s.destroy();
      return;
    }
    for (const f of got) {
      if (f.type === FrameType.Refuse) {
        this.options.log.warn({ follower: l.member.name, reason: f.reason }, `follower ${l.member.name} refused replication: ${f.reason}`);
        s.destroy();
        return;
      }
      if (f.epoch !== this.options.epoch) {
        s.destroy();
        return;
      }
      if (f.type === FrameType.Welcome && l.state === "handshake") {
        l.state = "manifest";
        l.held = new Map();
        l.retries = 0;
      } else if (f.type === FrameType.Have && l.state === "manifest") {
        l.held.set(f.path, { size: f.size, hashes: f.hashes });
      } else if (f.type === FrameType.HaveEnd && l.state === "manifest") {
        l.state = "waiting-copy";
        // the copy starts when no write is in flight (now, or when the commit's writes are done)
        this.commit?.whenQuiet(() => this.startCopy(l));
      } else if (f.type === FrameType.Ack && l.state === "live") {
        l.ackedBatch = f.batch;
        l.acked(f.batch);
        if (f.batch >= l.caughtUpBatch) this.addInSync(l.member.name);
        this.evaluate();
        this.updateMarks();
      } else if (f.type !== FrameType.Ack) {
        this.options.log.warn({ follower: l.member.name, type: f.type }, `follower ${l.member.name} sent an unexpected frame`);
        s.destroy();
        return;
      }
    }
  }

  private linkDown(l: FollowerLink, s: net.Socket): void {
    if (l.socket !== s) return;
    l.socket = null;
    if (l.state === "live") l.emittedWhenLive = this.emitted;
    l.state = "down";
    l.queue = [];
    l.queuedBytes = 0;
    l.held = new Map();
    l.ackedBatch = 0;
    this.dropInSync(l.member.name);
    this.updateMarks();
    if (this.closed) return;
    const delay = (this.options.retryMs ?? 200) * Math.min(8, 2 ** l.retries++);
    l.timer = setTimeout(() => {
      l.timer = null;
      this.dial(l);
    }, delay);
    l.timer.unref();
  }

  /** The store's durable files now (every write told so far has completed), with their sizes. */
  private listFiles(): Map<string, number> {
    const root = this.options.dataDir;
    const out = new Map<string, number>();
    const add = (rel: string): void => {
      try {
        out.set(rel, fs.statSync(join(root, rel)).size);
      } catch {
        // gone meanwhile
      }
    };
    for (const name of ["warren-store.json", "definitions.json", "mqtt/state.json"]) add(name);
    const queues = join(root, "queues");
    if (fs.existsSync(queues)) {
      for (const q of fs.readdirSync(queues).sort()) {
        const rq = `queues/${q}`;
        if (!isStorePath(rq)) continue;
        let names: string[];
        try {
          names = fs.readdirSync(join(root, rq));
        } catch {
          continue;
        }
        for (const n of names.sort()) if (isStorePath(`${rq}/${n}`)) add(`${rq}/${n}`);
      }
    }
    return out;
  }

  /**
   * Where the follower's copy of a file stops agreeing with the leader's: the start of the first
   * chunk whose hash differs, or that reaches past the leader's size; the follower's size when
   * every chunk it holds agrees.
   */
  private async agreedPrefix(fh: FileHandle, held: HeldFile, size: number, buf: Buffer): Promise<number> {
    const n = held.hashes.length / HASH_BYTES;
    for (let i = 0; i < n; i++) {
      const start = i * HASH_CHUNK;
      const end = Math.min(start + HASH_CHUNK, held.size);
      if (end > size) return start;
      const got = await readAt(fh, buf, start, end - start);
      if (got !== end - start) return start;
      if (!chunkHash(buf.subarray(0, got)).equals(held.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))) return start;
    }
    return held.size;
  }

  /**
   * Brings the follower to the listing: removes what it holds that the leader does not, and sends
   * of each listed file what the follower lacks; then the writes made meanwhile, and the follower
   * is live. Every operation is absolute, so the queued writes replayed over bytes read later than
   * the listing converge to the leader's files.
   */
  private async copy(l: FollowerLink, s: net.Socket, files: Map<string, number>): Promise<void> {
    const epoch = this.options.epoch;
    const started = Date.now();
    let sent = 0;
    let diverged = 0;
    try {
      // what the leader no longer has: a deleted queue's directory at once, else the file
      const dirs = new Set<string>();
      for (const rel of files.keys()) if (rel.startsWith("queues/")) dirs.add(dirname(rel));
      const removedDirs = new Set<string>();
      for (const rel of l.held.keys()) {
        if (files.has(rel)) continue;
        const dir = dirname(rel);
        if (rel.startsWith("queues/") && !dirs.has(dir)) {
          if (removedDirs.has(dir)) continue;
          removedDirs.add(dir);
          this.writeAll(l, s, frames.remove(epoch, dir));
        } else {
          this.writeAll(l, s, frames.remove(epoch, rel));
        }
      }
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      for (const [rel, size] of files) {
        let fh: FileHandle;
        try {
          fh = await openFile(join(this.options.dataDir, rel), "r");
        } catch {
          continue; // removed since the listing: its REMOVE is in the queue
        }
        try {
          const held = l.held.get(rel);
          let offset = 0;
          if (held !== undefined) {
            offset = await this.agreedPrefix(fh, held, size, buf);
            if (l.socket !== s) return;
            if (offset < held.size) {
              diverged++;
              // the follower's bytes past the agreed prefix go
              this.writeAll(l, s, frames.truncate(epoch, rel, offset));
            } else if (offset === size) {
              continue; // the follower has it all
            }
          }
          for (;;) {
            const want = Math.min(COPY_CHUNK, size - offset);
            const got = want > 0 ? await readAt(fh, buf, offset, want) : 0;
            if (l.socket !== s) return;
            // a file empty at the listing is still created (a write at 0 of nothing)
            if (got === 0 && (offset > 0 || held !== undefined)) break;
            // the frame keeps its bytes until written: a copy of the chunk, not the read buffer
            const ok = this.writeAll(l, s, frames.write(epoch, rel, offset, Buffer.from(buf.subarray(0, got))));
            sent += got;
            offset += got;
            if (!ok) await new Promise((resolve) => s.once("drain", resolve));
            if (got < want || offset >= size) break;
          }
        } finally {
          await fh.close();
        }
      }
    } catch (err) {
      this.options.log.warn({ err, follower: l.member.name }, `copying the store to ${l.member.name} failed`);
      s.destroy();
      return;
    }
    if (l.socket !== s || l.state !== "copying") return;
    const queued = l.queue;
    l.queue = [];
    l.queuedBytes = 0;
    l.state = "live";
    l.caughtUpBatch = this.sealed;
    l.catchUp.lastCopyBytes = sent;
    l.catchUp.lastCopyMs = Date.now() - started;
    l.catchUp.lastDiverged = diverged;
    this.send(l, queued);
    // the copy and the queue hold every batch sealed so far (a batch sealed before the copy
    // began, still waiting for its acknowledgements, had its COMMIT sent to no one here)
    this.send(l, frames.commit(epoch, this.sealed));
    l.mark(this.sealed);
    this.updateMarks();
    this.options.log.info(
      {
        follower: l.member.name,
        files: files.size,
        bytes: sent,
        diverged,
        ms: l.catchUp.lastCopyMs,
        maxQueuedBytes: l.catchUp.maxQueuedBytes,
      },
      `caught ${l.member.name} up: ${sent} bytes of ${files.size} files copied in ${l.catchUp.lastCopyMs} ms (${diverged} diverged, at most ${l.catchUp.maxQueuedBytes} bytes queued); streaming`,
    );
  }

  private writeAll(l: FollowerLink, s: net.Socket, bufs: Buffer[]): boolean {
    let ok = true;
    for (const b of bufs) {
      ok = s.write(b) && ok;
      l.sentBytes += b.length;
    }
    return ok;
  }

  /** Stops replicating: links close, batches waiting are failed. */
  close(): void {
    this.closed = true;
    if (this.commit?.replication === this) this.commit.replication = null;
    replicateDeliveryMarks(null, this);
    this.failPending();
    for (const l of this.links) {
      if (l.timer !== null) clearTimeout(l.timer);
      l.socket?.destroy();
      l.socket = null;
      l.state = "down";
    }
  }
}

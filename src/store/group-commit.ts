/**
 * Group commit: every write made during one event-loop turn goes to disk together and is fsynced
 * once; then everyone who asked to hear about that batch is told. One batch is in flight at a time;
 * writes made meanwhile form the next batch, so batches grow with load instead of fsyncs.
 */
import type { CommitReplication } from "./tap.js";

/** Something holding buffered writes: flush() takes them synchronously, writes and fsyncs. */
export interface Flushable {
  flush(): Promise<void>;
}

/** Told once the batch it was registered in is on disk (ok) or failed to get there. */
export interface CommitWaiter {
  committed(ok: boolean): void;
}

export interface CommitStats {
  commits: number;
  /** Largest number of files fsynced by one commit. */
  maxFiles: number;
  /** Waiters told per commit, summed (divide by commits for the mean batch of confirm waiters). */
  waiters: number;
}

export class GroupCommit {
  private dirty = new Set<Flushable>();
  private waiters: CommitWaiter[] = [];
  private inFlight = false;
  private scheduled = false;
  private idle: (() => void)[] = [];
  /** The batch now accumulating; a waiter registered now hears when this batch commits. */
  batch = 1;
  readonly stats: CommitStats = { commits: 0, maxFiles: 0, waiters: 0 };
  /** Set on a cluster's leader: a batch is committed once replicated too (null on a single node). */
  replication: CommitReplication | null = null;
  /** A commit's own writes are under way (the batch may still wait for replication after them). */
  private writing = false;
  private quiet: (() => void)[] = [];
  /** Batches written here and waiting for replication; their waiters hear in batch order. */
  private unreplicated = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly onError: (err: unknown) => void = () => {},
    /** Runs first in every commit (the definitions file is written before the messages it names). */
    private readonly beforeCommit: () => void = () => {},
  ) {}

  /** Called by a file on its first buffered write of a batch. */
  markDirty(f: Flushable): void {
    this.dirty.add(f);
    this.schedule();
  }

  /** Registers a waiter for the batch now accumulating: one per publisher per batch, not per message. */
  afterCommit(w: CommitWaiter): void {
    this.waiters.push(w);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    if (this.inFlight) return;
    if (this.dirty.size === 0 && this.waiters.length === 0) return this.becameIdle();
    this.inFlight = true;
    const files = [...this.dirty];
    this.dirty.clear();
    const waiters = this.waiters;
    this.waiters = [];
    this.batch++;
    const replication = this.replication;
    this.writing = replication !== null;
    let pending: Promise<unknown>;
    try {
      this.beforeCommit();
      pending = Promise.all(files.map((f) => f.flush()));
    } catch (err) {
      pending = Promise.reject(err);
    }
    if (replication !== null) return this.replicate(replication, pending, waiters, files.length);
    pending.then(
      () => this.done(waiters, files.length, true),
      (err: unknown) => {
        this.onError(err);
        this.done(waiters, files.length, false);
      },
    );
  };

  /**
   * A leader's batch: the next batch may write as soon as this one's own writes are done (a
   * follower being down must not stop the leader's disk), but its waiters hear only once it is
   * replicated too, and batches are settled in order.
   */
  private replicate(r: CommitReplication, local: Promise<unknown>, waiters: CommitWaiter[], files: number): void {
    // every flush has taken its buffers (and told the tap) synchronously: the batch is complete
    const replicatedOk = replicated(r).then(
      () => true,
      (err: unknown) => {
        this.onError(err);
        return false;
      },
    );
    const localOk = local.then(
      () => true,
      (err: unknown) => {
        this.onError(err);
        return false;
      },
    );
    this.unreplicated++;
    void localOk.then(() => {
      this.wroteBatch();
      this.done([], files, true);
    });
    const outcome = Promise.all([localOk, replicatedOk]);
    this.tail = this.tail
      .then(() => outcome)
      .then(([a, b]) => {
        this.unreplicated--;
        this.stats.waiters += waiters.length;
        for (const w of waiters) w.committed(a && b);
        if (!this.inFlight && !this.scheduled && this.dirty.size === 0 && this.waiters.length === 0) this.becameIdle();
      });
  }

  private readonly wroteBatch = (): void => {
    this.writing = false;
    const q = this.quiet;
    this.quiet = [];
    for (const f of q) f();
  };

  /**
   * Calls `f` (now, or when the commit's writes under way complete) at a moment when no write of
   * the store is in flight: the files on disk then hold exactly what was told to the tap so far,
   * a consistent point to copy the store from. (Only a leader's commits are tracked.)
   */
  whenQuiet(f: () => void): void {
    if (this.writing) this.quiet.push(f);
    else f();
  }

  private done(waiters: CommitWaiter[], files: number, ok: boolean): void {
    this.inFlight = false;
    this.stats.commits++;
    this.stats.waiters += waiters.length;
    if (files > this.stats.maxFiles) this.stats.maxFiles = files;
    for (const w of waiters) w.committed(ok);
    if (this.dirty.size > 0 || this.waiters.length > 0) this.schedule();
    else this.becameIdle();
  }

  private becameIdle(): void {
    if (this.unreplicated > 0) return; // told when the last batch is replicated
    const idle = this.idle;
    this.idle = [];
    for (const f of idle) f();
  }

  /** Resolves once everything written so far is on disk (and replicated, on a leader). */
  drain(): Promise<void> {
    if (!this.inFlight && !this.scheduled && this.dirty.size === 0 && this.waiters.length === 0 && this.unreplicated === 0)
      return Promise.resolve();
    return new Promise((resolve) => {
      this.idle.push(resolve);
      this.schedule();
    });
  }
}

/** One promise per batch: resolves once the batch is replicated, rejects if it cannot be. */
function replicated(r: CommitReplication): Promise<void> {
  return new Promise((resolve, reject) => {
    r.seal((ok) => (ok ? resolve() : reject(new Error("the batch was not replicated to a majority of the cluster"))));
  });
}

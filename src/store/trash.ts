import fs from "node:fs";
import { basename, join } from "node:path";

/** The data dir's entry holding what is being deleted. */
export const TRASH_DIR = "trash";

let seq = 0;

/**
 * An unlink that took this long freed real extents: the next waits PAUSE_FACTOR times as long.
 * Freeing blocks goes through the filesystem's journal, which every fdatasync waits on, so a trash
 * emptied flat out still adds tens of ms to confirms; at a quarter of the disk's time it adds
 * little, and still deletes hundreds of MB a second (measured: confirm p99 at 2,000 msg/s right
 * after a 700 MB purge on a cluster, 29 ms flat out, 11 ms paced).
 */
const SLOW_CALL_MS = 1;
const PAUSE_FACTOR = 3;

type Done = (err: NodeJS.ErrnoException | null) => void;

/** The thread-pool calls the trash is emptied with (node:fs's; tests hold them). */
export interface TrashOps {
  unlink(path: string, done: Done): void;
  rmdir(path: string, done: Done): void;
  readdir(path: string, done: (err: NodeJS.ErrnoException | null, names: string[]) => void): void;
}

const FS_OPS: TrashOps = {
  unlink: (path, done) => fs.unlink(path, done),
  rmdir: (path, done) => fs.rmdir(path, done),
  readdir: (path, done) => fs.readdir(path, done),
};

/**
 * Deletes files and directories of a data dir without stalling the event loop.
 *
 * Unlinking a segment costs milliseconds of kernel time (its extents and cached pages are freed),
 * and a purge, a drained backlog or a deleted queue removes dozens of segments at once: inline,
 * that stalls every client for most of a second — and on a follower it holds back the ACKs every
 * confirm waits for. Here the path is renamed into `<dataDir>/trash` (a metadata change: the name
 * is free at once, so a file created next under it is a new file), and the trash is emptied one
 * unlink at a time on the thread pool, paced, so the pool and the disk's journal keep room for the
 * fsyncs confirms wait for.
 * What a crash leaves in the trash is emptied by the next Trash on that data dir.
 */
export class Trash {
  readonly dir: string;
  /** Paths to delete, newest last; a directory's entries are deleted before it (LIFO). */
  private readonly stack: string[] = [];
  /** Parallel to `stack`: the directory's entries were already pushed above it. */
  private readonly expanded: boolean[] = [];
  private busy = false;
  private made = false;
  private startedAt = 0;
  private idle: (() => void)[] = [];

  constructor(
    dataDir: string,
    private readonly ops: TrashOps = FS_OPS,
  ) {
    this.dir = join(dataDir, TRASH_DIR);
    let leftovers: string[] = [];
    try {
      leftovers = fs.readdirSync(this.dir);
    } catch {
      // no trash yet
    }
    for (const name of leftovers) this.push(join(this.dir, name), false);
    this.next();
  }

  /** Removes `path` (a file or a directory, if it exists) from its place now, and deletes it later. */
  discard(path: string): void {
    if (!this.made) {
      fs.mkdirSync(this.dir, { recursive: true });
      this.made = true;
    }
    const to = join(this.dir, `${process.pid}-${++seq}-${basename(path)}`);
    try {
      fs.renameSync(path, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // nothing there
      // another filesystem mounted inside the data dir (EXDEV) or the like: deleted in place
      fs.rmSync(path, { recursive: true, force: true });
      return;
    }
    this.push(to, false);
    this.next();
  }

  /** Resolves once everything discarded so far is deleted (tests; a shutdown need not wait). */
  emptied(): Promise<void> {
    if (!this.busy && this.stack.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private push(path: string, expanded: boolean): void {
    this.stack.push(path);
    this.expanded.push(expanded);
  }

  private next(): void {
    if (this.busy) return;
    const path = this.stack.pop();
    if (path === undefined) {
      const waiting = this.idle;
      this.idle = [];
      for (const w of waiting) w();
      return;
    }
    const expanded = this.expanded.pop()!;
    this.busy = true;
    this.startedAt = performance.now();
    if (expanded) {
      this.ops.rmdir(path, (err) => {
        // something appeared in it meanwhile (only a bug could do that): its entries go first
        if (err?.code === "ENOTEMPTY") this.push(path, false);
        this.done();
      });
      return;
    }
    this.ops.unlink(path, (err) => {
      if (err === null || err.code === "ENOENT") return this.done();
      // a directory (EISDIR on Linux, EPERM elsewhere): its entries first, then the directory
      this.ops.readdir(path, (rerr, names) => {
        if (rerr === null) {
          this.push(path, true);
          for (const name of names) this.push(join(path, name), false);
        }
        this.done();
      });
    });
  }

  private readonly done = (): void => {
    const took = performance.now() - this.startedAt;
    if (took >= SLOW_CALL_MS) {
      // a process with nothing else to do need not stay for the trash: the next start empties it
      setTimeout(this.resume, took * PAUSE_FACTOR).unref();
      return;
    }
    this.resume();
  };

  private readonly resume = (): void => {
    this.busy = false;
    this.next();
  };
}

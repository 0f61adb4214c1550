/**
 * A bounded cache of open file descriptors shared by every file of a store (segments, ack files,
 * delivery marks, page files), as RabbitMQ's file handle cache and LavinMQ bound theirs: a file is
 * a `FileHandle` that holds a descriptor only while it is in use or among the most recently used,
 * so a deep backlog of thousands of segments costs at most `cap` descriptors, and the process's
 * limit stays for sockets.
 *
 * A handle is pinned while a read or write uses its descriptor (the async writes of a commit pin it
 * until they complete: a closed and reused fd number must never be written). Unpinned open handles
 * sit in an LRU list; opening one more past the cap closes the least recently used. Writes (the
 * commits') wait for a descriptor when every one is pinned (`pinForWrite`), so a burst over
 * thousands of segments never holds more than the cap; a synchronous read may take the pool one
 * past it for the length of the read (its descriptor is closed as it is unpinned).
 */
import * as fs from "node:fs";

export class FileHandle {
  fd = -1;
  pins = 0;
  /** Closed for good (its file was deleted or its store closed): the descriptor goes when unpinned. */
  closed = false;
  /** LRU links: set only while open and unpinned. */
  prev: FileHandle | null = null;
  next: FileHandle | null = null;
  inLru = false;

  constructor(
    readonly pool: FilePool,
    readonly path: string,
    /** Open flags; O_TRUNC and O_EXCL apply to the first open only. */
    public flags: number,
  ) {}

  /** The descriptor, opened if need be, held until unpin(). Throws (code EMFILE…) when none can be had. */
  pin(): number {
    return this.pool.pin(this);
  }

  unpin(): void {
    this.pool.unpin(this);
  }

  /** Closes the descriptor (now, or once the reads and writes under way are done). */
  close(): void {
    this.pool.close(this);
  }
}

export interface FilePoolStats {
  /** Descriptors the pool holds now. */
  open: number;
  /** Files opened so far (first opens and reopens of evicted ones). */
  opens: number;
  /** Descriptors closed to stay under the cap. */
  evictions: number;
}

const ONCE_ONLY = fs.constants.O_TRUNC | fs.constants.O_EXCL;
const OUT_OF_FDS = new Set(["EMFILE", "ENFILE"]);

export class FilePool {
  private head: FileHandle | null = null; // least recently used
  private tail: FileHandle | null = null;
  readonly stats: FilePoolStats = { open: 0, opens: 0, evictions: 0 };
  /** Writes waiting for a descriptor to be given back (woken one per unpin). */
  private waiters: (() => void)[] = [];

  constructor(readonly cap: number) {
    if (!(cap >= 1)) throw new RangeError(`file pool cap must be at least 1, got ${cap}`);
  }

  handle(path: string, flags: number): FileHandle {
    return new FileHandle(this, path, flags);
  }

  pin(h: FileHandle): number {
    if (h.closed) throw Object.assign(new Error(`${h.path}: file is closed`), { code: "ECLOSED", path: h.path });
    if (h.fd >= 0) {
      if (h.inLru) this.unlink(h);
      h.pins++;
      return h.fd;
    }
    while (this.stats.open >= this.cap && this.evictOne());
    const fd = this.retrying(() => fs.openSync(h.path, h.flags));
    h.flags &= ~ONCE_ONLY;
    h.fd = fd;
    h.pins = 1;
    this.stats.open++;
    this.stats.opens++;
    return fd;
  }

  unpin(h: FileHandle): void {
    if (--h.pins > 0) return;
    if (h.closed || this.stats.open > this.cap) this.closeFd(h);
    else this.append(h);
    // a descriptor was closed or became evictable: one waiting write may go
    if (this.waiters.length > 0) this.waiters.shift()!();
  }

  /**
   * pin() for the commits' asynchronous writes: when the cap is reached and every descriptor is
   * pinned, waits until one is given back instead of opening past the cap. -1 if the handle was
   * closed meanwhile (its file was deleted: nothing to write).
   */
  pinForWrite(h: FileHandle): number | Promise<number> {
    if (h.closed) return -1;
    if (h.fd >= 0 || this.stats.open < this.cap || this.head !== null) return this.pin(h);
    return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.pinForWrite(h));
  }

  close(h: FileHandle): void {
    if (h.closed) return;
    h.closed = true;
    if (h.pins > 0 || h.fd < 0) return;
    this.unlink(h);
    this.closeFd(h);
  }

  /**
   * Runs `fn`, which opens a descriptor outside the pool (a directory to read or fsync, a file
   * written whole); if the process is out of descriptors, frees one of the pool's and tries again.
   */
  retrying<T>(fn: () => T): T {
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!OUT_OF_FDS.has((err as NodeJS.ErrnoException).code ?? "") || !this.evictOne()) throw err;
      }
    }
  }

  /** Closes the least recently used idle descriptor; false if there is none. */
  private evictOne(): boolean {
    const h = this.head;
    if (h === null) return false;
    this.unlink(h);
    this.closeFd(h);
    this.stats.evictions++;
    return true;
  }

  private closeFd(h: FileHandle): void {
    if (h.fd < 0) return;
    const fd = h.fd;
    h.fd = -1;
    this.stats.open--;
    fs.closeSync(fd);
  }

  private append(h: FileHandle): void {
    h.prev = this.tail;
    h.next = null;
    if (this.tail !== null) this.tail.next = h;
    else this.head = h;
    this.tail = h;
    h.inLru = true;
  }

  private unlink(h: FileHandle): void {
    if (!h.inLru) return;
    if (h.prev !== null) h.prev.next = h.next;
    else this.head = h.next;
    if (h.next !== null) h.next.prev = h.prev;
    else this.tail = h.prev;
    h.prev = h.next = null;
    h.inLru = false;
  }
}

/** The process's soft limit on open files (Linux: /proc/self/limits), or undefined where unknown. */
export function processFdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(fs.readFileSync("/proc/self/limits", "latin1"));
    if (m === null) return undefined;
    return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Share of the process's descriptor limit the store may keep open; the rest is for sockets. */
const STORE_SHARE = 0.25;
const MIN_CAP = 8;
/** More open files than this buys nothing: the LRU serves the files in use. */
const MAX_CAP = 4096;
/** Where the limit cannot be read. */
const FALLBACK_LIMIT = 1024;

/** The store's default cap: a quarter of the soft limit, between 8 and 4096. */
export function defaultFileCap(limit = processFdLimit()): number {
  return Math.max(MIN_CAP, Math.min(MAX_CAP, Math.floor((limit ?? FALLBACK_LIMIT) * STORE_SHARE)));
}

import { type MarkWaiter, settleDeliveryMarks, waitForMarks } from "../core/index.js";

/** Bytes buffered beyond which a connection's consumers lose credit until the stream drains. */
const HIGH_WATER = 1 << 20;
/** Size of the slabs small packets are encoded into (see `reserve`)... */
const SLAB_SIZE = 16 * 1024;
/** ...and the most a slab grows to for a connection whose turns write more than that. */
const MAX_SLAB_SIZE = 256 * 1024;
const NO_SLAB = Buffer.alloc(0);

/** The part of a socket or stream a BatchedWriter needs. */
export interface WritableStream {
  write(chunk: Buffer): boolean;
  end(): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  on(event: "drain", listener: () => void): unknown;
}

/** Who hears that the peer has caught up, so consumers may get credit back. */
export interface DrainListener {
  streamDrained(): void;
}

// Module-level callbacks with the writer as argument: a bound closure per writer would cost every
// connection, idle ones included, for what only a busy one uses.
function drainWriter(w: BatchedWriter): void {
  w.drained();
}

/**
 * Writers that gathered output in this turn of the event loop. They are flushed together once the
 * turn's I/O callbacks have all run (`setImmediate`), not after each callback: when a hundred
 * devices' publishes are read in one turn, their subscriber gets one write, not a hundred. The
 * list is emptied in place, so a turn allocates nothing but its one Immediate.
 */
const dueWriters: BatchedWriter[] = [];
let flushScheduled = false;
/** Reads, and their bytes, handled since the due writers were last flushed (see `readArrived`). */
let readsSinceFlush = 0;
let bytesReadSinceFlush = 0;
const MAX_READS_BEFORE_FLUSH = 64;
const MAX_BYTES_READ_BEFORE_FLUSH = 16 * 1024;

function flushDueWriters(): void {
  readsSinceFlush = 0;
  bytesReadSinceFlush = 0;
  // a writer that gathers more during the loop is appended, and flushed by this same loop
  for (let i = 0; i < dueWriters.length; i++) dueWriters[i]!.flushTurn();
  dueWriters.length = 0;
}

function endOfTurn(): void {
  flushScheduled = false;
  flushDueWriters();
}

/**
 * Called for every read from a client before it is handled (`readSocket` does, and Web-STOMP's
 * transport for each WebSocket message). A turn
 * holds output for as long as its reads take, so output already gathered goes out first when this
 * read is a large one (a fast publisher's socket is read up to 32 times in one turn, 64 KiB at a
 * time, and a consumer must not wait for all of them) or when many reads came before it.
 */
export function readArrived(bytes: number): void {
  if (dueWriters.length === 0) return;
  bytesReadSinceFlush += bytes;
  if (++readsSinceFlush >= MAX_READS_BEFORE_FLUSH || bytesReadSinceFlush >= MAX_BYTES_READ_BEFORE_FLUSH) flushDueWriters();
}

function scheduleFlush(w: BatchedWriter): void {
  dueWriters.push(w);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(endOfTurn);
  }
}

/**
 * The only thing that writes to a connection's stream, for every protocol. What one turn of the
 * event loop produces, across all the reads of that turn, is gathered and written once
 * (nats-server's deferred flush), so a burst of deliveries costs one syscall per receiver rather
 * than one per message or per read.
 */
export class BatchedWriter implements MarkWaiter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /**
   * Packets encoded in place by `reserve` go into this slab from `slabStart`; the part already
   * handed to the stream is never written again, and a full slab is replaced, not reused.
   * Allocated on first use, so an idle connection holds none.
   */
  slab: Buffer = NO_SLAB;
  private slabStart = 0;
  private slabPos = 0;
  /**
   * What the last turn wrote: a new slab is made large enough for a turn like it, so a busy
   * turn's packets are one chunk and flush writes them without concatenating slabs.
   */
  private lastTurnBytes = 0;
  /** In this turn's list of writers to flush. */
  private due = false;
  private closed = false;
  /** Milliseconds since the epoch of the last write, for heartbeat scheduling. */
  lastWrite = Date.now();
  /** The stream's 'drain' is listened to from the first write it could not take at once. */
  private watchingDrain = false;
  /**
   * Cluster mode only: turns' output waiting until the delivery marks it may carry are replicated,
   * oldest first, each with the mark sequence it waits for (0: only behind the ones before it).
   * Null whenever nothing is held, so a single node pays one null check per write.
   */
  private held: Buffer[] | null = null;
  private heldSeqs: number[] = [];
  private heldBytes = 0;
  /** end() was called while output was held: the stream ends once it is written. */
  private endAfterHeld = false;

  constructor(
    private readonly stream: WritableStream,
    private readonly listener: DrainListener,
  ) {}

  /** The peer has caught up. */
  drained(): void {
    if (!this.closed) this.listener.streamDrained();
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    if (this.slabPos > this.slabStart) this.sealSlab();
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.gathered();
  }

  /**
   * Room for `size` bytes of one packet, encoded by the caller straight into `this.slab` from the
   * returned offset: no Buffer per packet on the hot path (acks, small deliveries).
   */
  reserve(size: number): number {
    if (this.slabPos + size > this.slab.length) {
      if (this.slabPos > this.slabStart) this.sealSlab();
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, size, Math.min(MAX_SLAB_SIZE, 2 * this.lastTurnBytes)));
      this.slabStart = 0;
      this.slabPos = 0;
    }
    const at = this.slabPos;
    this.slabPos += size;
    this.bytes += size;
    if (!this.closed) this.gathered();
    return at;
  }

  private gathered(): void {
    if (!this.due) {
      this.due = true;
      scheduleFlush(this);
    }
  }

  /** The end of the turn: what every callback of it gathered goes out. */
  flushTurn(): void {
    this.due = false;
    this.flush();
  }

  /** The slab's bytes encoded since the last seal become one chunk, in order with `write`'s. */
  private sealSlab(): void {
    this.chunks.push(this.slab.subarray(this.slabStart, this.slabPos));
    this.slabStart = this.slabPos;
  }

  /** Whether output is gathered for this turn's write. */
  get pending(): boolean {
    return this.bytes > 0;
  }

  /** Whether the peer reads slower than we write: deliveries should pause. */
  get backedUp(): boolean {
    return this.stream.writableLength + this.bytes + this.heldBytes > HIGH_WATER;
  }

  flush(): void {
    if (this.slabPos > this.slabStart) this.sealSlab();
    if (this.bytes === 0 || this.closed || this.stream.destroyed) return;
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    this.lastTurnBytes = this.bytes;
    // consumers may have lost credit to the bytes gathered this turn, not to the stream
    const wasBackedUp = this.backedUp;
    this.chunks = [];
    this.bytes = 0;
    // a slab without room for a turn like this one is let go now (the next turn gets one it fits
    // in), and so is a grown one: an idle connection holds at most a small slab
    if (this.slab.length - this.slabPos < Math.max(256, this.lastTurnBytes) || this.slab.length > SLAB_SIZE) {
      this.slab = NO_SLAB;
      this.slabStart = this.slabPos = 0;
    }
    this.send(out, wasBackedUp);
  }

  /**
   * For a packet that usually travels alone (an MQTT PINGRESP): written at once when nothing is
   * gathered this turn, so an idle client's keep-alive costs no scheduled flush; otherwise in turn.
   */
  writeAlone(chunk: Buffer): void {
    if (this.due || this.bytes > 0 || this.closed || this.stream.destroyed) {
      this.write(chunk);
      return;
    }
    this.send(chunk, false);
  }

  private send(out: Buffer, wasBackedUp: boolean): void {
    // a queue's "delivered up to here" mark reaches the OS before the deliveries it covers (kill -9),
    // and on a cluster's leader every node that could lead next (a failover)
    const wait = settleDeliveryMarks();
    if (wait !== 0 || this.held !== null) return this.hold(out, wait);
    this.write0(out, wasBackedUp);
  }

  private write0(out: Buffer, wasBackedUp: boolean): void {
    this.lastWrite = Date.now();
    if (this.stream.write(out)) {
      // a write the stream takes at once emits no 'drain': give the credit back ourselves
      if (wasBackedUp) process.nextTick(drainWriter, this);
    } else if (!this.watchingDrain) {
      this.watchingDrain = true;
      this.stream.on("drain", () => this.drained());
    }
  }

  /** Cluster mode: a turn's output waits for the delivery marks sealed with it (one waiter per writer). */
  private hold(out: Buffer, wait: number): void {
    if (wait < 0) return this.lose();
    if (this.held === null) {
      this.held = [out];
      this.heldSeqs = [wait];
      this.heldBytes = out.length;
      waitForMarks(wait, this);
      return;
    }
    this.held.push(out);
    this.heldSeqs.push(wait);
    this.heldBytes += out.length;
  }

  /** MarkWaiter: writes, in order, the held output whose marks every eligible follower now holds. */
  marksReplicated(upTo: number): void {
    const held = this.held;
    if (held === null) return;
    if (upTo < 0) return this.lose();
    const seqs = this.heldSeqs;
    let n = 0;
    while (n < held.length && seqs[n]! <= upTo) n++;
    if (n === 0) return waitForMarks(seqs[0]!, this);
    const wasBackedUp = this.backedUp;
    const out = n === 1 ? held[0]! : Buffer.concat(held.slice(0, n));
    const rest = n === held.length ? null : held.slice(n);
    this.held = rest;
    this.heldSeqs = rest === null ? [] : seqs.slice(n);
    this.heldBytes -= out.length;
    if (!this.stream.destroyed) this.write0(out, wasBackedUp);
    // registered after the write: a waiter may be called back at once, and order must hold
    if (rest !== null) waitForMarks(this.heldSeqs[0]!, this);
    else if (this.endAfterHeld && !this.stream.destroyed) this.stream.end();
  }

  /**
   * The marks this output waits for will never be replicated (the leader's term is over): it must
   * not leave, and the connection cannot go on without it, so the stream ends.
   */
  private lose(): void {
    this.held = null;
    this.heldSeqs = [];
    this.heldBytes = 0;
    this.discard();
    if (!this.stream.destroyed) this.stream.end();
  }

  /** Flushes what is pending, then ends the stream (after the held output, in cluster mode). */
  end(): void {
    this.flush();
    this.closed = true;
    if (this.held !== null) this.endAfterHeld = true;
    else if (!this.stream.destroyed) this.stream.end();
  }

  /** Drops what is pending: the connection is gone. */
  discard(): void {
    this.closed = true;
    this.chunks = [];
    this.bytes = 0;
    this.slab = NO_SLAB;
    this.slabStart = this.slabPos = 0;
    this.held = null;
    this.heldSeqs = [];
    this.heldBytes = 0;
  }
}

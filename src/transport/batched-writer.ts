import { Socket } from "node:net";
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

/**
 * Whether a chunk `stream` took at once (`write()` true, nothing left in its buffer) is done with,
 * so its memory may be written again: true of a plain TCP socket, whose write went to the kernel
 * in the call (libuv keeps a buffer only for a write it could not finish). A TLS socket may hold
 * cleartext (before its handshake, for one) and a WebSocket keeps the frames it builds, so a
 * writer on anything else never reuses what it wrote.
 */
export function releasesTakenWrites(stream: WritableStream): boolean {
  return stream instanceof Socket && (stream as Socket & { encrypted?: boolean }).encrypted !== true;
}

/** Who hears that the peer has caught up, so consumers may get credit back. */
export interface DrainListener {
  streamDrained(): void;
}

// Module-level callbacks with the writer as argument: a bound closure per writer would cost every
// connection, idle ones included, for what only a busy one uses.
function flushWriter(w: BatchedWriter): void {
  w.flush();
}
function drainWriter(w: BatchedWriter): void {
  w.drained();
}

/**
 * The only thing that writes to a connection's stream, for every protocol. What one turn of the
 * event loop produces is gathered and written once (nats-server's deferred flush), so a burst of
 * deliveries costs one syscall per receiver rather than one per message.
 */
export class BatchedWriter implements MarkWaiter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /**
   * Packets encoded in place by `reserve` go into this slab from `slabStart`. A part handed to the
   * stream is not written again while the stream may still hold it (`slabLent`), and a full slab
   * is then replaced; once every part handed over was taken at once (a plain TCP socket's write
   * the kernel took in the call, see `releasesTakenWrites`), the slab is written again from its
   * start: a busy connection reuses one slab instead of touching fresh memory (page faults) every
   * turn. Allocated on first use, so an idle connection holds none.
   */
  slab: Buffer = NO_SLAB;
  private slabStart = 0;
  private slabPos = 0;
  /** A part of the slab went to the stream (or is held for it) and may not have left yet. */
  private slabLent = false;
  /** The stream is done with a chunk it took at once (fixed at construction). */
  private readonly reuses: boolean;
  /**
   * What the last turn wrote: a new slab is made large enough for a turn like it, so a busy
   * turn's packets are one chunk and flush writes them without concatenating slabs.
   */
  private lastTurnBytes = 0;
  private scheduled = false;
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
  ) {
    this.reuses = releasesTakenWrites(stream);
  }

  /** The peer has caught up. */
  drained(): void {
    if (!this.closed) this.listener.streamDrained();
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    if (this.slabPos > this.slabStart) this.sealSlab();
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(flushWriter, this);
    }
  }

  /**
   * Room for `size` bytes of one packet, encoded by the caller straight into `this.slab` from the
   * returned offset: no Buffer per packet on the hot path (acks, small deliveries).
   */
  reserve(size: number): number {
    if (this.slabPos + size > this.slab.length) {
      if (this.slabPos > this.slabStart) this.sealSlab();
      this.slab = Buffer.allocUnsafeSlow(this.nextSlabSize(size));
      this.slabStart = 0;
      this.slabPos = 0;
      this.slabLent = false;
    }
    const at = this.slabPos;
    this.slabPos += size;
    this.bytes += size;
    if (!this.scheduled && !this.closed) {
      this.scheduled = true;
      process.nextTick(flushWriter, this);
    }
    return at;
  }

  /** A new slab's size: room for a packet of `size` and for a turn twice the last one (up to a limit). */
  private nextSlabSize(size: number): number {
    return Math.max(SLAB_SIZE, size, Math.min(MAX_SLAB_SIZE, 2 * this.lastTurnBytes));
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
    this.scheduled = false;
    if (this.slabPos > this.slabStart) this.sealSlab();
    if (this.bytes === 0 || this.closed || this.stream.destroyed) return;
    const chunks = this.chunks;
    const single = chunks.length === 1;
    const out = single ? chunks[0]! : Buffer.concat(chunks, this.bytes);
    this.lastTurnBytes = this.bytes;
    // consumers may have lost credit to the bytes gathered this turn, not to the stream
    const wasBackedUp = this.backedUp;
    chunks.length = 0;
    this.bytes = 0;
    // several chunks were copied into `out`: only a lone chunk can be the slab itself
    const slabOut = single && this.slabPos > 0 && out.buffer === this.slab.buffer;
    const taken = this.send(out, wasBackedUp);
    if (slabOut && !taken) this.slabLent = true;
    const size = this.slab.length;
    if (!this.slabLent && this.slabPos > 0 && size >= this.nextSlabSize(0) && size <= Math.max(SLAB_SIZE, 4 * this.lastTurnBytes)) {
      // nothing written from the slab is held by anyone: the next turn encodes from its start, if
      // the slab is as large as a new one would be (room for a turn twice this one, so a busy turn
      // is still one chunk), and one that grew only while turns stay near its size
      this.slabStart = this.slabPos = 0;
      return;
    }
    // a slab without room for a turn like this one is let go now (the next turn gets one it fits
    // in), and so is a grown one: an idle connection holds at most a small slab
    if (this.slab.length - this.slabPos < Math.max(256, this.lastTurnBytes) || this.slab.length > SLAB_SIZE) {
      this.slab = NO_SLAB;
      this.slabStart = this.slabPos = 0;
      this.slabLent = false;
    }
  }

  /**
   * For a packet that usually travels alone (an MQTT PINGRESP): written at once when nothing is
   * gathered this turn, so an idle client's keep-alive costs no scheduled flush; otherwise in turn.
   */
  writeAlone(chunk: Buffer): void {
    if (this.scheduled || this.bytes > 0 || this.closed || this.stream.destroyed) {
      this.write(chunk);
      return;
    }
    this.send(chunk, false);
  }

  /** Writes `out` (or holds it, in cluster mode); true when the stream is done with it already. */
  private send(out: Buffer, wasBackedUp: boolean): boolean {
    // a queue's "delivered up to here" mark reaches the OS before the deliveries it covers (kill -9),
    // and on a cluster's leader every node that could lead next (a failover)
    const wait = settleDeliveryMarks();
    if (wait !== 0 || this.held !== null) {
      this.hold(out, wait);
      return false;
    }
    return this.write0(out, wasBackedUp);
  }

  /** True when the stream took `out` at once and keeps nothing of it (`releasesTakenWrites`). */
  private write0(out: Buffer, wasBackedUp: boolean): boolean {
    this.lastWrite = Date.now();
    if (this.stream.write(out)) {
      // a write the stream takes at once emits no 'drain': give the credit back ourselves
      if (wasBackedUp) process.nextTick(drainWriter, this);
      return this.reuses && this.stream.writableLength === 0;
    }
    if (!this.watchingDrain) {
      this.watchingDrain = true;
      this.stream.on("drain", () => this.drained());
    }
    return false;
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
    this.slabLent = false;
    this.held = null;
    this.heldSeqs = [];
    this.heldBytes = 0;
  }
}

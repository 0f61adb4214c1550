import type { Socket } from "node:net";

/** Bytes buffered beyond which consumers on this connection lose credit until the socket drains. */
const HIGH_WATER = 1 << 20;

/**
 * The only thing that writes to a connection's socket. Frames produced during one turn of the
 * event loop are gathered and written once (nats-server's deferred flush), so a burst of deliveries
 * costs one syscall per receiver rather than one per message.
 */
export class FrameWriter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;
  private closed = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly socket: Socket,
    private readonly onDrain: () => void,
  ) {
    socket.on("drain", () => {
      if (!this.closed) this.onDrain();
    });
  }

  write(frame: Buffer): void {
    if (this.closed) return;
    this.chunks.push(frame);
    this.bytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushBound);
    }
  }

  /** Whether the peer is reading slower than we write: deliveries should pause. */
  get backedUp(): boolean {
    return this.socket.writableLength + this.bytes > HIGH_WATER;
  }

  /** Milliseconds since the epoch of the last write, for heartbeat scheduling. */
  lastWrite = Date.now();

  flush(): void {
    this.scheduled = false;
    if (this.bytes === 0 || this.closed) return;
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    // consumers may have lost credit to the bytes gathered this turn, not to the socket
    const wasBackedUp = this.backedUp;
    this.chunks = [];
    this.bytes = 0;
    this.lastWrite = Date.now();
    // a write the socket takes at once emits no 'drain': give the credit back ourselves
    if (this.socket.write(out) && wasBackedUp) process.nextTick(this.drainedBound);
  }

  private readonly drainedBound = () => {
    if (!this.closed) this.onDrain();
  };

  /** Flushes what is pending, then half-closes. */
  end(): void {
    this.flush();
    this.closed = true;
    this.socket.end();
  }

  discard(): void {
    this.closed = true;
    this.chunks = [];
    this.bytes = 0;
  }
}

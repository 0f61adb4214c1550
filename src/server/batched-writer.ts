/** Bytes buffered beyond which a connection's consumers lose credit until the stream drains. */
const HIGH_WATER = 1 << 20;

/** The part of a socket or stream a BatchedWriter needs. */
export interface WritableStream {
  write(chunk: Buffer): boolean;
  end(): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  on(event: "drain", listener: () => void): unknown;
}

/**
 * The only thing that writes to a connection's stream, for every protocol. What one turn of the
 * event loop produces is gathered and written once (nats-server's deferred flush), so a burst of
 * deliveries costs one syscall per receiver rather than one per message.
 */
export class BatchedWriter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;
  private closed = false;
  /** Milliseconds since the epoch of the last write, for heartbeat scheduling. */
  lastWrite = Date.now();
  private readonly flushBound = () => this.flush();
  private readonly drainedBound = () => {
    if (!this.closed) this.onDrain();
  };

  constructor(
    private readonly stream: WritableStream,
    /** Called when the peer has caught up, so consumers may get credit back. */
    private readonly onDrain: () => void,
  ) {
    stream.on("drain", this.drainedBound);
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushBound);
    }
  }

  /** Whether the peer reads slower than we write: deliveries should pause. */
  get backedUp(): boolean {
    return this.stream.writableLength + this.bytes > HIGH_WATER;
  }

  flush(): void {
    this.scheduled = false;
    if (this.bytes === 0 || this.closed || this.stream.destroyed) return;
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    // consumers may have lost credit to the bytes gathered this turn, not to the stream
    const wasBackedUp = this.backedUp;
    this.chunks = [];
    this.bytes = 0;
    this.lastWrite = Date.now();
    // a write the stream takes at once emits no 'drain': give the credit back ourselves
    if (this.stream.write(out) && wasBackedUp) process.nextTick(this.drainedBound);
  }

  /** Flushes what is pending, then ends the stream. */
  end(): void {
    this.flush();
    this.closed = true;
    if (!this.stream.destroyed) this.stream.end();
  }

  /** Drops what is pending: the connection is gone. */
  discard(): void {
    this.closed = true;
    this.chunks = [];
    this.bytes = 0;
  }
}

import type { Duplex } from "node:stream";

/** Bytes buffered beyond which this connection's subscriptions lose credit until the stream drains. */
const HIGH_WATER = 1 << 20;

/**
 * The only thing that writes to an MQTT connection's stream (TCP socket or WebSocket stream).
 * Packets encoded during one event-loop turn are written together: one syscall per receiver per
 * batch rather than one per packet.
 */
export class PacketWriter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;
  private closed = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly stream: Duplex,
    onDrain: () => void,
  ) {
    stream.on("drain", () => {
      if (!this.closed) onDrain();
    });
  }

  write(packet: Buffer): void {
    if (this.closed) return;
    this.chunks.push(packet);
    this.bytes += packet.length;
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
    if (this.bytes === 0 || this.closed) return;
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    this.bytes = 0;
    if (!this.stream.destroyed) this.stream.write(out);
  }

  /** Flushes what is pending, then closes the stream. */
  end(): void {
    this.flush();
    this.closed = true;
    if (!this.stream.destroyed) this.stream.end();
  }

  discard(): void {
    this.closed = true;
    this.chunks = [];
    this.bytes = 0;
  }
}

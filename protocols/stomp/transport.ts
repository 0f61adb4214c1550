import type { Socket } from "node:net";
import { isUtf8 } from "node:buffer";
import type { WebSocket } from "ws";
import { BatchedWriter, type DrainListener, readArrived } from "../../src/transport/batched-writer.js";
import { readSocket, type SocketReads } from "../../src/transport/socket-reads.js";
import type { TlsInfo } from "../../src/core/index.js";
import { tlsInfo } from "../../src/transport/tls.js";

const EOL = Buffer.from("\n");
const NO_FRAME = Buffer.alloc(0);

/** Bytes buffered beyond which this connection's subscriptions lose credit until the peer drains. */
const HIGH_WATER = 1 << 20;

/**
 * What a STOMP connection reads from and writes to: a TCP socket or a WebSocket, so both feed the
 * same connection code. The transport alone touches the socket.
 */
export interface StompTransport {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** The listener's end, for the management API's connection listing. */
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly webSocket?: boolean;
  /** The TLS session under the transport, for the connection listing; null on plain TCP. */
  tls(): TlsInfo | null;
  /** Queues a frame; frames of one event-loop turn go out together where the transport can. */
  write(frame: Buffer): void;
  /**
   * Room for a frame of `size` bytes, encoded by the caller into `slab` from the returned offset,
   * then `commit()`: a MESSAGE costs no Buffer of its own on TCP (it goes into the turn's slab).
   */
  reserve(size: number): number;
  readonly slab: Buffer;
  /** The frame last reserved is complete. */
  commit(): void;
  /**
   * We read a segment that asked for no answer: on TCP, an EOL (a heart-beat) goes out unless
   * something else does this turn, so the client's kernel hears its segment acknowledged now.
   * Otherwise ours would delay that ACK (~40 ms) and a client writing with Nagle's algorithm
   * (stompit sends an ACK frame's headers and its NUL in two writes) would hold its next frames
   * behind it. WebSocket messages arrive whole: nothing to do.
   */
  acknowledgeRead(): void;
  readonly backedUp: boolean;
  /** Milliseconds since the epoch of the last write, for heart-beats. */
  readonly lastWrite: number;
  /** Flushes what is pending, then closes. */
  end(): void;
  destroy(): void;
  start(handlers: TransportHandlers): void;
  /** Stops reading (a resource alarm) until resume(). */
  pause(): void;
  resume(): void;
}

export interface TransportHandlers {
  data(chunk: Buffer): void;
  close(): void;
  drain(): void;
}

/** TCP: frames of one turn are written in one syscall (the shared BatchedWriter). */
export class TcpTransport implements StompTransport, DrainListener {
  private handlers: TransportHandlers | null = null;
  private reads: SocketReads | null = null;
  private readonly writer: BatchedWriter;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    this.writer = new BatchedWriter(socket, this);
  }

  streamDrained(): void {
    this.handlers?.drain();
  }

  get remoteAddress() {
    return this.socket.remoteAddress;
  }
  get remotePort() {
    return this.socket.remotePort;
  }
  get localAddress() {
    return this.socket.localAddress;
  }
  get localPort() {
    return this.socket.localPort;
  }
  get lastWrite(): number {
    return this.writer.lastWrite;
  }
  tls(): TlsInfo | null {
    return tlsInfo(this.socket);
  }

  start(h: TransportHandlers): void {
    this.handlers = h;
    this.reads = readSocket(this.socket, h.data);
    this.socket.on("error", () => undefined);
    this.socket.on("close", h.close);
  }

  write(frame: Buffer): void {
    this.writer.write(frame);
  }

  reserve(size: number): number {
    return this.writer.reserve(size);
  }

  get slab(): Buffer {
    return this.writer.slab;
  }

  commit(): void {}

  acknowledgeRead(): void {
    if (!this.writer.pending) this.writer.write(EOL);
  }

  get backedUp(): boolean {
    return this.writer.backedUp;
  }

  private ended = false;

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.writer.end();
    // a peer that never reads must not keep the socket open
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.writer.discard();
    if (!this.socket.destroyed) this.socket.destroy();
  }

  pause(): void {
    this.reads?.pause();
  }

  resume(): void {
    this.reads?.resume();
  }
}

/**
 * STOMP over WebSocket (RabbitMQ's web-stomp): one WebSocket message per frame, text when the
 * frame is UTF-8 (as browsers' stomp clients expect), binary otherwise.
 */
export class WebSocketTransport implements StompTransport {
  private closed = false;
  lastWrite = Date.now();

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    readonly localAddress?: string | undefined,
    readonly localPort?: number | undefined,
  ) {}

  readonly webSocket = true;

  tls(): TlsInfo | null {
    return tlsInfo((this.ws as unknown as { _socket?: Socket })._socket);
  }

  start(h: TransportHandlers): void {
    this.ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      // a read, as readSocket counts the TCP transport's (the shared writer's turn flush)
      readArrived(chunk.length);
      h.data(chunk);
    });
    this.ws.on("error", () => undefined);
    this.ws.on("close", h.close);
    // ws has no drain event of its own: its socket's is the one that matters
    const raw = (this.ws as unknown as { _socket?: Socket })._socket;
    raw?.on("drain", () => {
      if (!this.closed) h.drain();
    });
  }

  acknowledgeRead(): void {}

  write(frame: Buffer): void {
    if (this.closed) return;
    this.lastWrite = Date.now();
    this.ws.send(frame, { binary: !isUtf8(frame) });
  }

  /** A WebSocket message per frame: the reserved frame is a Buffer of its own, sent on commit. */
  slab: Buffer = NO_FRAME;

  reserve(size: number): number {
    this.slab = Buffer.allocUnsafe(size);
    return 0;
  }

  commit(): void {
    const frame = this.slab;
    this.slab = NO_FRAME;
    this.write(frame);
  }

  get backedUp(): boolean {
    return this.ws.bufferedAmount > HIGH_WATER;
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    if (!this.closed) this.ws.resume();
  }
}

import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { readArrived } from "./batched-writer.js";

/**
 * A connection's reads. Front-ends stop them while the broker holds a client back (a resource
 * alarm, a publish waiting for one to clear) and start them again after; `stream.pause()` would
 * not do for a socket read through the shared buffer, whose reads bypass the stream's flow state.
 */
export interface SocketReads {
  pause(): void;
  resume(): void;
}

/**
 * Hands `onData` what the client sends, each chunk a Buffer the callee owns (it may keep slices of
 * it, as message bodies, for as long as it likes), with `this` the stream as a `data` listener has.
 *
 * A plain TCP socket is read into one 64 KiB buffer that every such socket of the process shares,
 * and each read is copied out of it into a buffer of its own size (from Buffer's pool when small).
 * Node's default gives every read a fresh 64 KiB backing store that it then shrinks, a Readable
 * push, a `data` event and a `process.nextTick`; at the rates one client process drives, a read
 * carries one or two messages, so that machinery was a large part of a message's cost
 * (bench/README.md, "Reads through a shared buffer"). Node offers such reads as `onread` for
 * sockets it connects, not for the ones a server accepts, so the accepted socket is given the
 * same state `onread` would have given it. Where that state is not there to set (another Node,
 * TLS, a WebSocket's stream) the stream's `data` events are used as before.
 *
 * Either way each chunk is counted with `readArrived` before `onData` sees it, so the shared
 * writer's turn flush knows of every read without each front-end telling it.
 */
export function readSocket<S extends Duplex>(stream: S, onData: (this: S, chunk: Buffer) => void): SocketReads {
  const listener = onData as (this: Duplex, chunk: Buffer) => void;
  if (!sharedBufferReadable(stream)) return new StreamReads(stream, listener);
  return new SharedBufferReads(stream as Duplex as ReadSocket, listener);
}

/** Whether `stream` is read through the shared buffer (for tests: a Node upgrade must not silently lose it). */
export function readsThroughSharedBuffer(reads: SocketReads): boolean {
  return reads instanceof SharedBufferReads;
}

const READ_BUFFER_SIZE = 64 * 1024;
let sharedBuffer: Buffer | null = null;

/** The part of a socket's libuv handle these reads use (node's `stream_wrap`). */
interface StreamHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

/** net.Socket's own slots for `onread`'s buffer and callback (`kBuffer`, `kBufferCb`). */
interface OnreadSlots {
  buffer: symbol;
  callback: symbol;
}
/** undefined: not looked for yet; null: this Node's sockets have none. */
let slots: OnreadSlots | null | undefined;

function onreadSlots(socket: Socket): OnreadSlots | null {
  if (slots !== undefined) return slots;
  const own = Object.getOwnPropertySymbols(socket);
  const buffer = own.find((s) => s.description === "kBuffer");
  const callback = own.find((s) => s.description === "kBufferCb");
  slots = buffer !== undefined && callback !== undefined ? { buffer, callback } : null;
  return slots;
}

function sharedBufferReadable(stream: Duplex): boolean {
  if (!(stream instanceof Socket) || (stream as { encrypted?: boolean }).encrypted === true) return false;
  const handle = (stream as unknown as { _handle?: Partial<StreamHandle> | null })._handle;
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== "function") return false;
  if (typeof handle.readStart !== "function" || typeof handle.readStop !== "function") return false;
  const s = onreadSlots(stream);
  // a socket made with `onread` already has its own buffer
  return s !== null && (stream as unknown as Record<symbol, unknown>)[s.buffer] === null;
}

/** The first `data` listener of a stream read the plain way: one function for every stream. */
function countRead(chunk: Buffer): void {
  readArrived(chunk.length);
}

class StreamReads implements SocketReads {
  constructor(
    private readonly stream: Duplex,
    onData: (this: Duplex, chunk: Buffer) => void,
  ) {
    stream.on("data", countRead);
    stream.on("data", onData);
    // a `data` listener does not restart a stream paused before (the protocol sniff pauses it)
    stream.resume();
  }
  pause(): void {
    this.stream.pause();
  }
  resume(): void {
    this.stream.resume();
  }
}

/** Where the shared read callback finds a socket's reads: one function for every socket, no closure each. */
const READS = Symbol("warren.socketReads");
type ReadSocket = Socket & { [READS]: SharedBufferReads; _handle: StreamHandle | null };

/** Node calls it as the socket's method after each read into the shared buffer. */
function handOver(this: ReadSocket, n: number, buf: Buffer): boolean {
  const reads = this[READS];
  const chunk = Buffer.allocUnsafe(n);
  buf.copy(chunk, 0, 0, n);
  readArrived(n);
  reads.onData.call(this, chunk);
  // false stops the handle's reads: the callee paused
  return !reads.paused;
}

function startReads(reads: SharedBufferReads): void {
  reads.start();
}

class SharedBufferReads implements SocketReads {
  paused = false;

  constructor(
    private readonly socket: ReadSocket,
    readonly onData: (this: Duplex, chunk: Buffer) => void,
  ) {
    const own = socket as unknown as Record<symbol, unknown>;
    const s = slots!;
    socket[READS] = this;
    own[s.buffer] = sharedBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
    own[s.callback] = handOver;
    socket._handle!.useUserBuffer(sharedBuffer);
    // The stream is never put in flowing mode: its Readable would then read, and so restart the
    // handle, behind pause(). Node emits `end` at EOF without it. What it has already read is
    // handed over on the next tick, as a `data` listener would get it: not before the caller has
    // finished setting up. No read can come in between, so the order holds.
    process.nextTick(startReads, this);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    const handle = this.socket._handle;
    if (handle?.reading === true) {
      handle.reading = false;
      handle.readStop();
    }
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.start();
  }

  /** What the stream read before (a sniffed protocol header put back), then the handle's reads. */
  start(): void {
    const socket = this.socket;
    while (!this.paused && socket.readableLength > 0) {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) break;
      readArrived(chunk.length);
      this.onData.call(socket, chunk);
    }
    const handle = socket._handle;
    if (this.paused || socket.destroyed || handle === null || handle.reading) return;
    handle.reading = true;
    const err = handle.readStart();
    if (err !== 0) socket.destroy(new Error(`cannot read from the socket (${err})`));
  }
}

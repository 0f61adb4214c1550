/**
 * The replication port's wire format (docs/clustering.md, "Wire format"). The leader opens the
 * connection with an 8-byte header, then both sides send frames:
 *
 *   length u32 BE (bytes after it) | CRC-32 u32 BE (of what follows) | type u8 | epoch u64 BE | body
 *
 * Decoding checks everything (bounds, checksum, type, the body's shape, paths) before a frame is
 * handed on, so a follower never applies part of a bad frame. Errors are values naming the reason.
 */
import * as zlib from "node:zlib";

/**
 * Version 3: frames are checksummed with CRC-32 (zlib's, native) instead of version 2's CRC-32C
 * in JavaScript, which cost the leader and each follower as much again as the store's own record
 * checksums. (Version 2 added the follower's HAVE … HAVE-END for a delta catch-up.)
 */
export const PROTOCOL_HEADER = Buffer.from("WRNREPL\x03", "latin1");

/** CRC-32 (IEEE) of buf[start, end), continuing from `crc`: zlib's native one (Node ≥ 20.15). */
const frameCrc: (buf: Buffer, start: number, end: number, crc?: number) => number =
  typeof zlib.crc32 === "function" ? (buf, start, end, crc = 0) => zlib.crc32(buf.subarray(start, end), crc) : tableCrc32;

const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  CRC_TABLE[n] = c;
}

/** The same CRC-32 where zlib has none (Node 20 before 20.15). */
export function tableCrc32(buf: Buffer, start: number, end: number, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
/** Frame header after the length field: crc u32, type u8, epoch u64. */
const AFTER_LENGTH = 13;
const FRAME_HEADER = 4 + AFTER_LENGTH;
/** The leader splits larger writes into chunks of at most this (a segment flush can be megabytes). */
export const MAX_CHUNK = 4 * 1024 * 1024;
/** Longest frame accepted: a chunk plus its path and header. */
const MAX_FRAME = MAX_CHUNK + 64 * 1024;
/** A follower describes each file it holds by the hash of every chunk of this many bytes. */
export const HASH_CHUNK = 1024 * 1024;
/** Bytes of one chunk's hash (SHA-256, cut). */
export const HASH_BYTES = 16;

export const enum FrameType {
  Hello = 1,
  Welcome = 2,
  Refuse = 3,
  Have = 4,
  HaveEnd = 5,
  Reset = 10,
  Write = 11,
  Replace = 12,
  Remove = 13,
  Truncate = 14,
  Commit = 20,
  Ack = 21,
}

export type Frame =
  | { type: FrameType.Hello; epoch: number; clusterId: string; leader: string }
  | { type: FrameType.Welcome; epoch: number; node: string }
  | { type: FrameType.Refuse; epoch: number; reason: string }
  | { type: FrameType.Have; epoch: number; path: string; size: number; hashes: Buffer }
  | { type: FrameType.HaveEnd; epoch: number }
  | { type: FrameType.Reset; epoch: number }
  | { type: FrameType.Write; epoch: number; path: string; offset: number; bytes: Buffer }
  | { type: FrameType.Replace; epoch: number; path: string; bytes: Buffer }
  | { type: FrameType.Remove; epoch: number; path: string }
  | { type: FrameType.Truncate; epoch: number; path: string; length: number }
  | { type: FrameType.Commit; epoch: number; batch: number }
  | { type: FrameType.Ack; epoch: number; batch: number };

/** Input that is not the protocol: the connection is refused with `reason`. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Paths a store writes, relative to its data dir: nothing else is ever applied (no `..`, no
 * absolute path, no file the store would not write itself).
 */
const STORE_PATH =
  /^(?:warren-store\.json|definitions\.json|mqtt\/state\.json|queues\/[0-9a-f]{32}(?:\/(?:\d{10}\.(?:seg|acks)|delivered\.mark))?)$/;

export function isStorePath(path: string): boolean {
  return STORE_PATH.test(path);
}

const u64 = (b: Buffer, at: number): number => b.readUInt32BE(at) * 2 ** 32 + b.readUInt32BE(at + 4);
function putU64(b: Buffer, at: number, v: number): void {
  b.writeUInt32BE(Math.floor(v / 2 ** 32), at);
  b.writeUInt32BE(v % 2 ** 32, at + 4);
}

/**
 * Encodes one frame as the buffers to write: the header with `head` (the body's fixed part) in
 * one buffer, then `tail` (bytes shipped as they are, not copied) if any.
 */
export function encodeFrame(type: FrameType, epoch: number, head: Buffer, tail?: Buffer): Buffer[] {
  const tailLen = tail?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER + head.length);
  out.writeUInt32BE(AFTER_LENGTH + head.length + tailLen, 0);
  out[8] = type;
  putU64(out, 9, epoch);
  head.copy(out, FRAME_HEADER);
  let crc = frameCrc(out, 8, out.length);
  if (tail !== undefined && tailLen > 0) crc = frameCrc(tail, 0, tailLen, crc);
  out.writeUInt32BE(crc, 4);
  return tail === undefined || tailLen === 0 ? [out] : [out, tail];
}

function str(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

function num(v: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  putU64(b, 0, v);
  return b;
}

export const frames = {
  hello: (epoch: number, clusterId: string, leader: string) =>
    encodeFrame(FrameType.Hello, epoch, Buffer.concat([str(clusterId), str(leader)])),
  welcome: (epoch: number, node: string) => encodeFrame(FrameType.Welcome, epoch, str(node)),
  refuse: (epoch: number, reason: string) => encodeFrame(FrameType.Refuse, epoch, str(reason.slice(0, 1000))),
  have: (epoch: number, path: string, size: number, hashes: Buffer) =>
    encodeFrame(FrameType.Have, epoch, Buffer.concat([str(path), num(size)]), hashes),
  haveEnd: (epoch: number) => encodeFrame(FrameType.HaveEnd, epoch, Buffer.alloc(0)),
  reset: (epoch: number) => encodeFrame(FrameType.Reset, epoch, Buffer.alloc(0)),
  write: (epoch: number, path: string, offset: number, bytes: Buffer) =>
    encodeFrame(FrameType.Write, epoch, Buffer.concat([str(path), num(offset)]), bytes),
  replace: (epoch: number, path: string, bytes: Buffer) => encodeFrame(FrameType.Replace, epoch, str(path), bytes),
  remove: (epoch: number, path: string) => encodeFrame(FrameType.Remove, epoch, str(path)),
  truncate: (epoch: number, path: string, length: number) =>
    encodeFrame(FrameType.Truncate, epoch, Buffer.concat([str(path), num(length)])),
  commit: (epoch: number, batch: number) => encodeFrame(FrameType.Commit, epoch, num(batch)),
  ack: (epoch: number, batch: number) => encodeFrame(FrameType.Ack, epoch, num(batch)),
};

/** Reads a frame's body fields in order, failing (as a ProtocolError) on anything out of shape. */
class BodyReader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  string(what: string): string {
    if (this.at + 2 > this.b.length) throw new ProtocolError(`${what}: cut short`);
    const n = this.b.readUInt16BE(this.at);
    if (this.at + 2 + n > this.b.length) throw new ProtocolError(`${what}: cut short`);
    const s = this.b.toString("utf8", this.at + 2, this.at + 2 + n);
    this.at += 2 + n;
    return s;
  }
  path(): string {
    const p = this.string("path");
    if (!isStorePath(p)) throw new ProtocolError(`not a store path: ${JSON.stringify(p.slice(0, 200))}`);
    return p;
  }
  u64(what: string): number {
    if (this.at + 8 > this.b.length) throw new ProtocolError(`${what}: cut short`);
    const v = u64(this.b, this.at);
    if (!Number.isSafeInteger(v)) throw new ProtocolError(`${what}: out of range`);
    this.at += 8;
    return v;
  }
  rest(): Buffer {
    const r = this.b.subarray(this.at);
    this.at = this.b.length;
    return r;
  }
  end(type: string): void {
    if (this.at !== this.b.length) throw new ProtocolError(`${type}: ${this.b.length - this.at} unexpected bytes`);
  }
}

function decodeBody(type: number, epoch: number, body: Buffer): Frame {
  const r = new BodyReader(body);
  let f: Frame;
  switch (type) {
    case FrameType.Hello:
      f = { type, epoch, clusterId: r.string("cluster id"), leader: r.string("leader") };
      break;
    case FrameType.Welcome:
      f = { type, epoch, node: r.string("node") };
      break;
    case FrameType.Refuse:
      f = { type, epoch, reason: r.string("reason") };
      break;
    case FrameType.Have: {
      const path = r.path();
      const size = r.u64("size");
      const hashes = r.rest();
      if (hashes.length !== Math.ceil(size / HASH_CHUNK) * HASH_BYTES)
        throw new ProtocolError(`HAVE ${path}: ${hashes.length} hash bytes for ${size} bytes`);
      f = { type, epoch, path, size, hashes };
      break;
    }
    case FrameType.HaveEnd:
      f = { type, epoch };
      break;
    case FrameType.Reset:
      f = { type, epoch };
      break;
    case FrameType.Write:
      f = { type, epoch, path: r.path(), offset: r.u64("offset"), bytes: r.rest() };
      break;
    case FrameType.Replace:
      f = { type, epoch, path: r.path(), bytes: r.rest() };
      break;
    case FrameType.Remove:
      f = { type, epoch, path: r.path() };
      break;
    case FrameType.Truncate:
      f = { type, epoch, path: r.path(), length: r.u64("length") };
      break;
    case FrameType.Commit:
      f = { type, epoch, batch: r.u64("batch") };
      break;
    case FrameType.Ack:
      f = { type, epoch, batch: r.u64("batch") };
      break;
    default:
      throw new ProtocolError(`unknown frame type ${type}`);
  }
  r.end(`frame type ${type}`);
  return f;
}

/**
 * Slices frames out of a connection's chunks (resumable across reads). `push` returns the
 * complete frames of what arrived, or a ProtocolError for the first bad one (after which the
 * connection is to be dropped: the decoder accepts nothing more).
 */
export class FrameDecoder {
  /**
   * The start of an incomplete frame: the chunks it arrived in, joined once the frame is whole
   * (`need` bytes), not at every read (a 4 MiB frame arrives in dozens of socket reads).
   */
  private held: Buffer[] = [];
  private heldLen = 0;
  private need = 0;
  private headerSeen: boolean;
  private failed = false;

  /** `expectHeader`: the accepting side first reads the protocol header. */
  constructor(expectHeader: boolean) {
    this.headerSeen = !expectHeader;
  }

  push(chunk: Buffer): Frame[] | ProtocolError {
    if (this.failed) return new ProtocolError("input after an error");
    const out: Frame[] = [];
    let buf = chunk;
    if (this.heldLen > 0) {
      this.held.push(chunk);
      this.heldLen += chunk.length;
      if (this.heldLen < this.need) return out;
      buf = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldLen);
      this.held = [];
      this.heldLen = 0;
    }
    try {
      let at = 0;
      if (!this.headerSeen) {
        const n = Math.min(buf.length, PROTOCOL_HEADER.length);
        if (!buf.subarray(0, n).equals(PROTOCOL_HEADER.subarray(0, n)))
          throw new ProtocolError("not the Warren replication protocol (bad header)");
        if (buf.length < PROTOCOL_HEADER.length) {
          this.hold(buf, PROTOCOL_HEADER.length);
          return out;
        }
        at = PROTOCOL_HEADER.length;
        this.headerSeen = true;
      }
      let need = 4;
      while (buf.length - at >= 4) {
        const len = buf.readUInt32BE(at);
        if (len < AFTER_LENGTH || len > MAX_FRAME) throw new ProtocolError(`frame length ${len} out of bounds`);
        need = 4 + len;
        if (buf.length - at < need) break;
        const end = at + need;
        const crc = buf.readUInt32BE(at + 4);
        if (frameCrc(buf, at + 8, end) !== crc) throw new ProtocolError("frame checksum mismatch");
        const type = buf[at + 8]!;
        const epoch = u64(buf, at + 9);
        out.push(decodeBody(type, epoch, buf.subarray(at + FRAME_HEADER, end)));
        at = end;
        need = 4;
      }
      if (at < buf.length) this.hold(buf.subarray(at), need);
      return out;
    } catch (err) {
      this.failed = true;
      if (err instanceof ProtocolError) return err;
      throw err;
    }
  }

  private hold(rest: Buffer, need: number): void {
    this.held = [rest];
    this.heldLen = rest.length;
    this.need = need;
  }
}

/**
 * AMQP 0-9-1 framing (§4.2.2–§4.2.7): the protocol header, the general frame format
 *
 *   type:octet  channel:short  size:long  payload:size octets  frame-end:0xCE
 *
 * a resumable frame reader, and the content header decoder.
 */
import { CodecError, FRAME_ERROR, describeFrame, frameError } from "./errors.js";
import { EMPTY_PROPERTIES_PAYLOAD } from "./properties.js";

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
/** §4.2.3: the octet that ends every frame; anything else there is a framing error. */
export const FRAME_END = 0xce;
/** type (1) + channel (2) + size (4). */
export const FRAME_HEADER_SIZE = 7;
/** Header plus frame-end: a frame's size beyond its payload. frame-max counts these too (connection.tune). */
export const FRAME_OVERHEAD = 8;
/** §4.2.3 / connection.tune: peers must accept frames of this size, so frame-max may not go below it. */
export const FRAME_MIN_SIZE = 4096;

/** §4.2.2: what a 0-9-1 client sends first, and what we answer a header we don't speak with. */
export const PROTOCOL_HEADER: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/** §4.2.7: a heartbeat is a frame of type 8 on channel 0 with an empty payload. */
export const HEARTBEAT_FRAME: Buffer = Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END]);

// ---- protocol header ---------------------------------------------------------------------------

/**
 * What an 8-byte protocol header asks for. RabbitMQ speaks 0-9-1 to "amqp-0-9-1" and to the
 * older 0-9 header ("AMQP" 1 1 0 9, framed the same way); everything else is answered with
 * PROTOCOL_HEADER and the socket closed (§4.2.2).
 */
export type ProtocolHeaderKind =
  | "amqp-0-9-1" // AMQP 0 0 9 1
  | "amqp-0-9" // AMQP 1 1 0 9
  | "amqp-0-8" // AMQP 1 1 8 0, or 1 1 9 1 as some 0-8 clients send
  | "amqp-1.0" // AMQP 0 1 0 0, AMQP 3 1 0 0 (SASL), AMQP 2 1 0 0 (TLS)
  | "amqp-other" // "AMQP" and some other version
  | "not-amqp";

/** Classifies the 8 bytes at `offset` (the caller waits until it has them). */
export function identifyProtocolHeader(buf: Buffer, offset = 0): ProtocolHeaderKind {
  if (buf.length - offset < 8) throw new RangeError("a protocol header is 8 bytes");
  if (buf[offset] !== 0x41 || buf[offset + 1] !== 0x4d || buf[offset + 2] !== 0x51 || buf[offset + 3] !== 0x50) {
    return "not-amqp";
  }
  const version = buf.readUInt32BE(offset + 4);
  switch (version) {
    case 0x00000901:
      return "amqp-0-9-1";
    case 0x01010009:
      return "amqp-0-9";
    case 0x01010800:
    case 0x01010901:
      return "amqp-0-8";
    case 0x00010000:
    case 0x02010000:
    case 0x03010000:
      return "amqp-1.0";
    default:
      return "amqp-other";
  }
}

/** Whether the 8 bytes at `offset` are a header we speak 0-9-1 to (0-9-1 itself or 0-9). */
export function checkProtocolHeader(buf: Buffer, offset = 0): boolean {
  const kind = identifyProtocolHeader(buf, offset);
  return kind === "amqp-0-9-1" || kind === "amqp-0-9";
}

// ---- frames ------------------------------------------------------------------------------------

/** class-id, weight, body-size: what a content header holds before its property flags (§4.2.6.1). */
const CONTENT_HEADER_FIXED = 12;

/** One frame; its payload is bytes [start, end) of `buffer`. */
export interface Frame {
  readonly type: number;
  readonly channel: number;
  /** The bytes the payload lies in: the pushed chunk itself, or a frame-sized copy if it spanned chunks. */
  readonly buffer: Buffer;
  readonly start: number;
  readonly end: number;
  /** The payload as a Buffer view (no copy); made on first use, so code that passes (buffer, start, end) on never allocates it. */
  readonly payload: Buffer;
}

class ReadFrame implements Frame {
  private view: Buffer | null = null;

  constructor(
    readonly type: number,
    readonly channel: number,
    readonly buffer: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  get payload(): Buffer {
    return (this.view ??= this.buffer.subarray(this.start, this.end));
  }
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Splits a byte stream into frames, resumably (nats-server's parser): push each chunk as it is
 * read, then call next() until it returns null. A frame that lies within one chunk is returned as
 * a view of that chunk; only a frame that spans chunks is copied, once, into a buffer of exactly
 * its size. Nothing is concatenated per chunk, and no closure is made per frame.
 *
 * Errors are CodecError 501 (FRAME_ERROR), checked in RabbitMQ's order and worded as it words them:
 * a payload over frame-max as soon as the header arrives; then, once the frame is complete, a bad
 * frame-end octet; then a frame no AMQP 0-9-1 frame can be (unknown type, a method payload without
 * class and method ids, a content header without its fixed fields, a heartbeat with a payload).
 * After an error the reader is unusable; the connection closes.
 */
export class FrameReader {
  private maxFrameSize: number;
  private chunk: Buffer = NO_BYTES;
  private pos = 0;
  /** A frame being assembled across chunks: the whole frame, header to frame-end. */
  private partial: Buffer | null = null;
  private partialFill = 0;
  /** Header bytes gathered when a chunk ended inside a frame's 7-byte header. */
  private readonly headerBytes = Buffer.alloc(FRAME_HEADER_SIZE);
  private headerFill = 0;

  /**
   * @param maxFrameSize frame-max (§4.2.3): the largest frame, header and frame-end included. Like
   *   RabbitMQ, frames up to 8 bytes over it are let through, because many clients get the
   *   overhead wrong ("off by 1 or 8"); their payload may be up to frame-max bytes.
   */
  constructor(maxFrameSize: number) {
    this.maxFrameSize = FrameReader.checkLimit(maxFrameSize);
  }

  /** Applies the frame-max negotiated by connection.tune-ok to the frames read from now on. */
  setMaxFrameSize(maxFrameSize: number): void {
    this.maxFrameSize = FrameReader.checkLimit(maxFrameSize);
  }

  private static checkLimit(n: number): number {
    if (!(Number.isInteger(n) && n >= FRAME_OVERHEAD && n <= 0xffffffff)) {
      throw new RangeError(`frame size limit must be a whole number of bytes from ${FRAME_OVERHEAD} to 2^32-1, got ${n}`);
    }
    return n;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.chunk.length - this.pos + (this.partial === null ? this.headerFill : this.partialFill);
  }

  /** Adds the next chunk read from the socket. Call next() until it returns null before pushing again. */
  push(chunk: Buffer): void {
    if (this.pos < this.chunk.length) {
      // The caller stopped draining (e.g. paused for backpressure): keep the unread tail. Rare.
      this.chunk = Buffer.concat([this.chunk.subarray(this.pos), chunk]);
    } else {
      this.chunk = chunk;
    }
    this.pos = 0;
  }

  /** The next complete frame, or null when more bytes are needed. */
  next(): Frame | null {
    for (;;) {
      const chunk = this.chunk;
      const available = chunk.length - this.pos;
      if (this.partial !== null) return this.continuePartial(chunk, available);
      if (available === 0) {
        this.release();
        return null;
      }
      if (this.headerFill > 0 || available < FRAME_HEADER_SIZE) {
        // The chunk ends inside a frame header: gather it, then assemble the frame by copying
        const n = Math.min(FRAME_HEADER_SIZE - this.headerFill, available);
        chunk.copy(this.headerBytes, this.headerFill, this.pos, this.pos + n);
        this.headerFill += n;
        this.pos += n;
        if (this.headerFill < FRAME_HEADER_SIZE) {
          this.release();
          return null;
        }
        this.headerFill = 0;
        const size = this.checkHeader(this.headerBytes, 0);
        this.partial = Buffer.allocUnsafe(size + FRAME_OVERHEAD);
        this.headerBytes.copy(this.partial, 0);
        this.partialFill = FRAME_HEADER_SIZE;
        continue;
      }
      const p = this.pos;
      const size = this.checkHeader(chunk, p);
      const total = size + FRAME_OVERHEAD;
      if (available >= total) {
        // The common case: the whole frame is in this chunk, so the payload is a view of it
        const payloadEnd = p + FRAME_HEADER_SIZE + size;
        checkFrame(chunk, p, payloadEnd);
        this.pos = p + total;
        return new ReadFrame(chunk[p]!, (chunk[p + 1]! << 8) | chunk[p + 2]!, chunk, p + FRAME_HEADER_SIZE, payloadEnd);
      }
      this.partial = Buffer.allocUnsafe(total);
      chunk.copy(this.partial, 0, p, chunk.length);
      this.partialFill = available;
      this.pos = chunk.length;
      this.release();
      return null;
    }
  }

  /** Like next(), for callers that prefer a callback; `handler` is called synchronously per frame. */
  drain(handler: { onFrame(frame: Frame): void }): void {
    let frame: Frame | null;
    while ((frame = this.next()) !== null) handler.onFrame(frame);
  }

  private continuePartial(chunk: Buffer, available: number): Frame | null {
    const partial = this.partial!;
    const n = Math.min(partial.length - this.partialFill, available);
    chunk.copy(partial, this.partialFill, this.pos, this.pos + n);
    this.partialFill += n;
    this.pos += n;
    if (this.partialFill < partial.length) {
      this.release();
      return null;
    }
    this.partial = null;
    const payloadEnd = partial.length - 1;
    checkFrame(partial, 0, payloadEnd);
    return new ReadFrame(partial[0]!, (partial[1]! << 8) | partial[2]!, partial, FRAME_HEADER_SIZE, payloadEnd);
  }

  /** Drops the current chunk once it is consumed, so a returned frame's view is its only reference. */
  private release(): void {
    if (this.pos >= this.chunk.length) {
      this.chunk = NO_BYTES;
      this.pos = 0;
    }
  }

  /**
   * The payload size from the 7-byte header at `p`, refused before anything is buffered for it
   * when it is over the limit (rabbit_reader's frame_too_large, reported against frame-max - 8).
   */
  private checkHeader(buf: Buffer, p: number): number {
    const size = buf.readUInt32BE(p + 3);
    if (size > this.maxFrameSize) {
      throw new CodecError(
        FRAME_ERROR,
        `FRAME_ERROR - type ${buf[p]}, all octets = <<>>: {frame_too_large,${size},${this.maxFrameSize - FRAME_OVERHEAD}}`,
      );
    }
    return size;
  }
}

/** The complete frame at `p` whose payload ends at `payloadEnd`: frame-end octet, then type and shape. */
function checkFrame(buf: Buffer, p: number, payloadEnd: number): void {
  const type = buf[p]!;
  const end = buf[payloadEnd]!;
  if (end !== FRAME_END) {
    throw new CodecError(
      FRAME_ERROR,
      `FRAME_ERROR - ${describeFrame(type, buf.subarray(p + FRAME_HEADER_SIZE, payloadEnd))}: {invalid_frame_end_marker,${end}}`,
    );
  }
  const size = payloadEnd - p - FRAME_HEADER_SIZE;
  // rabbit_command_assembler:analyze_frame's shapes: anything else is an "unknown_frame"
  const known =
    type === FRAME_METHOD
      ? size >= 4
      : type === FRAME_BODY
        ? true
        : type === FRAME_HEADER
          ? size >= CONTENT_HEADER_FIXED
          : type === FRAME_HEARTBEAT
            ? size === 0
            : false;
  if (!known) {
    throw new CodecError(
      FRAME_ERROR,
      `FRAME_ERROR - ${describeFrame(type, buf.subarray(p + FRAME_HEADER_SIZE, payloadEnd))}: unknown_frame`,
    );
  }
}

// ---- content header ----------------------------------------------------------------------------

/** A content header frame's payload (§4.2.6.1). */
export interface ContentHeader {
  readonly classId: number;
  /** Unused, must be zero (§4.2.6.1); reported, not enforced, as RabbitMQ does. */
  readonly weight: number;
  readonly bodySize: number;
  /** Property flags and list: a view of the payload (or the shared EMPTY_PROPERTIES_PAYLOAD); copy it to keep it. */
  readonly properties: Buffer;
}

/**
 * Decodes a content header payload, bytes [start, end). Throws CodecError 501 when it is shorter
 * than class-id, weight, body-size and the property flags. 12 bytes (no flags at all) is read as no
 * properties.
 */
export function decodeContentHeader(payload: Buffer, start = 0, end = payload.length): ContentHeader {
  const length = end - start;
  if (length < CONTENT_HEADER_FIXED || length === CONTENT_HEADER_FIXED + 1) {
    throw frameError(`${describeFrame(FRAME_HEADER, payload.subarray(start, end))}: unknown_frame`);
  }
  const hi = payload.readUInt32BE(start + 4);
  // Sizes past 2^53 are not real bodies and would lose precision as numbers
  if (hi > 0x1fffff) throw frameError("content body size over 2^53 bytes");
  const bodySize = hi * 4294967296 + payload.readUInt32BE(start + 8);
  const noProperties =
    length === CONTENT_HEADER_FIXED || (length === CONTENT_HEADER_FIXED + 2 && payload[start + 12] === 0 && payload[start + 13] === 0);
  return {
    classId: payload.readUInt16BE(start),
    weight: payload.readUInt16BE(start + 2),
    bodySize,
    properties: noProperties ? EMPTY_PROPERTIES_PAYLOAD : payload.subarray(start + 12, end),
  };
}

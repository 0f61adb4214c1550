import { Amqp10Error } from "./errors.js";

/** AMQP frame type 0 (performatives) and 1 (SASL). */
export const FRAME_AMQP = 0;
export const FRAME_SASL = 1;

/** One frame: its type and channel, and the body (after the extended header) as a view of the read. */
export interface Frame {
  type: number;
  channel: number;
  /** The buffer holding the frame; `start..end` is its body (empty: a heartbeat). */
  buf: Buffer;
  start: number;
  end: number;
}

/**
 * Slices AMQP 1.0 frames (and the 8-byte protocol headers between them) out of socket chunks.
 * Frames within one chunk are views of it; only a frame split across reads is copied together.
 * Checks the size before waiting for a frame's bytes, so an absurd size is refused at once.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Frames larger than this are a framing error (our max-frame-size). */
  maxFrameSize: number;

  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
  }

  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
  }

  /** The 8-byte protocol header, or null until it is all here. */
  header(): Buffer | null {
    if (this.buf.length - this.pos < 8) return null;
    const h = this.buf.subarray(this.pos, this.pos + 8);
    this.pos += 8;
    return h;
  }

  /** The next whole frame, or null until it is all here. */
  next(): Frame | null {
    const available = this.buf.length - this.pos;
    if (available < 8) return null;
    const b = this.buf;
    const at = this.pos;
    const size = b.readUInt32BE(at);
    const doff = b[at + 4]!;
    if (size < 8) throw new Amqp10Error("amqp:connection:framing-error", `frame size ${size} is below the 8-octet minimum`);
    if (size > this.maxFrameSize) {
      throw new Amqp10Error("amqp:connection:framing-error", `frame size ${size} exceeds the negotiated maximum ${this.maxFrameSize}`);
    }
    if (doff < 2 || doff * 4 > size)
      throw new Amqp10Error("amqp:connection:framing-error", `data offset ${doff} is not valid for a frame of ${size} octets`);
    if (available < size) return null;
    this.pos = at + size;
    return { type: b[at + 5]!, channel: b.readUInt16BE(at + 6), buf: b, start: at + doff * 4, end: at + size };
  }
}

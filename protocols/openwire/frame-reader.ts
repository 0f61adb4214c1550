import { DecodeError } from "./codec/primitives.js";

/**
 * Slices size-prefixed OpenWire frames (i32 size, then that many bytes: the type octet and the
 * body) out of socket chunks, copying only a frame split across reads. The size is checked
 * against the limit before any of the frame is waited for.
 */
export class FrameReader {
  private pending: Buffer | null = null;

  constructor(public maxFrameSize: number) {}

  push(chunk: Buffer): void {
    this.pending = this.pending === null || this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** The next whole frame's bytes (type octet first), or null until more arrives. */
  next(): Buffer | null {
    const p = this.pending;
    if (p === null || p.length < 4) return null;
    const size = p.readInt32BE(0);
    if (size < 1 || size > this.maxFrameSize) {
      throw new DecodeError(`frame size of ${size} bytes is ${size < 1 ? "invalid" : `larger than the limit of ${this.maxFrameSize}`}`);
    }
    if (p.length < 4 + size) return null;
    const frame = p.subarray(4, 4 + size);
    this.pending = p.length === 4 + size ? null : p.subarray(4 + size);
    return frame;
  }
}

import { DecodeError } from "./codec/primitives.js";

/**
 * Slices size-prefixed OpenWire frames (i32 size, then that many bytes: the type octet and the
 * body) out of socket chunks. A frame inside one chunk is a view of it; the chunks of a frame
 * split across reads are kept apart and concatenated once, when the whole frame is there. The
 * size is checked against the limit before any of the frame is waited for.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** The first chunk not yet used up (no Array.shift per frame). */
  private at = 0;
  private length = 0;

  constructor(public maxFrameSize: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next whole frame's bytes (type octet first), or null until more arrives. */
  next(): Buffer | null {
    if (this.length < 4) return null;
    let head = this.chunks[this.at]!;
    if (head.length < 4) head = this.join();
    const size = head.readInt32BE(0);
    if (size < 1 || size > this.maxFrameSize) {
      throw new DecodeError(`frame size of ${size} bytes is ${size < 1 ? "invalid" : `larger than the limit of ${this.maxFrameSize}`}`);
    }
    if (this.length < 4 + size) return null;
    if (head.length < 4 + size) head = this.join();
    const frame = head.subarray(4, 4 + size);
    if (head.length > 4 + size) this.chunks[this.at] = head.subarray(4 + size);
    else if (++this.at === this.chunks.length) {
      this.chunks.length = 0;
      this.at = 0;
    }
    this.length -= 4 + size;
    return frame;
  }

  /** Everything held as one buffer (a frame split across reads). */
  private join(): Buffer {
    const all = Buffer.concat(this.at === 0 ? this.chunks : this.chunks.slice(this.at), this.length);
    this.chunks = [all];
    this.at = 0;
    return all;
  }
}

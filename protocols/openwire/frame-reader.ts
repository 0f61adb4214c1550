import { DecodeError } from "./codec/primitives.js";

/**
 * Slices size-prefixed OpenWire frames (i32 size, then that many bytes: the type octet and the
 * body) out of socket chunks. A frame inside one chunk is read where it lies (`advance`: the chunk
 * and the frame's bounds, no Buffer per frame); the chunks of a frame split across reads are kept
 * apart and concatenated once, when the whole frame is there. The size is checked against the
 * limit before any of the frame is waited for.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** The first chunk not yet used up (no Array.shift per frame), and where its unread bytes start. */
  private at = 0;
  private headPos = 0;
  private length = 0;
  /** The last frame `advance` gave: its type octet's offset and its end in the buffer returned. */
  start = 0;
  end = 0;

  constructor(public maxFrameSize: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next whole frame's bytes (type octet first), or null until more arrives. */
  next(): Buffer | null {
    const b = this.advance();
    return b === null ? null : b.subarray(this.start, this.end);
  }

  /**
   * The buffer holding the next whole frame, which is `[start, end)` of it (type octet first), or
   * null until more arrives. The buffer is the socket's chunk: what outlives the frame is copied.
   */
  advance(): Buffer | null {
    if (this.length < 4) return null;
    let head = this.chunks[this.at]!;
    if (head.length - this.headPos < 4) head = this.join();
    const size = head.readInt32BE(this.headPos);
    if (size < 1 || size > this.maxFrameSize) {
      throw new DecodeError(`frame size of ${size} bytes is ${size < 1 ? "invalid" : `larger than the limit of ${this.maxFrameSize}`}`);
    }
    if (this.length < 4 + size) return null;
    if (head.length - this.headPos < 4 + size) head = this.join();
    this.start = this.headPos + 4;
    this.end = this.start + size;
    if (head.length > this.end) this.headPos = this.end;
    else {
      this.headPos = 0;
      if (++this.at === this.chunks.length) {
        this.chunks.length = 0;
        this.at = 0;
      }
    }
    this.length -= 4 + size;
    return head;
  }

  /** Everything held as one buffer (a frame split across reads). */
  private join(): Buffer {
    const first = this.chunks[this.at]!.subarray(this.headPos);
    const rest = this.chunks.slice(this.at + 1);
    const all = Buffer.concat([first, ...rest], this.length);
    this.chunks = [all];
    this.at = 0;
    this.headPos = 0;
    return all;
  }
}

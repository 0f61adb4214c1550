import { DecodeError } from "./codec/primitives.js";

/** Used-up chunks kept at the front of the list before it is compacted. */
const COMPACT_AT = 32;

/**
 * Slices size-prefixed OpenWire frames (i32 size, then that many bytes: the type octet and the
 * body) out of socket chunks. A frame inside one chunk is read where it lies (`advance`: the chunk
 * and the frame's bounds, no Buffer per frame); a frame split across reads is copied out of its
 * chunks once, when the whole frame is there, and only its bytes (the frames after it stay where
 * they are). The size is checked against the limit before any of the frame is waited for.
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
  /** Whether that buffer is the frame's own copy (it was split across reads), not the socket's chunk. */
  owned = false;

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
   * null until more arrives. Unless `owned`, the buffer is the socket's chunk: what outlives the
   * frame is copied.
   */
  advance(): Buffer | null {
    if (this.length < 4) return null;
    const head = this.chunks[this.at]!;
    const avail = head.length - this.headPos;
    const size = avail >= 4 ? head.readInt32BE(this.headPos) : this.splitSize();
    if (size < 1 || size > this.maxFrameSize) {
      throw new DecodeError(`frame size of ${size} bytes is ${size < 1 ? "invalid" : `larger than the limit of ${this.maxFrameSize}`}`);
    }
    if (this.length < 4 + size) return null;
    this.length -= 4 + size;
    if (avail < 4 + size) {
      this.skip(4);
      const frame = Buffer.allocUnsafe(size);
      this.copyOut(frame);
      this.start = 0;
      this.end = size;
      this.owned = true;
      return frame;
    }
    this.start = this.headPos + 4;
    this.end = this.start + size;
    this.owned = false;
    if (avail > 4 + size) this.headPos = this.end;
    else this.nextChunk();
    return head;
  }

  /** The size prefix when it is split across chunks. */
  private splitSize(): number {
    let v = 0;
    let i = this.at;
    let p = this.headPos;
    for (let n = 0; n < 4; n++) {
      while (p === this.chunks[i]!.length) {
        i++;
        p = 0;
      }
      v = v * 256 + this.chunks[i]![p++]!;
    }
    return v | 0;
  }

  /** Steps over `n` held bytes. */
  private skip(n: number): void {
    while (n > 0) {
      const c = this.chunks[this.at]!;
      const k = Math.min(n, c.length - this.headPos);
      this.headPos += k;
      n -= k;
      if (this.headPos === c.length) this.nextChunk();
    }
  }

  /** Fills `out` with the next held bytes. */
  private copyOut(out: Buffer): void {
    let done = 0;
    while (done < out.length) {
      const c = this.chunks[this.at]!;
      const k = Math.min(out.length - done, c.length - this.headPos);
      c.copy(out, done, this.headPos, this.headPos + k);
      done += k;
      this.headPos += k;
      if (this.headPos === c.length) this.nextChunk();
    }
  }

  /** The first chunk is used up. */
  private nextChunk(): void {
    this.headPos = 0;
    if (++this.at === this.chunks.length) {
      this.chunks.length = 0;
      this.at = 0;
    } else if (this.at >= COMPACT_AT) {
      this.chunks = this.chunks.slice(this.at);
      this.at = 0;
    }
  }
}

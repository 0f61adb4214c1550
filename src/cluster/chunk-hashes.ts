/**
 * What a delta catch-up compares (docs/clustering.md, "Catch-up"): a file as the hash of each
 * HASH_CHUNK-byte chunk from its start. A follower sends its files' hashes; the leader hashes
 * its own bytes at the same offsets and copies a file from the first chunk that differs. Whole
 * chunks from offset 0 are compared, not just the tail: a follower's file may hold, anywhere
 * after the last point both agree on, bytes a new leader never had (written by an old leader and
 * never confirmed) or holes left by an OS crash, and a tail that happens to match proves nothing
 * about the bytes before it.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { HASH_BYTES, HASH_CHUNK } from "./protocol.js";

export function chunkHash(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest().subarray(0, HASH_BYTES);
}

/**
 * Reads [offset, offset + length) of a file into `buf` (from its start); fewer bytes when the file
 * is shorter now.
 */
export async function readAt(fh: FileHandle, buf: Buffer, offset: number, length: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** The hashes of [0, size) of an open file, chunk by chunk (the last one may be short). */
export async function fileHashes(fh: FileHandle, size: number): Promise<Buffer> {
  const n = Math.ceil(size / HASH_CHUNK);
  const out = Buffer.allocUnsafe(n * HASH_BYTES);
  const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(size, 1)));
  for (let i = 0; i < n; i++) {
    const len = Math.min(HASH_CHUNK, size - i * HASH_CHUNK);
    const got = await readAt(fh, buf, i * HASH_CHUNK, len);
    chunkHash(buf.subarray(0, got)).copy(out, i * HASH_BYTES);
  }
  return out;
}

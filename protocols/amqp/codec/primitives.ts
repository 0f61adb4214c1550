/**
 * AMQP 0-9-1 §4.2.5 primitive types shared by the method, field-table and property codecs:
 * strings and 64-bit integers. Everything here works on (buffer, offset) pairs; the callers check
 * bounds, so these never read outside what the caller already validated.
 */
import { REPLY_TEXT_MAX, replyTextBytes } from "../../../src/core/index.js";
import { isUtf8 } from "node:buffer";
import { syntaxError } from "./errors.js";

/** Buffer's native slicers; undocumented but on Buffer.prototype since Node 0.x (toString uses them). */
interface NativeSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const TWO_32 = 4294967296;

/**
 * Exchange names, routing keys and consumer tags repeat from message to message; a small direct-
 * mapped cache of recent short ASCII strings returns the same string without a native call.
 */
const INTERN_SLOTS = 1024;
const INTERN_MAX_LENGTH = 64;
const interned: string[] = new Array<string>(INTERN_SLOTS).fill("");

/**
 * Text of bytes [start, end). AMQP strings are UTF-8 (§4.2.5.3); invalid UTF-8 is a 502, because
 * decoding it with replacement characters would silently change names and keys.
 *
 * Measured on Node 20: for the ASCII names that make up nearly all traffic, an OR-scan plus the
 * latin1 slicer costs the same as Buffer#toString("utf8") (~65 ns for 5–30 bytes) while also
 * proving the bytes are valid, so validation is free on the fast path; only non-ASCII text pays
 * for isUtf8.
 */
export function readText(buf: Buffer, start: number, end: number, what: string): string {
  if (start === end) return "";
  let acc = 0;
  let hash = end - start;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    acc |= c;
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  if (acc < 0x80) {
    if (end - start > INTERN_MAX_LENGTH) return (buf as unknown as NativeSlices).latin1Slice(start, end);
    const slot = hash & (INTERN_SLOTS - 1);
    const cached = interned[slot]!;
    if (cached.length === end - start) {
      let same = true;
      for (let i = 0; i < cached.length; i++) {
        if (cached.charCodeAt(i) !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return cached;
    }
    const s = (buf as unknown as NativeSlices).latin1Slice(start, end);
    interned[slot] = s;
    return s;
  }
  if (!isUtf8(buf.subarray(start, end))) throw syntaxError(`invalid UTF-8 in ${what}`);
  return (buf as unknown as NativeSlices).utf8Slice(start, end);
}

/** UTF-8 byte length; a JS loop for ASCII (no native call), Buffer.byteLength otherwise. */
export function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, "utf8");
  }
  return n;
}

/** Short strings above this many characters are written natively rather than byte by byte. */
const SHORT_COPY_LIMIT = 40;

/** Writes `s`, whose UTF-8 length the caller computed as `byteLength`; returns the offset after it. */
export function writeText(buf: Buffer, offset: number, s: string, byteLength: number): number {
  if (byteLength === s.length && byteLength <= SHORT_COPY_LIMIT) {
    // ASCII: a byte per char. A JS loop beats the native call for the short names AMQP carries.
    for (let i = 0; i < byteLength; i++) buf[offset + i] = s.charCodeAt(i);
  } else if (byteLength > 0) {
    buf.write(s, offset, byteLength, "utf8");
  }
  return offset + byteLength;
}

/** shortstr (§4.2.5.3): one length octet, at most 255 bytes. */
export function shortStringLength(s: string, what: string): number {
  const n = utf8Length(s);
  if (n > 255) throw new RangeError(`${what} is ${n} bytes; an AMQP short string holds at most 255`);
  return n;
}

/** A reply text's shortstr length: its UTF-8 length, or 255 when RabbitMQ's cut applies (replyTextBytes). */
export function replyTextLength(s: string): number {
  const n = utf8Length(s);
  return n > REPLY_TEXT_MAX ? REPLY_TEXT_MAX : n;
}

/**
 * Writes a reply text as a shortstr of `byteLength` (from replyTextLength). A text over 255 bytes
 * is written as RabbitMQ cuts it (252 bytes and "...", src/core/reply-text.ts); only that rare
 * case allocates.
 */
export function writeReplyText(buf: Buffer, offset: number, s: string, byteLength: number): number {
  if (byteLength < REPLY_TEXT_MAX || utf8Length(s) === REPLY_TEXT_MAX) return writeShortString(buf, offset, s, byteLength);
  buf[offset] = REPLY_TEXT_MAX;
  replyTextBytes(s).copy(buf, offset + 1);
  return offset + 1 + REPLY_TEXT_MAX;
}

/** Writes a shortstr whose byte length came from shortStringLength. */
export function writeShortString(buf: Buffer, offset: number, s: string, byteLength: number): number {
  buf[offset] = byteLength;
  return writeText(buf, offset + 1, s, byteLength);
}

/**
 * An unsigned 64-bit integer as a JS number. Exact up to 2^53; beyond that (no real delivery tag,
 * body size or timestamp gets there) the nearest double.
 */
export function readUint64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * TWO_32 + buf.readUInt32BE(offset + 4);
}

/** Writes a non-negative safe integer as uint64 with two 32-bit writes (no BigInt on the hot path). */
export function writeUint64(buf: Buffer, offset: number, value: number): number {
  if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER && Math.floor(value) === value)) {
    throw new RangeError(`${value} is not an unsigned 64-bit integer JS can represent exactly`);
  }
  const hi = Math.floor(value / TWO_32);
  writeUint32(buf, offset, hi);
  writeUint32(buf, offset + 4, value - hi * TWO_32);
  return offset + 8;
}

/**
 * A uint64 exactly: a number up to 2^53 (the common case costs what readUint64 does), a bigint
 * beyond (a timestamp property may hold any 64-bit value, and must be re-sent as it came).
 */
export function readUint64Exact(buf: Buffer, offset: number): number | bigint {
  const v = readUint64(buf, offset);
  return v <= Number.MAX_SAFE_INTEGER ? v : buf.readBigUInt64BE(offset);
}

/** Writes what readUint64Exact read: a safe integer, or a bigint in 0..2^64-1 (RangeError otherwise). */
export function writeUint64Exact(buf: Buffer, offset: number, value: number | bigint): number {
  return typeof value === "bigint" ? buf.writeBigUInt64BE(value, offset) : writeUint64(buf, offset, value);
}

/**
 * Big-endian uint32 without Buffer#writeUInt32BE's argument checks (~4x faster, which counts on
 * the delivery path). Only for values the caller knows are in range.
 */
export function writeUint32(buf: Buffer, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = value >>> 16;
  buf[offset + 2] = value >>> 8;
  buf[offset + 3] = value;
}

/** Big-endian uint16, unchecked; see writeUint32. */
export function writeUint16(buf: Buffer, offset: number, value: number): void {
  buf[offset] = value >>> 8;
  buf[offset + 1] = value;
}

/**
 * AMQP field tables and arrays (§4.2.5.5) with RabbitMQ's type tags, which differ from the 0-9-1
 * spec's own table for s/u/U/l (see RabbitMQ's "AMQP 0-9-1 errata"):
 *
 *   t bool      b int8     B uint8    s int16    u uint16   I int32    i uint32   l int64
 *   f float32   d float64  D decimal (scale uint8, digits uint32)   T timestamp (uint64 seconds)
 *   S longstr (UTF-8 text)  x byte array   A array   F table   V void
 *
 * Decoded values are plain JS where the plain value re-encodes to the same tag (S I t F A V x T,
 * non-integer d) and a TypedField otherwise, so decode → encode reproduces the bytes exactly.
 * The decoder only accepts input for which that holds; it rejects with 502 the few byte sequences
 * a JS value cannot carry back: booleans other than 0/1, non-canonical NaNs, duplicate keys.
 */
import { type Decimal, type FieldTable, type FieldValue, TypedField } from "../../../src/core/index.js";
import { frameError, syntaxError } from "./errors.js";
import { readText, readUint64, utf8Length, writeText } from "./primitives.js";

/** Nesting deeper than this is refused: no real table nests past a handful, and recursion needs a bound. */
const MAX_DEPTH = 64;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_32 = 4294967296;
/** Largest timestamp (seconds) a Date holds exactly: ECMAScript's ±8.64e15 ms range. */
const MAX_DATE_SECONDS = 8.64e12;

/**
 * JS objects list integer-like keys ("0", "42") first, whatever order they were added in. When a
 * decoded table has such keys out of that order, their wire order is kept here (non-enumerable,
 * invisible to Object.keys and JSON) so re-encoding is byte-exact.
 */
const WIRE_ORDER = Symbol("amqp.fieldTable.wireOrder");

interface WithWireOrder {
  [WIRE_ORDER]?: string[];
}

// ---- decoding --------------------------------------------------------------------------------

/** Read cursor shared by the recursive decoders; decoding is synchronous and never re-entered. */
let pos = 0;

/**
 * Decodes the field table whose 4-byte length prefix starts at `offset`. `end` bounds the bytes
 * the table may use (the end of the enclosing payload); the table itself ends at
 * offset + 4 + length, which the caller reads from the prefix when it needs to continue.
 */
export function decodeTable(buf: Buffer, offset: number, end: number): FieldTable {
  if (offset + 4 > end) throw frameError("field table length runs past the end of the frame");
  const tableEnd = offset + 4 + buf.readUInt32BE(offset);
  if (tableEnd > end) throw frameError("field table runs past the end of the frame");
  return decodeTableBody(buf, offset + 4, tableEnd);
}

/**
 * Decodes the key/value pairs that exactly fill [start, end), without a length prefix — the form
 * AMQPLAIN's login response uses.
 */
export function decodeTableBody(buf: Buffer, start: number, end: number): FieldTable {
  pos = start;
  return readPairs(buf, end, 0);
}

function readPairs(buf: Buffer, end: number, depth: number): FieldTable {
  const table: FieldTable = {};
  if (pos === end) return table;
  if (depth > MAX_DEPTH) throw syntaxError(`field tables nested deeper than ${MAX_DEPTH}`);
  let order: string[] | null = null;
  while (pos < end) {
    const keyLength = buf[pos]!;
    const keyStart = pos + 1;
    const keyEnd = keyStart + keyLength;
    if (keyEnd >= end) throw frameError("field table entry runs past the end of its table");
    const key = readText(buf, keyStart, keyEnd, "field table key");
    pos = keyEnd;
    const value = readValue(buf, end, depth);
    if (Object.hasOwn(table, key)) throw syntaxError(`duplicate key '${key}' in field table`);
    // Before inserting the first integer-like key every key is a string key, so Object.keys
    // still lists them in wire order
    if (order === null && isArrayIndex(key)) order = Object.keys(table);
    if (key === "__proto__") {
      // Plain assignment would set the prototype instead of adding a key
      Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      table[key] = value;
    }
    if (order !== null) order.push(key);
  }
  if (order !== null && !sameKeys(Object.keys(table), order)) {
    Object.defineProperty(table, WIRE_ORDER, { value: order, enumerable: false });
  }
  return table;
}

function readArray(buf: Buffer, end: number, depth: number): FieldValue[] {
  const values: FieldValue[] = [];
  if (pos === end) return values;
  if (depth > MAX_DEPTH) throw syntaxError(`field arrays nested deeper than ${MAX_DEPTH}`);
  while (pos < end) values.push(readValue(buf, end, depth));
  return values;
}

function need(n: number, end: number): void {
  if (pos + n > end) throw frameError("field value runs past the end of its table");
}

/** Reads one tagged value at `pos` that must fit before `end`. */
function readValue(buf: Buffer, end: number, depth: number): FieldValue {
  need(1, end);
  const tag = buf[pos++]!;
  const p = pos;
  switch (tag) {
    case 0x53: {
      // S longstr
      need(4, end);
      const start = p + 4;
      const stop = start + buf.readUInt32BE(p);
      if (stop > end) throw frameError("long string runs past the end of its table");
      pos = stop;
      return readText(buf, start, stop, "long string field");
    }
    case 0x49: // I int32
      need(4, end);
      pos = p + 4;
      return buf.readInt32BE(p);
    case 0x74: {
      // t boolean
      need(1, end);
      const b = buf[p]!;
      if (b > 1) throw syntaxError(`boolean field value ${b} (must be 0 or 1)`);
      pos = p + 1;
      return b === 1;
    }
    case 0x46: {
      // F table
      need(4, end);
      const stop = p + 4 + buf.readUInt32BE(p);
      if (stop > end) throw frameError("nested field table runs past the end of its table");
      pos = p + 4;
      return readPairs(buf, stop, depth + 1);
    }
    case 0x41: {
      // A array
      need(4, end);
      const stop = p + 4 + buf.readUInt32BE(p);
      if (stop > end) throw frameError("field array runs past the end of its table");
      pos = p + 4;
      return readArray(buf, stop, depth + 1);
    }
    case 0x56: // V void
      return null;
    case 0x78: {
      // x byte array
      need(4, end);
      const start = p + 4;
      const stop = start + buf.readUInt32BE(p);
      if (stop > end) throw frameError("byte array runs past the end of its table");
      pos = stop;
      // A copy: decoded headers can outlive the frame whose read buffer they came from
      return Buffer.from(buf.subarray(start, stop));
    }
    case 0x6c: {
      // l int64
      need(8, end);
      pos = p + 8;
      const hi = buf.readInt32BE(p);
      const v = hi * TWO_32 + buf.readUInt32BE(p + 4);
      return new TypedField("l", Number.isSafeInteger(v) ? v : buf.readBigInt64BE(p));
    }
    case 0x64: {
      // d float64
      need(8, end);
      pos = p + 8;
      const v = buf.readDoubleBE(p);
      if (v !== v && !(buf.readUInt32BE(p) === 0x7ff80000 && buf.readUInt32BE(p + 4) === 0)) {
        throw syntaxError("non-canonical NaN in double field");
      }
      // An integer-valued double would come back as I or l from a plain number
      return Number.isInteger(v) ? new TypedField("d", v) : v;
    }
    case 0x54: {
      // T timestamp, uint64 seconds
      need(8, end);
      pos = p + 8;
      const seconds = readUint64(buf, p);
      if (seconds <= MAX_DATE_SECONDS) return new Date(seconds * 1000);
      return new TypedField("T", Number.isSafeInteger(seconds) ? seconds : buf.readBigUInt64BE(p));
    }
    case 0x62: // b int8
      need(1, end);
      pos = p + 1;
      return new TypedField("b", buf.readInt8(p));
    case 0x42: // B uint8
      need(1, end);
      pos = p + 1;
      return new TypedField("B", buf[p]!);
    case 0x73: // s int16
      need(2, end);
      pos = p + 2;
      return new TypedField("s", buf.readInt16BE(p));
    case 0x75: // u uint16
      need(2, end);
      pos = p + 2;
      return new TypedField("u", buf.readUInt16BE(p));
    case 0x69: // i uint32 (RabbitMQ: unsignedint)
      need(4, end);
      pos = p + 4;
      return new TypedField("i", buf.readUInt32BE(p));
    case 0x66: {
      // f float32
      need(4, end);
      pos = p + 4;
      const bits = buf.readUInt32BE(p);
      if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0 && bits !== 0x7fc00000) {
        throw syntaxError("non-canonical NaN in float field");
      }
      return new TypedField("f", buf.readFloatBE(p));
    }
    case 0x44: {
      // D decimal: scale octet, digits uint32 (RabbitMQ: unsigned)
      need(5, end);
      pos = p + 5;
      const decimal: Decimal = { scale: buf[p]!, digits: buf.readUInt32BE(p + 1) };
      return new TypedField("D", decimal);
    }
    default:
      throw syntaxError(`unknown field type 0x${tag.toString(16).padStart(2, "0")}`);
  }
}

function isArrayIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c < 0x30 || c > 0x39) return false;
  const n = Number(key);
  return n < 4294967295 && String(n) === key;
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- encoding --------------------------------------------------------------------------------

/** Encoded size of `table` including its 4-byte length prefix. */
export function tableSize(table: FieldTable): number {
  return 4 + pairsSize(table, 0);
}

/** Writes `table` with its length prefix at `offset` (room for tableSize bytes); returns the offset after it. */
export function encodeTable(buf: Buffer, offset: number, table: FieldTable): number {
  const start = offset + 4;
  const stop = writePairs(buf, start, table, 0);
  buf.writeUInt32BE(stop - start, offset);
  return stop;
}

/** A table encoded on its own, with its length prefix. */
export function encodeTableToBuffer(table: FieldTable): Buffer {
  const buf = Buffer.allocUnsafe(tableSize(table));
  encodeTable(buf, 0, table);
  return buf;
}

function keysOf(table: FieldTable): string[] {
  const keys = Object.keys(table);
  const order = (table as WithWireOrder)[WIRE_ORDER];
  if (order === undefined || order.length !== keys.length) return keys;
  for (const k of order) if (!Object.hasOwn(table, k)) return keys;
  return order;
}

function checkDepth(depth: number): void {
  if (depth > MAX_DEPTH) throw new RangeError(`field table nested deeper than ${MAX_DEPTH} (a cycle?)`);
}

function pairsSize(table: FieldTable, depth: number): number {
  checkDepth(depth);
  let size = 0;
  for (const key of keysOf(table)) {
    const keyLength = utf8Length(key);
    if (keyLength > 255) throw new RangeError(`field table key '${key.slice(0, 40)}…' is over 255 bytes`);
    size += 1 + keyLength + valueSize(table[key], depth);
  }
  return size;
}

function writePairs(buf: Buffer, offset: number, table: FieldTable, depth: number): number {
  for (const key of keysOf(table)) {
    const keyLength = utf8Length(key);
    buf[offset] = keyLength;
    offset = writeText(buf, offset + 1, key, keyLength);
    offset = writeValue(buf, offset, table[key], depth);
  }
  return offset;
}

/**
 * The tag a value encodes with: the TypedField's own, or for plain values string→S,
 * int32→I, other safe integer→l, other number→d, boolean→t, bytes→x, Date→T, null/undefined→V,
 * array→A, object→F.
 */
function tagOf(v: FieldValue | undefined): number {
  switch (typeof v) {
    case "string":
      return 0x53;
    case "number":
      if (Number.isInteger(v)) {
        if (v >= INT32_MIN && v <= INT32_MAX) return 0x49;
        if (Number.isSafeInteger(v)) return 0x6c;
      }
      return 0x64;
    case "boolean":
      return 0x74;
    case "undefined":
      return 0x56;
    case "bigint":
      return 0x6c;
    default:
      if (v === null) return 0x56;
      if (v instanceof TypedField) return v.type.charCodeAt(0);
      if (v instanceof Uint8Array) return 0x78;
      if (v instanceof Date) return 0x54;
      if (Array.isArray(v)) return 0x41;
      if (typeof v === "object") return 0x46;
      throw new TypeError(`cannot encode a ${typeof v} in a field table`);
  }
}

function valueSize(v: FieldValue | undefined, depth: number): number {
  const tag = tagOf(v);
  switch (tag) {
    case 0x53:
      return 5 + utf8Length(v as string);
    case 0x78:
      return 5 + (v as Uint8Array).length;
    case 0x41: {
      checkDepth(depth + 1);
      let size = 5;
      for (const item of v as FieldValue[]) size += valueSize(item, depth + 1);
      return size;
    }
    case 0x46:
      return 5 + pairsSize(v as FieldTable, depth + 1);
    default:
      return 1 + FIXED_SIZE[tag]!;
  }
}

/** Payload bytes of the fixed-size tags. */
const FIXED_SIZE: Record<number, number> = {
  0x74: 1,
  0x62: 1,
  0x42: 1,
  0x73: 2,
  0x75: 2,
  0x49: 4,
  0x69: 4,
  0x6c: 8,
  0x66: 4,
  0x64: 8,
  0x44: 5,
  0x54: 8,
  0x56: 0,
};

function writeValue(buf: Buffer, offset: number, v: FieldValue | undefined, depth: number): number {
  const tag = tagOf(v);
  buf[offset++] = tag;
  const raw = v instanceof TypedField ? v.value : v;
  switch (tag) {
    case 0x53: {
      const s = v as string;
      const n = utf8Length(s);
      buf.writeUInt32BE(n, offset);
      return writeText(buf, offset + 4, s, n);
    }
    case 0x49:
      return buf.writeInt32BE(asNumber(raw), offset);
    case 0x74:
      buf[offset] = v ? 1 : 0;
      return offset + 1;
    case 0x56:
      return offset;
    case 0x78: {
      const bytes = v as Uint8Array;
      buf.writeUInt32BE(bytes.length, offset);
      buf.set(bytes, offset + 4);
      return offset + 4 + bytes.length;
    }
    case 0x41: {
      const start = offset + 4;
      let p = start;
      for (const item of v as FieldValue[]) p = writeValue(buf, p, item, depth + 1);
      buf.writeUInt32BE(p - start, offset);
      return p;
    }
    case 0x46: {
      const start = offset + 4;
      const p = writePairs(buf, start, v as FieldTable, depth + 1);
      buf.writeUInt32BE(p - start, offset);
      return p;
    }
    case 0x64:
      return buf.writeDoubleBE(asNumber(raw), offset);
    case 0x6c:
      return writeInt64(buf, offset, raw);
    case 0x54:
      return writeTimestamp(buf, offset, raw);
    case 0x62:
      return buf.writeInt8(asNumber(raw), offset);
    case 0x42:
      return buf.writeUInt8(asNumber(raw), offset);
    case 0x73:
      return buf.writeInt16BE(asNumber(raw), offset);
    case 0x75:
      return buf.writeUInt16BE(asNumber(raw), offset);
    case 0x69:
      return buf.writeUInt32BE(asNumber(raw), offset);
    case 0x66:
      return buf.writeFloatBE(asNumber(raw), offset);
    case 0x44: {
      const d = raw as Decimal;
      buf.writeUInt8(d.scale, offset);
      return buf.writeUInt32BE(d.digits, offset + 1);
    }
    default:
      throw new TypeError(`unknown field type tag '${String.fromCharCode(tag)}'`);
  }
}

function asNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new TypeError(`expected a number in a typed field, got ${typeof v}`);
}

function writeInt64(buf: Buffer, offset: number, v: unknown): number {
  if (typeof v === "bigint") return buf.writeBigInt64BE(v, offset);
  const n = asNumber(v);
  if (!Number.isSafeInteger(n)) return buf.writeBigInt64BE(BigInt(n), offset);
  const hi = Math.floor(n / TWO_32);
  buf.writeInt32BE(hi, offset);
  return buf.writeUInt32BE(n - hi * TWO_32, offset + 4);
}

function writeTimestamp(buf: Buffer, offset: number, v: unknown): number {
  if (typeof v === "bigint") return buf.writeBigUInt64BE(v, offset);
  const seconds = v instanceof Date ? Math.floor(v.getTime() / 1000) : asNumber(v);
  if (!(seconds >= 0 && Number.isSafeInteger(seconds))) {
    throw new RangeError(`timestamp ${String(v)} is not a non-negative whole number of seconds`);
  }
  const hi = Math.floor(seconds / TWO_32);
  buf.writeUInt32BE(hi, offset);
  return buf.writeUInt32BE(seconds - hi * TWO_32, offset + 4);
}

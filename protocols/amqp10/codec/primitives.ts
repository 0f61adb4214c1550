/**
 * AMQP 1.0's primitive type system (part 1 of the spec), written by hand because it is the hot
 * path: values are read in place from the frame buffer through a `Cursor` (a binary or a message
 * section is a view of that buffer, never a copy) and written into a growable `Writer`. Every read
 * is bounds-checked against the cursor's end; bad input is a `DecodeError` (amqp:decode-error),
 * never an exception of another kind. The composite types built from these are generated
 * (types.generated.ts).
 */

/** A value whose type a plain JavaScript value cannot say (ubyte, ulong, float, timestamp…). */
export type AmqpTypeName =
  | "ubyte"
  | "ushort"
  | "uint"
  | "ulong"
  | "byte"
  | "short"
  | "float"
  | "double"
  | "timestamp"
  | "char"
  | "uuid"
  | "decimal32"
  | "decimal64"
  | "decimal128";

export class Typed {
  constructor(
    readonly type: AmqpTypeName,
    /** A number for the numeric types (timestamp: ms since the epoch), bigint for ulong, Buffer for uuid and decimals. */
    readonly value: number | bigint | Buffer,
  ) {}
}

/** An AMQP symbol (ASCII), told apart from a string. */
export class Sym {
  constructor(readonly name: string) {}
}

export class Described {
  constructor(
    readonly descriptor: AmqpValue,
    readonly value: AmqpValue,
  ) {}
}

/** An AMQP map: ordered pairs (keys may be of any type; lookups by string match string and symbol keys). */
export class AmqpMap {
  constructor(readonly entries: Array<[AmqpValue, AmqpValue]> = []) {}

  get(key: string): AmqpValue | undefined {
    for (const [k, v] of this.entries) {
      if (k === key || (k instanceof Sym && k.name === key)) return v;
    }
    return undefined;
  }

  get size(): number {
    return this.entries.length;
  }
}

/**
 * Any AMQP value: null, boolean, int (number), long (bigint), string, binary (Buffer), symbol
 * (Sym), the other numeric and fixed types (Typed), described values, maps and lists/arrays.
 * A JavaScript number that is not an int-sized integer is written as a double.
 */
export type AmqpValue = null | boolean | number | bigint | string | Buffer | Sym | Typed | Described | AmqpMap | AmqpValue[];

/** Input the codec cannot read: the connection closes with amqp:decode-error. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  readonly condition = "amqp:decode-error";
}

export function missingField(type: string, field: string): DecodeError {
  return new DecodeError(`${type}: mandatory field ${field} is missing`);
}
export function wrongDescriptor(expected: string, code: number): DecodeError {
  return new DecodeError(`expected a ${expected}, got descriptor ${code < 0 ? "(unknown symbol)" : `0x${code.toString(16)}`}`);
}
export function notDescribed(): DecodeError {
  return new DecodeError("expected a described type");
}

/** A read position in a buffer, bounded by `end`. `mark` carries a list's end out of `openList`. */
export class Cursor {
  mark = 0;
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
  ) {}
}

function need(c: Cursor, n: number): void {
  if (c.pos + n > c.end) throw new DecodeError("value runs past the end of its frame");
}

function constructorByte(c: Cursor): number {
  need(c, 1);
  return c.buf[c.pos++]!;
}

function wrong(expected: string, code: number): DecodeError {
  return new DecodeError(`expected ${expected}, got format code 0x${code.toString(16)}`);
}

/** Reads a variable-width value's size field (1 or 4 octets) and checks the value fits. */
function variable(c: Cursor, wide: boolean): number {
  let size: number;
  if (wide) {
    need(c, 4);
    size = c.buf.readUInt32BE(c.pos);
    c.pos += 4;
  } else {
    need(c, 1);
    size = c.buf[c.pos++]!;
  }
  need(c, size);
  return size;
}

// ---- typed readers: null gives undefined, another type is a decode error ----------------------

export function readBoolean(c: Cursor): boolean | undefined {
  const code = constructorByte(c);
  switch (code) {
    case 0x40:
      return undefined;
    case 0x41:
      return true;
    case 0x42:
      return false;
    case 0x56: {
      need(c, 1);
      const b = c.buf[c.pos++]!;
      if (b > 1) throw new DecodeError(`boolean octet ${b}`);
      return b === 1;
    }
    default:
      throw wrong("boolean", code);
  }
}

export function readUbyte(c: Cursor): number | undefined {
  const code = constructorByte(c);
  if (code === 0x40) return undefined;
  if (code !== 0x50) throw wrong("ubyte", code);
  need(c, 1);
  return c.buf[c.pos++]!;
}

export function readUshort(c: Cursor): number | undefined {
  const code = constructorByte(c);
  if (code === 0x40) return undefined;
  if (code !== 0x60) throw wrong("ushort", code);
  need(c, 2);
  const v = c.buf.readUInt16BE(c.pos);
  c.pos += 2;
  return v;
}

export function readUint(c: Cursor): number | undefined {
  const code = constructorByte(c);
  switch (code) {
    case 0x40:
      return undefined;
    case 0x43:
      return 0;
    case 0x52:
      need(c, 1);
      return c.buf[c.pos++]!;
    case 0x70: {
      need(c, 4);
      const v = c.buf.readUInt32BE(c.pos);
      c.pos += 4;
      return v;
    }
    default:
      throw wrong("uint", code);
  }
}

/** A ulong as a number (exact up to 2^53; the fields of this type are sizes and offsets). */
export function readUlong(c: Cursor): number | undefined {
  const code = constructorByte(c);
  switch (code) {
    case 0x40:
      return undefined;
    case 0x44:
      return 0;
    case 0x53:
      need(c, 1);
      return c.buf[c.pos++]!;
    case 0x80: {
      need(c, 8);
      const v = c.buf.readUInt32BE(c.pos) * 0x1_0000_0000 + c.buf.readUInt32BE(c.pos + 4);
      c.pos += 8;
      return v;
    }
    default:
      throw wrong("ulong", code);
  }
}

export function readTimestamp(c: Cursor): number | undefined {
  const code = constructorByte(c);
  if (code === 0x40) return undefined;
  if (code !== 0x83) throw wrong("timestamp", code);
  need(c, 8);
  const v = Number(c.buf.readBigInt64BE(c.pos));
  c.pos += 8;
  return v;
}

/** A binary as a view of the frame buffer (no copy). */
export function readBinary(c: Cursor): Buffer | undefined {
  const code = constructorByte(c);
  if (code === 0x40) return undefined;
  if (code !== 0xa0 && code !== 0xb0) throw wrong("binary", code);
  const size = variable(c, code === 0xb0);
  const v = c.buf.subarray(c.pos, c.pos + size);
  c.pos += size;
  return v;
}

export function readString(c: Cursor): string | undefined {
  const code = constructorByte(c);
  if (code === 0x40) return undefined;
  if (code !== 0xa1 && code !== 0xb1) throw wrong("string", code);
  const size = variable(c, code === 0xb1);
  const v = c.buf.toString("utf8", c.pos, c.pos + size);
  c.pos += size;
  return v;
}

export function readSymbol(c: Cursor): string | undefined {
  const code = constructorByte(c);
  if (code === 0x40) return undefined;
  if (code !== 0xa3 && code !== 0xb3) throw wrong("symbol", code);
  const size = variable(c, code === 0xb3);
  const v = c.buf.toString("latin1", c.pos, c.pos + size);
  c.pos += size;
  return v;
}

/** A `multiple="true"` symbol field: one symbol or an array of them. */
export function readSymbols(c: Cursor): string[] | undefined {
  need(c, 1);
  const code = c.buf[c.pos]!;
  if (code === 0x40) {
    c.pos++;
    return undefined;
  }
  if (code === 0xa3 || code === 0xb3) return [readSymbol(c)!];
  const v = readAny(c);
  if (!Array.isArray(v)) throw wrong("symbols", code);
  const out: string[] = [];
  for (const s of v) {
    if (!(s instanceof Sym)) throw new DecodeError("expected an array of symbols");
    out.push(s.name);
  }
  return out;
}

export function readMap(c: Cursor): AmqpMap | undefined {
  need(c, 1);
  const code = c.buf[c.pos]!;
  if (code === 0x40) {
    c.pos++;
    return undefined;
  }
  if (code !== 0xc1 && code !== 0xd1) throw wrong("map", code);
  return readAny(c) as AmqpMap;
}

export function readList(c: Cursor): AmqpValue[] | undefined {
  need(c, 1);
  const code = c.buf[c.pos]!;
  if (code === 0x40) {
    c.pos++;
    return undefined;
  }
  const v = readAny(c);
  if (!Array.isArray(v)) throw wrong("list", code);
  return v;
}

/** null (→ true) or the start of a described value (→ false, the cursor at the descriptor). */
export function readNullOrDescribed(c: Cursor): boolean {
  const code = constructorByte(c);
  if (code === 0x40) return true;
  if (code === 0x00) return false;
  throw wrong("a described type", code);
}

/** A descriptor: a ulong code (as a number) or a symbol. */
export function readDescriptor(c: Cursor): number | string {
  const code = constructorByte(c);
  switch (code) {
    case 0x44:
      return 0;
    case 0x53:
      need(c, 1);
      return c.buf[c.pos++]!;
    case 0x80: {
      need(c, 8);
      const hi = c.buf.readUInt32BE(c.pos);
      const lo = c.buf.readUInt32BE(c.pos + 4);
      c.pos += 8;
      // domain ids other than 0 (amqp's) are none of ours: -1 matches no known descriptor
      return hi === 0 ? lo : -1;
    }
    case 0xa3:
    case 0xb3: {
      const size = variable(c, code === 0xb3);
      const v = c.buf.toString("latin1", c.pos, c.pos + size);
      c.pos += size;
      return v;
    }
    default:
      throw wrong("a descriptor", code);
  }
}

/** Opens a list: gives its count and leaves its end in `c.mark` (checked by `closeList`). */
export function openList(c: Cursor): number {
  const code = constructorByte(c);
  let size: number;
  let count: number;
  switch (code) {
    case 0x45:
      c.mark = c.pos;
      return 0;
    case 0xc0:
      need(c, 2);
      size = c.buf[c.pos]!;
      count = c.buf[c.pos + 1]!;
      c.pos += 1;
      break;
    case 0xd0:
      need(c, 8);
      size = c.buf.readUInt32BE(c.pos);
      count = c.buf.readUInt32BE(c.pos + 4);
      c.pos += 4;
      break;
    default:
      throw wrong("list", code);
  }
  need(c, size);
  // every element takes at least one octet: a count beyond the size is a lie
  if (count > size) throw new DecodeError(`list of ${count} elements in ${size} octets`);
  c.mark = c.pos + size;
  c.pos += code === 0xc0 ? 1 : 4;
  return count;
}

export function closeList(c: Cursor, end: number): void {
  if (c.pos !== end) throw new DecodeError("list size does not match its elements");
}

export function skipValues(c: Cursor, n: number): void {
  for (let i = 0; i < n; i++) readAny(c);
}

// ---- any value ----------------------------------------------------------------------------

/** Reads any value. Depth is bounded so hostile nesting cannot exhaust the stack. */
export function readAny(c: Cursor, depth = 0): AmqpValue {
  if (depth > 64) throw new DecodeError("values nested too deeply");
  const code = constructorByte(c);
  return readWithCode(c, code, depth);
}

function fixed(c: Cursor, n: number): number {
  need(c, n);
  const at = c.pos;
  c.pos += n;
  return at;
}

function readWithCode(c: Cursor, code: number, depth: number): AmqpValue {
  const b = c.buf;
  switch (code) {
    case 0x00: {
      const descriptor = readAny(c, depth + 1);
      return new Described(descriptor, readAny(c, depth + 1));
    }
    case 0x40:
      return null;
    case 0x41:
      return true;
    case 0x42:
      return false;
    case 0x56: {
      const v = b[fixed(c, 1)]!;
      if (v > 1) throw new DecodeError(`boolean octet ${v}`);
      return v === 1;
    }
    case 0x50:
      return new Typed("ubyte", b[fixed(c, 1)]!);
    case 0x51:
      return new Typed("byte", b.readInt8(fixed(c, 1)));
    case 0x60:
      return new Typed("ushort", b.readUInt16BE(fixed(c, 2)));
    case 0x61:
      return new Typed("short", b.readInt16BE(fixed(c, 2)));
    case 0x43:
      return new Typed("uint", 0);
    case 0x52:
      return new Typed("uint", b[fixed(c, 1)]!);
    case 0x70:
      return new Typed("uint", b.readUInt32BE(fixed(c, 4)));
    case 0x54:
      return b.readInt8(fixed(c, 1));
    case 0x71:
      return b.readInt32BE(fixed(c, 4));
    case 0x44:
      return new Typed("ulong", 0n);
    case 0x53:
      return new Typed("ulong", BigInt(b[fixed(c, 1)]!));
    case 0x80:
      return new Typed("ulong", b.readBigUInt64BE(fixed(c, 8)));
    case 0x55:
      return BigInt(b.readInt8(fixed(c, 1)));
    case 0x81:
      return b.readBigInt64BE(fixed(c, 8));
    case 0x72:
      return new Typed("float", b.readFloatBE(fixed(c, 4)));
    case 0x82:
      return new Typed("double", b.readDoubleBE(fixed(c, 8)));
    case 0x73:
      return new Typed("char", b.readUInt32BE(fixed(c, 4)));
    case 0x83:
      return new Typed("timestamp", Number(b.readBigInt64BE(fixed(c, 8))));
    case 0x98: {
      const at = fixed(c, 16);
      return new Typed("uuid", b.subarray(at, at + 16));
    }
    case 0x74: {
      const at = fixed(c, 4);
      return new Typed("decimal32", b.subarray(at, at + 4));
    }
    case 0x84: {
      const at = fixed(c, 8);
      return new Typed("decimal64", b.subarray(at, at + 8));
    }
    case 0x94: {
      const at = fixed(c, 16);
      return new Typed("decimal128", b.subarray(at, at + 16));
    }
    case 0xa0:
    case 0xb0: {
      const size = variable(c, code === 0xb0);
      const v = b.subarray(c.pos, c.pos + size);
      c.pos += size;
      return v;
    }
    case 0xa1:
    case 0xb1: {
      const size = variable(c, code === 0xb1);
      const v = b.toString("utf8", c.pos, c.pos + size);
      c.pos += size;
      return v;
    }
    case 0xa3:
    case 0xb3: {
      const size = variable(c, code === 0xb3);
      const v = new Sym(b.toString("latin1", c.pos, c.pos + size));
      c.pos += size;
      return v;
    }
    case 0x45:
      return [];
    case 0xc0:
    case 0xd0:
    case 0xc1:
    case 0xd1:
      return readCompound(c, code, depth);
    case 0xe0:
    case 0xf0:
      return readArray(c, code === 0xf0, depth);
    default:
      throw new DecodeError(`unknown format code 0x${code.toString(16)}`);
  }
}

function readCompound(c: Cursor, code: number, depth: number): AmqpValue[] | AmqpMap {
  const wide = code === 0xd0 || code === 0xd1;
  const size = variable(c, wide);
  const end = c.pos + size;
  const w = wide ? 4 : 1;
  if (size < w) throw new DecodeError("compound value too small for its count");
  const count = wide ? c.buf.readUInt32BE(c.pos) : c.buf[c.pos]!;
  c.pos += w;
  if (count > size) throw new DecodeError(`compound of ${count} elements in ${size} octets`);
  const inner = new Cursor(c.buf, c.pos, end);
  let result: AmqpValue[] | AmqpMap;
  if (code === 0xc1 || code === 0xd1) {
    if (count % 2 !== 0) throw new DecodeError("map with an odd number of elements");
    const entries: Array<[AmqpValue, AmqpValue]> = [];
    for (let i = 0; i < count; i += 2) entries.push([readAny(inner, depth + 1), readAny(inner, depth + 1)]);
    result = new AmqpMap(entries);
  } else {
    const items: AmqpValue[] = [];
    for (let i = 0; i < count; i++) items.push(readAny(inner, depth + 1));
    result = items;
  }
  if (inner.pos !== end) throw new DecodeError("compound size does not match its elements");
  c.pos = end;
  return result;
}

function readArray(c: Cursor, wide: boolean, depth: number): AmqpValue[] {
  const size = variable(c, wide);
  const end = c.pos + size;
  const w = wide ? 4 : 1;
  if (size < w + 1) throw new DecodeError("array too small for its count and constructor");
  const count = wide ? c.buf.readUInt32BE(c.pos) : c.buf[c.pos]!;
  c.pos += w;
  const inner = new Cursor(c.buf, c.pos, end);
  let descriptor: AmqpValue | undefined;
  let code = constructorByte(inner);
  if (code === 0x00) {
    descriptor = readAny(inner, depth + 1);
    code = constructorByte(inner);
  }
  // fixed-width elements of width 0 (true, null…) take no octets, so the count cannot exceed the
  // size for any other kind; a zero-width element type with a huge count is refused outright
  if (count > size && count > 0xffff) throw new DecodeError(`array of ${count} elements in ${size} octets`);
  const items: AmqpValue[] = [];
  for (let i = 0; i < count; i++) {
    const v = readWithCode(inner, code, depth + 1);
    items.push(descriptor === undefined ? v : new Described(descriptor, v));
  }
  if (inner.pos !== end) throw new DecodeError("array size does not match its elements");
  c.pos = end;
  return items;
}

// ---- writer ---------------------------------------------------------------------------------

/** A growable output buffer. `take()` copies out what was written and starts again. */
export class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(src: Buffer): void {
    this.ensure(src.length);
    src.copy(this.buf, this.pos);
    this.pos += src.length;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  /** A copy of what was written since `from`; the writer is reset to `from`. */
  take(from = 0): Buffer {
    const out = Buffer.allocUnsafe(this.pos - from);
    this.buf.copy(out, 0, from, this.pos);
    this.pos = from;
    return out;
  }
}

export function writeNull(w: Writer): void {
  w.byte(0x40);
}

export function writeBoolean(w: Writer, v: boolean | undefined): void {
  w.byte(v === undefined ? 0x40 : v ? 0x41 : 0x42);
}

export function writeUbyte(w: Writer, v: number | undefined): void {
  if (v === undefined) return writeNull(w);
  w.ensure(2);
  w.buf[w.pos++] = 0x50;
  w.buf[w.pos++] = v & 0xff;
}

export function writeUshort(w: Writer, v: number | undefined): void {
  if (v === undefined) return writeNull(w);
  w.ensure(3);
  w.buf[w.pos++] = 0x60;
  w.buf.writeUInt16BE(v, w.pos);
  w.pos += 2;
}

export function writeUint(w: Writer, v: number | undefined): void {
  if (v === undefined) return writeNull(w);
  if (v === 0) return w.byte(0x43);
  if (v < 256) {
    w.ensure(2);
    w.buf[w.pos++] = 0x52;
    w.buf[w.pos++] = v;
    return;
  }
  w.ensure(5);
  w.buf[w.pos++] = 0x70;
  w.buf.writeUInt32BE(v >>> 0, w.pos);
  w.pos += 4;
}

export function writeUlong(w: Writer, v: number | bigint | undefined): void {
  if (v === undefined) return writeNull(w);
  const n = BigInt(v);
  if (n === 0n) return w.byte(0x44);
  if (n < 256n) {
    w.ensure(2);
    w.buf[w.pos++] = 0x53;
    w.buf[w.pos++] = Number(n);
    return;
  }
  w.ensure(9);
  w.buf[w.pos++] = 0x80;
  w.buf.writeBigUInt64BE(n, w.pos);
  w.pos += 8;
}

export function writeInt(w: Writer, v: number): void {
  if (v >= -128 && v <= 127) {
    w.ensure(2);
    w.buf[w.pos++] = 0x54;
    w.buf.writeInt8(v, w.pos++);
    return;
  }
  w.ensure(5);
  w.buf[w.pos++] = 0x71;
  w.buf.writeInt32BE(v, w.pos);
  w.pos += 4;
}

export function writeLong(w: Writer, v: bigint): void {
  if (v >= -128n && v <= 127n) {
    w.ensure(2);
    w.buf[w.pos++] = 0x55;
    w.buf.writeInt8(Number(v), w.pos++);
    return;
  }
  w.ensure(9);
  w.buf[w.pos++] = 0x81;
  w.buf.writeBigInt64BE(v, w.pos);
  w.pos += 8;
}

export function writeTimestamp(w: Writer, v: number | undefined): void {
  if (v === undefined) return writeNull(w);
  w.ensure(9);
  w.buf[w.pos++] = 0x83;
  w.buf.writeBigInt64BE(BigInt(Math.trunc(v)), w.pos);
  w.pos += 8;
}

function writeVariable(w: Writer, small: number, large: number, bytes: Buffer | string, encoding: "utf8" | "latin1"): void {
  const len = typeof bytes === "string" ? Buffer.byteLength(bytes, encoding) : bytes.length;
  if (len < 256) {
    w.ensure(2 + len);
    w.buf[w.pos++] = small;
    w.buf[w.pos++] = len;
  } else {
    w.ensure(5 + len);
    w.buf[w.pos++] = large;
    w.buf.writeUInt32BE(len, w.pos);
    w.pos += 4;
  }
  if (typeof bytes === "string") w.buf.write(bytes, w.pos, len, encoding);
  else bytes.copy(w.buf, w.pos);
  w.pos += len;
}

export function writeBinary(w: Writer, v: Buffer | undefined): void {
  if (v === undefined) return writeNull(w);
  writeVariable(w, 0xa0, 0xb0, v, "utf8");
}

export function writeString(w: Writer, v: string | undefined): void {
  if (v === undefined) return writeNull(w);
  writeVariable(w, 0xa1, 0xb1, v, "utf8");
}

export function writeSymbol(w: Writer, v: string | undefined): void {
  if (v === undefined) return writeNull(w);
  writeVariable(w, 0xa3, 0xb3, v, "latin1");
}

/** A multiple symbol field: an array of sym32 (one constructor for all). */
export function writeSymbols(w: Writer, v: readonly string[] | undefined): void {
  if (v === undefined) return writeNull(w);
  w.ensure(10);
  w.buf[w.pos++] = 0xf0;
  const at = w.pos;
  w.pos += 8;
  w.buf[w.pos++] = 0xb3;
  for (const s of v) {
    const len = Buffer.byteLength(s, "latin1");
    w.ensure(4 + len);
    w.buf.writeUInt32BE(len, w.pos);
    w.buf.write(s, w.pos + 4, len, "latin1");
    w.pos += 4 + len;
  }
  w.buf.writeUInt32BE(w.pos - at - 4, at);
  w.buf.writeUInt32BE(v.length, at + 4);
}

/** A descriptor of the amqp domain as a smallulong (every code of the spec is below 256). */
export function writeDescriptor(w: Writer, code: number): void {
  w.ensure(3);
  w.buf[w.pos++] = 0x00;
  w.buf[w.pos++] = 0x53;
  w.buf[w.pos++] = code;
}

export function writeList0(w: Writer): void {
  w.byte(0x45);
}

/** Starts a list (or map) whose size is not known yet: room for the list32 header. */
export function beginList(w: Writer): number {
  w.ensure(9);
  const at = w.pos;
  w.pos += 9;
  return at;
}

/**
 * Finishes a list begun at `at` with `n` elements (a map: `n` = keys + values, `code` 0xc1): list0
 * when empty, the 8-bit form when it fits (moving the elements back), else the 32-bit one.
 */
export function endList(w: Writer, at: number, n: number, map = false): void {
  const elements = w.pos - (at + 9);
  if (n === 0 && !map) {
    w.pos = at;
    w.byte(0x45);
    return;
  }
  if (elements + 1 <= 255 && n <= 255) {
    w.buf[at] = map ? 0xc1 : 0xc0;
    w.buf[at + 1] = elements + 1;
    w.buf[at + 2] = n;
    w.buf.copyWithin(at + 3, at + 9, w.pos);
    w.pos -= 6;
    return;
  }
  w.buf[at] = map ? 0xd1 : 0xd0;
  w.buf.writeUInt32BE(elements + 4, at + 1);
  w.buf.writeUInt32BE(n, at + 5);
}

export function writeMap(w: Writer, v: AmqpMap | undefined): void {
  if (v === undefined) return writeNull(w);
  const at = beginList(w);
  for (const [k, val] of v.entries) {
    writeAny(w, k);
    writeAny(w, val);
  }
  endList(w, at, v.entries.length * 2, true);
}

export function writeAny(w: Writer, v: AmqpValue | undefined): void {
  if (v === undefined || v === null) return writeNull(w);
  switch (typeof v) {
    case "boolean":
      return writeBoolean(w, v);
    case "string":
      return writeString(w, v);
    case "bigint":
      return writeLong(w, v);
    case "number":
      if (Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff) return writeInt(w, v);
      w.ensure(9);
      w.buf[w.pos++] = 0x82;
      w.buf.writeDoubleBE(v, w.pos);
      w.pos += 8;
      return;
  }
  if (Buffer.isBuffer(v)) return writeBinary(w, v);
  if (v instanceof Sym) return writeSymbol(w, v.name);
  if (v instanceof AmqpMap) return writeMap(w, v);
  if (v instanceof Described) {
    w.byte(0x00);
    writeAny(w, v.descriptor);
    writeAny(w, v.value);
    return;
  }
  if (Array.isArray(v)) {
    const at = beginList(w);
    for (const item of v) writeAny(w, item);
    endList(w, at, v.length);
    return;
  }
  writeTyped(w, v);
}

function writeTyped(w: Writer, v: Typed): void {
  const x = v.value;
  switch (v.type) {
    case "ubyte":
      return writeUbyte(w, Number(x));
    case "ushort":
      return writeUshort(w, Number(x));
    case "uint":
      return writeUint(w, Number(x));
    case "ulong":
      return writeUlong(w, typeof x === "bigint" ? x : Number(x));
    case "timestamp":
      return writeTimestamp(w, Number(x));
    case "byte":
      w.ensure(2);
      w.buf[w.pos++] = 0x51;
      w.buf.writeInt8(Number(x), w.pos++);
      return;
    case "short":
      w.ensure(3);
      w.buf[w.pos++] = 0x61;
      w.buf.writeInt16BE(Number(x), w.pos);
      w.pos += 2;
      return;
    case "float":
      w.ensure(5);
      w.buf[w.pos++] = 0x72;
      w.buf.writeFloatBE(Number(x), w.pos);
      w.pos += 4;
      return;
    case "double":
      w.ensure(9);
      w.buf[w.pos++] = 0x82;
      w.buf.writeDoubleBE(Number(x), w.pos);
      w.pos += 8;
      return;
    case "char":
      w.ensure(5);
      w.buf[w.pos++] = 0x73;
      w.buf.writeUInt32BE(Number(x), w.pos);
      w.pos += 4;
      return;
    case "uuid":
    case "decimal32":
    case "decimal64":
    case "decimal128": {
      const code = { uuid: 0x98, decimal32: 0x74, decimal64: 0x84, decimal128: 0x94 }[v.type];
      const bytes = x as Buffer;
      w.ensure(1 + bytes.length);
      w.buf[w.pos++] = code;
      bytes.copy(w.buf, w.pos);
      w.pos += bytes.length;
      return;
    }
  }
}

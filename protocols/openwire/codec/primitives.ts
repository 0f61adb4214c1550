/**
 * OpenWire's primitives, loose encoding: big-endian integers, booleans as one octet, strings as
 * Java's DataOutput.writeUTF (u16 length, modified UTF-8) behind a "not null" boolean, byte arrays
 * as an i32 length behind one. Nothing here knows a command; the generated code builds on it.
 */

/** Input that cannot be a command: the connection closes, logging the message once. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
}

const TWO_32 = 4294967296;
const EMPTY = Buffer.alloc(0);

/**
 * The marshal cache of one direction of a connection (CacheEnabled, CacheSize): a cached field
 * (a destination, a producer or consumer id...) is a "new" flag and an index, then the structure
 * only when new; the reader keeps what each index last held (index -1: not kept, as in ActiveMQ).
 * Writing, Warren keeps only the objects it will send again (a consumer's id and destination,
 * in every dispatch to it: `add`, under the next index in turn) and refers to them while their
 * index still holds them; anything else goes new under index -1, costing no cache entry.
 */
export class MarshalCache {
  private readonly entries: unknown[];
  private next = 0;
  /** Writing: the index each object last went under (checked against `entries`). */
  private readonly sent = new Map<object, number>();

  constructor(readonly size: number) {
    this.entries = new Array<unknown>(size).fill(null);
  }

  /** What index `i` holds (null if nothing yet, as ActiveMQ's array would). */
  get(i: number): unknown {
    if (i < 0 || i >= this.size) throw new DecodeError(`marshal cache index ${i} out of range`);
    return this.entries[i];
  }

  /** Index -1 is ActiveMQ's "not cached". */
  set(i: number, o: unknown): void {
    if (i === -1) return;
    if (i < 0 || i >= this.size) throw new DecodeError(`marshal cache index ${i} out of range`);
    this.entries[i] = o;
  }

  /** The index a new entry goes to: each in turn. */
  nextIndex(): number {
    const i = this.next;
    this.next = i + 1 === this.size ? 0 : i + 1;
    return i;
  }

  /** Writing: the index `o` can be referred to by, or -1 (then it goes new, under `add`'s index). */
  indexOf(o: object | null): number {
    if (o === null) return -1;
    const i = this.sent.get(o);
    return i !== undefined && this.entries[i] === o ? i : -1;
  }

  /** Writing: `o` goes as a new entry; the index it goes under. */
  add(o: object | null): number {
    const i = this.nextIndex();
    const old = this.entries[i];
    if (old !== null && typeof old === "object") this.sent.delete(old);
    this.entries[i] = o;
    if (o !== null) this.sent.set(o, i);
    return i;
  }
}

/** Reads one frame's bytes, bounds-checked; strings and byte arrays are read in place. */
export class Reader {
  pos: number;
  /** The connection's unmarshal cache when the marshal cache was negotiated. */
  cache: MarshalCache | null = null;

  constructor(
    public buf: Buffer,
    start: number,
    public end: number,
    /** The negotiated OpenWire version: fields newer than it are not on the wire. */
    public version: number,
    /** Whether throwables carry stack traces (the negotiated StackTraceEnabled). */
    public stackTraces: boolean,
  ) {
    this.pos = start;
  }

  /** Points this reader at `buf[start, end)`: a connection reads every frame with one reader. */
  reset(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new DecodeError(`command truncated: ${n} more bytes needed at offset ${this.pos}`);
  }

  byte(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  boolean(): boolean {
    this.need(1);
    return this.buf[this.pos++] !== 0;
  }

  short(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A Java long as a number: exact for |v| < 2^53, which ids, times and sizes stay within. */
  long(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  double(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  /** n raw bytes, a view of the frame. */
  raw(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** writeUTF's form: u16 length, then modified UTF-8. */
  utf(): string {
    this.need(2);
    const n = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return decodeModifiedUtf8(this.raw(n));
  }

  /** A string behind its "not null" boolean. */
  string(): string | null {
    return this.boolean() ? this.utf() : null;
  }

  /** A byte array (or byte sequence) behind its "not null" boolean: i32 length, then the bytes. */
  bytes(): Buffer | null {
    if (!this.boolean()) return null;
    const n = this.int();
    if (n < 0) throw new DecodeError(`negative byte array length ${n}`);
    return this.raw(n);
  }
}

/** A growable output buffer; `take` hands out what was written since a mark. */
export class Writer {
  buf: Buffer;
  pos = 0;
  /** The negotiated version: fields newer than it are not written. */
  version = 1;
  /** Whether throwables carry stack traces (the negotiated StackTraceEnabled). */
  stackTraces = false;
  /** The connection's marshal cache when it was negotiated. */
  cache: MarshalCache | null = null;

  constructor(size = 1024) {
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

  byte(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
  }

  boolean(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  short(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  int(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
  }

  long(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeInt32BE(hi | 0, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  float(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  utf(s: string): void {
    const n = modifiedUtf8Length(s);
    if (n > 0xffff) throw new RangeError(`string of ${n} bytes is too long for writeUTF`);
    this.ensure(2 + n);
    this.buf.writeUInt16BE(n, this.pos);
    this.pos = writeModifiedUtf8(s, this.buf, this.pos + 2);
  }

  string(s: string | null): void {
    this.boolean(s !== null);
    if (s !== null) this.utf(s);
  }

  bytes(b: Buffer | null): void {
    this.boolean(b !== null);
    if (b === null) return;
    this.int(b.length);
    this.raw(b);
  }

  /** The bytes written since `start`, copied out; the writer rewinds to `start`. */
  take(start: number): Buffer {
    const out = Buffer.from(this.buf.subarray(start, this.pos));
    this.pos = start;
    return out;
  }
}

/** Java's modified UTF-8: NUL as two bytes, characters outside the BMP as two 3-byte surrogates. */
export function modifiedUtf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c !== 0 && c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  return n;
}

export function writeModifiedUtf8(s: string, buf: Buffer, pos: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0 && c < 0x80) buf[pos++] = c;
    else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

export function decodeModifiedUtf8(b: Buffer): string {
  // the common case, ASCII without NUL, is plain latin1
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return b.toString("latin1");
  const codes: number[] = [];
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      codes.push(c);
      i++;
    } else if ((c & 0xe0) === 0xc0 && i + 1 < b.length) {
      codes.push(((c & 0x1f) << 6) | (b[i + 1]! & 0x3f));
      i += 2;
    } else if ((c & 0xf0) === 0xe0 && i + 2 < b.length) {
      codes.push(((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new DecodeError("malformed modified UTF-8 string");
    }
  }
  let s = "";
  for (let i = 0; i < codes.length; i += 4096) s += String.fromCharCode(...codes.slice(i, i + 4096));
  return s;
}

/** A Java exception as OpenWire carries it (ExceptionResponse, ConnectionError, a poison ack's cause). */
export interface JavaThrowable {
  className: string | null;
  message: string | null;
  /** Present only when stack traces were negotiated: class, method, file, line per frame. */
  stack: { className: string | null; method: string | null; file: string | null; line: number }[];
  cause: JavaThrowable | null;
}

/** At most this many causes deep: a cycle of causes in the input cannot recurse without end. */
const MAX_CAUSE_DEPTH = 32;

export function readThrowable(r: Reader, depth = 0): JavaThrowable | null {
  if (!r.boolean()) return null;
  if (depth > MAX_CAUSE_DEPTH) throw new DecodeError("exception causes nested too deep");
  const t: JavaThrowable = { className: r.string(), message: r.string(), stack: [], cause: null };
  if (!r.stackTraces) return t;
  const n = r.short();
  // every frame takes at least its three not-null octets and a line number
  r.need(n * 7);
  for (let i = 0; i < n; i++) t.stack.push({ className: r.string(), method: r.string(), file: r.string(), line: r.int() });
  t.cause = readThrowable(r, depth + 1);
  return t;
}

export function writeThrowable(w: Writer, t: JavaThrowable | null): void {
  w.boolean(t !== null);
  if (t === null) return;
  w.string(t.className);
  w.string(t.message);
  if (!w.stackTraces) return;
  w.short(t.stack.length);
  for (const f of t.stack) {
    w.string(f.className);
    w.string(f.method);
    w.string(f.file);
    w.int(f.line);
  }
  writeThrowable(w, t.cause);
}

/**
 * Tight encoding's input: the command's booleans come first, packed eight to an octet (ActiveMQ's
 * BooleanStream: a length of one octet under 64, else 0xC0 and one octet, else 0x80 and a short,
 * then the bits, least significant first), and the fields read them in their order: booleans
 * themselves, the not-null flags of strings, byte arrays and structures, whether a string is
 * plain ASCII, and the two bits that say how many octets a long takes.
 */
export class TightReader extends Reader {
  private bitsAt = 0;
  private bitsEnd = 0;
  private bitPos = 0;

  /** Reads the boolean stream at the reader's position; the fields' data follow it. */
  booleanStream(): void {
    let n = this.byte() & 0xff;
    if (n === 0xc0) {
      this.need(1);
      n = this.buf[this.pos++]!;
    } else if (n === 0x80) {
      n = this.short();
      if (n < 0) throw new DecodeError(`negative boolean stream length ${n}`);
    }
    this.need(n);
    this.bitsAt = this.pos;
    this.bitsEnd = this.pos + n;
    this.bitPos = 0;
    this.pos += n;
  }

  /** The next boolean of the stream. */
  bit(): boolean {
    const at = this.bitsAt + (this.bitPos >> 3);
    if (at >= this.bitsEnd) throw new DecodeError("boolean stream exhausted");
    const v = (this.buf[at]! >> (this.bitPos & 7)) & 1;
    this.bitPos++;
    return v !== 0;
  }

  /** A long in 0, 2, 4 or 8 octets (the shorter forms unsigned), as its two bits say. */
  tlong(): number {
    if (this.bit()) {
      if (this.bit()) return this.long();
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (!this.bit()) return 0;
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  /** Not null, then ASCII (a short length and one octet a character) or writeUTF's form. */
  tstring(): string | null {
    if (!this.bit()) return null;
    if (!this.bit()) return this.utf();
    const n = this.short();
    if (n < 0) throw new DecodeError(`negative string length ${n}`);
    return this.raw(n).toString("latin1");
  }

  tbytes(): Buffer | null {
    if (!this.bit()) return null;
    const n = this.int();
    if (n < 0) throw new DecodeError(`negative byte array length ${n}`);
    return this.raw(n);
  }
}

/**
 * Tight encoding's output: the fields' data go to the writer, their booleans to `bits` (one pass:
 * ActiveMQ sizes the command in a first pass and writes it in a second, which gives the same
 * octets). `frame` puts the boolean stream before the data.
 */
export class TightWriter extends Writer {
  /** Allocated at the first tight command: a loose connection never needs it. */
  bits: Buffer = EMPTY;
  bitCount = 0;

  /** Starts a command: no booleans yet. */
  resetBits(): void {
    this.bitCount = 0;
  }

  bit(v: boolean): void {
    const i = this.bitCount >> 3;
    if ((this.bitCount & 7) === 0) {
      if (i >= this.bits.length) {
        const next = Buffer.alloc(Math.max(64, this.bits.length * 2));
        this.bits.copy(next);
        this.bits = next;
      }
      this.bits[i] = 0;
    }
    if (v) this.bits[i]! |= 1 << (this.bitCount & 7);
    this.bitCount++;
  }

  /** The boolean stream's size on the wire: its length's one to three octets, then its octets. */
  booleanStreamSize(): number {
    const n = (this.bitCount + 7) >> 3;
    return n < 64 ? 1 + n : n < 256 ? 2 + n : 3 + n;
  }

  /** Writes the boolean stream at `out[at]`, returning the position after it. */
  writeBooleanStream(out: Buffer, at: number): number {
    const n = (this.bitCount + 7) >> 3;
    if (n < 64) out[at++] = n;
    else if (n < 256) {
      out[at++] = 0xc0;
      out[at++] = n;
    } else {
      out[at++] = 0x80;
      out.writeInt16BE(n, at);
      at += 2;
    }
    this.bits.copy(out, at, 0, n);
    return at + n;
  }

  tlong(v: number): void {
    if (v === 0) {
      this.bit(false);
      this.bit(false);
    } else if (v > 0 && v < 0x10000) {
      this.bit(false);
      this.bit(true);
      this.ensure(2);
      this.buf.writeUInt16BE(v, this.pos);
      this.pos += 2;
    } else if (v > 0 && v < TWO_32) {
      this.bit(true);
      this.bit(false);
      this.ensure(4);
      this.buf.writeUInt32BE(v, this.pos);
      this.pos += 4;
    } else {
      this.bit(true);
      this.bit(true);
      this.long(v);
    }
  }

  tstring(s: string | null): void {
    this.bit(s !== null);
    if (s === null) return;
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0 || c >= 0x80) {
        ascii = false;
        break;
      }
    }
    // ActiveMQ refuses what writeUTF could still take: 32767 octets or more
    if ((ascii ? s.length : modifiedUtf8Length(s)) >= 0x7fff) throw new RangeError("a string value too long to encode");
    this.bit(ascii);
    if (!ascii) return this.utf(s);
    this.ensure(2 + s.length);
    this.buf.writeUInt16BE(s.length, this.pos);
    this.pos += 2;
    this.pos += this.buf.write(s, this.pos, "latin1");
  }

  tbytes(b: Buffer | null): void {
    this.bit(b !== null);
    if (b === null) return;
    this.int(b.length);
    this.raw(b);
  }
}

export function readThrowableTight(r: TightReader, depth = 0): JavaThrowable | null {
  if (!r.bit()) return null;
  if (depth > MAX_CAUSE_DEPTH) throw new DecodeError("exception causes nested too deep");
  const t: JavaThrowable = { className: r.tstring(), message: r.tstring(), stack: [], cause: null };
  if (!r.stackTraces) return t;
  const n = r.short();
  // every frame takes at least its line number
  r.need(n * 4);
  for (let i = 0; i < n; i++) t.stack.push({ className: r.tstring(), method: r.tstring(), file: r.tstring(), line: r.int() });
  t.cause = readThrowableTight(r, depth + 1);
  return t;
}

export function writeThrowableTight(w: TightWriter, t: JavaThrowable | null): void {
  w.bit(t !== null);
  if (t === null) return;
  w.tstring(t.className);
  w.tstring(t.message);
  if (!w.stackTraces) return;
  w.short(t.stack.length);
  for (const f of t.stack) {
    w.tstring(f.className);
    w.tstring(f.method);
    w.tstring(f.file);
    w.int(f.line);
  }
  writeThrowableTight(w, t.cause);
}

// Transcoding between loose and tight without building the values: a stored (loose) message goes
// out tight, a tight one comes in as the loose bytes the core keeps. Longs move exactly (all 64
// bits), strings as their octets.

/** A loose long at `r` written tight: the shortest form its value allows, as tightMarshalLong. */
export function looseLongToTight(r: Reader, w: TightWriter): void {
  r.need(8);
  const hi = r.buf.readUInt32BE(r.pos);
  const lo = r.buf.readUInt32BE(r.pos + 4);
  if (hi === 0 && lo === 0) {
    w.bit(false);
    w.bit(false);
  } else if (hi === 0 && lo < 0x10000) {
    w.bit(false);
    w.bit(true);
    w.ensure(2);
    w.buf.writeUInt16BE(lo, w.pos);
    w.pos += 2;
  } else if (hi === 0) {
    w.bit(true);
    w.bit(false);
    w.ensure(4);
    w.buf.writeUInt32BE(lo, w.pos);
    w.pos += 4;
  } else {
    w.bit(true);
    w.bit(true);
    w.raw(r.buf.subarray(r.pos, r.pos + 8));
  }
  r.pos += 8;
}

/** A tight long at `r` written loose (8 octets). */
export function tightLongToLoose(r: TightReader, w: Writer): void {
  w.ensure(8);
  if (r.bit()) {
    if (r.bit()) {
      r.need(8);
      r.buf.copy(w.buf, w.pos, r.pos, r.pos + 8);
      r.pos += 8;
    } else {
      r.need(4);
      w.buf.writeUInt32BE(0, w.pos);
      w.buf.writeUInt32BE(r.buf.readUInt32BE(r.pos), w.pos + 4);
      r.pos += 4;
    }
  } else if (r.bit()) {
    r.need(2);
    w.buf.writeUInt32BE(0, w.pos);
    w.buf.writeUInt32BE(r.buf.readUInt16BE(r.pos), w.pos + 4);
    r.pos += 2;
  } else {
    w.buf.writeUInt32BE(0, w.pos);
    w.buf.writeUInt32BE(0, w.pos + 4);
  }
  w.pos += 8;
}

/**
 * A loose string at `r` written tight: the same octets either way (ASCII is its own modified
 * UTF-8), flagged ASCII when every octet is 1 to 0x7f, as ActiveMQ flags a string's characters.
 */
export function looseStringToTight(r: Reader, w: TightWriter): void {
  if (!r.boolean()) return w.bit(false);
  r.need(2);
  const n = r.buf.readUInt16BE(r.pos);
  r.pos += 2;
  r.need(n);
  // ActiveMQ refuses 32767 octets or more in tight encoding
  if (n >= 0x7fff) throw new RangeError("a string value too long to encode");
  let ascii = true;
  for (let i = r.pos; i < r.pos + n; i++) {
    const c = r.buf[i]!;
    if (c === 0 || c >= 0x80) {
      ascii = false;
      break;
    }
  }
  w.bit(true);
  w.bit(ascii);
  w.ensure(2 + n);
  w.buf.writeUInt16BE(n, w.pos);
  r.buf.copy(w.buf, w.pos + 2, r.pos, r.pos + n);
  w.pos += 2 + n;
  r.pos += n;
}

/**
 * A tight string at `r` written loose. Modified UTF-8 octets are copied (the scan of the loose
 * bytes checks them); an "ASCII" one with an octet 0 or over 0x7f (Java reads those as Latin-1
 * characters) is re-encoded.
 */
export function tightStringToLoose(r: TightReader, w: Writer): void {
  if (!r.bit()) return w.boolean(false);
  const ascii = r.bit();
  r.need(2);
  const n = ascii ? r.buf.readInt16BE(r.pos) : r.buf.readUInt16BE(r.pos);
  if (n < 0) throw new DecodeError(`negative string length ${n}`);
  r.pos += 2;
  r.need(n);
  if (ascii) {
    for (let i = r.pos; i < r.pos + n; i++) {
      const c = r.buf[i]!;
      if (c === 0 || c >= 0x80) {
        w.boolean(true);
        w.utf(r.raw(n).toString("latin1"));
        return;
      }
    }
  }
  w.boolean(true);
  w.ensure(2 + n);
  w.buf.writeUInt16BE(n, w.pos);
  r.buf.copy(w.buf, w.pos + 2, r.pos, r.pos + n);
  w.pos += 2 + n;
  r.pos += n;
}

/** A byte array, loose to tight. */
export function looseBytesToTight(r: Reader, w: TightWriter): void {
  if (!r.boolean()) return w.bit(false);
  const n = r.int();
  if (n < 0) throw new DecodeError(`negative byte array length ${n}`);
  r.need(n);
  w.bit(true);
  w.int(n);
  w.ensure(n);
  r.buf.copy(w.buf, w.pos, r.pos, r.pos + n);
  w.pos += n;
  r.pos += n;
}

/** A byte array, tight to loose. */
export function tightBytesToLoose(r: TightReader, w: Writer): void {
  if (!r.bit()) return w.boolean(false);
  const n = r.int();
  if (n < 0) throw new DecodeError(`negative byte array length ${n}`);
  r.need(n);
  w.boolean(true);
  w.int(n);
  w.ensure(n);
  r.buf.copy(w.buf, w.pos, r.pos, r.pos + n);
  w.pos += n;
  r.pos += n;
}

/**
 * ActiveMQ's marshalled primitive maps (message properties, WireFormatInfo's options, MapMessage
 * bodies): i32 count, then per entry a writeUTF name, a type octet and the value. Java's types are
 * kept: a plain number is a Java double, a boolean a boolean, a string a string; the other
 * numeric types are tagged objects so they go back out as they came in.
 */
import { DecodeError, type Reader, type Writer } from "./codec/primitives.js";

export type PrimitiveValue =
  | null
  | boolean
  | string
  | number
  | { byte: number }
  | { short: number }
  | { int: number }
  | { long: number }
  | { float: number }
  | { char: number }
  | Buffer
  | PrimitiveMap
  | PrimitiveValue[];

export type PrimitiveMap = Map<string, PrimitiveValue>;

const NULL = 0;
const BOOLEAN = 1;
const BYTE = 2;
const CHAR = 3;
const SHORT = 4;
const INTEGER = 5;
const LONG = 6;
const DOUBLE = 7;
const FLOAT = 8;
const STRING = 9;
const BYTE_ARRAY = 10;
const MAP = 11;
const LIST = 12;
const BIG_STRING = 13;

/** Nesting deeper than this is refused, so a crafted map cannot recurse without end. */
const MAX_DEPTH = 16;

export function readPrimitiveMap(r: Reader, depth = 0): PrimitiveMap {
  const n = r.int();
  const m: PrimitiveMap = new Map();
  if (n <= 0) return m;
  // every entry takes at least a name length and a type octet
  r.need(n * 3);
  for (let i = 0; i < n; i++) {
    const name = r.utf();
    m.set(name, readValue(r, depth));
  }
  return m;
}

function readValue(r: Reader, depth: number): PrimitiveValue {
  if (depth > MAX_DEPTH) throw new DecodeError("primitive map nested too deep");
  const t = r.byte();
  switch (t) {
    case NULL:
      return null;
    case BOOLEAN:
      return r.boolean();
    case BYTE:
      return { byte: r.byte() };
    case CHAR:
      return { char: r.short() & 0xffff };
    case SHORT:
      return { short: r.short() };
    case INTEGER:
      return { int: r.int() };
    case LONG:
      return { long: r.long() };
    case DOUBLE:
      return r.double();
    case FLOAT:
      return { float: r.float() };
    case STRING:
      return r.utf();
    case BIG_STRING: {
      const n = r.int();
      if (n < 0) throw new DecodeError("negative string length");
      return r.raw(n).toString("utf8");
    }
    case BYTE_ARRAY: {
      const n = r.int();
      if (n < 0) throw new DecodeError("negative byte array length");
      return Buffer.from(r.raw(n));
    }
    case MAP:
      return readPrimitiveMap(r, depth + 1);
    case LIST: {
      const n = r.int();
      r.need(Math.max(0, n));
      const l: PrimitiveValue[] = [];
      for (let i = 0; i < n; i++) l.push(readValue(r, depth + 1));
      return l;
    }
    default:
      throw new DecodeError(`unknown primitive type ${t}`);
  }
}

export function writePrimitiveMap(w: Writer, m: PrimitiveMap): void {
  w.int(m.size);
  for (const [k, v] of m) {
    w.utf(k);
    writeValue(w, v);
  }
}

function writeValue(w: Writer, v: PrimitiveValue): void {
  if (v === null) return w.byte(NULL);
  if (typeof v === "boolean") {
    w.byte(BOOLEAN);
    return w.boolean(v);
  }
  if (typeof v === "number") {
    w.byte(DOUBLE);
    return w.double(v);
  }
  if (typeof v === "string") {
    if (v.length < 8191) {
      w.byte(STRING);
      return w.utf(v);
    }
    const b = Buffer.from(v, "utf8");
    w.byte(BIG_STRING);
    w.int(b.length);
    return w.raw(b);
  }
  if (Buffer.isBuffer(v)) {
    w.byte(BYTE_ARRAY);
    w.int(v.length);
    return w.raw(v);
  }
  if (v instanceof Map) {
    w.byte(MAP);
    return writePrimitiveMap(w, v);
  }
  if (Array.isArray(v)) {
    w.byte(LIST);
    w.int(v.length);
    for (const e of v) writeValue(w, e);
    return;
  }
  if ("byte" in v) {
    w.byte(BYTE);
    return w.byte(v.byte);
  }
  if ("short" in v) {
    w.byte(SHORT);
    return w.short(v.short);
  }
  if ("int" in v) {
    w.byte(INTEGER);
    return w.int(v.int);
  }
  if ("long" in v) {
    w.byte(LONG);
    return w.long(v.long);
  }
  if ("float" in v) {
    w.byte(FLOAT);
    return w.float(v.float);
  }
  w.byte(CHAR);
  w.short(v.char);
}

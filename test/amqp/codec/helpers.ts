/** Shared by the codec tests: the other libraries' codecs, the spec table, and value normalisers. */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AMQPView } from "@cloudamqp/amqp-client/amqp-view";
import { TypedField, type Decimal, type FieldTable, type FieldValue } from "../../../src/core/message.js";

const require = createRequire(import.meta.url);
// amqplib's package "exports" hides lib/; load its codec by path, as its own tests do
const amqplibRoot = dirname(require.resolve("amqplib"));

export interface AmqplibCodec {
  encodeTable(buf: Buffer, table: object, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
}
export interface AmqplibArg {
  type: string;
  name: string;
  default?: unknown;
}
export interface AmqplibMethodInfo {
  id: number;
  classId: number;
  methodId: number;
  name: string;
  args: AmqplibArg[];
}
export interface AmqplibDefs {
  decode(id: number, buf: Buffer): Record<string, unknown>;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  encodeProperties(id: number, channel: number, size: number, fields: Record<string, unknown>): Buffer;
  [key: string]: unknown;
}

export const amqplibCodec = require(join(amqplibRoot, "lib/codec.js")) as AmqplibCodec;
export const amqplibDefs = require(join(amqplibRoot, "lib/defs.js")) as AmqplibDefs;

export function amqplibMethods(): AmqplibMethodInfo[] {
  return Object.keys(amqplibDefs)
    .filter((k) => k.startsWith("methodInfo"))
    .map((k) => amqplibDefs[k] as AmqplibMethodInfo);
}

export { AMQPView };

// ---- the spec table --------------------------------------------------------------------------

export interface SpecField {
  name: string;
  domain: string;
  default?: unknown;
  reserved?: boolean;
  rabbitmqName?: string;
  binary?: boolean;
}
export interface SpecMethod {
  id: number;
  name: string;
  synchronous?: boolean;
  content?: boolean;
  responses?: string[];
  fields: SpecField[];
}
export interface SpecClass {
  id: number;
  name: string;
  methods: SpecMethod[];
  properties?: { name: string; domain: string; flag: number }[];
}
export interface Spec {
  domains: Record<string, string>;
  frameTypes: Record<string, number>;
  frameEnd: number;
  frameMinSize: number;
  replyCodes: { name: string; code: number; kind: string }[];
  classes: SpecClass[];
}

const specPath = join(dirname(fileURLToPath(import.meta.url)), "../../../protocols/amqp/spec/amqp-0-9-1.json");
export const spec = JSON.parse(readFileSync(specPath, "utf8")) as Spec;

export const camel = (name: string): string => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function specMethods(): { kind: string; cls: SpecClass; method: SpecMethod }[] {
  return spec.classes.flatMap((cls) => cls.methods.map((method) => ({ kind: `${cls.name}.${method.name}`, cls, method })));
}

// ---- building byte strings by hand -----------------------------------------------------------

export const bytes = (...parts: (number | number[] | Buffer | string)[]): Buffer =>
  Buffer.concat(
    parts.map((p) =>
      typeof p === "number" ? Buffer.from([p]) : typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.isBuffer(p) ? p : Buffer.from(p),
    ),
  );

export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

// ---- normalising decoded values for comparison across libraries ------------------------------

/** A library-neutral form: numbers for every numeric type, seconds for timestamps, hex for bytes. */
export type Canonical =
  | string
  | number
  | boolean
  | null
  | { decimal: [number, number] }
  | { bytes: string }
  | Canonical[]
  | { [k: string]: Canonical };

const decimal = (scale: number, digits: number): Canonical => ({ decimal: [scale, digits] });

/** Our decoded values. */
export function canonOurs(v: FieldValue | undefined): Canonical {
  if (v === null || v === undefined) return null;
  if (v instanceof TypedField) {
    if (v.type === "D") {
      const d = v.value as Decimal;
      return decimal(d.scale, d.digits);
    }
    if (v.value instanceof Date) return v.value.getTime() / 1000;
    return Number(v.value as number | bigint);
  }
  if (v instanceof Date) return v.getTime() / 1000;
  if (Buffer.isBuffer(v)) return { bytes: v.toString("hex") };
  if (Array.isArray(v)) return v.map(canonOurs);
  if (typeof v === "object") return canonTable(v, canonOurs);
  return v;
}

function canonTable<T>(t: Record<string, T>, f: (v: T) => Canonical): { [k: string]: Canonical } {
  const out: { [k: string]: Canonical } = {};
  for (const k of Object.keys(t)) out[k] = f(t[k]!);
  return out;
}

/** amqplib's decoded values ({'!': type, value} for timestamps and decimals). */
export function canonAmqplib(v: unknown): Canonical {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return { bytes: v.toString("hex") };
  if (Array.isArray(v)) return v.map(canonAmqplib);
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o["!"] === "timestamp") return o["value"] as number;
    if (o["!"] === "decimal") {
      const d = o["value"] as { places: number; digits: number };
      return decimal(d.places, d.digits);
    }
    return canonTable(o, canonAmqplib);
  }
  return v as Canonical;
}

/** @cloudamqp/amqp-client's decoded values (Date timestamps; it already reports decimals as numbers). */
export function canonAmqpClient(v: unknown): Canonical {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime() / 1000;
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("hex") };
  if (Array.isArray(v)) return v.map(canonAmqpClient);
  if (typeof v === "object") return canonTable(v as Record<string, unknown>, canonAmqpClient);
  return v as Canonical;
}

/** Decimals as amqp-client reports them (digits / 10^scale), for comparing with its decoder. */
export function decimalsToNumbers(c: Canonical): Canonical {
  if (c === null || typeof c !== "object") return c;
  if (Array.isArray(c)) return c.map(decimalsToNumbers);
  if ("decimal" in c && Array.isArray(c.decimal)) {
    const [scale, digits] = c.decimal as [number, number];
    return digits / 10 ** scale;
  }
  return canonTable(c as { [k: string]: Canonical }, decimalsToNumbers);
}

/** amqp-client's table decoder over bytes that start with the table's length prefix. */
export function amqpClientDecodeTable(buf: Buffer): Record<string, unknown> {
  const copy = new Uint8Array(buf); // own ArrayBuffer, offset 0
  return new AMQPView(copy.buffer).getTable(0)[0] as Record<string, unknown>;
}

/** amqp-client's table encoder; returns the bytes with the length prefix. */
export function amqpClientEncodeTable(table: Record<string, unknown>): Buffer {
  const scratch = new Uint8Array(1 << 20);
  const n = new AMQPView(scratch.buffer).setTable(0, table as Record<string, never>);
  return Buffer.from(scratch.subarray(0, n));
}

/** amqplib's table encoder; returns the bytes with the length prefix. */
export function amqplibEncodeTable(table: object): Buffer {
  const scratch = Buffer.alloc(1 << 20);
  const n = amqplibCodec.encodeTable(scratch, table, 0);
  return Buffer.from(scratch.subarray(0, n));
}

/** amqplib's decoder over bytes that start with the table's length prefix. */
export function amqplibDecodeTable(buf: Buffer): Record<string, unknown> {
  return amqplibCodec.decodeFields(buf.subarray(4, 4 + buf.readUInt32BE(0)));
}

export type { FieldTable };

import { type FieldValue, TypedField } from "./message.js";
import { erlangBinary } from "./reply-text.js";

/** RabbitMQ's names for field types, as its error texts print them ({unacceptable_type,longstr}). */
export type RabbitFieldType =
  | "longstr"
  | "signedint"
  | "double"
  | "bool"
  | "binary"
  | "timestamp"
  | "void"
  | "array"
  | "table"
  | "byte"
  | "unsignedbyte"
  | "short"
  | "unsignedshort"
  | "unsignedint"
  | "long"
  | "float"
  | "decimal";

const TAG_NAMES: Record<string, RabbitFieldType> = {
  b: "byte",
  B: "unsignedbyte",
  s: "short",
  u: "unsignedshort",
  I: "signedint",
  i: "unsignedint",
  l: "long",
  f: "float",
  d: "double",
  D: "decimal",
  T: "timestamp",
};

export function rabbitType(v: FieldValue): RabbitFieldType {
  if (v === null) return "void";
  if (typeof v === "string") return "longstr";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number")
    return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? "signedint" : Number.isInteger(v) ? "long" : "double";
  if (Buffer.isBuffer(v)) return "binary";
  if (v instanceof Date) return "timestamp";
  if (v instanceof TypedField) return TAG_NAMES[v.type] ?? "long";
  if (Array.isArray(v)) return "array";
  return "table";
}

const INTEGER_TYPES = new Set<RabbitFieldType>(["byte", "unsignedbyte", "short", "unsignedshort", "signedint", "unsignedint", "long"]);

export const isIntegerType = (t: RabbitFieldType): boolean => INTEGER_TYPES.has(t);

/** The integer a field holds, when its type is one of AMQP's integer types. */
export function integerValue(v: FieldValue): number | undefined {
  if (!isIntegerType(rabbitType(v))) return undefined;
  if (typeof v === "number") return v;
  if (v instanceof TypedField) return Number(v.value as number | bigint);
  return undefined;
}

/** Strings arrive as text or, from some clients, as bytes. */
export function stringValue(v: FieldValue): string | undefined {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  return undefined;
}

/** A binary as Erlang's ~p prints it (the one formatter, src/core/reply-text.ts). */
export const erlangBinaryTerm = (bytes: Buffer): string => erlangBinary(bytes, "p");

/** A float as Erlang prints it: always with a fraction (1.0), exponents as 1.0e21. */
function erlangFloat(n: number): string {
  const s = String(n);
  if (/e/.test(s)) {
    const [m, e] = s.split("e");
    return `${m!.includes(".") ? m : `${m}.0`}e${e!.replace("+", "")}`;
  }
  return s.includes(".") ? s : `${s}.0`;
}

/**
 * A field value as RabbitMQ's error texts print it with ~p (the value as rabbit_binary_parser
 * decodes it): integers and timestamps as numbers, strings as binaries, void as `undefined`,
 * arrays and tables as lists of typed tuples.
 */
export function erlangTerm(v: FieldValue): string {
  if (v === null) return "undefined";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return erlangBinaryTerm(Buffer.from(v, "utf8"));
  if (Buffer.isBuffer(v)) return erlangBinaryTerm(v);
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) <= 2147483648 ? String(v) : erlangFloat(v);
  if (v instanceof Date) return String(Math.floor(v.getTime() / 1000));
  if (v instanceof TypedField) {
    const x = v.value;
    if (typeof x === "bigint") return x.toString();
    if (typeof x === "number") return v.type === "f" || v.type === "d" ? erlangFloat(x) : String(x);
    if (x instanceof Date) return String(Math.floor(x.getTime() / 1000));
    return `{${x.scale},${x.digits}}`;
  }
  if (Array.isArray(v)) return `[${v.map((e) => `{${rabbitType(e)},${erlangTerm(e)}}`).join(",")}]`;
  return `[${Object.entries(v)
    .map(([k, e]) => `{${erlangBinaryTerm(Buffer.from(k, "utf8"))},${rabbitType(e)},${erlangTerm(e)}}`)
    .join(",")}]`;
}

import { type FieldValue, TypedField } from "./message.js";

/** RabbitMQ's names for field types, as its error texts print them ({unacceptable_type,longstr}). */
export type RabbitFieldType =
  | "longstr" | "signedint" | "double" | "bool" | "binary" | "timestamp" | "void" | "array" | "table"
  | "byte" | "unsignedbyte" | "short" | "unsignedshort" | "unsignedint" | "long" | "float" | "decimal";

const TAG_NAMES: Record<string, RabbitFieldType> = {
  b: "byte", B: "unsignedbyte", s: "short", u: "unsignedshort", I: "signedint", i: "unsignedint",
  l: "long", f: "float", d: "double", D: "decimal", T: "timestamp",
};

export function rabbitType(v: FieldValue): RabbitFieldType {
  if (v === null) return "void";
  if (typeof v === "string") return "longstr";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? "signedint" : Number.isInteger(v) ? "long" : "double";
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

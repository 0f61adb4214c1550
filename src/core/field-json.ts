import { type FieldTable, type FieldValue, TypedField } from "./message.js";

/**
 * A field value as JSON, the way RabbitMQ's management API and definitions files show arguments
 * and headers: numbers as numbers, byte strings as text, timestamps as seconds.
 */
export function fieldValueJson(v: FieldValue): unknown {
  if (v instanceof TypedField) {
    const x = v.value;
    return typeof x === "bigint"
      ? Number(x)
      : x instanceof Date
        ? Math.floor(x.getTime() / 1000)
        : typeof x === "object"
          ? x.digits / 10 ** x.scale
          : x;
  }
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (v instanceof Date) return Math.floor(v.getTime() / 1000);
  if (Array.isArray(v)) return v.map(fieldValueJson);
  if (v !== null && typeof v === "object") return fieldTableJson(v as FieldTable);
  return v;
}

export function fieldTableJson(t: FieldTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) out[k] = fieldValueJson(v);
  return out;
}

/** JSON (from an HTTP body) as field values: plain JSON values are already valid ones. */
export function jsonFieldValue(v: unknown): FieldValue {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(jsonFieldValue);
  if (typeof v === "object") return jsonFieldTable(v as Record<string, unknown>);
  return String(v);
}

export function jsonFieldTable(o: Record<string, unknown> | null | undefined): FieldTable {
  const out: FieldTable = {};
  if (o === null || o === undefined || typeof o !== "object") return out;
  for (const [k, v] of Object.entries(o)) out[k] = jsonFieldValue(v);
  return out;
}

/**
 * The CC/BCC sender-selected distribution headers (rabbit_basic:header_routes): the extra routing
 * keys of a publish, which dead-lettering also reads back. On its own so that message.ts can use
 * it without importing dead-letter.ts, which builds messages (a runtime import cycle).
 */
import type { FieldTable, FieldValue, Message } from "./message.js";

/** The routing keys in a CC or BCC header: an array of strings; anything else routes nowhere. */
export function headerRoutes(v: FieldValue | undefined, out: string[]): void {
  if (!Array.isArray(v)) return;
  for (const k of v) {
    if (typeof k === "string") out.push(k);
    else if (Buffer.isBuffer(k)) out.push(k.toString("utf8"));
  }
}

/** The extra routing keys of a publish (CC then BCC), or null when it has none. */
export function routingHeaderKeys(headers: FieldTable | undefined): string[] | null {
  if (headers === undefined || (headers["CC"] === undefined && headers["BCC"] === undefined)) return null;
  const out: string[] = [];
  headerRoutes(headers["CC"], out);
  headerRoutes(headers["BCC"], out);
  return out.length === 0 ? null : out;
}

/** A copy of the message without one header (BCC is removed before delivery). */
export function withoutHeader(m: Message, name: string): Message {
  const p = m.properties;
  if (p.headers === undefined || !(name in p.headers)) return m;
  const headers: FieldTable = { ...p.headers };
  delete headers[name];
  return m.withProperties({ ...p, headers });
}

/**
 * What RabbitMQ does to an answer server-side, after the route has built it:
 * `?sort=name&sort_reverse=true` orders a listing, `?columns=name,messages.x` keeps only those
 * fields (of each row, or of a single object). Applied by one preSerialization hook for every route.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

/** The query parameters this module reads (schemas.ts declares them for every route). */
export interface ListingQuery {
  columns?: string;
  sort?: string;
  sort_reverse?: string;
}

/** Picks `columns=a,b.c` out of each row, as RabbitMQ does server-side. */
export function pickColumns(payload: unknown, columns: string): unknown {
  const cols = columns
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const pick = (row: unknown): unknown => {
    if (row === null || typeof row !== "object" || Array.isArray(row)) return row;
    const out: Record<string, unknown> = {};
    for (const c of cols) {
      const path = c.split(".");
      let v: unknown = row;
      for (const p of path) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
      if (v === undefined) continue;
      let o = out;
      for (let i = 0; i < path.length - 1; i++) o = (o[path[i]!] ??= {}) as Record<string, unknown>;
      o[path[path.length - 1]!] = v;
    }
    return out;
  };
  return Array.isArray(payload) ? payload.map(pick) : pick(payload);
}

/** Orders rows by a dotted key: numbers by value, anything else by its text. */
export function sortRows(rows: unknown[], key: string, reverse: boolean): unknown[] {
  const get = (r: unknown): unknown =>
    key.split(".").reduce<unknown>((v, p) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined), r);
  const sorted = [...rows].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x ?? "").localeCompare(String(y ?? ""));
  });
  return reverse ? sorted.reverse() : sorted;
}

/** Answers a route shaped itself (a page of a paginated listing, pagination.ts). */
const shaped = new WeakSet<object>();
export function alreadyShaped<T extends object>(answer: T): T {
  shaped.add(answer);
  return answer;
}

/** The preSerialization hook: sorts a listing, then picks its columns. */
export async function shapeListing(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (typeof payload === "object" && payload !== null && shaped.has(payload)) return payload;
  // an error answer is RabbitMQ's {error, reason} whatever columns were asked for
  if (reply.statusCode >= 400) return payload;
  const q = (req.query ?? {}) as ListingQuery;
  let out: unknown = payload;
  if (Array.isArray(out) && q.sort) out = sortRows(out, q.sort, q.sort_reverse === "true");
  if (q.columns) out = pickColumns(out, q.columns);
  return out;
}

/**
 * Dead-lettering as RabbitMQ 3.10 does it (rabbit_dead_letter.erl): the x-death header, the
 * x-first-death-* headers, the routing keys a dead-letter is published with, and cycle detection.
 */
import { headerRoutes } from "./header-routes.js";
import { type FieldTable, type FieldValue, Message, type MessageProperties, TypedField } from "./message.js";
import type { DeadLetterReason } from "./queue.js";

/** Erlang's rabbit_misc:sort_field_table: keys in byte order. */
function sortTable(t: FieldTable): FieldTable {
  const out: FieldTable = {};
  for (const k of Object.keys(t).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) out[k] = t[k]!;
  return out;
}

function str(v: FieldValue | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  return undefined;
}

function isTable(v: FieldValue | undefined): v is FieldTable {
  return (
    v !== null &&
    v !== undefined &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof Date) &&
    !(v instanceof TypedField)
  );
}

function countOf(v: FieldValue | undefined): number {
  if (typeof v === "number") return v;
  if (v instanceof TypedField && (typeof v.value === "number" || typeof v.value === "bigint")) return Number(v.value);
  return 0;
}

/**
 * RabbitMQ 3.10's group_by_queue_and_reason, for x-death headers written before deaths were merged
 * (or by another broker): one entry per (queue, reason), the first of each group, given a count of
 * the group's size when it has none (one that has a count keeps it). As in RabbitMQ, the groups
 * come out in reverse order of their first appearance. Entries that are not tables are dropped.
 */
function groupByQueueAndReason(deaths: FieldValue[]): FieldTable[] {
  const groups = new Map<string, { first: FieldTable; size: number }>();
  for (const d of deaths) {
    if (!isTable(d)) continue;
    const key = `${str(d["queue"]) ?? "\u0000none"}\u0000${str(d["reason"]) ?? "\u0000none"}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { first: d, size: 1 });
    else g.size++;
  }
  const out: FieldTable[] = [];
  for (const { first, size } of groups.values()) {
    out.push(first["count"] === undefined ? { count: new TypedField("l", size), ...first } : first);
  }
  return out.reverse();
}

export interface DeadLetter {
  message: Message;
  /** The new x-death array, most recent death first, for the cycle check. */
  deaths: FieldValue[];
}

/**
 * make_msg: the message as it leaves `queue` for `dlx`. The x-death entry for (queue, reason) is
 * created with count 1 or has its count raised and moves to the front; the first death also sets
 * x-first-death-reason/queue/exchange. `expiration` moves into x-death's original-expiration so the
 * dead-letter does not expire again. With a dead-letter routing key, that key replaces the
 * original ones and the CC header goes.
 */
export function buildDeadLetter(
  m: Message,
  reason: DeadLetterReason,
  queue: string,
  dlx: string,
  dlrk: string | undefined,
  now: number,
): DeadLetter {
  const p = m.properties;
  const old = p.headers ?? {};
  const originalKeys = [m.routingKey];
  headerRoutes(old["CC"], originalKeys);
  headerRoutes(old["BCC"], originalKeys);
  const info: FieldTable = {
    reason,
    queue,
    // AMQP timestamps are whole seconds
    time: new Date(Math.floor(now / 1000) * 1000),
    exchange: m.exchange,
    "routing-keys": originalKeys,
  };
  if (p.expiration !== undefined) info["original-expiration"] = p.expiration;
  const headers: FieldTable = { ...old };
  const existing = old["x-death"];
  let deaths: FieldValue[];
  if (existing === undefined) {
    headers["x-first-death-reason"] = reason;
    headers["x-first-death-queue"] = queue;
    headers["x-first-death-exchange"] = m.exchange;
    deaths = [{ count: new TypedField("l", 1), ...info }];
  } else if (!Array.isArray(existing)) {
    // not an array (a client re-published it with string values…): RabbitMQ resets it, and
    // leaves the x-first-death-* headers as they are
    deaths = [{ count: new TypedField("l", 1), ...info }];
  } else {
    let match: FieldTable | null = null;
    const others: FieldValue[] = [];
    for (const d of existing.length > 1 ? groupByQueueAndReason(existing) : existing) {
      if (match === null && isTable(d) && str(d["queue"]) === queue && str(d["reason"]) === reason) match = d;
      else others.push(d);
    }
    const entry =
      match === null ? { count: new TypedField("l", 1), ...info } : { ...match, count: new TypedField("l", countOf(match["count"]) + 1) };
    deaths = [sortTable(entry), ...others];
  }
  headers["x-death"] = deaths;
  if (dlrk !== undefined) delete headers["CC"];
  const props: MessageProperties = { ...p, headers: sortTable(headers) };
  delete props.expiration;
  const keys = dlrk !== undefined ? [dlrk] : originalKeys;
  const out = new Message(dlx, keys[0]!, m.body, props, null);
  if (dlrk === undefined && keys.length > 1) out.setRoutingHeaderKeys(keys.slice(1));
  else if (dlrk !== undefined) out.setRoutingHeaderKeys(null);
  return { message: out, deaths };
}

/**
 * is_cycle: `queue` already dead-lettered this message, and every death since (including that one)
 * was automatic (not `rejected`), so delivering it there would loop forever.
 */
export function isDeadLetterCycle(queue: string, deaths: FieldValue[]): boolean {
  let i = 0;
  while (i < deaths.length) {
    const d = deaths[i]!;
    if (isTable(d) && str(d["queue"]) === queue) break;
    i++;
  }
  if (i === deaths.length) return false;
  for (let k = 0; k <= i; k++) {
    const d = deaths[k]!;
    // something a client put there: not fully automatic
    if (!isTable(d) || str(d["reason"]) === "rejected") return false;
  }
  return true;
}

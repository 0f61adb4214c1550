import { BrokerError, describe, errors, ReplyCode } from "./errors.js";
import type { FieldTable, FieldValue } from "./message.js";
import { integerValue, rabbitType, stringValue } from "./field-types.js";

const TYPED_STRING_ARGS = ["x-dead-letter-exchange", "x-dead-letter-routing-key"] as const;

export type QueueType = "classic" | "quorum" | "stream";
export type Overflow = "drop-head" | "reject-publish" | "reject-publish-dlx";

/** The `x-` arguments RabbitMQ 3.10 understands, parsed once at declare time. */
export interface QueueArguments {
  messageTtl?: number;
  expires?: number;
  maxLength?: number;
  maxLengthBytes?: number;
  overflow?: Overflow;
  deadLetterExchange?: string;
  deadLetterRoutingKey?: string;
  maxPriority?: number;
  queueMode?: "default" | "lazy";
  singleActiveConsumer?: boolean;
  queueType?: QueueType;
  deliveryLimit?: number;
  maxAge?: string;
  /** x-max-age in milliseconds (streams). */
  maxAgeMs?: number;
  /** x-stream-max-segment-size-bytes: how much a stream segment holds before the next one starts. */
  streamMaxSegmentSizeBytes?: number;
}

/** x-max-age units (rabbit_amqqueue:check_max_age/1): Y, M, D, h, m, s, with RabbitMQ's month and year lengths. */
const AGE_UNITS: Record<string, number> = {
  Y: 365 * 24 * 3600_000,
  M: 30 * 24 * 3600_000,
  D: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
};

/** Milliseconds an interval string like "7D" or "1h" stands for, or undefined when it is not one (or is zero). */
export function parseMaxAge(s: string): number | undefined {
  const m = /^(\d+)([YMDhms])$/.exec(s);
  if (m === null) return undefined;
  const ms = Number(m[1]) * AGE_UNITS[m[2]!]!;
  return ms > 0 ? ms : undefined;
}

type Check = (v: FieldValue, out: QueueArguments) => string | null;

/** RabbitMQ's ?MAX_EXPIRY_TIMER: the largest TTL its timers take, in milliseconds. */
const MAX_EXPIRY = 4294967295;

const int = (v: FieldValue): number | string => {
  const n = integerValue(v);
  return n === undefined ? `"expected integer, got ${rabbitType(v)}"` : n;
};

const nonNegative =
  (set: (out: QueueArguments, n: number) => void): Check =>
  (v, out) => {
    const n = int(v);
    if (typeof n === "string") return n;
    if (n < 0) return `{value_negative,${n}}`;
    set(out, n);
    return null;
  };

const expiry =
  (set: (out: QueueArguments, n: number) => void, allowZero: boolean): Check =>
  (v, out) => {
    const n = int(v);
    if (typeof n === "string") return n;
    if (!allowZero && n === 0) return `{value_zero,0}`;
    if (n < 0) return `{value_negative,${n}}`;
    if (n > MAX_EXPIRY) return `{value_too_large,${n}}`;
    set(out, n);
    return null;
  };

/** `invalid` renders RabbitMQ's complaint about a string outside the allowed set. */
const oneOf =
  <T extends string>(allowed: readonly T[], invalid: (s: string) => string, set: (out: QueueArguments, s: T) => void): Check =>
  (v, out) => {
    const s = stringValue(v);
    if (s === undefined) return `{unacceptable_type,${rabbitType(v)}}`;
    if (!allowed.includes(s as T)) return invalid(s);
    set(out, s as T);
    return null;
  };

const text =
  (set: (out: QueueArguments, s: string) => void): Check =>
  (v, out) => {
    const s = stringValue(v);
    if (s === undefined) return `{unacceptable_type,${rabbitType(v)}}`;
    set(out, s);
    return null;
  };

const CHECKS: Record<string, Check> = {
  "x-expires": expiry((o, n) => (o.expires = n), false),
  "x-message-ttl": expiry((o, n) => (o.messageTtl = n), true),
  "x-dead-letter-exchange": text((o, s) => (o.deadLetterExchange = s)),
  "x-dead-letter-routing-key": (v, out) => {
    const problem = text((o, s) => (o.deadLetterRoutingKey = s))(v, out);
    return problem ?? (out.deadLetterExchange === undefined ? "routing_key_but_no_dlx_defined" : null);
  },
  "x-max-length": nonNegative((o, n) => (o.maxLength = n)),
  "x-max-length-bytes": nonNegative((o, n) => (o.maxLengthBytes = n)),
  "x-max-in-memory-length": nonNegative(() => {}),
  "x-max-in-memory-bytes": nonNegative(() => {}),
  "x-delivery-limit": nonNegative((o, n) => (o.deliveryLimit = n)),
  "x-max-priority": (v, out) => {
    const n = int(v);
    if (typeof n === "string") return n;
    if (n < 0) return `{value_negative,${n}}`;
    if (n > 255) return `{max_value_exceeded,${n}}`;
    out.maxPriority = n;
    return null;
  },
  "x-overflow": oneOf(
    ["drop-head", "reject-publish", "reject-publish-dlx"] as const,
    () => "invalid_overflow",
    (o, s) => (o.overflow = s),
  ),
  "x-queue-mode": oneOf(
    ["default", "lazy"] as const,
    (m) => `"unsupported queue mode '${m}'"`,
    (o, s) => (o.queueMode = s),
  ),
  "x-queue-type": oneOf(
    ["classic", "quorum", "stream"] as const,
    (t) => `"unsupported queue type '${t}'"`,
    (o, s) => (o.queueType = s),
  ),
  "x-single-active-consumer": (v, out) => {
    if (typeof v !== "boolean") return `{unacceptable_type,${rabbitType(v)}}`;
    out.singleActiveConsumer = v;
    return null;
  },
  "x-max-age": (v, out) => {
    const s = stringValue(v);
    if (s === undefined) return `{unacceptable_type,${rabbitType(v)}}`;
    // RabbitMQ 3.10 crashes the connection (541) on a string that is not an interval; Warren says why
    const ms = parseMaxAge(s);
    if (ms === undefined) return "invalid_max_age";
    out.maxAge = s;
    out.maxAgeMs = ms;
    return null;
  },
  "x-stream-max-segment-size-bytes": nonNegative((o, n) => (o.streamMaxSegmentSizeBytes = n)),
  "x-initial-cluster-size": (v) => {
    const n = int(v);
    return typeof n === "string" ? n : null;
  },
  "x-quorum-initial-group-size": (v) => {
    const n = int(v);
    return typeof n === "string" ? n : null;
  },
  "x-dead-letter-strategy": oneOf(
    ["at-most-once", "at-least-once"] as const,
    () => "invalid_dlx_strategy",
    () => {},
  ),
};

/** Validates declare arguments as RabbitMQ does: known `x-` args type-checked, unknown ones ignored. */
export function parseQueueArguments(args: FieldTable, queue: string, vhost: string): QueueArguments | BrokerError {
  const out: QueueArguments = {};
  // RabbitMQ type-checks the dead-letter arguments first, with a differently worded error
  for (const key of TYPED_STRING_ARGS) {
    const v = args[key];
    if (v !== undefined && stringValue(v) === undefined) {
      return new BrokerError(
        ReplyCode.PRECONDITION_FAILED,
        `invalid type '${rabbitType(v)}' for arg '${key}' in ${describe("queue", queue, vhost)}`,
      );
    }
  }
  // the routing key check needs the exchange, whatever order the client put them in
  const keys = Object.keys(args).sort((a, b) => (a === "x-dead-letter-routing-key" ? 1 : b === "x-dead-letter-routing-key" ? -1 : 0));
  for (const key of keys) {
    const check = CHECKS[key];
    if (!check) continue;
    const problem = check(args[key]!, out);
    if (problem !== null) return errors.invalidArg(key, "queue", queue, vhost, problem);
  }
  return out;
}

/** Arguments compared on redeclare; RabbitMQ ignores differences in the others. */
export const EQUIVALENCE_CHECKED_ARGS: readonly string[] = [
  "x-expires",
  "x-message-ttl",
  "x-dead-letter-exchange",
  "x-dead-letter-routing-key",
  "x-max-length",
  "x-max-length-bytes",
  "x-max-priority",
  "x-overflow",
  "x-queue-mode",
  "x-single-active-consumer",
  "x-queue-type",
  "x-delivery-limit",
  "x-max-age",
];

/**
 * A queue's effective settings: what it enforces right now. Declare-time `x-` arguments give the
 * first value (`settingsFromArguments`); the policy layer (policies and operator policies) computes
 * a new one when policies change and hands it to `Queue.applySettings`, which applies it live.
 * Absent fields mean "not set" (no TTL, no limit, no dead-lettering…).
 */
export interface QueueSettings {
  /** Per-queue message TTL in ms (x-message-ttl / policy message-ttl); 0 = deliver now or expire. */
  readonly messageTtl?: number;
  /** Queue TTL in ms (x-expires / policy expires): an unused queue is deleted after it. */
  readonly expires?: number;
  readonly maxLength?: number;
  readonly maxLengthBytes?: number;
  /** What happens at a length limit; drop-head when absent. */
  readonly overflow?: Overflow;
  readonly deadLetterExchange?: string;
  readonly deadLetterRoutingKey?: string;
  /** Priority levels 0..maxPriority (x-max-priority); absent = a plain FIFO. */
  readonly maxPriority?: number;
  /** Quorum queues: deliveries after which a message is dead-lettered (reason delivery_limit). */
  readonly deliveryLimit?: number;
  readonly queueMode?: "default" | "lazy";
}

/** The settings a queue's declare-time `x-` arguments give it. */
export function settingsFromArguments(a: QueueArguments): QueueSettings {
  const s: { -readonly [K in keyof QueueSettings]: QueueSettings[K] } = {};
  if (a.messageTtl !== undefined) s.messageTtl = a.messageTtl;
  if (a.expires !== undefined) s.expires = a.expires;
  if (a.maxLength !== undefined) s.maxLength = a.maxLength;
  if (a.maxLengthBytes !== undefined) s.maxLengthBytes = a.maxLengthBytes;
  if (a.overflow !== undefined) s.overflow = a.overflow;
  if (a.deadLetterExchange !== undefined) s.deadLetterExchange = a.deadLetterExchange;
  if (a.deadLetterRoutingKey !== undefined) s.deadLetterRoutingKey = a.deadLetterRoutingKey;
  if (a.maxPriority !== undefined) s.maxPriority = a.maxPriority;
  // RabbitMQ honours x-delivery-limit on quorum queues only
  if (a.deliveryLimit !== undefined && a.queueType === "quorum") s.deliveryLimit = a.deliveryLimit;
  if (a.queueMode !== undefined) s.queueMode = a.queueMode;
  return s;
}

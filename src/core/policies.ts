/**
 * Policies and operator policies, as RabbitMQ 3.10 has them (`rabbitmqctl set_policy`,
 * `set_operator_policy`): a name, a regular expression matched against queue or exchange names,
 * what it applies to, a priority and a definition. The highest-priority matching policy of each
 * kind applies; an operator policy's numeric limits are merged with the user policy's by taking
 * the lower value, and x-arguments given at declare time take precedence as RabbitMQ's queues
 * resolve them (the lower value for limits and TTLs, the argument for everything else).
 * Definitions are validated with RabbitMQ's messages (checked on a 3.10.5 node).
 */
import { compilePattern, type NamePattern, PatternError } from "./patterns.js";
import type { FieldTable, FieldValue } from "./message.js";
import { integerValue, stringValue } from "./field-types.js";
import { parseMaxAge } from "./queue-arguments.js";

export type PolicyApplyTo = "queues" | "exchanges" | "all";
export type PolicyKind = "policy" | "operator";
export type PolicyValue = string | number | boolean | null | PolicyValue[] | { [key: string]: PolicyValue };
export type PolicyDefinition = Record<string, PolicyValue>;

export interface Policy {
  readonly name: string;
  readonly pattern: string;
  readonly applyTo: PolicyApplyTo;
  readonly priority: number;
  readonly definition: PolicyDefinition;
}

export interface PolicyInput {
  name: string;
  pattern: string;
  definition: PolicyDefinition;
  applyTo?: PolicyApplyTo | string;
  priority?: number;
}

/** A policy RabbitMQ would refuse; `reason` is its message. */
export class PolicyError {
  constructor(readonly reason: string) {}
  toString(): string {
    return this.reason;
  }
}

/** Erlang's ~p of a JSON value, as RabbitMQ's validation messages print it. */
function erl(v: PolicyValue): string {
  if (typeof v === "string") return `<<"${v}">>`;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null) return "null";
  return JSON.stringify(v);
}

type Validator = (v: PolicyValue) => string | null;

const nonNegInt =
  (what: string): Validator =>
  (v) =>
    Number.isInteger(v) && (v as number) >= 0 ? null : `${erl(v)} is not a valid ${what}`;
const positiveInt =
  (what: string): Validator =>
  (v) =>
    Number.isInteger(v) && (v as number) >= 1 ? null : `${erl(v)} is not a valid ${what}`;
const binary =
  (what: string): Validator =>
  (v) =>
    typeof v === "string" ? null : `${erl(v)} is not a valid ${what}`;
const oneOf =
  (allowed: string[], what: string): Validator =>
  (v) =>
    typeof v === "string" && allowed.includes(v) ? null : `${erl(v)} is not a valid ${what}`;
const anything: Validator = () => null;

/** rabbit_policies' keys for user policies (plus the HA and federation keys RabbitMQ knows, accepted as-is). */
const POLICY_KEYS: Record<string, Validator> = {
  "alternate-exchange": binary("alternate exchange name"),
  "dead-letter-exchange": binary("dead letter exchange name"),
  "dead-letter-routing-key": binary("dead letter routing key"),
  "dead-letter-strategy": oneOf(["at-most-once", "at-least-once"], "dead letter strategy"),
  "message-ttl": nonNegInt("message TTL"),
  expires: positiveInt("queue expiry"),
  "max-length": nonNegInt("maximum length"),
  "max-length-bytes": nonNegInt("maximum length in bytes"),
  "max-in-memory-length": nonNegInt("maximum memory in bytes"),
  "max-in-memory-bytes": nonNegInt("maximum memory in bytes"),
  "delivery-limit": nonNegInt("delivery limit"),
  "queue-mode": oneOf(["default", "lazy"], "queue-mode value"),
  overflow: oneOf(["drop-head", "reject-publish", "reject-publish-dlx"], "overflow value"),
  "max-age": (v) => (typeof v === "string" && parseMaxAge(v) !== undefined ? null : `${erl(v)} is not a valid max age`),
  "stream-max-segment-size-bytes": nonNegInt("segment size"),
  "queue-leader-locator": binary("queue leader locator"),
  "queue-master-locator": binary("queue master locator"),
  "ha-mode": anything,
  "ha-params": anything,
  "ha-sync-mode": anything,
  "ha-promote-on-shutdown": anything,
  "ha-promote-on-failure": anything,
  "ha-sync-batch-size": anything,
  "federation-upstream": anything,
  "federation-upstream-set": anything,
};

/** Operator policies take only limits (rabbit_policies' operator_policy_validator keys). */
const OPERATOR_KEYS = new Set([
  "expires",
  "message-ttl",
  "max-length",
  "max-length-bytes",
  "max-in-memory-length",
  "max-in-memory-bytes",
  "delivery-limit",
]);

/** Validates a policy as `rabbitmqctl set_policy` / `set_operator_policy` would. */
export function validatePolicy(p: PolicyInput, kind: PolicyKind): Policy | PolicyError {
  const applyTo = p.applyTo ?? "all";
  if (applyTo !== "queues" && applyTo !== "exchanges" && applyTo !== "all") {
    return new PolicyError(`apply-to '${applyTo}' unrecognised; should be 'queues', 'exchanges' or 'all'`);
  }
  const compiled = compilePattern(p.pattern);
  if (compiled instanceof PatternError) {
    return new PolicyError(`pattern should be regular expression but is invalid: ${compiled.message}`);
  }
  const priority = p.priority ?? 0;
  if (!Number.isInteger(priority)) return new PolicyError(`priority must be an integer, got ${String(priority)}`);
  const def = p.definition;
  const keys = Object.keys(def);
  if (keys.length === 0) return new PolicyError("no policy provided");
  const unknown = keys.filter((k) => (kind === "operator" ? !OPERATOR_KEYS.has(k) : POLICY_KEYS[k] === undefined));
  if (unknown.length > 0) {
    return new PolicyError(`[${unknown.map((k) => `{<<"${k}">>,${erl(def[k]!)}}`).join(",")}] are not recognised policy settings`);
  }
  for (const k of keys) {
    const problem = POLICY_KEYS[k]!(def[k]!);
    if (problem !== null) return new PolicyError(problem);
  }
  return { name: p.name, pattern: p.pattern, applyTo, priority, definition: { ...def } };
}

const NOTHING: NamePattern = { test: () => false };

interface Compiled {
  readonly policy: Policy;
  readonly regex: NamePattern;
}

/** One vhost's policies of one kind. */
export class PolicySet {
  private readonly byName = new Map<string, Compiled>();

  set(p: Policy): void {
    const regex = compilePattern(p.pattern);
    // validatePolicy refused patterns that do not compile; one that still fails matches nothing
    this.byName.set(p.name, { policy: p, regex: regex instanceof PatternError ? NOTHING : regex });
  }

  clear(name: string): boolean {
    return this.byName.delete(name);
  }

  get(name: string): Policy | undefined {
    return this.byName.get(name)?.policy;
  }

  list(): Policy[] {
    return [...this.byName.values()].map((c) => c.policy);
  }

  get size(): number {
    return this.byName.size;
  }

  /** The policy that applies to a queue or exchange: the highest priority among those matching (ties: first by name). */
  match(name: string, target: "queue" | "exchange"): Policy | null {
    let best: Policy | null = null;
    for (const { policy, regex } of this.byName.values()) {
      if (policy.applyTo !== "all" && policy.applyTo !== (target === "queue" ? "queues" : "exchanges")) continue;
      if (!regex.test(name)) continue;
      if (best === null || policy.priority > best.priority || (policy.priority === best.priority && policy.name < best.name)) best = policy;
    }
    return best;
  }
}

/** Keys where the lower of policy and argument applies (rabbit_amqqueue_process's res_min); for the rest the argument wins. */
const LOWER_WINS = new Set([
  "expires",
  "message-ttl",
  "max-length",
  "max-length-bytes",
  "max-in-memory-length",
  "max-in-memory-bytes",
  "delivery-limit",
]);

/** The policy keys that stand for queue x-arguments. */
const QUEUE_KEYS = [
  "message-ttl",
  "expires",
  "max-length",
  "max-length-bytes",
  "overflow",
  "dead-letter-exchange",
  "dead-letter-routing-key",
  "dead-letter-strategy",
  "queue-mode",
  "delivery-limit",
  "max-age",
  "stream-max-segment-size-bytes",
  "max-in-memory-length",
  "max-in-memory-bytes",
];

/** A policy value, merged from the user policy and the operator policy (the lower value for the operator's limits). */
export function policyValue(key: string, policy: Policy | null, operator: Policy | null): PolicyValue | undefined {
  const a = policy?.definition[key];
  const b = operator?.definition[key];
  if (a === undefined) return b;
  if (b === undefined) return a;
  return typeof a === "number" && typeof b === "number" ? Math.min(a, b) : b;
}

/**
 * The x-arguments a queue behaves by: its declared arguments with the policies' values filled in,
 * resolved as RabbitMQ resolves them. Declared arguments are never changed (redeclaration compares
 * against them); this table is what the queue applies.
 */
export function effectiveQueueArguments(declared: FieldTable, policy: Policy | null, operator: Policy | null): FieldTable {
  if (policy === null && operator === null) return declared;
  const out: FieldTable = { ...declared };
  for (const key of QUEUE_KEYS) {
    const pv = policyValue(key, policy, operator);
    if (pv === undefined) continue;
    const arg = `x-${key}`;
    const av: FieldValue | undefined = declared[arg];
    if (av === undefined) {
      out[arg] = pv as FieldValue;
      continue;
    }
    if (LOWER_WINS.has(key) && typeof pv === "number") {
      const n = integerValue(av);
      if (n !== undefined && pv < n) out[arg] = pv;
    }
  }
  return out;
}

/** The alternate exchange an exchange routes unroutable messages to: its argument, else its policy's. */
export function effectiveAlternateExchange(args: FieldTable, policy: Policy | null): string | undefined {
  const a = args["alternate-exchange"];
  if (a !== undefined) return stringValue(a);
  const p = policy?.definition["alternate-exchange"];
  return typeof p === "string" ? p : undefined;
}

/**
 * Which runtime-parameter components Warren takes, and how each value is checked, as RabbitMQ
 * 3.10 checks them (rabbit_parameter_validation:proplist with each component's constraints). The
 * texts are RabbitMQ's, Erlang terms printed as its `~p` prints them, so a client sees the same
 * "Validation failed" answer from both brokers.
 *
 * RabbitMQ refuses a component no plugin registered ("component foo not found"); Warren takes the
 * components of the federation and shovel plugins as if those plugins were enabled, keeps and
 * exports their parameters, and does not act on them (the caller warns). Policies have their own
 * API ("policies may not be set using this method"); operator policies travel as the
 * `operator_policy` component in RabbitMQ's definitions and are handled by the broker.
 */
import type { ParameterValue } from "./parameters.js";

/** Erlang's `~p` of a JSON value decoded by RabbitMQ (a top-level object becomes a proplist). */
export function erlangTerm(v: ParameterValue, top = false): string {
  if (typeof v === "string") return `<<"${v}">>`;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return `[${v.map((x) => erlangTerm(x)).join(",")}]`;
  const entries = Object.entries(v);
  if (top) return `[${entries.map(([k, x]) => `{<<"${k}">>,${erlangTerm(x)}}`).join(",")}]`;
  return `#{${entries.map(([k, x]) => `<<"${k}">> => ${erlangTerm(x)}`).join(",")}}`;
}

type Check = (key: string, v: ParameterValue) => string | null;

const integer: Check = (k, v) => (Number.isInteger(v) ? null : `${k} should be a number, actually was ${erlangTerm(v)}`);
const number: Check = (k, v) => (typeof v === "number" ? null : `${k} should be a number, actually was ${erlangTerm(v)}`);
const binary: Check = (k, v) => (typeof v === "string" ? null : `${k} should be binary, actually was ${erlangTerm(v)}`);
const boolean: Check = (k, v) => (typeof v === "boolean" ? null : `${k} should be boolean, actually was ${erlangTerm(v)}`);
const list: Check = (k, v) => (typeof v === "string" || Array.isArray(v) ? null : `${k} should be list, actually was ${erlangTerm(v)}`);
const anything: Check = () => null;
const oneOf =
  (options: string[]): Check =>
  (k, v) =>
    typeof v !== "string"
      ? `${k} should be binary, actually was ${erlangTerm(v)}`
      : options.includes(v)
        ? null
        : `${k} should be one of [${options.map((o) => `<<"${o}">>`).join(",")}], actually was ${erlangTerm(v)}`;

type Constraint = [key: string, check: Check, needed: "mandatory" | "optional"];

/**
 * rabbit_parameter_validation:proplist: each constraint's check in order, a missing mandatory key,
 * then the keys no constraint names. RabbitMQ reports them last first; so does this.
 */
function proplist(name: string, constraints: Constraint[], value: ParameterValue): string[] {
  // an empty list is an empty proplist (what clearing the last vhost limit leaves)
  if (Array.isArray(value) && value.length === 0) value = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [`${name} not a list ${erlangTerm(value)}`];
  const rest = new Map(Object.entries(value));
  const out: string[] = [];
  for (const [key, check, needed] of constraints) {
    if (rest.has(key)) {
      const problem = check(key, rest.get(key)!);
      if (problem !== null) out.unshift(problem);
      rest.delete(key);
    } else if (needed === "mandatory") out.unshift(`Key "${key}" not found in ${name}`);
  }
  if (rest.size > 0) out.unshift(`Unrecognised terms ${erlangTerm(Object.fromEntries(rest), true)} in ${name}`);
  return out;
}

const VHOST_LIMITS: Constraint[] = [
  ["max-connections", integer, "optional"],
  ["max-queues", integer, "optional"],
];

/** rabbit_federation_parameters:shared_validation. */
const FEDERATION_SHARED: Constraint[] = [
  ["exchange", binary, "optional"],
  ["queue", binary, "optional"],
  ["consumer-tag", binary, "optional"],
  ["prefetch-count", number, "optional"],
  ["reconnect-delay", number, "optional"],
  ["max-hops", number, "optional"],
  ["expires", number, "optional"],
  ["message-ttl", number, "optional"],
  ["trust-user-id", boolean, "optional"],
  ["ack-mode", oneOf(["no-ack", "on-publish", "on-confirm"]), "optional"],
  ["resource-cleanup-mode", oneOf(["default", "never"]), "optional"],
  ["ha-policy", binary, "optional"],
  ["bind-nowait", boolean, "optional"],
  ["channel-use-mode", oneOf(["multiple", "single"]), "optional"],
];

/** The dynamic shovel's keys (rabbit_shovel_parameters, AMQP 0-9-1 and 1.0 sources and destinations). */
const SHOVEL_KEYS = [
  "src-protocol",
  "dest-protocol",
  "src-uri",
  "dest-uri",
  "src-exchange",
  "src-exchange-key",
  "src-queue",
  "src-queue-args",
  "src-consumer-args",
  "src-address",
  "src-prefetch-count",
  "src-delete-after",
  "dest-exchange",
  "dest-exchange-key",
  "dest-queue",
  "dest-queue-args",
  "dest-address",
  "dest-add-forward-headers",
  "dest-add-timestamp-header",
  "dest-publish-properties",
  "dest-properties",
  "dest-application-properties",
  "dest-message-annotations",
  "prefetch-count",
  "reconnect-delay",
  "add-forward-headers",
  "add-timestamp-header",
  "publish-properties",
  "ack-mode",
  "delete-after",
];

function shovel(name: string, v: ParameterValue): string[] {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return [`${name} not a list ${erlangTerm(v)}`];
  const out: string[] = [];
  const amqp091 = (v["src-protocol"] ?? "amqp091") === "amqp091";
  if (amqp091 && v["src-exchange"] === undefined && v["src-queue"] === undefined) out.push("Must specify 'src-exchange' or 'src-queue'");
  out.push(
    ...proplist(
      name,
      SHOVEL_KEYS.map(
        (k): Constraint => [k, k.endsWith("-uri") ? list : anything, k === "src-uri" || k === "dest-uri" ? "mandatory" : "optional"],
      ),
      v,
    ),
  );
  return out;
}

/** The components Warren takes and what it does with each. */
export const PARAMETER_COMPONENTS = [
  "vhost-limits",
  "federation-upstream",
  "federation-upstream-set",
  "shovel",
  "operator_policy",
] as const;

/** Components Warren keeps and exports without acting on them, and what to tell the operator. */
export const KEPT_ONLY: Readonly<Record<string, string>> = {
  "federation-upstream": "federation is not implemented: the upstream is kept and exported, not connected to",
  "federation-upstream-set": "federation is not implemented: the upstream set is kept and exported, not used",
  shovel: "shovels are not implemented: the shovel is kept and exported, not started",
};

/**
 * RabbitMQ's answer to setting this parameter, or null when it is acceptable: the text after
 * "Validation failed" (lines joined), or the plain refusal for policies.
 */
export function parameterProblem(component: string, name: string, value: ParameterValue): string | null {
  if (component === "policy") return "policies may not be set using this method";
  let problems: string[];
  switch (component) {
    case "vhost-limits":
      problems = proplist(name, VHOST_LIMITS, value);
      break;
    case "federation-upstream":
      problems = proplist(name, [["uri", list, "mandatory"], ...FEDERATION_SHARED], value);
      break;
    case "federation-upstream-set":
      problems = Array.isArray(value)
        ? value.flatMap((u) => proplist(name, [["upstream", binary, "mandatory"], ...FEDERATION_SHARED], u))
        : [`${name} should be list, actually was ${erlangTerm(value)}`];
      break;
    case "shovel":
      problems = shovel(name, value);
      break;
    default:
      problems = [`component ${component} not found`];
  }
  return problems.length === 0 ? null : `Validation failed\n\n${problems.join("\n")}\n`;
}

/**
 * An object written as Erlang proplist pairs (`[["max-length", 1]]`, as rabbitmqctl's export
 * writes nested values) as the JSON object it stands for; anything else unchanged.
 */
export function fromProplist(v: ParameterValue): ParameterValue {
  if (!Array.isArray(v) || v.length === 0) return v;
  if (!v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string")) return v;
  return Object.fromEntries((v as [string, ParameterValue][]).map(([k, x]) => [k, x]));
}

/** A vhost's limits as RabbitMQ reads them: a negative value (or none) means no limit. */
export interface VhostLimits {
  readonly maxConnections?: number;
  readonly maxQueues?: number;
}

export const NO_LIMITS: VhostLimits = {};

/** The limits a `vhost-limits` parameter value sets. */
export function vhostLimitsOf(value: ParameterValue | undefined): VhostLimits {
  if (value === undefined || value === null || typeof value !== "object" || Array.isArray(value)) return NO_LIMITS;
  const read = (k: string): number | undefined => {
    const n = value[k];
    return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const maxConnections = read("max-connections");
  const maxQueues = read("max-queues");
  return {
    ...(maxConnections !== undefined && { maxConnections }),
    ...(maxQueues !== undefined && { maxQueues }),
  };
}

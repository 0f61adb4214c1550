/**
 * Definitions in RabbitMQ's definitions JSON format (what `rabbitmqctl export_definitions` and
 * GET /api/definitions write): users with their password hashes (sha256, sha512 or md5), vhosts
 * with their metadata, permissions, runtime and global parameters, policies, and the durable
 * exchanges, queues and bindings. Transient and exclusive things are not definitions.
 *
 * Importing never drops anything silently: every part is imported, kept with a warning saying
 * what Warren does not act on, or refused with a reason — and a refusal of the file's shape
 * (an unknown hashing algorithm, a parameter component Warren does not know, an object in a vhost
 * that does not exist) refuses the whole file before anything is changed.
 */
import * as fs from "node:fs";
import { dirname } from "node:path";
import {
  BrokerError,
  type Broker,
  type Exchange,
  type FieldTable,
  type ParameterValue,
  type PolicyDefinition,
  type PolicyKind,
  PolicyError,
  type Queue,
  DEFAULT_HASHING,
  HASHING_ALGORITHMS,
  hashProblem,
  isHashingAlgorithm,
  type HashingAlgorithm,
  type VhostMetadata,
  type VirtualHost,
} from "../core/index.js";
import { validatePolicy } from "../core/policies.js";
import { fromProplist, KEPT_ONLY, parameterProblem } from "../core/parameter-validation.js";
import { fieldTableJson } from "../core/field-json.js";

interface VhostJson {
  name: string;
  description?: string;
  tags?: string[] | string;
  default_queue_type?: string;
  metadata?: { description?: string; tags?: string[] | string; default_queue_type?: string };
  /** rabbitmqctl export_definitions writes a vhost's limits here, as [name, value] pairs. */
  limits?: [string, number][] | Record<string, number>;
  tracing?: boolean;
}

export interface Definitions {
  rabbit_version: string;
  warren_version?: string;
  users: {
    name: string;
    password_hash: string;
    hashing_algorithm: string;
    tags: string[] | string;
    limits?: Record<string, unknown>;
  }[];
  vhosts: VhostJson[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions?: { user: string; vhost: string; exchange: string; write: string; read: string }[];
  parameters?: { vhost: string; component: string; name: string; value: ParameterValue }[];
  global_parameters?: { name: string; value: ParameterValue }[];
  queues: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[];
  exchanges: {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  bindings: {
    source: string;
    vhost: string;
    destination: string;
    destination_type: "queue" | "exchange";
    routing_key: string;
    arguments: Record<string, unknown>;
  }[];
  policies?: PolicyJson[];
  /**
   * Read from data dirs written by earlier Warren versions (same shape as `policies`); exports
   * carry operator policies as RabbitMQ does, as `operator_policy` parameters.
   */
  operator_policies?: PolicyJson[];
}

interface PolicyJson {
  vhost: string;
  name: string;
  pattern: string;
  "apply-to": string;
  definition: PolicyDefinition;
  priority: number;
}

/** The RabbitMQ release whose definitions format this follows. */
const RABBIT_VERSION = "3.10.0";

const jsonTable = fieldTableJson;

/** A vhost's metadata as RabbitMQ's definitions carry it (rabbitmqctl's `metadata` object). */
function metadataJson(m: VhostMetadata): VhostJson["metadata"] | undefined {
  if (m.description === undefined && m.tags.length === 0 && m.defaultQueueType === undefined) return undefined;
  return {
    description: m.description ?? "",
    tags: m.tags,
    ...(m.defaultQueueType !== undefined && { default_queue_type: m.defaultQueueType }),
  };
}

/**
 * Snapshot of what must survive a restart. With `includeTransient` (the management API's export,
 * as RabbitMQ's) non-durable exchanges, queues and bindings are listed too; exclusive queues never are.
 */
export function exportDefinitions(broker: Broker, opts: { includeTransient?: boolean } = {}): Definitions {
  const all = opts.includeTransient === true;
  const d: Definitions = {
    rabbit_version: RABBIT_VERSION,
    users: [],
    vhosts: [],
    permissions: [],
    topic_permissions: [],
    parameters: [],
    global_parameters: [],
    queues: [],
    exchanges: [],
    bindings: [],
    policies: [],
  };
  for (const u of broker.users.list()) {
    d.users.push({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: u.hashingAlgorithm,
      tags: u.tags,
      limits: u.limits ?? {},
    });
  }
  for (const [vhost, user, p] of broker.users.allPermissions()) d.permissions.push({ user, vhost, ...p });
  for (const [vhost, user, p] of broker.users.allTopicPermissions()) d.topic_permissions!.push({ user, vhost, ...p });
  // operator policies go out as RabbitMQ writes them: `operator_policy` parameters
  for (const p of broker.listParameters()) d.parameters!.push({ value: p.value, vhost: p.vhost, component: p.component, name: p.name });
  d.global_parameters!.push(...broker.parameters.listGlobal());
  for (const v of broker.listVhosts()) {
    const metadata = metadataJson(v.metadata);
    d.vhosts.push({ name: v.name, ...(metadata !== undefined && { metadata }) });
    for (const p of v.listPolicies("policy")) {
      d.policies!.push({
        vhost: v.name,
        name: p.name,
        pattern: p.pattern,
        "apply-to": p.applyTo,
        definition: p.definition,
        priority: p.priority,
      });
    }
    for (const x of v.exchanges.values()) {
      if ((!x.durable && !all) || x.name === "" || x.name.startsWith("amq.")) continue;
      d.exchanges.push({
        name: x.name,
        vhost: v.name,
        type: x.type,
        durable: x.durable,
        auto_delete: x.autoDelete,
        internal: x.internal,
        arguments: jsonTable(x.options.args),
      });
    }
    for (const q of v.queues.values()) {
      if ((!q.durable && !all) || q.exclusive) continue;
      d.queues.push({ name: q.name, vhost: v.name, durable: q.durable, auto_delete: q.autoDelete, arguments: jsonTable(q.options.args) });
    }
    for (const b of v.allBindings()) {
      const dest = b.destination as Queue | Exchange;
      if (b.source.name === "" || (dest.kind === "queue" && (dest as Queue).exclusive)) continue;
      if (!all && (!b.source.durable || !dest.durable)) continue;
      d.bindings.push({
        source: b.source.name,
        vhost: v.name,
        destination: dest.name,
        destination_type: dest.kind,
        routing_key: b.routingKey,
        arguments: jsonTable(b.args),
      });
    }
  }
  return d;
}

/** The parts of a definitions file, in the order they are imported. */
export const SECTIONS = [
  "users",
  "vhosts",
  "permissions",
  "topic_permissions",
  "parameters",
  "global_parameters",
  "policies",
  "operator_policies",
  "exchanges",
  "queues",
  "bindings",
] as const;
export type Section = (typeof SECTIONS)[number];

/** Top-level fields that describe the file rather than define anything. */
const FILE_METADATA = new Set(["rabbit_version", "rabbitmq_version", "product_name", "product_version", "warren_version", "explicit_id"]);

/** What an import did: counts per part, what was kept without being acted on, what was refused. */
export interface ImportReport {
  imported: Record<Section, number>;
  /** Imported (or left out) with something Warren does not do; each says what and why. */
  warnings: string[];
  /** Not imported, each with the reason; a non-empty list means the import failed. */
  refused: string[];
}

/** An import that refused something: the report says what was imported before and what was refused. */
export class DefinitionsRefused extends Error {
  override readonly name = "DefinitionsRefused";
  constructor(
    readonly source: string,
    readonly report: ImportReport,
  ) {
    super(`${source}: definitions refused: ${report.refused.join("; ")}`);
  }
}

/** One line for the log and the CLI: "imported 3 users, 2 vhosts …; 2 warnings: …". */
export function describeImport(r: ImportReport): string {
  const counts = SECTIONS.filter((s) => r.imported[s] > 0).map((s) => `${r.imported[s]} ${s.replace("_", " ")}`);
  let line = counts.length > 0 ? `imported ${counts.join(", ")}` : "imported nothing";
  if (r.warnings.length > 0) line += `; ${r.warnings.length} warning(s): ${r.warnings.join("; ")}`;
  if (r.refused.length > 0) line += `; refused ${r.refused.length}: ${r.refused.join("; ")}`;
  return line;
}

/** Global parameters Warren uses or that carry no behaviour; any other is kept with a warning. */
const KNOWN_GLOBALS = new Set(["cluster_name", "internal_cluster_id"]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const asObj = (v: unknown): Obj | null => (isObj(v) ? v : null);
const tagList = (t: unknown): string[] =>
  Array.isArray(t)
    ? t.map(String)
    : String(t ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);

/**
 * Recreates definitions in a broker (queues restore their messages as they are declared) and says
 * what it did. Throws DefinitionsRefused, having changed nothing, when the file's shape is refused;
 * objects refused while applying (a policy or queue the broker rejects) are reported the same way,
 * after the rest was imported.
 */
export function importDefinitions(broker: Broker, input: unknown, source: string): ImportReport {
  const report: ImportReport = {
    imported: Object.fromEntries(SECTIONS.map((s) => [s, 0])) as Record<Section, number>,
    warnings: [],
    refused: [],
  };
  const refuse = (why: string) => void report.refused.push(why);
  const warn = (why: string) => void report.warnings.push(why);
  if (!isObj(input)) {
    refuse("the definitions are not a JSON object");
    throw new DefinitionsRefused(source, report);
  }
  const list = (section: Section): Obj[] => {
    const v = input[section];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      refuse(`${section}: expected a list`);
      return [];
    }
    return v.filter((x, i) => isObj(x) || (refuse(`${section}[${i}]: expected an object`), false)) as Obj[];
  };
  const str = (o: Obj, field: string, what: string): string | null => {
    const v = o[field];
    if (typeof v === "string") return v;
    refuse(`${what}: "${field}" must be a string`);
    return null;
  };
  for (const k of Object.keys(input)) {
    if (!FILE_METADATA.has(k) && !(SECTIONS as readonly string[]).includes(k)) warn(`unknown section "${k}" skipped`);
  }

  // ---- first pass: the file's shape; nothing changes unless all of it is acceptable ----
  const users = list("users");
  const vhosts = list("vhosts");
  const permissions = list("permissions");
  const topicPermissions = list("topic_permissions");
  const parameters = list("parameters");
  const globals = list("global_parameters");
  const policies = list("policies");
  const operatorPolicies = list("operator_policies");
  const exchanges = list("exchanges");
  const queues = list("queues");
  const bindings = list("bindings");

  const vhostNames = new Set(broker.listVhosts().map((v) => v.name));
  for (const v of vhosts) if (typeof v.name === "string") vhostNames.add(v.name);
  const userNames = new Set(broker.users.list().map((u) => u.name));
  for (const u of users) if (typeof u.name === "string") userNames.add(u.name);
  const inVhost = (o: Obj, what: string): boolean => {
    const v = str(o, "vhost", what);
    if (v === null) return false;
    if (!vhostNames.has(v)) {
      refuse(`${what}: no_such_vhost '${v}'`);
      return false;
    }
    return true;
  };

  const userPlans: { name: string; hash: string; algorithm: HashingAlgorithm; tags: string[]; limits: Obj | undefined }[] = [];
  for (const u of users) {
    const name = str(u, "name", "user");
    if (name === null) continue;
    const what = `user '${name}'`;
    const algorithm = u.hashing_algorithm ?? DEFAULT_HASHING;
    if (!isHashingAlgorithm(algorithm)) {
      refuse(
        `${what}: unsupported hashing_algorithm ${JSON.stringify(algorithm)} (Warren supports ${Object.keys(HASHING_ALGORITHMS).join(", ")})`,
      );
      continue;
    }
    const hash = u.password_hash ?? "";
    if (typeof hash !== "string") {
      refuse(`${what}: "password_hash" must be a string`);
      continue;
    }
    const problem = hashProblem(hash, algorithm);
    if (problem !== null) {
      refuse(`${what}: ${problem}`);
      continue;
    }
    const limits = isObj(u.limits) && Object.keys(u.limits).length > 0 ? u.limits : undefined;
    if (limits !== undefined) warn(`${what}: limits ${JSON.stringify(limits)} are kept and exported but not enforced`);
    userPlans.push({ name, hash, algorithm, tags: tagList(u.tags), limits });
  }

  const vhostPlans: { name: string; metadata: VhostMetadata | null; limits: Obj | null }[] = [];
  for (const v of vhosts) {
    const name = str(v, "name", "vhost");
    if (name === null) continue;
    const what = `vhost '${name}'`;
    const m = isObj(v.metadata) ? v.metadata : {};
    // RabbitMQ reads description and tags at the top level first, then in metadata
    const description = v.description ?? m.description;
    const tags = v.tags ?? m.tags;
    const dqt = m.default_queue_type ?? v.default_queue_type;
    const given = description !== undefined || tags !== undefined || dqt !== undefined;
    const metadata: VhostMetadata | null = given
      ? {
          ...(description !== undefined && { description: String(description) }),
          tags: tagList(tags),
          ...(dqt !== undefined && dqt !== null && dqt !== "undefined" && { defaultQueueType: String(dqt) }),
        }
      : null;
    if (metadata?.defaultQueueType !== undefined && metadata.defaultQueueType !== "classic") {
      warn(
        `${what}: default_queue_type ${metadata.defaultQueueType} is kept and exported, but queues declared there without x-queue-type are classic`,
      );
    }
    if (v.tracing === true) warn(`${what}: tracing is not implemented; left off`);
    let limits: Obj | null = null;
    if (Array.isArray(v.limits) && v.limits.length > 0) limits = Object.fromEntries(v.limits as [string, unknown][]);
    else if (isObj(v.limits) && Object.keys(v.limits).length > 0) limits = v.limits;
    const problem = limits === null ? null : parameterProblem("vhost-limits", "limits", limits as ParameterValue);
    if (problem !== null) refuse(`${what}: limits: ${oneLine(problem)}`);
    vhostPlans.push({ name, metadata, limits });
  }

  for (const [i, p] of permissions.entries()) {
    const what = `permissions[${i}] of user '${String(p.user)}'`;
    if (!inVhost(p, what)) continue;
    if (str(p, "user", what) !== null && !userNames.has(p.user as string)) refuse(`${what}: no_such_user '${String(p.user)}'`);
    for (const f of ["configure", "write", "read"]) str(p, f, what);
  }
  for (const [i, p] of topicPermissions.entries()) {
    const what = `topic_permissions[${i}] of user '${String(p.user)}'`;
    if (!inVhost(p, what)) continue;
    if (str(p, "user", what) !== null && !userNames.has(p.user as string)) refuse(`${what}: no_such_user '${String(p.user)}'`);
    for (const f of ["exchange", "write", "read"]) str(p, f, what);
  }

  for (const p of parameters) {
    const what = `parameter ${String(p.component)}/${String(p.name)} in vhost '${String(p.vhost)}'`;
    if (!inVhost(p, what) || str(p, "component", what) === null || str(p, "name", what) === null) continue;
    const component = p.component as string;
    const value = (p.value ?? null) as ParameterValue;
    if (component === "operator_policy") {
      // RabbitMQ's definitions carry operator policies as parameters
      const r = validatePolicy(policyInput({ ...(isObj(value) ? value : {}), name: p.name }), "operator");
      if (r instanceof PolicyError) refuse(`${what}: ${r.reason}`);
      continue;
    }
    // RabbitMQ's own answer for a component no plugin provides, or a value its validation refuses
    const problem = parameterProblem(component, p.name as string, value);
    if (problem !== null) refuse(`${what}: ${oneLine(problem)}`);
    else if (KEPT_ONLY[component] !== undefined) warn(`${what}: ${KEPT_ONLY[component]}`);
  }
  for (const g of globals) {
    const name = str(g, "name", "global parameter");
    if (name !== null && !KNOWN_GLOBALS.has(name)) warn(`global parameter '${name}' is kept and exported, Warren does not act on it`);
  }

  for (const [kind, ps] of [
    ["policy", policies],
    ["operator", operatorPolicies],
  ] as [PolicyKind, Obj[]][]) {
    for (const p of ps) {
      const what = `${kind === "policy" ? "policy" : "operator policy"} '${String(p.name)}' in vhost '${String(p.vhost)}'`;
      if (!inVhost(p, what) || str(p, "name", what) === null) continue;
      const r = validatePolicy(policyInput(p), kind);
      if (r instanceof PolicyError) refuse(`${what}: ${r.reason}`);
    }
  }
  for (const x of exchanges) {
    const what = `exchange '${String(x.name)}' in vhost '${String(x.vhost)}'`;
    if (inVhost(x, what)) str(x, "name", what);
  }
  for (const q of queues) {
    const what = `queue '${String(q.name)}' in vhost '${String(q.vhost)}'`;
    if (inVhost(q, what)) str(q, "name", what);
  }
  // rabbit_definitions:validate_limits: new queues must fit under each vhost's max-queues as it is
  // before the import (a limit the file itself sets is not applied to its own queues)
  const newQueues = new Map<string, number>();
  for (const q of queues) {
    if (typeof q.vhost !== "string" || typeof q.name !== "string") continue;
    const v = broker.vhost(q.vhost);
    if (!(v instanceof BrokerError) && !v.queues.has(q.name)) newQueues.set(q.vhost, (newQueues.get(q.vhost) ?? 0) + 1);
  }
  for (const [name, adding] of newQueues) {
    const v = broker.vhost(name) as VirtualHost;
    const limit = v.limits.maxQueues;
    if (limit !== undefined && v.queues.size + adding > limit) {
      refuse(
        `Adding ${adding} queue(s) to virtual host "${name}" would exceed the limit of ${limit} queue(s). This virtual host currently has ${v.queues.size} queue(s) defined. Import aborted!`,
      );
    }
  }
  for (const b of bindings) {
    const what = `binding ${String(b.source)} → ${String(b.destination)} in vhost '${String(b.vhost)}'`;
    if (!inVhost(b, what)) continue;
    str(b, "source", what);
    str(b, "destination", what);
    if (b.destination_type !== "queue" && b.destination_type !== "exchange")
      refuse(`${what}: destination_type must be "queue" or "exchange"`);
  }
  if (report.refused.length > 0) throw new DefinitionsRefused(source, report);

  // ---- second pass: apply; what the broker rejects is reported, the rest goes in ----
  const failed = (what: string, e: BrokerError | PolicyError) => refuse(`${what}: ${e instanceof PolicyError ? e.reason : e.text}`);
  for (const u of userPlans) {
    broker.users.addHashed(u.name, u.hash, u.tags, u.algorithm, u.limits);
    report.imported.users++;
  }
  for (const v of vhostPlans) {
    const vh = broker.addVhost(v.name);
    if (v.metadata !== null) broker.setVhostMetadata(vh, v.metadata);
    if (v.limits !== null)
      broker.setParameter({ vhost: v.name, component: "vhost-limits", name: "limits", value: v.limits as ParameterValue });
    report.imported.vhosts++;
  }
  for (const p of permissions) {
    broker.users.setPermission(p.user as string, p.vhost as string, {
      configure: p.configure as string,
      write: p.write as string,
      read: p.read as string,
    });
    report.imported.permissions++;
  }
  for (const p of topicPermissions) {
    broker.users.setTopicPermission(p.user as string, p.vhost as string, {
      exchange: p.exchange as string,
      write: p.write as string,
      read: p.read as string,
    });
    report.imported.topic_permissions++;
  }
  for (const p of parameters) {
    const r = broker.setParameter({
      vhost: p.vhost as string,
      component: p.component as string,
      name: p.name as string,
      value: (p.value ?? null) as ParameterValue,
    });
    if (typeof r === "string") refuse(`parameter ${String(p.component)}/${String(p.name)} in vhost '${String(p.vhost)}': ${oneLine(r)}`);
    else if (r instanceof BrokerError) failed(`parameter ${String(p.component)}/${String(p.name)} in vhost '${String(p.vhost)}'`, r);
    else report.imported.parameters++;
  }
  for (const g of globals) {
    broker.parameters.setGlobal(g.name as string, (g.value ?? null) as ParameterValue);
    report.imported.global_parameters++;
  }
  for (const [kind, ps, section] of [
    ["policy", policies, "policies"],
    ["operator", operatorPolicies, "operator_policies"],
  ] as [PolicyKind, Obj[], Section][]) {
    for (const p of ps) {
      const r = broker.addVhost(p.vhost as string).setPolicy(policyInput(p), kind);
      if (r instanceof PolicyError) failed(`policy '${String(p.name)}'`, r);
      else report.imported[section]++;
    }
  }
  for (const x of exchanges) {
    const r = broker.addVhost(x.vhost as string).declareExchange(x.name as string, {
      type: String(x.type ?? "direct"),
      durable: x.durable !== false,
      autoDelete: x.auto_delete === true,
      internal: x.internal === true,
      args: (x.arguments ?? {}) as FieldTable,
    });
    if (r instanceof BrokerError) failed(`exchange '${String(x.name)}' in vhost '${String(x.vhost)}'`, r);
    else report.imported.exchanges++;
  }
  for (const q of queues) {
    const r = broker.addVhost(q.vhost as string).declareQueue(
      q.name as string,
      {
        durable: q.durable !== false,
        autoDelete: q.auto_delete === true,
        args: (q.arguments ?? {}) as FieldTable,
        imported: true,
      },
      null,
    );
    if (r instanceof BrokerError) failed(`queue '${String(q.name)}' in vhost '${String(q.vhost)}'`, r);
    else report.imported.queues++;
  }
  for (const b of bindings) {
    const v = broker.addVhost(b.vhost as string);
    const args = (b.arguments ?? {}) as FieldTable;
    const key = String(b.routing_key ?? "");
    const r =
      b.destination_type === "queue"
        ? v.bindQueue(b.destination as string, b.source as string, key, args, null)
        : v.bindExchange(b.destination as string, b.source as string, key, args);
    if (r instanceof BrokerError) failed(`binding ${String(b.source)} → ${String(b.destination)} in vhost '${String(b.vhost)}'`, r);
    else report.imported.bindings++;
  }
  if (report.refused.length > 0) throw new DefinitionsRefused(source, report);
  return report;
}

/** RabbitMQ's multi-line validation answer on one line, for the report and the log. */
const oneLine = (text: string): string =>
  text
    .trim()
    .replace(/\n+/g, ": ")
    .replace(/^Validation failed: /, "Validation failed: ");

function policyInput(p: Obj): { name: string; pattern: string; applyTo?: string; priority: number; definition: PolicyDefinition } {
  return {
    name: String(p.name),
    pattern: String(p.pattern ?? ""),
    ...(p["apply-to"] !== undefined && p["apply-to"] !== null && { applyTo: String(p["apply-to"]) }),
    priority: p.priority === undefined || p.priority === null || p.priority === "" ? 0 : Number(p.priority),
    // rabbitmqctl's export writes an operator policy's definition as [key, value] pairs
    definition: (isObj(p.definition)
      ? p.definition
      : (asObj(fromProplist((p.definition ?? null) as ParameterValue)) ?? {})) as PolicyDefinition,
  };
}

/** Reads a definitions file; null when there is none yet (first start). */
export function readDefinitions(path: string): Definitions | null {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    return JSON.parse(text) as Definitions;
  } catch (err) {
    throw new Error(`${path} is not valid definitions JSON: ${(err as Error).message}`);
  }
}

/** Replaces the file atomically: write a temp file, fsync it, rename over, fsync the directory. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  const dfd = fs.openSync(dirname(path), "r");
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

/**
 * Definitions in RabbitMQ's definitions JSON format (what `rabbitmqctl export_definitions` writes):
 * users with their sha256 password hashes, vhosts, permissions, and the durable exchanges, queues
 * and bindings. Transient and exclusive things are not definitions and are not written.
 */
import * as fs from "node:fs";
import { dirname } from "node:path";
import {
  BrokerError, type Broker, type Exchange, type FieldTable, type PolicyDefinition, type PolicyKind,
  PolicyError, type Queue,
} from "../core/index.js";
import { fieldTableJson } from "../core/field-json.js";

export interface Definitions {
  rabbit_version: string;
  warren_version?: string;
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string[] | string }[];
  vhosts: { name: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions?: { user: string; vhost: string; exchange: string; write: string; read: string }[];
  queues: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[];
  exchanges: {
    name: string; vhost: string; type: string; durable: boolean; auto_delete: boolean; internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  bindings: {
    source: string; vhost: string; destination: string; destination_type: "queue" | "exchange";
    routing_key: string; arguments: Record<string, unknown>;
  }[];
  policies?: PolicyJson[];
  /** Not in RabbitMQ's export (it keeps operator policies apart); same shape as `policies`. */
  operator_policies?: PolicyJson[];
}

interface PolicyJson {
  vhost: string; name: string; pattern: string; "apply-to": string; definition: PolicyDefinition; priority: number;
}

/** The RabbitMQ release whose definitions format this follows. */
const RABBIT_VERSION = "3.10.0";

const jsonTable = fieldTableJson;

/**
 * Snapshot of what must survive a restart. With `includeTransient` (the management API's export,
 * as RabbitMQ's) non-durable exchanges, queues and bindings are listed too; exclusive queues never are.
 */
export function exportDefinitions(broker: Broker, opts: { includeTransient?: boolean } = {}): Definitions {
  const all = opts.includeTransient === true;
  const d: Definitions = {
    rabbit_version: RABBIT_VERSION, users: [], vhosts: [], permissions: [], topic_permissions: [], queues: [], exchanges: [], bindings: [],
    policies: [], operator_policies: [],
  };
  for (const u of broker.users.list()) {
    d.users.push({ name: u.name, password_hash: u.passwordHash, hashing_algorithm: "rabbit_password_hashing_sha256", tags: u.tags });
  }
  for (const [vhost, user, p] of broker.users.allPermissions()) d.permissions.push({ user, vhost, ...p });
  for (const [vhost, user, p] of broker.users.allTopicPermissions()) d.topic_permissions!.push({ user, vhost, ...p });
  for (const v of broker.listVhosts()) {
    d.vhosts.push({ name: v.name });
    for (const [kind, list] of [["policy", d.policies!], ["operator", d.operator_policies!]] as const) {
      for (const p of v.listPolicies(kind)) {
        list.push({ vhost: v.name, name: p.name, pattern: p.pattern, "apply-to": p.applyTo, definition: p.definition, priority: p.priority });
      }
    }
    for (const x of v.exchanges.values()) {
      if ((!x.durable && !all) || x.name === "" || x.name.startsWith("amq.")) continue;
      d.exchanges.push({
        name: x.name, vhost: v.name, type: x.type, durable: x.durable, auto_delete: x.autoDelete, internal: x.internal,
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
        source: b.source.name, vhost: v.name, destination: dest.name, destination_type: dest.kind,
        routing_key: b.routingKey, arguments: jsonTable(b.args),
      });
    }
  }
  return d;
}

/** Recreates definitions in a broker (queues restore their messages as they are declared). */
export function importDefinitions(broker: Broker, d: Definitions, path: string): void {
  const fail = (what: string, e: BrokerError) => new Error(`${path}: cannot restore ${what}: ${e.text}`);
  for (const u of d.users ?? []) {
    const tags = Array.isArray(u.tags) ? u.tags : String(u.tags ?? "").split(",").filter(Boolean);
    broker.users.addHashed(u.name, u.password_hash, tags);
  }
  for (const v of d.vhosts ?? []) broker.addVhost(v.name);
  for (const p of d.permissions ?? []) broker.users.setPermission(p.user, p.vhost, { configure: p.configure, write: p.write, read: p.read });
  for (const [kind, list] of [["policy", d.policies], ["operator", d.operator_policies]] as [PolicyKind, PolicyJson[] | undefined][]) {
    for (const p of list ?? []) {
      const r = broker.addVhost(p.vhost).setPolicy({
        name: p.name, pattern: p.pattern, applyTo: p["apply-to"], priority: p.priority, definition: p.definition,
      }, kind);
      if (r instanceof PolicyError) throw new Error(`${path}: cannot restore policy '${p.name}': ${r.reason}`);
    }
  }
  for (const p of d.topic_permissions ?? []) broker.users.setTopicPermission(p.user, p.vhost, { exchange: p.exchange, write: p.write, read: p.read });
  for (const x of d.exchanges ?? []) {
    const v = broker.addVhost(x.vhost);
    const r = v.declareExchange(x.name, {
      type: x.type, durable: x.durable, autoDelete: x.auto_delete, internal: x.internal, args: x.arguments as FieldTable,
    });
    if (r instanceof BrokerError) throw fail(`exchange '${x.name}'`, r);
  }
  for (const q of d.queues ?? []) {
    const v = broker.addVhost(q.vhost);
    const r = v.declareQueue(q.name, { durable: q.durable, autoDelete: q.auto_delete, args: q.arguments as FieldTable }, null);
    if (r instanceof BrokerError) throw fail(`queue '${q.name}'`, r);
  }
  for (const b of d.bindings ?? []) {
    const v = broker.addVhost(b.vhost);
    const r = b.destination_type === "queue"
      ? v.bindQueue(b.destination, b.source, b.routing_key, b.arguments as FieldTable, null)
      : v.bindExchange(b.destination, b.source, b.routing_key, b.arguments as FieldTable);
    if (r instanceof BrokerError) throw fail(`binding ${b.source} → ${b.destination}`, r);
  }
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

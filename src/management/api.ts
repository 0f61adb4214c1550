/**
 * RabbitMQ 3.10's management HTTP API over Warren's core: the paths, verbs, status codes and
 * JSON shapes rabbitmqadmin, `warren ctl`, the web UI and operators' scripts use.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { statfs } from "node:fs/promises";
import {
  type Broker, BrokerError, DEFAULT_HASHING, fieldTableJson, HASHING_ALGORITHMS, hashProblem, isHashingAlgorithm, type User, jsonFieldTable, Message, type MessageProperties, type Queue, ReplyCode, type VirtualHost,
} from "../core/index.js";
import { DefinitionsRefused, describeImport, exportDefinitions, importDefinitions } from "../store/definitions.js";
import { processFdLimit } from "../store/file-pool.js";
import { type Policy, type PolicyDefinition, PolicyError } from "../core/policies.js";
import { compilePattern, PatternError } from "../core/patterns.js";
import { authenticate, type Principal } from "./auth.js";
import { ApiError, badRequest, notAuthorised, notFound } from "./errors.js";
import { htmlEscape } from "./schemas.js";
import type { RateSampler } from "./rates.js";
import type { Logger } from "../server/logger.js";
import {
  bindingJson, channelJson, connectionJson, consumerJson, exchangeJson, globalMessageStats, type Json, type JsonObject,
  propertiesKey, queueJson, vhostBindings, vhostConsumers,
} from "./views.js";

/** What the management API needs from the running broker besides its core. */
export interface ManagementContext {
  readonly core: Broker;
  /** RabbitMQ's node name, e.g. warren@host. */
  readonly nodeName: string;
  readonly productVersion: string;
  readonly dataDir: string;
  /** The listeners, as RabbitMQ's overview lists them. */
  listeners(): { protocol: string; port: number; ip_address: string }[];
  /** Memory high watermark and disk free limit, in bytes. */
  limits(): { memLimit: number; memUsed: number; diskFreeLimit: number };
}

/** RabbitMQ's management API version this API follows. */
export const MANAGEMENT_VERSION = "3.10.8";

const EXCHANGE_TYPES = [
  { name: "direct", description: "AMQP direct exchange, as per the AMQP specification", enabled: true },
  { name: "fanout", description: "AMQP fanout exchange, as per the AMQP specification", enabled: true },
  { name: "headers", description: "AMQP headers exchange, as per the AMQP specification", enabled: true },
  { name: "topic", description: "AMQP topic exchange, as per the AMQP specification", enabled: true },
];

type Params = Record<string, string>;
type Body = Record<string, unknown>;
type Req = FastifyRequest<{ Params: Params; Body: Body; Querystring: Record<string, string> }>;

/** rabbitmqadmin sends every value as a string: "true", "1". */
const bool = (v: unknown, dflt: boolean): boolean => (v === undefined || v === null ? dflt : v === true || v === "true");
const str = (v: unknown, dflt = ""): string => (v === undefined || v === null ? dflt : String(v));

/** Permission patterns must compile: 400 `invalid_regexp` naming the first that does not. */
function requireRegexps(...patterns: string[]): void {
  // the engine that will match them (linear-time RE2 syntax) decides what compiles
  for (const re of patterns) if (compilePattern(re) instanceof PatternError) throw badRequest(`invalid_regexp: ${re}`);
}

/** The default exchange's name in URLs. */
const exchangeName = (name: string): string => (name === "amq.default" ? "" : name);

/** A core refusal as RabbitMQ's API answers it. */
function fromBrokerError(e: BrokerError): ApiError {
  const detail = e.text.slice(e.text.indexOf(" - ") + 3);
  if (e.code === ReplyCode.ACCESS_REFUSED) return notAuthorised("Access refused.");
  if (e.code === ReplyCode.NOT_FOUND) return new ApiError(404, "not_found", e.text);
  return badRequest(detail);
}

function check<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw fromBrokerError(r);
  return r;
}

/** Picks `columns=a,b.c` out of each row, as RabbitMQ does server-side. */
function pickColumns(payload: unknown, columns: string): unknown {
  const cols = columns.split(",").map((c) => c.trim()).filter(Boolean);
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

function sortRows(rows: unknown[], key: string, reverse: boolean): unknown[] {
  const get = (r: unknown): unknown => key.split(".").reduce<unknown>((v, p) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined), r);
  const sorted = [...rows].sort((a, b) => {
    const x = get(a);
    const y = get(b);
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x ?? "").localeCompare(String(y ?? ""));
  });
  return reverse ? sorted.reverse() : sorted;
}

/** Registers every /api route on the server. */
export function registerApi(app: FastifyInstance, ctx: ManagementContext, rates: RateSampler, log?: Logger): void {
  const broker = ctx.core;
  const node = ctx.nodeName;

  const who = (req: FastifyRequest): Principal => authenticate(broker, req.headers.authorization, req.socket.remoteAddress, log);

  const vhostOf = (name: string, p: Principal): VirtualHost => {
    const v = broker.vhost(name);
    if (v instanceof BrokerError) throw notFound();
    p.requireVhost(name);
    return v;
  };
  const visibleVhosts = (p: Principal): VirtualHost[] => broker.listVhosts().filter((v) => p.visibleVhost(v.name));
  /** A vhost path segment or, without one, every vhost whose objects the user's listings show. */
  const vhostsFor = (req: Req, p: Principal): VirtualHost[] =>
    req.params.vhost !== undefined ? [vhostOf(req.params.vhost, p)] : broker.listVhosts().filter((v) => p.listsVhost(v.name));

  const queueOf = (v: VirtualHost, name: string): Queue => {
    const q = v.queues.get(name);
    if (q === undefined) throw notFound();
    return q;
  };

  const consumersOf = (q: Queue, vhost: string): Json[] =>
    q.subscriptions.map((s) => consumerJson(s, vhost, broker.connections.of(s.consumer.client), node));

  // RabbitMQ filters and sorts listings server-side: ?columns=name,messages&sort=name&sort_reverse=true
  app.addHook("preSerialization", async (req: FastifyRequest<{ Querystring: Record<string, string> }>, _reply, payload) => {
    const q = req.query ?? {};
    let out: unknown = payload;
    if (Array.isArray(out) && q.sort) out = sortRows(out, q.sort, q.sort_reverse === "true");
    if (q.columns) out = pickColumns(out, q.columns);
    return out;
  });

  // ---- overview, nodes, whoami, health ---------------------------------------------------

  const objectTotals = (p: Principal) => {
    let queues = 0, exchanges = 0, consumers = 0;
    for (const v of visibleVhosts(p)) {
      queues += v.queues.size;
      exchanges += v.exchanges.size;
      for (const q of v.queues.values()) consumers += q.consumerCount;
    }
    const conns = broker.connections.list().filter((c) => p.seesConnectionsOf(c.details.user));
    const channels = conns.reduce((n, c) => n + c.details.channels().length, 0);
    // as RabbitMQ: only users who see every connection get the consumer total
    return p.isMonitor ? { channels, connections: conns.length, consumers, exchanges, queues } : { channels, connections: conns.length, exchanges, queues };
  };

  app.get("/api/overview", async (req) => {
    const p = who(req);
    let ready = 0, unacked = 0;
    for (const v of visibleVhosts(p)) {
      for (const q of v.queues.values()) {
        ready += q.messageCount;
        unacked += q.unackedMessageCount;
      }
    }
    return {
      management_version: MANAGEMENT_VERSION,
      rates_mode: "basic",
      exchange_types: EXCHANGE_TYPES,
      product_version: ctx.productVersion,
      product_name: "Warren",
      rabbitmq_version: MANAGEMENT_VERSION,
      // set by an imported global parameter, as `rabbitmqctl set_cluster_name`
      cluster_name: typeof broker.parameters.global("cluster_name") === "string" ? (broker.parameters.global("cluster_name") as string) : node,
      node_version: process.version,
      disable_stats: false,
      enable_queue_totals: false,
      message_stats: globalMessageStats(broker.counters, rates),
      churn_rates: {
        connection_created: broker.connections.created,
        connection_closed: broker.connections.closed,
      },
      queue_totals: {
        messages: ready + unacked,
        messages_details: { rate: 0 },
        messages_ready: ready,
        messages_ready_details: { rate: 0 },
        messages_unacknowledged: unacked,
        messages_unacknowledged_details: { rate: 0 },
      },
      object_totals: objectTotals(p),
      statistics_db_event_queue: 0,
      node,
      listeners: ctx.listeners().map((l) => ({ node, ...l, socket_opts: {} })),
      contexts: [],
    };
  });

  const nodeJson = async (): Promise<JsonObject> => {
    const limits = ctx.limits();
    let diskFree = 0;
    try {
      const s = await statfs(ctx.dataDir);
      diskFree = s.bavail * s.bsize;
    } catch {
      // a data dir that vanished reports no free space rather than failing the listing
    }
    return {
      name: node,
      type: "disc",
      running: true,
      os_pid: String(process.pid),
      uptime: Date.now() - broker.startedAt,
      // what the memory alarm compares, as RabbitMQ's mem_used (see src/server/resource-monitor.ts)
      mem_used: limits.memUsed,
      mem_limit: Math.round(limits.memLimit),
      mem_alarm: broker.alarms.isSet("memory"),
      mem_calculation_strategy: "allocated",
      disk_free: diskFree,
      disk_free_limit: limits.diskFreeLimit,
      disk_free_alarm: broker.alarms.isSet("disk"),
      fd_used: await openFds(),
      fd_total: maxFds(),
      sockets_used: broker.connections.size,
      proc_used: 1,
      processors: (await import("node:os")).availableParallelism(),
      run_queue: 0,
      rates_mode: "basic",
      db_dir: ctx.dataDir,
      exchange_types: EXCHANGE_TYPES,
      auth_mechanisms: [
        { name: "PLAIN", description: "SASL PLAIN authentication mechanism", enabled: true },
        { name: "AMQPLAIN", description: "QPid AMQPLAIN mechanism", enabled: true },
      ],
      partitions: [],
      applications: [],
      contexts: [],
      enabled_plugins: ["rabbitmq_management", "rabbitmq_mqtt", "rabbitmq_stomp", "rabbitmq_web_mqtt", "rabbitmq_web_stomp", "rabbitmq_prometheus"],
      connection_created: broker.connections.created,
      connection_closed: broker.connections.closed,
    };
  };

  app.get("/api/nodes", async (req) => {
    who(req).require("monitoring");
    return [await nodeJson()];
  });
  app.get("/api/nodes/:node", async (req: Req) => {
    who(req).require("monitoring");
    if (req.params.node !== node) throw notFound();
    return nodeJson();
  });

  app.get("/api/whoami", async (req) => {
    const p = who(req);
    return { name: p.user.name, tags: p.user.tags };
  });

  const alarmsCheck = async (_req: FastifyRequest, reply: FastifyReply) => {
    const p = who(_req);
    void p;
    const alarms: JsonObject[] = [];
    if (broker.alarms.isSet("memory")) alarms.push({ node, resource: "memory" });
    if (broker.alarms.isSet("disk")) alarms.push({ node, resource: "disk" });
    if (alarms.length === 0) return { status: "ok" };
    return reply.code(503).send({ status: "failed", reason: "resource alarm(s) in effect in the cluster", alarms });
  };
  app.get("/api/health/checks/alarms", alarmsCheck);
  app.get("/api/health/checks/local-alarms", alarmsCheck);

  app.get("/api/aliveness-test/:vhost", async (req: Req) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    // RabbitMQ runs it over a connection as the user: an administrator without permissions is refused
    for (const access of ["configure", "write", "read"] as const) p.requireAccess(v.name, "queue", "aliveness-test", access);
    // as RabbitMQ: declare a queue, publish to it, get the message back
    check(v.declareQueue("aliveness-test", {}, null));
    check(v.publish("", "aliveness-test", new Message("", "aliveness-test", Buffer.from("test_message"), {}, null)));
    const q = check(v.queue("aliveness-test", null));
    const e = q.get(true);
    if (e === null) return { status: "failed", reason: "no message" };
    return { status: "ok" };
  });

  app.get("/api/extensions", async (req) => {
    who(req);
    return [];
  });

  // ---- vhosts ----------------------------------------------------------------------------

  const vhostJson = (v: VirtualHost): JsonObject => {
    let ready = 0, unacked = 0;
    for (const q of v.queues.values()) {
      ready += q.messageCount;
      unacked += q.unackedMessageCount;
    }
    const m = v.metadata;
    const description = m.description ?? (v.name === broker.defaultVhost ? "Default virtual host" : "");
    return {
      name: v.name,
      description,
      tags: m.tags,
      metadata: { description, tags: m.tags, ...(m.defaultQueueType !== undefined && { default_queue_type: m.defaultQueueType }) },
      default_queue_type: m.defaultQueueType ?? "undefined",
      tracing: false,
      cluster_state: { [node]: "running" },
      messages: ready + unacked,
      messages_ready: ready,
      messages_unacknowledged: unacked,
    };
  };

  app.get("/api/vhosts", async (req) => {
    const p = who(req);
    return visibleVhosts(p).map(vhostJson);
  });
  app.get("/api/vhosts/:vhost", async (req: Req) => {
    const p = who(req);
    p.require("administrator");
    return vhostJson(vhostOf(req.params.vhost!, p));
  });
  app.put("/api/vhosts/:vhost", async (req: Req, reply) => {
    who(req).require("administrator");
    const name = req.params.vhost!;
    const existed = !(broker.vhost(name) instanceof BrokerError);
    const v = broker.addVhost(name);
    // rabbitmqctl add_vhost --description --tags --default-queue-type, over HTTP
    const body = req.body ?? {};
    if (body.description !== undefined || body.tags !== undefined || body.default_queue_type !== undefined) {
      const m = v.metadata;
      const tags = body.tags === undefined ? m.tags : Array.isArray(body.tags) ? body.tags.map(String) : str(body.tags).split(",").map((t) => t.trim()).filter(Boolean);
      const description = body.description === undefined ? m.description : str(body.description);
      const dqt = body.default_queue_type === undefined ? m.defaultQueueType : str(body.default_queue_type);
      broker.setVhostMetadata(v, { tags, ...(description !== undefined && { description }), ...(dqt !== undefined && { defaultQueueType: dqt }) });
    }
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete("/api/vhosts/:vhost", async (req: Req, reply) => {
    who(req).require("administrator");
    const name = req.params.vhost!;
    const v = broker.vhost(name);
    if (v instanceof BrokerError) throw notFound();
    // RabbitMQ closes the vhost's connections and deletes everything in it
    for (const c of broker.connections.list()) if (c.details.vhost === name) c.details.close(`vhost '${name}' is deleted`);
    for (const q of [...v.queues.values()]) v.deleteQueue(q.name, {}, q.options.owner);
    broker.deleteVhost(name);
    return reply.code(204).send();
  });
  app.get("/api/vhosts/:vhost/permissions", async (req: Req) => {
    const p = who(req);
    p.require("administrator");
    vhostOf(req.params.vhost!, p);
    return permissionsList().filter((x) => x.vhost === req.params.vhost);
  });
  app.get("/api/vhosts/:vhost/connections", async (req: Req) => {
    const p = who(req);
    vhostOf(req.params.vhost!, p);
    return broker.connections.list()
      .filter((c) => c.details.vhost === req.params.vhost && p.seesConnectionsOf(c.details.user))
      .map((c) => connectionJson(c, node));
  });

  // ---- users and permissions -------------------------------------------------------------

  const userJson = (u: User): JsonObject => ({
    name: u.name,
    password_hash: u.passwordHash,
    hashing_algorithm: u.hashingAlgorithm,
    tags: u.tags,
    limits: (u.limits ?? {}) as JsonObject,
  });
  const permissionsList = (): JsonObject[] =>
    [...broker.users.allPermissions()].map(([vhost, user, perm]) => ({ user, vhost, ...perm }));

  app.get("/api/users", async (req) => {
    who(req).require("administrator");
    return broker.users.list().map(userJson);
  });
  app.get("/api/users/:user", async (req: Req) => {
    who(req).require("administrator");
    const u = broker.users.get(req.params.user!);
    if (!u) throw notFound();
    return userJson(u);
  });
  app.put("/api/users/:user", async (req: Req, reply) => {
    who(req).require("administrator");
    const body = req.body ?? {};
    const name = req.params.user!;
    if (body.tags === undefined) throw badRequest("tags_not_present");
    const tags = Array.isArray(body.tags) ? body.tags.map(String) : str(body.tags).split(",").map((t) => t.trim()).filter(Boolean);
    const existing = broker.users.get(name);
    if (typeof body.password === "string") broker.users.add(name, body.password, tags);
    else if (typeof body.password_hash === "string") {
      const algorithm = body.hashing_algorithm ?? DEFAULT_HASHING;
      if (!isHashingAlgorithm(algorithm)) {
        throw badRequest(`unsupported hashing_algorithm ${JSON.stringify(algorithm)}: expected one of ${Object.keys(HASHING_ALGORITHMS).join(", ")}`);
      }
      const problem = hashProblem(body.password_hash, algorithm);
      if (problem !== null) throw badRequest(`${problem}`);
      broker.users.addHashed(name, body.password_hash, tags, algorithm);
    } else if (existing) {
      broker.users.addHashed(name, existing.passwordHash, tags, existing.hashingAlgorithm, existing.limits);
    } else {
      // RabbitMQ creates a user without a password: it can only log in by other means (none in Warren)
      broker.users.addHashed(name, "", tags);
    }
    return reply.code(existing ? 204 : 201).send();
  });
  app.delete("/api/users/:user", async (req: Req, reply) => {
    who(req).require("administrator");
    const name = req.params.user!;
    if (!broker.users.get(name)) throw notFound();
    broker.users.delete(name);
    for (const c of broker.connections.list()) if (c.details.user === name) c.details.close(`user '${name}' was deleted`);
    return reply.code(204).send();
  });
  app.get("/api/users/:user/permissions", async (req: Req) => {
    who(req).require("administrator");
    if (!broker.users.get(req.params.user!)) throw notFound();
    return permissionsList().filter((x) => x.user === req.params.user);
  });

  app.get("/api/permissions", async (req) => {
    who(req).require("administrator");
    return permissionsList();
  });
  app.get("/api/permissions/:vhost/:user", async (req: Req) => {
    who(req).require("administrator");
    const perm = broker.users.permission(req.params.user!, req.params.vhost!);
    if (!perm) throw notFound();
    return { user: req.params.user!, vhost: req.params.vhost!, ...perm };
  });
  app.put("/api/permissions/:vhost/:user", async (req: Req, reply) => {
    who(req).require("administrator");
    const { vhost, user } = req.params as { vhost: string; user: string };
    if (broker.vhost(vhost) instanceof BrokerError || !broker.users.get(user)) throw badRequest("vhost_or_user_not_found");
    const body = req.body ?? {};
    const perm = { configure: str(body.configure), write: str(body.write), read: str(body.read) };
    requireRegexps(perm.configure, perm.write, perm.read);
    const existed = broker.users.permission(user, vhost) !== undefined;
    broker.users.setPermission(user, vhost, perm);
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete("/api/permissions/:vhost/:user", async (req: Req, reply) => {
    who(req).require("administrator");
    const { vhost, user } = req.params as { vhost: string; user: string };
    if (!broker.users.clearPermission(user, vhost)) throw notFound();
    return reply.code(204).send();
  });

  // ---- topic permissions (per exchange, on routing keys) ---------------------------------

  const topicPermissionsList = (): JsonObject[] =>
    [...broker.users.allTopicPermissions()].map(([vhost, user, p]) => ({ user, vhost, exchange: p.exchange, write: p.write, read: p.read }));
  const topicPermissionsOf = (user: string, vhost: string): JsonObject[] =>
    topicPermissionsList().filter((x) => x.user === user && x.vhost === vhost);

  app.get("/api/topic-permissions", async (req) => {
    who(req).require("administrator");
    return topicPermissionsList();
  });
  app.get("/api/users/:user/topic-permissions", async (req: Req) => {
    who(req).require("administrator");
    if (!broker.users.get(req.params.user!)) throw notFound();
    return topicPermissionsList().filter((x) => x.user === req.params.user);
  });
  app.get("/api/vhosts/:vhost/topic-permissions", async (req: Req) => {
    const p = who(req);
    p.require("administrator");
    vhostOf(req.params.vhost!, p);
    return topicPermissionsList().filter((x) => x.vhost === req.params.vhost);
  });
  app.get("/api/topic-permissions/:vhost/:user", async (req: Req) => {
    who(req).require("administrator");
    const list = topicPermissionsOf(req.params.user!, req.params.vhost!);
    if (list.length === 0) throw notFound();
    return list;
  });
  app.put("/api/topic-permissions/:vhost/:user", async (req: Req, reply) => {
    who(req).require("administrator");
    const { vhost, user } = req.params as { vhost: string; user: string };
    const body = req.body ?? {};
    for (const key of ["exchange", "write", "read"]) {
      if (body[key] === undefined) throw badRequest(`[{key_missing,${key}}]`);
    }
    if (broker.vhost(vhost) instanceof BrokerError || !broker.users.get(user)) throw badRequest("vhost_or_user_not_found");
    const perm = { exchange: str(body.exchange), write: str(body.write), read: str(body.read) };
    requireRegexps(perm.write, perm.read);
    // RabbitMQ answers 201 for a user's first topic permission in the vhost, 204 after that
    const existed = topicPermissionsOf(user, vhost).length > 0;
    broker.users.setTopicPermission(user, vhost, perm);
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete("/api/topic-permissions/:vhost/:user", async (req: Req, reply) => {
    who(req).require("administrator");
    const { vhost, user } = req.params as { vhost: string; user: string };
    if (topicPermissionsOf(user, vhost).length === 0) throw notFound();
    broker.users.clearTopicPermission(user, vhost);
    return reply.code(204).send();
  });

  // ---- connections, channels, consumers --------------------------------------------------

  const visibleConnections = (p: Principal) => broker.connections.list().filter((c) => p.seesConnectionsOf(c.details.user));

  app.get("/api/connections", async (req) => visibleConnections(who(req)).map((c) => connectionJson(c, node)));
  app.get("/api/connections/:name", async (req: Req) => {
    const p = who(req);
    const c = broker.connections.named(req.params.name!);
    if (!c) throw notFound();
    p.requireSeesConnectionOf(c.details.user);
    return connectionJson(c, node);
  });
  app.get("/api/connections/:name/channels", async (req: Req) => {
    const p = who(req);
    const c = broker.connections.named(req.params.name!);
    if (!c) throw notFound();
    p.requireSeesConnectionOf(c.details.user);
    return c.details.channels().map((ch) => channelJson(c, ch, node));
  });
  app.delete("/api/connections/:name", async (req: Req, reply) => {
    const p = who(req);
    const c = broker.connections.named(req.params.name!);
    if (!c) throw notFound();
    // administrators close anyone's connection, everyone else only their own (monitoring users too)
    p.requireClosesConnectionOf(c.details.user);
    // RabbitMQ's default reason, or the operator's from the X-Reason header
    const header = req.headers["x-reason"];
    const reason = typeof header === "string" && header !== "" ? header : "Closed via management plugin";
    c.details.close(reason);
    return reply.code(204).send();
  });

  app.get("/api/channels", async (req) => {
    const p = who(req);
    return visibleConnections(p).flatMap((c) => c.details.channels().map((ch) => channelJson(c, ch, node)));
  });
  app.get("/api/vhosts/:vhost/channels", async (req: Req) => {
    const p = who(req);
    vhostOf(req.params.vhost!, p);
    return visibleConnections(p)
      .filter((c) => c.details.vhost === req.params.vhost)
      .flatMap((c) => c.details.channels().map((ch) => channelJson(c, ch, node)));
  });

  // RabbitMQ checks no vhost access here: the listing shows the consumers on connections the user sees
  const consumers = async (req: Req) => {
    const p = who(req);
    let vhosts = broker.listVhosts();
    if (req.params.vhost !== undefined) {
      const v = broker.vhost(req.params.vhost);
      if (v instanceof BrokerError) throw notFound();
      vhosts = [v];
    }
    return vhosts.flatMap((v) => vhostConsumers(broker, v, node))
      .filter((c) => p.seesConnectionsOf(String((c.channel_details as JsonObject).user ?? "")));
  };
  app.get("/api/consumers", consumers);
  app.get("/api/consumers/:vhost", consumers);

  // ---- exchanges -------------------------------------------------------------------------

  const exchanges = async (req: Req) => {
    const p = who(req);
    return vhostsFor(req, p).flatMap((v) => [...v.exchanges.values()].map((x) => exchangeJson(x, v.name)));
  };
  app.get("/api/exchanges", exchanges);
  app.get("/api/exchanges/:vhost", exchanges);
  app.get("/api/exchanges/:vhost/:name", async (req: Req) => {
    const v = vhostOf(req.params.vhost!, who(req));
    const x = v.exchanges.get(exchangeName(req.params.name!));
    if (!x) throw notFound();
    return exchangeJson(x, v.name);
  });
  app.put("/api/exchanges/:vhost/:name", async (req: Req, reply) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const name = exchangeName(req.params.name!);
    const body = req.body ?? {};
    if (name === "" || name.startsWith("amq.")) throw notAuthorised("Access refused.");
    p.requireAccess(v.name, "exchange", name, "configure");
    const existed = v.exchanges.has(name);
    check(v.declareExchange(name, {
      // RabbitMQ declares a direct exchange when the body names no type
      type: str(body.type, "direct"),
      durable: bool(body.durable, false),
      autoDelete: bool(body.auto_delete, false),
      internal: bool(body.internal, false),
      args: jsonFieldTable(body.arguments as Record<string, unknown>),
    }));
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete("/api/exchanges/:vhost/:name", async (req: Req, reply) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const name = exchangeName(req.params.name!);
    if (name === "" || name.startsWith("amq.")) throw notAuthorised("Access refused.");
    p.requireAccess(v.name, "exchange", name, "configure");
    if (!v.exchanges.has(name)) throw notFound();
    check(v.deleteExchange(name, req.query["if-unused"] === "true"));
    return reply.code(204).send();
  });
  app.post("/api/exchanges/:vhost/:name/publish", async (req: Req) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const body = req.body ?? {};
    const missing = ["properties", "routing_key", "payload", "payload_encoding"].filter((k) => body[k] === undefined);
    if (missing.length > 0) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(",")}]`);
    const encoding = str(body.payload_encoding);
    if (encoding !== "string" && encoding !== "base64") throw badRequest(`{bad_payload_encoding,${encoding}}`);
    const payload = encoding === "base64" ? Buffer.from(str(body.payload), "base64") : Buffer.from(str(body.payload), "utf8");
    const name = exchangeName(req.params.name!);
    const routingKey = str(body.routing_key);
    const refused = p.check(v.name, "exchange", name, "write");
    if (refused !== null) throw badRequest(refused.toString());
    const props = messageProperties(body.properties);
    const r = v.publish(name, routingKey, new Message(name, routingKey, payload, props, null));
    if (r instanceof BrokerError) throw badRequest(r.toString());
    return { routed: r.routed > 0 };
  });
  const exchangeBindings = (side: "source" | "destination") => async (req: Req) => {
    const v = vhostOf(req.params.vhost!, who(req));
    const name = exchangeName(req.params.name!);
    if (!v.exchanges.has(name)) throw notFound();
    return vhostBindings(v)
      .filter((b) => (side === "source" ? b.source === name : b.destinationType === "exchange" && b.destination === name))
      .map((b) => bindingJson(b, v.name));
  };
  app.get("/api/exchanges/:vhost/:name/bindings/source", exchangeBindings("source"));
  app.get("/api/exchanges/:vhost/:name/bindings/destination", exchangeBindings("destination"));

  // ---- queues ----------------------------------------------------------------------------

  const queues = async (req: Req) => {
    const p = who(req);
    return vhostsFor(req, p).flatMap((v) => [...v.queues.values()].map((q) => queueJson(q, v.name, node, rates)));
  };
  app.get("/api/queues", queues);
  app.get("/api/queues/:vhost", queues);
  app.get("/api/queues/:vhost/:name", async (req: Req) => {
    const v = vhostOf(req.params.vhost!, who(req));
    const q = queueOf(v, req.params.name!);
    return queueJson(q, v.name, node, rates, consumersOf(q, v.name));
  });
  app.put("/api/queues/:vhost/:name", async (req: Req, reply) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const name = req.params.name!;
    const body = req.body ?? {};
    // an AMQP short string: RabbitMQ's API refuses longer names in its own words (exchanges it lets through)
    const bytes = Buffer.byteLength(name);
    if (bytes > 255) throw badRequest(`queue should be less than 255 bytes, actually was ${bytes}\n`);
    if (name.startsWith("amq.")) throw notAuthorised("Access refused.");
    p.requireAccess(v.name, "queue", name, "configure");
    const existed = v.queues.has(name);
    check(v.declareQueue(name, {
      durable: bool(body.durable, false),
      autoDelete: bool(body.auto_delete, false),
      args: jsonFieldTable(body.arguments as Record<string, unknown>),
    }, existed ? (v.queues.get(name)!.options.owner) : null));
    return reply.code(existed ? 204 : 201).send();
  });
  app.delete("/api/queues/:vhost/:name", async (req: Req, reply) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const q = queueOf(v, req.params.name!);
    p.requireAccess(v.name, "queue", q.name, "configure");
    check(v.deleteQueue(q.name, { ifEmpty: req.query["if-empty"] === "true", ifUnused: req.query["if-unused"] === "true" }, q.options.owner));
    return reply.code(204).send();
  });
  app.delete("/api/queues/:vhost/:name/contents", async (req: Req, reply) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const q = queueOf(v, req.params.name!);
    p.requireAccess(v.name, "queue", q.name, "read");
    q.purge();
    return reply.code(204).send();
  });
  app.post("/api/queues/:vhost/:name/get", async (req: Req) => {
    const p = who(req);
    const v = vhostOf(req.params.vhost!, p);
    const q = queueOf(v, req.params.name!);
    // RabbitMQ's get runs on an AMQP channel: the refusal carries the channel's reply text
    const refused = p.check(v.name, "queue", q.name, "read");
    if (refused !== null) throw notAuthorised(refused.text);
    const body = req.body ?? {};
    const ackmode = str(body.ackmode, "ack_requeue_true");
    if (!["ack_requeue_true", "ack_requeue_false", "reject_requeue_true", "reject_requeue_false"].includes(ackmode)) {
      throw badRequest(`Unknown ackmode: ${ackmode}`);
    }
    const encoding = str(body.encoding, "auto");
    if (encoding !== "auto" && encoding !== "base64") throw badRequest(`Unsupported encoding: ${encoding}`);
    // a number or a string of digits (the body schema); RabbitMQ takes 1.5 as 1 and 0 as none
    const count = Math.trunc(Number(str(body.count, "1")));
    const truncate = body.truncate === undefined || body.truncate === null || body.truncate === "" ? Infinity : Number(body.truncate);
    const requeue = ackmode.endsWith("requeue_true");
    // take them all first (as RabbitMQ's get on one channel), then settle: requeued ones come back redelivered
    const taken = [];
    const out: JsonObject[] = [];
    for (let i = 0; i < count; i++) {
      const e = q.get(false);
      if (e === null) break;
      taken.push(e);
      const m = e.message;
      const body = Number.isFinite(truncate) ? m.body.subarray(0, truncate) : m.body;
      const asText = encoding === "auto" && isUtf8(body);
      out.push({
        payload_bytes: m.bodySize,
        redelivered: e.redelivered,
        exchange: m.exchange,
        routing_key: m.routingKey,
        message_count: q.messageCount,
        properties: propertiesJson(m.properties),
        payload: asText ? body.toString("utf8") : body.toString("base64"),
        payload_encoding: asText ? "string" : "base64",
      });
    }
    for (const e of taken) {
      if (requeue) q.requeue(e);
      else if (ackmode.startsWith("ack")) q.ack(e);
      else q.discard(e);
    }
    if (requeue && !q.deleted) q.dispatch();
    return out;
  });
  app.get("/api/queues/:vhost/:name/bindings", async (req: Req) => {
    const v = vhostOf(req.params.vhost!, who(req));
    const q = queueOf(v, req.params.name!);
    return vhostBindings(v).filter((b) => b.destinationType === "queue" && b.destination === q.name).map((b) => bindingJson(b, v.name));
  });

  // ---- bindings --------------------------------------------------------------------------

  const bindings = async (req: Req) => {
    const p = who(req);
    return vhostsFor(req, p).flatMap((v) => vhostBindings(v).map((b) => bindingJson(b, v.name)));
  };
  app.get("/api/bindings", bindings);
  app.get("/api/bindings/:vhost", bindings);

  for (const [letter, kind] of [["q", "queue"], ["e", "exchange"]] as const) {
    const between = (v: VirtualHost, req: Req) => {
      const source = exchangeName(req.params.source!);
      const dest = req.params.dest!;
      if (!v.exchanges.has(source)) throw notFound();
      if (kind === "queue" ? !v.queues.has(dest) : !v.exchanges.has(dest)) throw notFound();
      return vhostBindings(v).filter((b) => b.source === source && b.destinationType === kind && b.destination === dest);
    };
    const base = `/api/bindings/:vhost/e/:source/${letter}/:dest`;
    app.get(base, async (req: Req) => {
      const v = vhostOf(req.params.vhost!, who(req));
      return between(v, req).map((b) => bindingJson(b, v.name));
    });
    app.post(base, async (req: Req, reply) => {
      const p = who(req);
      const v = vhostOf(req.params.vhost!, p);
      const source = exchangeName(req.params.source!);
      const dest = req.params.dest!;
      // binding: write on the destination, read on the source (AMQP 0-9-1 as RabbitMQ checks it)
      p.requireAccess(v.name, kind, dest, "write");
      p.requireAccess(v.name, "exchange", source, "read");
      const body = req.body ?? {};
      const key = str(body.routing_key);
      const args = jsonFieldTable(body.arguments as Record<string, unknown>);
      if (source === "") throw notAuthorised("Access refused.");
      if (kind === "queue") {
        const q = v.queues.get(dest);
        if (!q) throw notFound();
        check(v.bindQueue(dest, source, key, args, q.options.owner));
      } else {
        check(v.bindExchange(dest, source, key, args));
      }
      const pk = propertiesKey(key, body.arguments && typeof body.arguments === "object" ? (body.arguments as Record<string, unknown>) : {});
      return reply.code(201).header("location", `${encodeURIComponent(dest)}/${pk}`).send();
    });
    app.get(`${base}/:props`, async (req: Req) => {
      const v = vhostOf(req.params.vhost!, who(req));
      const b = between(v, req).find((x) => samePropertiesKey(x, req.params.props!));
      if (!b) throw notFound();
      return bindingJson(b, v.name);
    });
    app.delete(`${base}/:props`, async (req: Req, reply) => {
      const p = who(req);
      const v = vhostOf(req.params.vhost!, p);
      p.requireAccess(v.name, kind, req.params.dest!, "write");
      p.requireAccess(v.name, "exchange", exchangeName(req.params.source!), "read");
      const b = between(v, req).find((x) => samePropertiesKey(x, req.params.props!));
      if (!b || b.binding === null) throw notFound();
      const core = b.binding;
      if (kind === "queue") {
        const q = v.queues.get(b.destination)!;
        check(v.unbindQueue(b.destination, b.source, b.routingKey, core.args, q.options.owner));
      } else {
        check(v.unbindExchange(b.destination, b.source, b.routingKey, core.args));
      }
      return reply.code(204).send();
    });
  }

  // ---- policies --------------------------------------------------------------------------

  const policyJson = (p: Policy & { vhost: string }): JsonObject => ({
    vhost: p.vhost,
    name: p.name,
    pattern: p.pattern,
    "apply-to": p.applyTo,
    definition: p.definition as JsonObject,
    priority: p.priority,
  });

  for (const [path, kind] of [["policies", "policy"], ["operator-policies", "operator"]] as const) {
    const list = async (req: Req) => {
      const p = who(req);
      return vhostsFor(req, p).flatMap((v) => v.listPolicies(kind).map((x) => policyJson({ ...x, vhost: v.name })));
    };
    app.get(`/api/${path}`, list);
    app.get(`/api/${path}/:vhost`, list);
    // one policy, to read or write: RabbitMQ's policymakers (in their vhosts); operator policies: administrators
    const requireWriter = (p: Principal, vhost: string) => (kind === "operator" ? p.require("administrator") : p.requirePolicyWriter(vhost));
    app.get(`/api/${path}/:vhost/:name`, async (req: Req) => {
      const p = who(req);
      requireWriter(p, req.params.vhost!);
      const v = vhostOf(req.params.vhost!, p);
      const found = v.listPolicies(kind).find((x) => x.name === req.params.name);
      if (!found) throw notFound();
      return policyJson({ ...found, vhost: v.name });
    });
    app.put(`/api/${path}/:vhost/:name`, async (req: Req, reply) => {
      const p = who(req);
      requireWriter(p, req.params.vhost!);
      const v = vhostOf(req.params.vhost!, p);
      const body = req.body ?? {};
      const name = req.params.name!;
      const existed = v.listPolicies(kind).some((x) => x.name === name);
      const definition = body.definition !== null && typeof body.definition === "object" && !Array.isArray(body.definition)
        ? (body.definition as PolicyDefinition)
        : {};
      const priority = body.priority === undefined || body.priority === null || body.priority === "" ? 0 : Number(body.priority);
      const r = v.setPolicy({
        name,
        pattern: str(body.pattern),
        definition,
        ...(body["apply-to"] !== undefined && body["apply-to"] !== null && { applyTo: str(body["apply-to"]) }),
        priority,
      }, kind);
      // RabbitMQ's validation answer, with the Erlang terms in it HTML-escaped as its API sends them for
      // policies (not for operator policies)
      if (r instanceof PolicyError) throw badRequest(`Validation failed\n\n${kind === "policy" ? htmlEscape(r.reason) : r.reason}\n`);
      return reply.code(existed ? 204 : 201).send();
    });
    app.delete(`/api/${path}/:vhost/:name`, async (req: Req, reply) => {
      const p = who(req);
      requireWriter(p, req.params.vhost!);
      const v = vhostOf(req.params.vhost!, p);
      if (v.clearPolicy(req.params.name!, kind) instanceof PolicyError) throw notFound();
      return reply.code(204).send();
    });
  }

  // ---- definitions -----------------------------------------------------------------------

  const definitions = (vhost?: string): JsonObject => {
    const d = exportDefinitions(broker, { includeTransient: true });
    const out: JsonObject = {
      rabbit_version: MANAGEMENT_VERSION,
      rabbitmq_version: MANAGEMENT_VERSION,
      product_name: "Warren",
      product_version: ctx.productVersion,
      users: d.users as unknown as Json[],
      vhosts: d.vhosts as unknown as Json[],
      permissions: d.permissions as unknown as Json[],
      topic_permissions: (d.topic_permissions ?? []) as unknown as Json[],
      parameters: (d.parameters ?? []) as unknown as Json[],
      global_parameters: (d.global_parameters ?? []) as unknown as Json[],
      policies: (d.policies ?? []) as unknown as Json[],
      queues: d.queues as unknown as Json[],
      exchanges: d.exchanges as unknown as Json[],
      bindings: d.bindings as unknown as Json[],
    };
    if (vhost === undefined) return out;
    const mine = (x: Json) => (x as JsonObject).vhost === vhost;
    // a vhost's export carries only its own objects, without the vhost field on each
    const strip = (x: Json) => {
      const { vhost: _v, ...rest } = x as JsonObject;
      return rest;
    };
    return {
      rabbit_version: MANAGEMENT_VERSION,
      rabbitmq_version: MANAGEMENT_VERSION,
      product_name: "Warren",
      product_version: ctx.productVersion,
      parameters: (out.parameters as Json[]).filter(mine).map(strip),
      policies: (out.policies as Json[]).filter(mine).map(strip),
      queues: (out.queues as Json[]).filter(mine).map(strip),
      exchanges: (out.exchanges as Json[]).filter(mine).map(strip),
      bindings: (out.bindings as Json[]).filter(mine).map(strip),
    };
  };

  app.get("/api/definitions", async (req, reply) => {
    who(req).require("administrator");
    if ((req.query as Record<string, string>).download) {
      reply.header("content-disposition", `attachment; filename="${(req.query as Record<string, string>).download}"`);
    }
    return definitions();
  });
  app.get("/api/definitions/:vhost", async (req: Req) => {
    const p = who(req);
    p.require("administrator");
    vhostOf(req.params.vhost!, p);
    return definitions(req.params.vhost);
  });
  const importBody = (req: Req, vhost?: string): unknown => {
    const body = req.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest("failed_to_parse_json");
    if (vhost === undefined) return body;
    // objects of a vhost's file name no vhost: they go into the one in the path
    const withVhost = (xs: unknown) => (Array.isArray(xs) ? xs.map((x: unknown) => ({ ...(x as object), vhost })) : xs);
    const { users: _u, vhosts: _v, permissions: _p, topic_permissions: _t, global_parameters: _g, operator_policies: _o, ...rest } = body;
    return {
      ...rest, parameters: withVhost(body.parameters),
      policies: withVhost(body.policies), queues: withVhost(body.queues), exchanges: withVhost(body.exchanges), bindings: withVhost(body.bindings),
    };
  };
  /**
   * RabbitMQ answers 204 with no body, and tools that migrate may check for exactly that, so Warren
   * does too; `?report=true` (which RabbitMQ ignores) asks for 200 with what was imported, kept
   * without acting on, and refused — `warren ctl` and the UI ask. The log line says it either way.
   * A refusal is RabbitMQ's 400 {error, reason} with the same report beside it.
   */
  const doImport = (req: Req, reply: FastifyReply, d: unknown) => {
    try {
      const report = importDefinitions(broker, d, "the uploaded definitions");
      log?.info({ ...report }, `definitions imported: ${describeImport(report)}`);
      const query = req.query as Record<string, unknown> | undefined;
      return query?.["report"] === "true" ? reply.code(200).send(report) : reply.code(204).send();
    } catch (err) {
      if (!(err instanceof DefinitionsRefused)) throw err;
      log?.warn({ ...err.report }, `definitions refused: ${describeImport(err.report)}`);
      return reply.code(400).send({ error: "bad_request", reason: err.report.refused.join("\n"), ...err.report });
    }
  };
  app.post("/api/definitions", async (req: Req, reply) => {
    who(req).require("administrator");
    return doImport(req, reply, importBody(req));
  });
  app.post("/api/definitions/:vhost", async (req: Req, reply) => {
    const p = who(req);
    p.require("administrator");
    vhostOf(req.params.vhost!, p);
    return doImport(req, reply, importBody(req, req.params.vhost));
  });
}

/** The router hands path parameters over decoded: compare with the decoded properties_key. */
function samePropertiesKey(b: { routingKey: string; args: Record<string, unknown> }, given: string): boolean {
  const key = propertiesKey(b.routingKey, b.args);
  if (key === given) return true;
  try {
    return decodeURIComponent(key) === given;
  } catch {
    return false;
  }
}

/** Open file descriptors of this process (Linux /proc); 0 where that is not available. */
export async function openFds(): Promise<number> {
  try {
    const { readdir } = await import("node:fs/promises");
    // less the descriptor the listing itself holds open
    return Math.max(0, (await readdir("/proc/self/fd")).length - 1);
  } catch {
    return 0;
  }
}

/** The process's soft limit on open files, as RabbitMQ reports it (fd_total, rabbitmq_process_max_fds). */
export function maxFds(): number {
  return processFdLimit() ?? 0;
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** The properties JSON of a publish request, as the core's neutral properties. */
function messageProperties(raw: unknown): MessageProperties {
  const p = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const out: MessageProperties = {};
  const s = (k: string) => (p[k] === undefined || p[k] === null ? undefined : String(p[k]));
  const n = (k: string) => (p[k] === undefined || p[k] === null || p[k] === "" ? undefined : Number(p[k]));
  const set = <K extends keyof MessageProperties>(k: K, v: MessageProperties[K] | undefined) => {
    if (v !== undefined && !(typeof v === "number" && Number.isNaN(v))) out[k] = v;
  };
  set("contentType", s("content_type"));
  set("contentEncoding", s("content_encoding"));
  if (p.headers && typeof p.headers === "object") out.headers = jsonFieldTable(p.headers as Record<string, unknown>);
  set("deliveryMode", n("delivery_mode"));
  set("priority", n("priority"));
  set("correlationId", s("correlation_id"));
  set("replyTo", s("reply_to"));
  set("expiration", s("expiration"));
  set("messageId", s("message_id"));
  set("timestamp", n("timestamp"));
  set("type", s("type"));
  set("userId", s("user_id"));
  set("appId", s("app_id"));
  set("clusterId", s("cluster_id"));
  return out;
}

/** A message's properties as RabbitMQ's get answer shows them: only those that are set. */
function propertiesJson(p: MessageProperties): JsonObject {
  const out: JsonObject = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v as Json;
  };
  put("content_type", p.contentType);
  put("content_encoding", p.contentEncoding);
  put("delivery_mode", p.deliveryMode);
  put("priority", p.priority);
  put("correlation_id", p.correlationId);
  put("reply_to", p.replyTo);
  put("expiration", p.expiration);
  put("message_id", p.messageId);
  // JSON has no bigint: a timestamp past 2^53 becomes the nearest number
  put("timestamp", typeof p.timestamp === "bigint" ? Number(p.timestamp) : p.timestamp);
  put("type", p.type);
  put("user_id", p.userId);
  put("app_id", p.appId);
  put("cluster_id", p.clusterId);
  if (p.headers !== undefined) out.headers = fieldTableJson(p.headers) as JsonObject;
  return out;
}

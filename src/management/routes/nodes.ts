/**
 * GET /api/nodes and /api/nodes/:node: the node, as RabbitMQ describes a cluster member. On a
 * cluster's leader every member is listed (docs/clustering.md, "Operations"): the leader with the
 * full node object, followers with RabbitMQ's fields for a node this one does not host, and each
 * with the cluster_* and replication_lag_* fields (never present on a single node).
 */
import { availableParallelism } from "node:os";
import { statfs } from "node:fs/promises";
import { notFound } from "../errors.js";
import { maxFds, memoryBreakdown, openFds } from "../process-stats.js";
import { flag, routeSchema } from "../schemas.js";
import { EXCHANGE_TYPES, type JsonObject } from "../views.js";
import type { Route, RoutePlugin } from "./context.js";
import type { ClusterMemberStatus, ClusterStatus } from "../cluster-view.js";

/** The cluster fields of one member (the names the management UI reads). */
function clusterFields(s: ClusterStatus, m: ClusterMemberStatus): JsonObject {
  return {
    cluster_role: m.role,
    cluster_epoch: s.epoch,
    cluster_in_sync: m.inSync,
    replication_lag_batches: m.lagBatches,
    replication_lag_bytes: m.lagBytes,
  };
}

export const nodesRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node, ctx } = api;

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
      processors: availableParallelism(),
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
      enabled_plugins: [
        "rabbitmq_management",
        "rabbitmq_mqtt",
        "rabbitmq_stomp",
        "rabbitmq_web_mqtt",
        "rabbitmq_web_stomp",
        "rabbitmq_prometheus",
      ],
      connection_created: broker.connections.created,
      connection_closed: broker.connections.closed,
    };
  };

  /** Every node: this one alone, or each member of the cluster, the leader (this node) first. */
  const nodesJson = async (): Promise<JsonObject[]> => {
    const cluster = ctx.cluster;
    if (cluster === undefined) return [await nodeJson()];
    const s = cluster.status();
    const out: JsonObject[] = [];
    for (const m of s.members) {
      if (m.role === "leader") out.push({ ...(await nodeJson()), ...clusterFields(s, m) });
      else out.push({ name: `warren@${m.name}`, type: "disc", running: m.running, ...clusterFields(s, m) });
    }
    return out;
  };

  app.get("/api/nodes", { schema: routeSchema({}) }, async (req) => {
    api.who(req).require("monitoring");
    return nodesJson();
  });
  app.get<Route<"node", { memory?: string }>>(
    "/api/nodes/:node",
    { schema: routeSchema({ params: ["node"], query: { memory: flag } }) },
    async (req) => {
      api.who(req).require("monitoring");
      const found =
        ctx.cluster === undefined
          ? req.params.node === node
            ? await nodeJson()
            : undefined
          : (await nodesJson()).find((n) => n.name === req.params.node);
      if (found === undefined) throw notFound();
      // RabbitMQ adds the memory breakdown only when asked (its UI's node page asks); only this
      // node's process can be measured
      if (req.query.memory === "true" && found.name === node) found.memory = memoryBreakdown();
      return found;
    },
  );
};

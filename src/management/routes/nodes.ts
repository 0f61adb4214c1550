/** GET /api/nodes and /api/nodes/:node: the one node, as RabbitMQ describes a cluster member. */
import { availableParallelism } from "node:os";
import { statfs } from "node:fs/promises";
import { notFound } from "../errors.js";
import { maxFds, memoryBreakdown, openFds } from "../process-stats.js";
import { flag, routeSchema } from "../schemas.js";
import { EXCHANGE_TYPES, type JsonObject } from "../views.js";
import type { Route, RoutePlugin } from "./context.js";

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

  app.get("/api/nodes", { schema: routeSchema({}) }, async (req) => {
    api.who(req).require("monitoring");
    return [await nodeJson()];
  });
  app.get<Route<"node", { memory?: string }>>(
    "/api/nodes/:node",
    { schema: routeSchema({ params: ["node"], query: { memory: flag } }) },
    async (req) => {
      api.who(req).require("monitoring");
      if (req.params.node !== node) throw notFound();
      const out = await nodeJson();
      // RabbitMQ adds the memory breakdown only when asked (its UI's node page asks)
      if (req.query.memory === "true") out.memory = memoryBreakdown();
      return out;
    },
  );
};

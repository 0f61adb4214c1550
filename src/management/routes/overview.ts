/** GET /api/overview (the node's totals, listeners and rates) and GET /api/extensions. */
import { routeSchema } from "../schemas.js";
import { EXCHANGE_TYPES, globalMessageStats } from "../views.js";
import type { Principal } from "../auth.js";
import { MANAGEMENT_VERSION, type RoutePlugin } from "./context.js";

export const overviewRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node, ctx, rates } = api;

  const objectTotals = (p: Principal) => {
    let queues = 0,
      exchanges = 0,
      consumers = 0;
    for (const v of api.visibleVhosts(p)) {
      queues += v.queues.size;
      exchanges += v.exchanges.size;
      for (const q of v.queues.values()) consumers += q.consumerCount;
    }
    const conns = broker.connections.list().filter((c) => p.seesConnectionsOf(c.details.user));
    const channels = conns.reduce((n, c) => n + c.details.channels().length, 0);
    // as RabbitMQ: only users who see every connection get the consumer total
    return p.isMonitor
      ? { channels, connections: conns.length, consumers, exchanges, queues }
      : { channels, connections: conns.length, exchanges, queues };
  };

  app.get("/api/overview", { schema: routeSchema({}) }, async (req) => {
    const p = api.who(req);
    let ready = 0,
      unacked = 0;
    for (const v of api.visibleVhosts(p)) {
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
      cluster_name:
        typeof broker.parameters.global("cluster_name") === "string" ? (broker.parameters.global("cluster_name") as string) : node,
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

  app.get("/api/extensions", { schema: routeSchema({}) }, async (req) => {
    api.who(req);
    return [];
  });
};

/**
 * RabbitMQ 3.10's management HTTP API over Warren's core: the paths, verbs, status codes and
 * JSON shapes rabbitmqadmin, `warren ctl`, the web UI and operators' scripts use. Each resource's
 * routes are a fastify plugin in routes/<resource>.ts; this module registers them with the
 * context they share (routes/context.ts) and what applies to every route.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "../server/logger.js";
import { shapeListing } from "./listing.js";
import type { RateSampler } from "./rates.js";
import { bindingsRoutes } from "./routes/bindings.js";
import { channelsRoutes } from "./routes/channels.js";
import { clusterRoutes } from "./routes/cluster.js";
import { connectionsRoutes } from "./routes/connections.js";
import { consumersRoutes } from "./routes/consumers.js";
import { type ManagementContext, RouteContext, type RoutePlugin } from "./routes/context.js";
import { definitionsRoutes } from "./routes/definitions.js";
import { exchangesRoutes } from "./routes/exchanges.js";
import { healthRoutes } from "./routes/health.js";
import { messagesRoutes } from "./routes/messages.js";
import { nodesRoutes } from "./routes/nodes.js";
import { overviewRoutes } from "./routes/overview.js";
import { parametersRoutes } from "./routes/parameters.js";
import { permissionsRoutes } from "./routes/permissions.js";
import { policiesRoutes } from "./routes/policies.js";
import { queuesRoutes } from "./routes/queues.js";
import { topicPermissionsRoutes } from "./routes/topic-permissions.js";
import { usersRoutes } from "./routes/users.js";
import { vhostsRoutes } from "./routes/vhosts.js";
import { whoamiRoutes } from "./routes/whoami.js";

export { type ManagementContext, MANAGEMENT_VERSION } from "./routes/context.js";

/** Every resource's routes, as RabbitMQ's management plugin groups them. */
export const ROUTE_PLUGINS: readonly RoutePlugin[] = [
  overviewRoutes,
  nodesRoutes,
  whoamiRoutes,
  healthRoutes,
  vhostsRoutes,
  usersRoutes,
  permissionsRoutes,
  topicPermissionsRoutes,
  connectionsRoutes,
  channelsRoutes,
  consumersRoutes,
  exchangesRoutes,
  queuesRoutes,
  messagesRoutes,
  bindingsRoutes,
  policiesRoutes,
  parametersRoutes,
  definitionsRoutes,
  clusterRoutes,
];

/** Registers every /api route on the server. */
export function registerApi(app: FastifyInstance, ctx: ManagementContext, rates: RateSampler, log?: Logger): void {
  const api = new RouteContext(ctx, rates, log);
  // RabbitMQ reads the first of a repeated query parameter (?sort=a&sort=b sorts by a)
  app.addHook("onRequest", async (req) => {
    const q = req.query as Record<string, unknown> | undefined;
    if (q === undefined) return;
    for (const k of Object.keys(q)) if (Array.isArray(q[k])) q[k] = (q[k] as unknown[])[0];
  });
  // RabbitMQ filters and sorts answers server-side: ?columns=name,messages&sort=name&sort_reverse=true
  app.addHook("preSerialization", shapeListing);
  for (const plugin of ROUTE_PLUGINS) void app.register(plugin, { api });
}

/** Channels: GET /api/channels, /api/vhosts/:vhost/channels and /api/connections/:name/channels. */
import type { RegisteredConnection } from "../../core/index.js";
import type { Principal } from "../auth.js";
import { notFound } from "../errors.js";
import { routeSchema } from "../schemas.js";
import { channelJson, type JsonObject } from "../views.js";
import { type PageQuery, PAGE_QUERY, paginate } from "../pagination.js";
import type { Route, RoutePlugin } from "./context.js";

export const channelsRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node } = api;
  const visibleConnections = (p: Principal) => broker.connections.list().filter((c) => p.seesConnectionsOf(c.details.user));
  const channelsOf = (c: RegisteredConnection): JsonObject[] => c.details.channels().map((ch) => channelJson(c, ch, node));

  app.get<Route<never, PageQuery>>("/api/channels", { schema: routeSchema({ query: PAGE_QUERY }) }, async (req) => {
    const p = api.who(req);
    return paginate(visibleConnections(p).flatMap(channelsOf), req.query);
  });
  app.get<Route<"vhost">>("/api/vhosts/:vhost/channels", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    api.vhostOf(req.params.vhost, p);
    return visibleConnections(p)
      .filter((c) => c.details.vhost === req.params.vhost)
      .flatMap(channelsOf);
  });
  app.get<Route<"name">>("/api/connections/:name/channels", { schema: routeSchema({ params: ["name"] }) }, async (req) => {
    const p = api.who(req);
    const c = broker.connections.named(req.params.name);
    if (!c) throw notFound();
    p.requireSeesConnectionOf(c.details.user);
    return channelsOf(c);
  });
};

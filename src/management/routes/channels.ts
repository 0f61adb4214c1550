/** Channels: GET /api/channels, /api/vhosts/:vhost/channels and /api/connections/:name/channels. */
import { BrokerError, type RegisteredConnection } from "../../core/index.js";
import type { Principal } from "../auth.js";
import { notFound } from "../errors.js";
import { routeSchema } from "../schemas.js";
import { channelJson, consumerJson, type JsonObject } from "../views.js";
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
  // one channel, with its consumers (RabbitMQ's consumer_details), for the UI's channel page
  app.get<Route<"name">>("/api/channels/:name", { schema: routeSchema({ params: ["name"] }) }, async (req) => {
    const p = api.who(req);
    for (const c of broker.connections.list()) {
      for (const ch of c.details.channels()) {
        const out = channelJson(c, ch, node);
        if (out.name !== req.params.name) continue;
        // another user's channel: RabbitMQ's refusal for the object, as for its connection
        p.requireSeesConnectionOf(c.details.user);
        const v = broker.vhost(c.details.vhost);
        const consumers: JsonObject[] = [];
        if (!(v instanceof BrokerError)) {
          for (const q of v.queues.values()) {
            for (const s of q.subscriptions) {
              if (s.consumer.client.id === c.client.id && (s.consumer.channelNumber ?? 1) === ch.number)
                consumers.push(consumerJson(s, v.name, c, node));
            }
          }
        }
        out.consumer_details = consumers;
        return out;
      }
    }
    throw notFound();
  });
};

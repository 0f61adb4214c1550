/**
 * Client connections of every protocol: GET /api/connections, GET and DELETE
 * /api/connections/:name, and GET /api/vhosts/:vhost/connections.
 */
import { notFound } from "../errors.js";
import { routeSchema } from "../schemas.js";
import { connectionJson } from "../views.js";
import { type PageQuery, PAGE_QUERY, paginate } from "../pagination.js";
import type { Route, RoutePlugin } from "./context.js";

export const connectionsRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node } = api;

  app.get<Route<never, PageQuery>>("/api/connections", { schema: routeSchema({ query: PAGE_QUERY }) }, async (req) => {
    const p = api.who(req);
    return paginate(
      broker.connections
        .list()
        .filter((c) => p.seesConnectionsOf(c.details.user))
        .map((c) => connectionJson(c, node)),
      req.query,
    );
  });
  app.get<Route<"vhost">>("/api/vhosts/:vhost/connections", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    api.vhostOf(req.params.vhost, p);
    return broker.connections
      .list()
      .filter((c) => c.details.vhost === req.params.vhost && p.seesConnectionsOf(c.details.user))
      .map((c) => connectionJson(c, node));
  });
  app.get<Route<"name">>("/api/connections/:name", { schema: routeSchema({ params: ["name"] }) }, async (req) => {
    const p = api.who(req);
    const c = broker.connections.named(req.params.name);
    if (!c) throw notFound();
    p.requireSeesConnectionOf(c.details.user);
    return connectionJson(c, node);
  });
  app.delete<Route<"name">>("/api/connections/:name", { schema: routeSchema({ params: ["name"] }) }, async (req, reply) => {
    const p = api.who(req);
    const c = broker.connections.named(req.params.name);
    if (!c) throw notFound();
    // administrators close anyone's connection, everyone else only their own (monitoring users too)
    p.requireClosesConnectionOf(c.details.user);
    // RabbitMQ's default reason, or the operator's from the X-Reason header
    const header = req.headers["x-reason"];
    const reason = typeof header === "string" && header !== "" ? header : "Closed via management plugin";
    c.details.close(reason);
    return reply.code(204).send();
  });
};

/** Exchanges: GET /api/exchanges[/:vhost], and GET, PUT, DELETE /api/exchanges/:vhost/:name. */
import type { FastifyRequest } from "fastify";
import { jsonFieldTable } from "../../core/index.js";
import { notAuthorised, notFound } from "../errors.js";
import { args, body, bool, flag, routeSchema, text } from "../schemas.js";
import { exchangeJson } from "../views.js";
import { type PageQuery, PAGE_QUERY, paginate } from "../pagination.js";
import { check, exchangeName, type Listing, parseBool, type Route, type RoutePlugin, str } from "./context.js";

const EXCHANGE_BODY = body({ type: text("type"), durable: bool, auto_delete: bool, internal: bool, arguments: args });

export const exchangesRoutes: RoutePlugin = async (app, { api }) => {
  const list = async (req: FastifyRequest<Listing<PageQuery>>) => {
    const p = api.who(req);
    return paginate(
      api.vhostsFor(req.params.vhost, p).flatMap((v) => [...v.exchanges.values()].map((x) => exchangeJson(x, v.name))),
      req.query,
    );
  };
  app.get<Listing<PageQuery>>("/api/exchanges", { schema: routeSchema({ query: PAGE_QUERY }) }, list);
  app.get<Listing<PageQuery>>("/api/exchanges/:vhost", { schema: routeSchema({ params: ["vhost"], query: PAGE_QUERY }) }, list);

  app.get<Route<"vhost" | "name">>("/api/exchanges/:vhost/:name", { schema: routeSchema({ params: ["vhost", "name"] }) }, async (req) => {
    const v = api.vhostOf(req.params.vhost, api.who(req));
    const x = v.exchanges.get(exchangeName(req.params.name));
    if (!x) throw notFound();
    return exchangeJson(x, v.name);
  });
  app.put<Route<"vhost" | "name">>(
    "/api/exchanges/:vhost/:name",
    { schema: routeSchema({ params: ["vhost", "name"], body: EXCHANGE_BODY }), attachValidation: true },
    async (req, reply) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      const body = api.body(req);
      const name = exchangeName(req.params.name);
      if (name === "" || name.startsWith("amq.")) throw notAuthorised("Access refused.");
      p.requireAccess(v.name, "exchange", name, "configure");
      const existed = v.exchanges.has(name);
      check(
        v.declareExchange(name, {
          // RabbitMQ declares a direct exchange when the body names no type
          type: str(body.type, "direct"),
          durable: parseBool(body.durable, false),
          autoDelete: parseBool(body.auto_delete, false),
          internal: parseBool(body.internal, false),
          args: jsonFieldTable(body.arguments as Record<string, unknown>),
        }),
      );
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<Route<"vhost" | "name", { "if-unused"?: string }>>(
    "/api/exchanges/:vhost/:name",
    {
      schema: routeSchema({ params: ["vhost", "name"], query: { "if-unused": flag } }),
    },
    async (req, reply) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      const name = exchangeName(req.params.name);
      if (name === "" || name.startsWith("amq.")) throw notAuthorised("Access refused.");
      p.requireAccess(v.name, "exchange", name, "configure");
      if (!v.exchanges.has(name)) throw notFound();
      check(v.deleteExchange(name, req.query["if-unused"] === "true"));
      return reply.code(204).send();
    },
  );
};

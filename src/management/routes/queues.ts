/**
 * Queues: GET /api/queues[/:vhost], GET, PUT, DELETE /api/queues/:vhost/:name and DELETE
 * /api/queues/:vhost/:name/contents (purge).
 */
import type { FastifyRequest } from "fastify";
import { jsonFieldTable, type Queue } from "../../core/index.js";
import { badRequest, notAuthorised } from "../errors.js";
import { args, body, bool, flag, routeSchema, text } from "../schemas.js";
import { consumerJson, type Json, queueJson } from "../views.js";
import { type PageQuery, PAGE_QUERY, paginate } from "../pagination.js";
import { check, type Listing, parseBool, type Route, type RoutePlugin } from "./context.js";

const QUEUE_BODY = body({ durable: bool, auto_delete: bool, arguments: args, node: text("node") });

export const queuesRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node, rates } = api;

  const consumersOf = (q: Queue, vhost: string): Json[] =>
    q.subscriptions.map((s) => consumerJson(s, vhost, broker.connections.of(s.consumer.client), node));

  const list = async (req: FastifyRequest<Listing<PageQuery>>) => {
    const p = api.who(req);
    return paginate(
      api.vhostsFor(req.params.vhost, p).flatMap((v) => [...v.queues.values()].map((q) => queueJson(q, v.name, node, rates))),
      req.query,
    );
  };
  app.get<Listing<PageQuery>>("/api/queues", { schema: routeSchema({ query: PAGE_QUERY }) }, list);
  app.get<Listing<PageQuery>>("/api/queues/:vhost", { schema: routeSchema({ params: ["vhost"], query: PAGE_QUERY }) }, list);

  app.get<Route<"vhost" | "name">>("/api/queues/:vhost/:name", { schema: routeSchema({ params: ["vhost", "name"] }) }, async (req) => {
    const v = api.vhostOf(req.params.vhost, api.who(req));
    const q = api.queueOf(v, req.params.name);
    return queueJson(q, v.name, node, rates, consumersOf(q, v.name));
  });
  app.put<Route<"vhost" | "name">>(
    "/api/queues/:vhost/:name",
    { schema: routeSchema({ params: ["vhost", "name"], body: QUEUE_BODY }), attachValidation: true },
    async (req, reply) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      const body = api.body(req);
      const name = req.params.name;
      // an AMQP short string: RabbitMQ's API refuses longer names in its own words (exchanges it lets through)
      const bytes = Buffer.byteLength(name);
      if (bytes > 255) throw badRequest(`queue should be less than 255 bytes, actually was ${bytes}\n`);
      if (name.startsWith("amq.")) throw notAuthorised("Access refused.");
      p.requireAccess(v.name, "queue", name, "configure");
      const existed = v.queues.has(name);
      check(
        v.declareQueue(
          name,
          {
            durable: parseBool(body.durable, false),
            autoDelete: parseBool(body.auto_delete, false),
            args: jsonFieldTable(body.arguments as Record<string, unknown>),
          },
          existed ? v.queues.get(name)!.options.owner : null,
        ),
      );
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<Route<"vhost" | "name", { "if-empty"?: string; "if-unused"?: string }>>(
    "/api/queues/:vhost/:name",
    {
      schema: routeSchema({ params: ["vhost", "name"], query: { "if-empty": flag, "if-unused": flag } }),
    },
    async (req, reply) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      const q = api.queueOf(v, req.params.name);
      p.requireAccess(v.name, "queue", q.name, "configure");
      check(
        v.deleteQueue(q.name, { ifEmpty: req.query["if-empty"] === "true", ifUnused: req.query["if-unused"] === "true" }, q.options.owner),
      );
      return reply.code(204).send();
    },
  );
  app.delete<Route<"vhost" | "name">>(
    "/api/queues/:vhost/:name/contents",
    { schema: routeSchema({ params: ["vhost", "name"] }) },
    async (req, reply) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      const q = api.queueOf(v, req.params.name);
      p.requireAccess(v.name, "queue", q.name, "read");
      q.purge();
      return reply.code(204).send();
    },
  );
};

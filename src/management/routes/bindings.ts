/**
 * Bindings: GET /api/bindings[/:vhost]; between an exchange and a queue (`q`) or exchange (`e`),
 * GET and POST /api/bindings/:vhost/e/:source/{q,e}/:dest and GET, DELETE …/:props; and the
 * bindings of one exchange (…/bindings/source, …/bindings/destination) or queue.
 */
import type { FastifyRequest } from "fastify";
import { jsonFieldTable, type VirtualHost } from "../../core/index.js";
import { notAuthorised, notFound } from "../errors.js";
import { args, body, routeSchema, text } from "../schemas.js";
import { bindingJson, propertiesKey, vhostBindings } from "../views.js";
import { check, exchangeName, type Listing, type Route, type RoutePlugin, str } from "./context.js";

const BINDING_BODY = body({ routing_key: text("routing_key"), arguments: args });

export const bindingsRoutes: RoutePlugin = async (app, { api }) => {
  const list = async (req: FastifyRequest<Listing>) => {
    const p = api.who(req);
    return api.vhostsFor(req.params.vhost, p).flatMap((v) => vhostBindings(v).map((b) => bindingJson(b, v.name)));
  };
  app.get<Listing>("/api/bindings", { schema: routeSchema({}) }, list);
  app.get<Listing>("/api/bindings/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, list);

  for (const [letter, kind] of [
    ["q", "queue"],
    ["e", "exchange"],
  ] as const) {
    type Between = Route<"vhost" | "source" | "dest">;
    const between = (v: VirtualHost, params: Between["Params"]) => {
      const source = exchangeName(params.source);
      const dest = params.dest;
      if (!v.exchanges.has(source)) throw notFound();
      if (kind === "queue" ? !v.queues.has(dest) : !v.exchanges.has(dest)) throw notFound();
      return vhostBindings(v).filter((b) => b.source === source && b.destinationType === kind && b.destination === dest);
    };
    const base = `/api/bindings/:vhost/e/:source/${letter}/:dest`;
    const baseParams = ["vhost", "source", "dest"];
    app.get<Between>(base, { schema: routeSchema({ params: baseParams }) }, async (req) => {
      const v = api.vhostOf(req.params.vhost, api.who(req));
      return between(v, req.params).map((b) => bindingJson(b, v.name));
    });
    app.post<Between>(
      base,
      { schema: routeSchema({ params: baseParams, body: BINDING_BODY }), attachValidation: true },
      async (req, reply) => {
        const p = api.who(req);
        const v = api.vhostOf(req.params.vhost, p);
        const body = api.body(req);
        const source = exchangeName(req.params.source);
        const dest = req.params.dest;
        // binding: write on the destination, read on the source (AMQP 0-9-1 as RabbitMQ checks it)
        p.requireAccess(v.name, kind, dest, "write");
        p.requireAccess(v.name, "exchange", source, "read");
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
        const pk = propertiesKey(
          key,
          body.arguments && typeof body.arguments === "object" ? (body.arguments as Record<string, unknown>) : {},
        );
        return reply
          .code(201)
          .header("location", `${encodeURIComponent(dest)}/${pk}`)
          .send();
      },
    );

    type One = Route<"vhost" | "source" | "dest" | "props">;
    const oneParams = [...baseParams, "props"];
    app.get<One>(`${base}/:props`, { schema: routeSchema({ params: oneParams }) }, async (req) => {
      const v = api.vhostOf(req.params.vhost, api.who(req));
      const b = between(v, req.params).find((x) => samePropertiesKey(x, req.params.props));
      if (!b) throw notFound();
      return bindingJson(b, v.name);
    });
    app.delete<One>(`${base}/:props`, { schema: routeSchema({ params: oneParams }) }, async (req, reply) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      p.requireAccess(v.name, kind, req.params.dest, "write");
      p.requireAccess(v.name, "exchange", exchangeName(req.params.source), "read");
      const b = between(v, req.params).find((x) => samePropertiesKey(x, req.params.props));
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

  for (const side of ["source", "destination"] as const) {
    app.get<Route<"vhost" | "name">>(
      `/api/exchanges/:vhost/:name/bindings/${side}`,
      { schema: routeSchema({ params: ["vhost", "name"] }) },
      async (req) => {
        const v = api.vhostOf(req.params.vhost, api.who(req));
        const name = exchangeName(req.params.name);
        if (!v.exchanges.has(name)) throw notFound();
        return vhostBindings(v)
          .filter((b) => (side === "source" ? b.source === name : b.destinationType === "exchange" && b.destination === name))
          .map((b) => bindingJson(b, v.name));
      },
    );
  }

  app.get<Route<"vhost" | "name">>(
    "/api/queues/:vhost/:name/bindings",
    { schema: routeSchema({ params: ["vhost", "name"] }) },
    async (req) => {
      const v = api.vhostOf(req.params.vhost, api.who(req));
      const q = api.queueOf(v, req.params.name);
      return vhostBindings(v)
        .filter((b) => b.destinationType === "queue" && b.destination === q.name)
        .map((b) => bindingJson(b, v.name));
    },
  );
};

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

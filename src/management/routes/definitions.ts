/**
 * Definitions export and import: GET and POST /api/definitions (the whole broker) and
 * /api/definitions/:vhost (one vhost's objects, without vhost fields).
 */
import type { FastifyReply } from "fastify";
import { DefinitionsRefused, describeImport, exportDefinitions, importDefinitions } from "../../store/definitions.js";
import { badRequest } from "../errors.js";
import { flag, routeSchema, type Schema } from "../schemas.js";
import type { Json, JsonObject } from "../views.js";
import { type Body, MANAGEMENT_VERSION, type Route, type RoutePlugin } from "./context.js";

/**
 * A definitions file: any JSON here, since the importer checks it object by object and answers with
 * what it refused (a body that is not an object is refused after the tag check, as
 * `failed_to_parse_json`).
 */
const DEFINITIONS_BODY: Schema = { description: "a definitions file, validated by the importer" };

export const definitionsRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, ctx, log } = api;

  const definitions = (vhost?: string): JsonObject => {
    const d = exportDefinitions(broker, { includeTransient: true });
    const out: JsonObject = {
      rabbit_version: MANAGEMENT_VERSION,
      rabbitmq_version: MANAGEMENT_VERSION,
      product_name: "Warren",
      product_version: ctx.productVersion,
      users: d.users as unknown as Json[],
      vhosts: d.vhosts as unknown as Json[],
      permissions: d.permissions as unknown as Json[],
      topic_permissions: (d.topic_permissions ?? []) as unknown as Json[],
      parameters: (d.parameters ?? []) as unknown as Json[],
      global_parameters: (d.global_parameters ?? []) as unknown as Json[],
      policies: (d.policies ?? []) as unknown as Json[],
      queues: d.queues as unknown as Json[],
      exchanges: d.exchanges as unknown as Json[],
      bindings: d.bindings as unknown as Json[],
    };
    if (vhost === undefined) return out;
    const mine = (x: Json) => (x as JsonObject).vhost === vhost;
    // a vhost's export carries only its own objects, without the vhost field on each
    const strip = (x: Json) => {
      const { vhost: _v, ...rest } = x as JsonObject;
      return rest;
    };
    return {
      rabbit_version: MANAGEMENT_VERSION,
      rabbitmq_version: MANAGEMENT_VERSION,
      product_name: "Warren",
      product_version: ctx.productVersion,
      parameters: (out.parameters as Json[]).filter(mine).map(strip),
      policies: (out.policies as Json[]).filter(mine).map(strip),
      queues: (out.queues as Json[]).filter(mine).map(strip),
      exchanges: (out.exchanges as Json[]).filter(mine).map(strip),
      bindings: (out.bindings as Json[]).filter(mine).map(strip),
    };
  };

  app.get<Route<never, { download?: string }>>(
    "/api/definitions",
    { schema: routeSchema({ query: { download: flag } }) },
    async (req, reply) => {
      api.who(req).require("administrator");
      if (req.query.download) reply.header("content-disposition", `attachment; filename="${req.query.download}"`);
      return definitions();
    },
  );
  app.get<Route<"vhost">>("/api/definitions/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    p.require("administrator");
    api.vhostOf(req.params.vhost, p);
    return definitions(req.params.vhost);
  });

  const importBody = (body: unknown, vhost?: string): unknown => {
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest("failed_to_parse_json");
    if (vhost === undefined) return body;
    // objects of a vhost's file name no vhost: they go into the one in the path
    const withVhost = (xs: unknown) => (Array.isArray(xs) ? xs.map((x: unknown) => ({ ...(x as object), vhost })) : xs);
    const {
      users: _u,
      vhosts: _v,
      permissions: _p,
      topic_permissions: _t,
      global_parameters: _g,
      operator_policies: _o,
      ...rest
    } = body as Body;
    const b = body as Body;
    return {
      ...rest,
      parameters: withVhost(b.parameters),
      policies: withVhost(b.policies),
      queues: withVhost(b.queues),
      exchanges: withVhost(b.exchanges),
      bindings: withVhost(b.bindings),
    };
  };
  /**
   * RabbitMQ answers 204 with no body, and tools that migrate may check for exactly that, so Warren
   * does too; `?report=true` (which RabbitMQ ignores) asks for 200 with what was imported, kept
   * without acting on, and refused — `warren ctl` and the UI ask. The log line says it either way.
   * A refusal is RabbitMQ's 400 {error, reason} with the same report beside it.
   */
  const doImport = (report: string | undefined, reply: FastifyReply, d: unknown) => {
    try {
      const imported = importDefinitions(broker, d, "the uploaded definitions");
      log?.info({ ...imported }, `definitions imported: ${describeImport(imported)}`);
      return report === "true" ? reply.code(200).send(imported) : reply.code(204).send();
    } catch (err) {
      if (!(err instanceof DefinitionsRefused)) throw err;
      log?.warn({ ...err.report }, `definitions refused: ${describeImport(err.report)}`);
      return reply.code(400).send({ error: "bad_request", reason: err.report.refused.join("\n"), ...err.report });
    }
  };
  type Import<P extends string> = Route<P, { report?: string }>;
  app.post<Import<never>>(
    "/api/definitions",
    {
      schema: routeSchema({ query: { report: flag }, body: DEFINITIONS_BODY }),
      attachValidation: true,
    },
    async (req, reply) => {
      api.who(req).require("administrator");
      return doImport(req.query.report, reply, importBody(api.body(req)));
    },
  );
  app.post<Import<"vhost">>(
    "/api/definitions/:vhost",
    {
      schema: routeSchema({ params: ["vhost"], query: { report: flag }, body: DEFINITIONS_BODY }),
      attachValidation: true,
    },
    async (req, reply) => {
      const p = api.who(req);
      p.require("administrator");
      api.vhostOf(req.params.vhost, p);
      return doImport(req.query.report, reply, importBody(api.body(req), req.params.vhost));
    },
  );
};

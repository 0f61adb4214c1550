/**
 * Runtime parameters, global parameters and vhost limits, as RabbitMQ 3.10's management API serves
 * them: GET /api/parameters[/:component[/:vhost]], GET, PUT, DELETE
 * /api/parameters/:component/:vhost/:name; GET /api/global-parameters and GET, PUT, DELETE
 * /api/global-parameters/:name; GET /api/vhost-limits[/:vhost], PUT and DELETE
 * /api/vhost-limits/:vhost/:name.
 *
 * Who may call what is RabbitMQ's: parameters are policymakers' (in vhosts they have permissions
 * in) and administrators'; global parameters any policymaker's; vhost limits are read by whoever
 * sees the vhost and written by administrators.
 */
import type { FastifyRequest } from "fastify";
import { BrokerError, KEPT_ONLY as KEPT_ONLY_REASON, type ParameterValue, type RuntimeParameter } from "../../core/index.js";
import { ApiError, badRequest, notFound, objectRefused, vhostRefused } from "../errors.js";
import { body, htmlEscape, routeSchema } from "../schemas.js";
import type { Json, JsonObject } from "../views.js";
import type { Route, RoutePlugin } from "./context.js";
import type { Principal } from "../auth.js";

/** A PUT body: `value` is required (RabbitMQ's `[{key_missing,value}]`), of any JSON type. */
const VALUE_BODY = body({ value: {} }, ["value"]);

const parameterJson = (p: RuntimeParameter): JsonObject => ({
  value: p.value as Json,
  vhost: p.vhost,
  component: p.component,
  name: p.name,
});

/** RabbitMQ's rabbit_mgmt_util:is_authorized_policies: administrators, or policymakers in the path's vhost. */
function requireParameters(p: Principal, vhost?: string): void {
  if (p.isAdmin) return;
  if (!p.isPolicymaker || (vhost !== undefined && !p.canAccess(vhost))) throw objectRefused();
}

export const parametersRoutes: RoutePlugin = async (app, { api }) => {
  const { broker } = api;

  // ---- runtime parameters ------------------------------------------------------------------------
  type Listing = { Params: { component?: string; vhost?: string } };
  const list = async (req: FastifyRequest<Listing>) => {
    const { component, vhost } = req.params;
    const p = api.who(req);
    requireParameters(p, vhost);
    if (vhost !== undefined && broker.vhost(vhost) instanceof BrokerError) throw notFound();
    // non-administrators see the vhosts they may log in to (rabbit_mgmt_util:filter_vhost)
    return broker
      .listParameters({ ...(vhost !== undefined && { vhost }), ...(component !== undefined && { component }) })
      .filter((x) => p.listsVhost(x.vhost))
      .map(parameterJson);
  };
  app.get<Listing>("/api/parameters", { schema: routeSchema({}) }, list);
  app.get<Listing>("/api/parameters/:component", { schema: routeSchema({ params: ["component"] }) }, list);
  app.get<Listing>("/api/parameters/:component/:vhost", { schema: routeSchema({ params: ["component", "vhost"] }) }, list);

  type One = Route<"component" | "vhost" | "name">;
  const ONE = ["component", "vhost", "name"] as const;
  const lookup = (vhost: string, component: string, name: string): RuntimeParameter | undefined =>
    broker.listParameters({ vhost, component }).find((x) => x.name === name);

  app.get<One>("/api/parameters/:component/:vhost/:name", { schema: routeSchema({ params: ONE }) }, async (req) => {
    const { component, vhost, name } = req.params;
    requireParameters(api.who(req), vhost);
    const found = lookup(vhost, component, name);
    if (found === undefined) throw notFound();
    return parameterJson(found);
  });
  app.put<One>(
    "/api/parameters/:component/:vhost/:name",
    { schema: routeSchema({ params: ONE, body: VALUE_BODY }), attachValidation: true },
    async (req, reply) => {
      const { component, vhost, name } = req.params;
      requireParameters(api.who(req), vhost);
      if (broker.vhost(vhost) instanceof BrokerError) throw vhostNotFound();
      const value = api.body(req).value as ParameterValue;
      const r = broker.setParameter({ vhost, component, name, value });
      // RabbitMQ HTML-escapes the Erlang terms in its validation texts here
      if (typeof r === "string") throw badRequest(htmlEscape(r));
      if (r instanceof BrokerError) throw vhostNotFound();
      warnKeptOnly(component);
      return reply.code(r ? 201 : 204).send();
    },
  );
  app.delete<One>("/api/parameters/:component/:vhost/:name", { schema: routeSchema({ params: ONE }) }, async (req, reply) => {
    const { component, vhost, name } = req.params;
    requireParameters(api.who(req), vhost);
    if (!broker.clearParameter(vhost, component, name)) throw notFound();
    return reply.code(204).send();
  });

  /** Parameters Warren keeps without acting on: said once per component in the log. */
  const warned = new Set<string>();
  const warnKeptOnly = (component: string) => {
    const why = KEPT_ONLY_REASON[component];
    if (why === undefined || warned.has(component)) return;
    warned.add(component);
    api.log?.warn({ component }, `runtime parameter component ${component}: ${why}`);
  };

  // ---- global parameters -------------------------------------------------------------------------
  const globalJson = (name: string, value: ParameterValue): JsonObject => ({ name, value: value as Json });
  app.get("/api/global-parameters", { schema: routeSchema({}) }, async (req) => {
    requireGlobal(api.who(req));
    return broker.parameters.listGlobal().map((g) => globalJson(g.name, g.value));
  });
  type Global = Route<"name">;
  app.get<Global>("/api/global-parameters/:name", { schema: routeSchema({ params: ["name"] }) }, async (req) => {
    requireGlobal(api.who(req));
    const value = broker.parameters.global(req.params.name);
    if (value === undefined) throw notFound();
    return globalJson(req.params.name, value);
  });
  app.put<Global>(
    "/api/global-parameters/:name",
    { schema: routeSchema({ params: ["name"], body: VALUE_BODY }), attachValidation: true },
    async (req, reply) => {
      requireGlobal(api.who(req));
      const isNew = broker.parameters.setGlobal(req.params.name, api.body(req).value as ParameterValue);
      return reply.code(isNew ? 201 : 204).send();
    },
  );
  app.delete<Global>("/api/global-parameters/:name", { schema: routeSchema({ params: ["name"] }) }, async (req, reply) => {
    requireGlobal(api.who(req));
    if (!broker.parameters.clearGlobal(req.params.name)) throw notFound();
    return reply.code(204).send();
  });

  // ---- vhost limits ------------------------------------------------------------------------------
  /** What /api/vhost-limits shows: the `limits` parameter's value, `[]` once every limit is cleared (as RabbitMQ). */
  const limitsOf = (vhost: string): ParameterValue | undefined => broker.parameters.get(vhost, "vhost-limits", "limits")?.value;
  type Limits = { Params: { vhost?: string } };
  const limits = async (req: FastifyRequest<Limits>) => {
    const p = api.who(req);
    const { vhost } = req.params;
    if (vhost === undefined) {
      return broker
        .listVhosts()
        .filter((v) => p.visibleVhost(v.name) && limitsOf(v.name) !== undefined)
        .map((v) => ({ vhost: v.name, value: limitsOf(v.name) as Json }));
    }
    if (broker.vhost(vhost) instanceof BrokerError) throw notFound();
    if (!p.isAdmin && !p.visibleVhost(vhost)) throw vhostRefused();
    const value = limitsOf(vhost);
    // an emptied limits parameter reads as no limits for one vhost
    return value === undefined || (Array.isArray(value) && value.length === 0) ? [] : [{ vhost, value: value as Json }];
  };
  app.get<Limits>("/api/vhost-limits", { schema: routeSchema({}) }, limits);
  app.get<Limits>("/api/vhost-limits/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, limits);

  type Limit = Route<"vhost" | "name">;
  /** rabbit_vhost_limit:update_limit / clear_limit: the one `limits` parameter, with that key set or removed. */
  const updateLimit = (vhost: string, name: string, value: ParameterValue | undefined): string | null => {
    const old = limitsOf(vhost);
    const next: Record<string, ParameterValue> = old !== null && typeof old === "object" && !Array.isArray(old) ? { ...old } : {};
    delete next[name];
    const updated = value === undefined ? next : { [name]: value, ...next };
    const r = broker.setParameter({
      vhost,
      component: "vhost-limits",
      name: "limits",
      // RabbitMQ keeps an empty proplist, which its API shows as []
      value: Object.keys(updated).length === 0 ? [] : updated,
    });
    return typeof r === "string" ? r : null;
  };
  app.put<Limit>(
    "/api/vhost-limits/:vhost/:name",
    { schema: routeSchema({ params: ["vhost", "name"], body: VALUE_BODY }), attachValidation: true },
    async (req, reply) => {
      api.who(req).require("administrator");
      const { vhost, name } = req.params;
      if (broker.vhost(vhost) instanceof BrokerError) throw vhostNotFound();
      const problem = updateLimit(vhost, name, api.body(req).value as ParameterValue);
      if (problem !== null) throw badRequest(problem);
      return reply.code(204).send();
    },
  );
  app.delete<Limit>("/api/vhost-limits/:vhost/:name", { schema: routeSchema({ params: ["vhost", "name"] }) }, async (req, reply) => {
    api.who(req).require("administrator");
    const { vhost, name } = req.params;
    if (broker.vhost(vhost) instanceof BrokerError) throw notFound();
    updateLimit(vhost, name, undefined);
    return reply.code(204).send();
  });
};

/** rabbit_mgmt_util:is_authorized_global_parameters: policymakers (administrators are). */
function requireGlobal(p: Principal): void {
  if (!p.isPolicymaker) throw objectRefused();
}

/** RabbitMQ's 404 for a PUT into a vhost that does not exist. */
const vhostNotFound = (): ApiError => new ApiError(404, "not_found", "vhost_not_found");

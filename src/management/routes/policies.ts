/**
 * Policies and operator policies: GET /api/{policies,operator-policies}[/:vhost], and GET, PUT,
 * DELETE …/:vhost/:name.
 */
import type { FastifyRequest } from "fastify";
import { type Policy, type PolicyDefinition, PolicyError } from "../../core/policies.js";
import type { Principal } from "../auth.js";
import { badRequest, notFound } from "../errors.js";
import { body, htmlEscape, object, routeSchema, type Schema, text } from "../schemas.js";
import type { JsonObject } from "../views.js";
import { type Listing, type Route, type RoutePlugin, str } from "./context.js";

/** RabbitMQ HTML-escapes the Erlang terms in policies' validation texts, not in operator policies'. */
const policyBody = (kind: "policy" | "operator-policy"): Schema =>
  body(
    {
      pattern: { type: "string", description: `${kind} pattern` },
      definition: object("definition"),
      priority: { type: "number", description: `${kind} priority` },
      "apply-to": text("apply-to"),
    },
    ["pattern", "definition"],
  );

const policyJson = (p: Policy & { vhost: string }): JsonObject => ({
  vhost: p.vhost,
  name: p.name,
  pattern: p.pattern,
  "apply-to": p.applyTo,
  definition: p.definition as JsonObject,
  priority: p.priority,
});

export const policiesRoutes: RoutePlugin = async (app, { api }) => {
  for (const [path, kind] of [
    ["policies", "policy"],
    ["operator-policies", "operator"],
  ] as const) {
    const list = async (req: FastifyRequest<Listing>) => {
      const p = api.who(req);
      return api.vhostsFor(req.params.vhost, p).flatMap((v) => v.listPolicies(kind).map((x) => policyJson({ ...x, vhost: v.name })));
    };
    app.get<Listing>(`/api/${path}`, { schema: routeSchema({}) }, list);
    app.get<Listing>(`/api/${path}/:vhost`, { schema: routeSchema({ params: ["vhost"] }) }, list);

    // one policy, to read or write: RabbitMQ's policymakers (in their vhosts); operator policies: administrators
    const requireWriter = (p: Principal, vhost: string) =>
      kind === "operator" ? p.require("administrator") : p.requirePolicyWriter(vhost);
    type One = Route<"vhost" | "name">;
    app.get<One>(`/api/${path}/:vhost/:name`, { schema: routeSchema({ params: ["vhost", "name"] }) }, async (req) => {
      const p = api.who(req);
      requireWriter(p, req.params.vhost);
      const v = api.vhostOf(req.params.vhost, p);
      const found = v.listPolicies(kind).find((x) => x.name === req.params.name);
      if (!found) throw notFound();
      return policyJson({ ...found, vhost: v.name });
    });
    app.put<One>(
      `/api/${path}/:vhost/:name`,
      {
        schema: routeSchema({ params: ["vhost", "name"], body: policyBody(kind === "policy" ? "policy" : "operator-policy") }),
        attachValidation: true,
      },
      async (req, reply) => {
        const p = api.who(req);
        requireWriter(p, req.params.vhost);
        const v = api.vhostOf(req.params.vhost, p);
        const body = api.body(req);
        const name = req.params.name;
        const existed = v.listPolicies(kind).some((x) => x.name === name);
        const definition =
          body.definition !== null && typeof body.definition === "object" && !Array.isArray(body.definition)
            ? (body.definition as PolicyDefinition)
            : {};
        const priority = body.priority === undefined || body.priority === null || body.priority === "" ? 0 : Number(body.priority);
        const r = v.setPolicy(
          {
            name,
            pattern: str(body.pattern),
            definition,
            ...(body["apply-to"] !== undefined && body["apply-to"] !== null && { applyTo: str(body["apply-to"]) }),
            priority,
          },
          kind,
        );
        // RabbitMQ's validation answer, with the Erlang terms in it HTML-escaped as its API sends them for
        // policies (not for operator policies)
        if (r instanceof PolicyError) throw badRequest(`Validation failed\n\n${kind === "policy" ? htmlEscape(r.reason) : r.reason}\n`);
        return reply.code(existed ? 204 : 201).send();
      },
    );
    app.delete<One>(`/api/${path}/:vhost/:name`, { schema: routeSchema({ params: ["vhost", "name"] }) }, async (req, reply) => {
      const p = api.who(req);
      requireWriter(p, req.params.vhost);
      const v = api.vhostOf(req.params.vhost, p);
      if (v.clearPolicy(req.params.name, kind) instanceof PolicyError) throw notFound();
      return reply.code(204).send();
    });
  }
};

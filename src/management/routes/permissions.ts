/**
 * Permissions (configure, write, read per user and vhost): GET /api/permissions, GET, PUT, DELETE
 * /api/permissions/:vhost/:user, and the listings by user and by vhost.
 */
import { BrokerError } from "../../core/index.js";
import { badRequest, notFound } from "../errors.js";
import { body, permission, routeSchema } from "../schemas.js";
import type { JsonObject } from "../views.js";
import { requireRegexps, type Route, type RoutePlugin, str } from "./context.js";

const PERMISSION_BODY = body(permission("configure", "write", "read"), ["configure", "write", "read"]);

export const permissionsRoutes: RoutePlugin = async (app, { api }) => {
  const { broker } = api;
  const permissionsList = (): JsonObject[] => [...broker.users.allPermissions()].map(([vhost, user, perm]) => ({ user, vhost, ...perm }));

  app.get("/api/permissions", { schema: routeSchema({}) }, async (req) => {
    api.who(req).require("administrator");
    return permissionsList();
  });
  app.get<Route<"user">>("/api/users/:user/permissions", { schema: routeSchema({ params: ["user"] }) }, async (req) => {
    api.who(req).require("administrator");
    if (!broker.users.get(req.params.user)) throw notFound();
    return permissionsList().filter((x) => x.user === req.params.user);
  });
  app.get<Route<"vhost">>("/api/vhosts/:vhost/permissions", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    p.require("administrator");
    api.vhostOf(req.params.vhost, p);
    return permissionsList().filter((x) => x.vhost === req.params.vhost);
  });

  app.get<Route<"vhost" | "user">>("/api/permissions/:vhost/:user", { schema: routeSchema({ params: ["vhost", "user"] }) }, async (req) => {
    api.who(req).require("administrator");
    const perm = broker.users.permission(req.params.user, req.params.vhost);
    if (!perm) throw notFound();
    return { user: req.params.user, vhost: req.params.vhost, ...perm };
  });
  app.put<Route<"vhost" | "user">>(
    "/api/permissions/:vhost/:user",
    { schema: routeSchema({ params: ["vhost", "user"], body: PERMISSION_BODY }), attachValidation: true },
    async (req, reply) => {
      api.who(req).require("administrator");
      const { vhost, user } = req.params;
      if (broker.vhost(vhost) instanceof BrokerError || !broker.users.get(user)) throw badRequest("vhost_or_user_not_found");
      // RabbitMQ looks for the vhost and the user before it reads the body
      const body = api.body(req);
      const perm = { configure: str(body.configure), write: str(body.write), read: str(body.read) };
      requireRegexps(perm.configure, perm.write, perm.read);
      const existed = broker.users.permission(user, vhost) !== undefined;
      broker.users.setPermission(user, vhost, perm);
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<Route<"vhost" | "user">>(
    "/api/permissions/:vhost/:user",
    { schema: routeSchema({ params: ["vhost", "user"] }) },
    async (req, reply) => {
      api.who(req).require("administrator");
      const { vhost, user } = req.params;
      if (!broker.users.clearPermission(user, vhost)) throw notFound();
      return reply.code(204).send();
    },
  );
};

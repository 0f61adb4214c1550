/**
 * Topic permissions (per exchange, on routing keys): GET /api/topic-permissions, GET, PUT, DELETE
 * /api/topic-permissions/:vhost/:user, and the listings by user and by vhost.
 */
import { BrokerError } from "../../core/index.js";
import { badRequest, notFound } from "../errors.js";
import { body, permission, routeSchema } from "../schemas.js";
import type { JsonObject } from "../views.js";
import { requireRegexps, type Route, type RoutePlugin, str } from "./context.js";

const TOPIC_PERMISSION_BODY = body(permission("exchange", "write", "read"), ["exchange", "write", "read"]);

export const topicPermissionsRoutes: RoutePlugin = async (app, { api }) => {
  const { broker } = api;
  const topicPermissionsList = (): JsonObject[] =>
    [...broker.users.allTopicPermissions()].map(([vhost, user, p]) => ({
      user,
      vhost,
      exchange: p.exchange,
      write: p.write,
      read: p.read,
    }));
  const topicPermissionsOf = (user: string, vhost: string): JsonObject[] =>
    topicPermissionsList().filter((x) => x.user === user && x.vhost === vhost);

  app.get("/api/topic-permissions", { schema: routeSchema({}) }, async (req) => {
    api.who(req).require("administrator");
    return topicPermissionsList();
  });
  app.get<Route<"user">>("/api/users/:user/topic-permissions", { schema: routeSchema({ params: ["user"] }) }, async (req) => {
    api.who(req).require("administrator");
    if (!broker.users.get(req.params.user)) throw notFound();
    return topicPermissionsList().filter((x) => x.user === req.params.user);
  });
  app.get<Route<"vhost">>("/api/vhosts/:vhost/topic-permissions", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    p.require("administrator");
    api.vhostOf(req.params.vhost, p);
    return topicPermissionsList().filter((x) => x.vhost === req.params.vhost);
  });

  app.get<Route<"vhost" | "user">>(
    "/api/topic-permissions/:vhost/:user",
    { schema: routeSchema({ params: ["vhost", "user"] }) },
    async (req) => {
      api.who(req).require("administrator");
      const list = topicPermissionsOf(req.params.user, req.params.vhost);
      if (list.length === 0) throw notFound();
      return list;
    },
  );
  app.put<Route<"vhost" | "user">>(
    "/api/topic-permissions/:vhost/:user",
    { schema: routeSchema({ params: ["vhost", "user"], body: TOPIC_PERMISSION_BODY }), attachValidation: true },
    async (req, reply) => {
      api.who(req).require("administrator");
      const { vhost, user } = req.params;
      // RabbitMQ looks for the vhost and the user before it reads the body
      if (broker.vhost(vhost) instanceof BrokerError || !broker.users.get(user)) throw badRequest("vhost_or_user_not_found");
      const body = api.body(req);
      for (const key of ["exchange", "write", "read"]) {
        if (body[key] === undefined) throw badRequest(`[{key_missing,${key}}]`);
      }
      const perm = { exchange: str(body.exchange), write: str(body.write), read: str(body.read) };
      requireRegexps(perm.write, perm.read);
      // RabbitMQ answers 201 for a user's first topic permission in the vhost, 204 after that
      const existed = topicPermissionsOf(user, vhost).length > 0;
      broker.users.setTopicPermission(user, vhost, perm);
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<Route<"vhost" | "user">>(
    "/api/topic-permissions/:vhost/:user",
    { schema: routeSchema({ params: ["vhost", "user"] }) },
    async (req, reply) => {
      api.who(req).require("administrator");
      const { vhost, user } = req.params;
      if (topicPermissionsOf(user, vhost).length === 0) throw notFound();
      broker.users.clearTopicPermission(user, vhost);
      return reply.code(204).send();
    },
  );
};

/** Health checks: GET /api/health/checks/(local-)alarms and GET /api/aliveness-test/:vhost. */
import type { FastifyReply, FastifyRequest } from "fastify";
import { Message } from "../../core/index.js";
import { routeSchema } from "../schemas.js";
import type { JsonObject } from "../views.js";
import { check, type Route, type RoutePlugin } from "./context.js";

export const healthRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node } = api;

  const alarmsCheck = async (req: FastifyRequest, reply: FastifyReply) => {
    api.who(req);
    const alarms: JsonObject[] = [];
    if (broker.alarms.isSet("memory")) alarms.push({ node, resource: "memory" });
    if (broker.alarms.isSet("disk")) alarms.push({ node, resource: "disk" });
    if (alarms.length === 0) return { status: "ok" };
    return reply.code(503).send({ status: "failed", reason: "resource alarm(s) in effect in the cluster", alarms });
  };
  // one node: the cluster's alarms are the node's
  app.get("/api/health/checks/alarms", { schema: routeSchema({}) }, alarmsCheck);
  app.get("/api/health/checks/local-alarms", { schema: routeSchema({}) }, alarmsCheck);

  app.get<Route<"vhost">>("/api/aliveness-test/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    const v = api.vhostOf(req.params.vhost, p);
    // RabbitMQ runs it over a connection as the user: an administrator without permissions is refused
    for (const access of ["configure", "write", "read"] as const) p.requireAccess(v.name, "queue", "aliveness-test", access);
    // as RabbitMQ: declare a queue, publish to it, get the message back
    check(v.declareQueue("aliveness-test", {}, null));
    check(v.publish("", "aliveness-test", new Message("", "aliveness-test", Buffer.from("test_message"), {}, null)));
    const q = check(v.queue("aliveness-test", null));
    const e = q.get(true);
    if (e === null) return { status: "failed", reason: "no message" };
    return { status: "ok" };
  });
};

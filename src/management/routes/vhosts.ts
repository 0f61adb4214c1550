/** Virtual hosts: GET /api/vhosts, and GET, PUT, DELETE /api/vhosts/:vhost. */
import { BrokerError, type VirtualHost } from "../../core/index.js";
import { notFound } from "../errors.js";
import { body, bool, routeSchema, tags, text } from "../schemas.js";
import type { JsonObject } from "../views.js";
import { type PageQuery, PAGE_QUERY, paginate } from "../pagination.js";
import { type Route, type RoutePlugin, str, tagList } from "./context.js";

const VHOST_BODY = body({ description: text("description"), tags, tracing: bool, default_queue_type: text("default_queue_type") });

export const vhostsRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node } = api;

  const vhostJson = (v: VirtualHost): JsonObject => {
    let ready = 0,
      unacked = 0;
    for (const q of v.queues.values()) {
      ready += q.messageCount;
      unacked += q.unackedMessageCount;
    }
    const m = v.metadata;
    const description = m.description ?? (v.name === broker.defaultVhost ? "Default virtual host" : "");
    return {
      name: v.name,
      description,
      tags: m.tags,
      metadata: { description, tags: m.tags, ...(m.defaultQueueType !== undefined && { default_queue_type: m.defaultQueueType }) },
      default_queue_type: m.defaultQueueType ?? "undefined",
      tracing: false,
      cluster_state: { [node]: "running" },
      messages: ready + unacked,
      messages_ready: ready,
      messages_unacknowledged: unacked,
    };
  };

  app.get<Route<never, PageQuery>>("/api/vhosts", { schema: routeSchema({ query: PAGE_QUERY }) }, async (req) => {
    const p = api.who(req);
    return paginate(api.visibleVhosts(p).map(vhostJson), req.query);
  });
  app.get<Route<"vhost">>("/api/vhosts/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    p.require("administrator");
    return vhostJson(api.vhostOf(req.params.vhost, p));
  });
  app.put<Route<"vhost">>(
    "/api/vhosts/:vhost",
    { schema: routeSchema({ params: ["vhost"], body: VHOST_BODY }), attachValidation: true },
    async (req, reply) => {
      api.who(req).require("administrator");
      const body = api.body(req);
      const name = req.params.vhost;
      const existed = !(broker.vhost(name) instanceof BrokerError);
      const v = broker.addVhost(name);
      // rabbitmqctl add_vhost --description --tags --default-queue-type, over HTTP
      if (body.description !== undefined || body.tags !== undefined || body.default_queue_type !== undefined) {
        const m = v.metadata;
        const tags = body.tags === undefined ? m.tags : tagList(body.tags);
        const description = body.description === undefined ? m.description : str(body.description);
        const dqt = body.default_queue_type === undefined ? m.defaultQueueType : str(body.default_queue_type);
        broker.setVhostMetadata(v, {
          tags,
          ...(description !== undefined && { description }),
          ...(dqt !== undefined && { defaultQueueType: dqt }),
        });
      }
      // as RabbitMQ (rabbit_vhost:put_vhost): whoever creates a vhost over HTTP gets full permissions in it
      if (!existed) {
        const creator = api.who(req).user.name;
        if (broker.users.get(creator)) broker.users.setPermission(creator, name, { configure: ".*", write: ".*", read: ".*" });
      }
      return reply.code(existed ? 204 : 201).send();
    },
  );
  app.delete<Route<"vhost">>("/api/vhosts/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, async (req, reply) => {
    api.who(req).require("administrator");
    const name = req.params.vhost;
    const v = broker.vhost(name);
    if (v instanceof BrokerError) throw notFound();
    // RabbitMQ closes the vhost's connections and deletes everything in it
    for (const c of broker.connections.list()) if (c.details.vhost === name) c.details.close(`vhost '${name}' is deleted`);
    for (const q of [...v.queues.values()]) v.deleteQueue(q.name, {}, q.options.owner);
    broker.deleteVhost(name);
    return reply.code(204).send();
  });
};

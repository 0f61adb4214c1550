/** Consumers: GET /api/consumers and /api/consumers/:vhost. */
import { BrokerError } from "../../core/index.js";
import type { Principal } from "../auth.js";
import { notFound } from "../errors.js";
import { routeSchema } from "../schemas.js";
import { type JsonObject, vhostConsumers } from "../views.js";
import type { Route, RoutePlugin } from "./context.js";

export const consumersRoutes: RoutePlugin = async (app, { api }) => {
  const { broker, node } = api;

  // RabbitMQ checks no vhost access here: the listing shows the consumers on connections the user sees
  const consumers = (vhost: string | undefined, p: Principal) => {
    let vhosts = broker.listVhosts();
    if (vhost !== undefined) {
      const v = broker.vhost(vhost);
      if (v instanceof BrokerError) throw notFound();
      vhosts = [v];
    }
    return vhosts
      .flatMap((v) => vhostConsumers(broker, v, node))
      .filter((c) => p.seesConnectionsOf(String((c.channel_details as JsonObject).user ?? "")));
  };
  app.get("/api/consumers", { schema: routeSchema({}) }, async (req) => consumers(undefined, api.who(req)));
  app.get<Route<"vhost">>("/api/consumers/:vhost", { schema: routeSchema({ params: ["vhost"] }) }, async (req) => {
    const p = api.who(req);
    return consumers(req.params.vhost, p);
  });
};

/**
 * Warren's cluster endpoints (docs/clustering.md, "Operations"; RabbitMQ has no equivalent):
 * GET /api/cluster, the cluster as the leader sees it (what `warren ctl cluster_status` prints),
 * and POST /api/cluster/transfer-leadership, the planned handover (administrators only).
 * On a single node both answer 400.
 */
import { badRequest } from "../errors.js";
import { HandoverRefused } from "../cluster-view.js";
import { body, routeSchema } from "../schemas.js";
import type { JsonObject } from "../views.js";
import type { RoutePlugin } from "./context.js";

const NOT_CLUSTERED = "this node is not a cluster member (start it with --cluster-etcd)";

export const clusterRoutes: RoutePlugin = async (app, { api }) => {
  const { ctx } = api;

  app.get("/api/cluster", { schema: routeSchema({}) }, async (req) => {
    api.who(req).require("monitoring");
    if (ctx.cluster === undefined) throw badRequest(NOT_CLUSTERED);
    const s = ctx.cluster.status();
    return {
      cluster_id: s.clusterId,
      node: `warren@${s.node}`,
      leader: `warren@${s.leader}`,
      epoch: s.epoch,
      members: s.members.map(
        (m): JsonObject => ({
          name: `warren@${m.name}`,
          cluster_role: m.role,
          running: m.running,
          cluster_in_sync: m.inSync,
          replication_lag_batches: m.lagBatches,
          replication_lag_bytes: m.lagBytes,
        }),
      ),
    } satisfies JsonObject;
  });

  // the body takes nothing yet (an empty object or none); checked after the caller's tags
  app.post("/api/cluster/transfer-leadership", { schema: routeSchema({ body: body({}) }), attachValidation: true }, async (req, reply) => {
    api.who(req).require("administrator");
    api.body(req);
    if (ctx.cluster === undefined) throw badRequest(NOT_CLUSTERED);
    let handover: { successor: string; begin(): void };
    try {
      handover = await ctx.cluster.prepareHandover();
    } catch (err) {
      if (err instanceof HandoverRefused) throw badRequest(err.message);
      throw err;
    }
    // this listener closes with the others during the handover: the answer leaves first
    reply.raw.once("finish", () => handover.begin());
    reply.code(202);
    return { leader: api.node, successor: `warren@${handover.successor}` } satisfies JsonObject;
  });
};

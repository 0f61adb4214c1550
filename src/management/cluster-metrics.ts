/**
 * Prometheus gauges of a cluster (docs/clustering.md, "Operations"), registered by prometheus.ts
 * only on a cluster's leader (the only node with listeners). Read from the ClusterView at scrape
 * time; `node` is the member's management name, `warren@<node name>`, as in /api/nodes.
 */
import { Gauge, type Registry } from "prom-client";
import type { ClusterMemberStatus, ClusterView } from "./cluster-view.js";

const perMember = (registry: Registry, view: ClusterView, name: string, help: string, value: (m: ClusterMemberStatus) => number): void => {
  new Gauge({
    name,
    help,
    labelNames: ["node"],
    registers: [registry],
    collect() {
      // members are listed afresh at every scrape: none is left over from an earlier one
      this.reset();
      for (const m of view.status().members) this.set({ node: `warren@${m.name}` }, value(m));
    },
  });
};

export function registerClusterMetrics(registry: Registry, view: ClusterView): void {
  perMember(registry, view, "warren_cluster_role", "Cluster role of each member: 1 leader, 0 follower", (m) =>
    m.role === "leader" ? 1 : 0,
  );
  perMember(
    registry,
    view,
    "warren_cluster_in_sync",
    "1 when the member is in the in-sync set (holds every confirmed batch, may be elected)",
    (m) => (m.inSync ? 1 : 0),
  );
  perMember(
    registry,
    view,
    "warren_cluster_member_running",
    "1 for the leader and for followers whose replication connection is up",
    (m) => (m.running ? 1 : 0),
  );
  perMember(
    registry,
    view,
    "warren_cluster_replication_lag_batches",
    "Commit batches sealed by the leader that the member has not acknowledged",
    (m) => m.lagBatches,
  );
  perMember(
    registry,
    view,
    "warren_cluster_replication_lag_bytes",
    "Replication bytes sent or owed to the member that it has not acknowledged",
    (m) => m.lagBytes,
  );
  new Gauge({
    name: "warren_cluster_epoch",
    help: "The leader's term: its etcd election key's create revision",
    registers: [registry],
    collect() {
      this.set(view.status().epoch);
    },
  });
}

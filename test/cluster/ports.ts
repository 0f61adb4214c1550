/**
 * The cluster tests need ports known before a node listens (a follower's replication address is
 * registered in etcd before it starts). They are fixed offsets from one base, so two checkouts
 * can run the cluster tests side by side with WARREN_CLUSTER_TEST_PORT_BASE set apart (>= 60).
 * Offsets in use: 0..19 by the first slice's tests; 40..53 by failover-protocols.test.ts and
 * bench/cluster-soak.ts (etcd 40-41, then per node AMQP, MQTT, STOMP, replication from 42);
 * 54..59 free for data-safety tests.
 */
const base = Number(process.env.WARREN_CLUSTER_TEST_PORT_BASE ?? 26400);

/** The port `offset` above the base (0..59). */
export function clusterPort(offset: number): number {
  return base + offset;
}

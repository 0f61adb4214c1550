/**
 * The cluster tests need ports known before a node listens (a follower's replication address is
 * registered in etcd before it starts). They are fixed offsets from one base, so two checkouts
 * can run the cluster tests side by side with WARREN_CLUSTER_TEST_PORT_BASE set apart (>= 80).
 *
 * Offsets in use:
 * - 0..19: election, confirms, replication and failover tests;
 * - 20..39: operations.test.ts (20-21 etcd, 22-24 replication, 25-27 AMQP, 28-30 MQTT, 31-33
 *   STOMP) and operations-cli.test.ts (34-35 etcd, 36-37 replication);
 * - 40..59: failover-protocols.test.ts, etcd-lost.test.ts and bench/cluster-soak.ts (etcd 40-41,
 *   then per node AMQP, MQTT, STOMP, replication from 42);
 * - 60..79: the catch-up tests (60-67) and bench/cluster.mjs (68-76).
 */
const base = Number(process.env.WARREN_CLUSTER_TEST_PORT_BASE ?? 26400);

/** The port `offset` above the base (0..79). */
export function clusterPort(offset: number): number {
  return base + offset;
}

/**
 * The cluster tests need ports known before a node listens (a follower's replication address is
 * registered in etcd before it starts). They are fixed offsets from one base, so two checkouts
 * can run the cluster tests side by side with WARREN_CLUSTER_TEST_PORT_BASE set apart (>= 40).
 */
const base = Number(process.env.WARREN_CLUSTER_TEST_PORT_BASE ?? 26400);

/**
 * The port `offset` above the base (0..19; 20..39 for operations.test.ts: 20-21 etcd, 22-24
 * replication, 25-27 AMQP, 28-30 MQTT, 31-33 STOMP; 34..37 for operations-cli.test.ts: 34-35 etcd,
 * 36-37 replication).
 */
export function clusterPort(offset: number): number {
  return base + offset;
}

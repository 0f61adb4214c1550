/**
 * The cluster tests need ports known before a node listens (a follower's replication address is
 * registered in etcd before it starts). They are fixed offsets from one base, so two checkouts
 * can run the cluster tests side by side with WARREN_CLUSTER_TEST_PORT_BASE set apart (>= 20).
 */
const base = Number(process.env.WARREN_CLUSTER_TEST_PORT_BASE ?? 26400);

/**
 * The port `offset` above the base: 0..19 for the first tests; 60..79 for the catch-up tests
 * (catch-up.test.ts 60..62, catch-up-backlog.test.ts 63..67).
 */
export function clusterPort(offset: number): number {
  return base + offset;
}

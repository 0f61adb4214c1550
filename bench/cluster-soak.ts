// The failover soak (docs/clustering.md, "Failover tests"): the rounds of
// test/cluster/failover-protocols.test.ts — three CLI nodes, AMQP/MQTT/STOMP publishers with
// confirms, an AMQP consumer with manual acks, kill -9 of the leader at a random moment, the killed
// node restarted on its data dir — repeated N times (default 100). Reports the failover times
// (kill → new leader accepting connections: median, p99, max) and the confirmed messages lost or
// delivered twice without the redelivered flag. Needs `npm run build` and etcd (Debian's).
// usage: npx tsx bench/cluster-soak.ts [rounds=100] [lease TTL seconds=2]
//   ports: WARREN_CLUSTER_TEST_PORT_BASE + 40..53 (default base 26400), as the test uses them
import { fileURLToPath } from "node:url";
import { startEtcd } from "../test/cluster/etcd.js";
import { percentile, runFailoverRounds } from "../test/cluster/failover-rounds.js";
import { clusterPort } from "../test/cluster/ports.js";

const [ROUNDS = 100, TTL = 2] = process.argv.slice(2).map(Number);
const etcd = await startEtcd(clusterPort(40), clusterPort(41));
const started = Date.now();
try {
  const r = await runFailoverRounds({
    rounds: ROUNDS,
    etcdUrl: etcd.url,
    leaseTtlSeconds: TTL,
    cli: fileURLToPath(new URL("../dist/cli/main.js", import.meta.url)),
    nodes: [0, 1, 2].map((i) => ({
      amqp: clusterPort(42 + i * 4),
      mqtt: clusterPort(43 + i * 4),
      stomp: clusterPort(44 + i * 4),
      replication: clusterPort(45 + i * 4),
    })),
    log: (line) => console.log(line),
    // a soak reports slow rounds rather than stopping at the first one
    roundTimeoutMs: 120_000,
  });
  const f = r.failoversMs;
  const c = r.confirmed;
  console.log(`\n${f.length} rounds in ${Math.round((Date.now() - started) / 1000)} s, lease TTL ${TTL} s`);
  console.log(`failover (kill -9 → new leader accepting AMQP connections): median ${percentile(f, 50)} ms, p99 ${percentile(f, 99)} ms, max ${Math.max(...f)} ms`);
  console.log(`confirmed: AMQP ${c.amqp}, MQTT ${c.mqtt}, STOMP ${c.stomp}; deliveries ${r.deliveries}; seen twice ${r.seenTwice}`);
  console.log(`confirmed and lost: ${r.lost.length}${r.lost.length > 0 ? ` (${r.lost.slice(0, 20).join(", ")})` : ""}`);
  console.log(`seen twice without the redelivered flag: ${r.unflagged.length}${r.unflagged.length > 0 ? ` (${r.unflagged.slice(0, 20).join(", ")})` : ""}`);
  console.log(`nodes that stopped by themselves (lease lost under load) and were restarted: ${r.selfStops}`);
  console.log(`MQTT consumer reconnects that found its persistent session gone: ${r.lostSessions}`);
  process.exitCode = r.lost.length > 0 || r.unflagged.length > 0 ? 1 : 0;
} finally {
  await etcd.stop();
}

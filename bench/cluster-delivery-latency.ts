// Added delivery latency of a cluster's leader (docs/clustering.md, "Delivery marks"): a leader with
// two followers (each a process of its own, on its own data dir); one AMQP consumer on a durable queue, one
// persistent message published at a time, each after the previous one arrived. Reports publish →
// delivery latency with the marks replicated before deliveries leave, and with that turned off
// (what the first slice did), in alternating rounds.
// usage: npx tsx bench/cluster-delivery-latency.ts [messages per round=500] [rounds=4]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import amqp from "amqplib";
import { ReplicationFollower } from "../src/cluster/follower.js";
import { ReplicationLeader } from "../src/cluster/leader.js";
import { replicateDeliveryMarks } from "../src/core/index.js";
import { startBroker } from "../src/index.js";

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
if (process.argv[2] === "follower") {
  // a follower in a process of its own (its synchronous writes and fsyncs must not stall the leader)
  const f = await ReplicationFollower.listen({ dataDir: process.argv[3]!, nodeName: process.argv[4]!, clusterId: "c", port: 0, host: "127.0.0.1", log: quiet });
  process.stdout.write(`${f.port}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void f.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
const [N = 500, ROUNDS = 4] = process.argv.slice(2).map(Number);
const dirs = ["leader", "f2", "f3"].map((n) => mkdtempSync(`/tmp/warren-lat-${n}-`));
const children = ["n2", "n3"].map((name, i) =>
  spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "follower", dirs[i + 1]!, name], { stdio: ["pipe", "pipe", "inherit"] }),
);
const followers = await Promise.all(
  children.map(
    (c) => new Promise<{ port: number }>((resolve) => c.stdout.once("data", (d: Buffer) => resolve({ port: Number(d.toString().trim()) }))),
  ),
);
const leader = new ReplicationLeader({
  dataDir: dirs[0]!,
  clusterId: "c",
  nodeName: "n1",
  epoch: 1,
  clusterSize: 3,
  log: quiet,
  followers: followers.map((f, i) => ({ name: `n${i + 2}`, host: "127.0.0.1", port: f.port })),
  inSync: { write: async () => {} },
});
const b = await startBroker({ amqp: { port: 0 }, dataDir: dirs[0]!, logLevel: "silent" }, { replication: leader });
while (leader.status().inSync.length < 3) await new Promise((r) => setTimeout(r, 20));
// noDelay: without it Nagle and delayed ACKs add ~40 ms to every ping-pong
const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.ports.amqp}`, { noDelay: true });
const pub = await conn.createChannel();
const sub = await conn.createChannel();
await pub.assertQueue("lat", { durable: true });
let arrived: (() => void) | null = null;
await sub.consume("lat", (m) => {
  if (m === null) return;
  sub.ack(m);
  arrived?.();
});

async function round(): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      arrived = resolve;
      pub.sendToQueue("lat", Buffer.from("x"), { persistent: true });
    });
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, c) => a - c)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const gated: number[] = [];
const ungated: number[] = [];
await round(); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  replicateDeliveryMarks(leader);
  gated.push(...(await round()));
  replicateDeliveryMarks(null);
  ungated.push(...(await round()));
}
replicateDeliveryMarks(leader);
const show = (xs: number[]) => `median ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms`;
console.log(`publish → delivery, ${gated.length} messages each (leader + 2 followers, one machine):`);
console.log(`  marks replicated before the delivery leaves: ${show(gated)}`);
console.log(`  marks not waited for (first slice):         ${show(ungated)}`);
await conn.close();
await b.close();
for (const c of children) {
  c.stdin.end();
  await new Promise((resolve) => c.once("exit", resolve));
}
for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

// A three-node Warren cluster (one etcd) against a three-node RabbitMQ 3.10 cluster with a quorum
// queue, and single-node Warren, measured by the same code (bench/README.md, "Cluster"):
//   - confirmed persistent publish throughput (publishers with a window of unconfirmed messages
//     into one durable queue) and broker CPU per message, summed over the nodes' processes;
//   - confirm latency p50/p99 of one publisher at a fixed rate (2,000 msg/s by default);
//   - failover: kill -9 of the leader (RabbitMQ: of the node holding the queue's leader), time
//     until a publish on a surviving node is confirmed; the killed node is restarted on its data
//     dir and the next round waits until it is back (Warren: in `in-sync`; RabbitMQ: a member of
//     the queue again).
//
// usage: node bench/cluster.mjs [--targets warren-cluster,rabbitmq-quorum,warren-single]
//          [--seconds 10] [--publishers 4] [--window 200] [--body 1024] [--rate 2000]
//          [--latency-seconds 10] [--rounds 5] [--json out.json]
// RabbitMQ: start it first with `bash bench/rabbitmq-cluster.sh start` (its env variables pick
// node names, ports and dirs; the same ones here). Warren (dist/, `npm run build`) and etcd are
// started here, on ports from WARREN_BENCH_PORT_BASE (default 27268: 12 ports).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { Etcd3 } from "etcd3";
import { ConfirmPublisher } from "./lib/amqp-confirm.mjs";
import { CLK_TCK, cpuTicks } from "./lib/proc.mjs";
import { listenerArgs } from "./lib/cli-listeners.mjs";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .join(" ")
    .split("--")
    .filter(Boolean)
    .map((a) => a.trim().split(/\s+/)),
);
const TARGETS = (args.targets ?? "warren-cluster,rabbitmq-quorum,warren-single").split(",");
const SECONDS = Number(args.seconds ?? 10);
const PUBLISHERS = Number(args.publishers ?? 4);
const WINDOW = Number(args.window ?? 200);
const BODY = Buffer.alloc(Number(args.body ?? 1024), 120);
const RATE = Number(args.rate ?? 2000);
const LATENCY_SECONDS = Number(args["latency-seconds"] ?? 10);
const ROUNDS = Number(args.rounds ?? 5);
const PORT_BASE = Number(process.env.WARREN_BENCH_PORT_BASE ?? 27268);
// WARREN_BENCH_CLI: another build's CLI (an A/B against a base commit's dist, same harness)
const CLI = process.env.WARREN_BENCH_CLI ?? join(import.meta.dirname, "../dist/cli/main.js");
const RQ_SCRIPT = join(import.meta.dirname, "rabbitmq-cluster.sh");

const log = (...a) => console.error(`[cluster-bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(check, what, ms) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last?.message ?? ""}`);
    await sleep(25);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------- targets

/** A Warren node of the CLI; `cluster` adds the cluster flags. */
function warrenProcess(dir, amqpPort, cluster) {
  const argv = [CLI, "--data-dir", dir, "--host", "127.0.0.1", ...listenerArgs({ amqp: amqpPort }), "--log-level", "warn"];
  if (cluster) {
    argv.push(
      "-c",
      cluster.conf,
      "--cluster-etcd",
      cluster.etcd,
      "--node-name",
      cluster.name,
      "--replication-port",
      String(cluster.replicationPort),
    );
  }
  const prof = process.env.WARREN_BENCH_CPU_PROF;
  const child = spawn(process.execPath, [...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []), ...argv], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => {
    err = (err + d.toString()).slice(-4000);
  });
  child.lastLog = () => err;
  return child;
}

async function connects(url) {
  const c = await amqp.connect(url);
  await c.close();
  return true;
}

async function warrenSingle() {
  const dir = mkdtempSync(join(tmpdir(), "bench-warren-single-"));
  const port = PORT_BASE + 8;
  const child = warrenProcess(dir, port);
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  await eventually(() => connects(url), "single-node Warren", 30_000);
  return {
    name: "warren-single",
    urls: [url],
    queueArgs: {},
    pids: () => [child.pid],
    stop: async () => {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function warrenCluster() {
  const root = mkdtempSync(join(tmpdir(), "bench-warren-cluster-"));
  const etcdUrl = `http://127.0.0.1:${PORT_BASE}`;
  const etcd = spawn(
    "etcd",
    [
      "--name",
      "b",
      "--data-dir",
      join(root, "etcd"),
      "--listen-client-urls",
      etcdUrl,
      "--advertise-client-urls",
      etcdUrl,
      "--listen-peer-urls",
      `http://127.0.0.1:${PORT_BASE + 1}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${PORT_BASE + 1}`,
      "--initial-cluster",
      `b=http://127.0.0.1:${PORT_BASE + 1}`,
      "--log-level",
      "error",
    ],
    { stdio: "ignore" },
  );
  const conf = join(root, "warren.conf");
  writeFileSync(conf, "cluster.lease_ttl = 2\nloopback_users = none\n");
  const client = new Etcd3({ hosts: etcdUrl, dialTimeout: 1000 });
  await eventually(async () => (await client.get("probe").string(), true), "etcd", 20_000);
  const nodes = [1, 2, 3].map((i) => ({
    name: `n${i}`,
    dir: join(root, `n${i}`),
    amqpPort: PORT_BASE + 4 + i,
    replicationPort: PORT_BASE + 1 + i,
    url: `amqp://guest:guest@127.0.0.1:${PORT_BASE + 4 + i}`,
    child: null,
  }));
  const start = (n) => {
    n.child = warrenProcess(n.dir, n.amqpPort, { conf, etcd: etcdUrl, name: n.name, replicationPort: n.replicationPort });
  };
  const inSync = async () => {
    const v = await client.get("/warren/in-sync").string();
    return v === null ? [] : JSON.parse(v).nodes.sort();
  };
  const url = (n) => `amqp://guest:guest@127.0.0.1:${n.amqpPort}`;
  start(nodes[0]);
  await eventually(() => connects(url(nodes[0])), "n1 leading", 30_000);
  start(nodes[1]);
  start(nodes[2]);
  await eventually(async () => (await inSync()).join() === "n1,n2,n3", "every node in sync", 60_000);
  return {
    name: "warren-cluster",
    urls: nodes.map(url),
    queueArgs: {},
    pids: () => nodes.map((n) => n.child.pid),
    otherPids: () => [etcd.pid],
    logs: () => nodes.map((n) => `--- ${n.name}\n${n.child.lastLog()}`).join("\n"),
    /** The leader: the node whose AMQP port accepts. */
    leader: async () => {
      for (const n of nodes) {
        try {
          await connects(url(n));
          return n;
        } catch {}
      }
      return null;
    },
    kill: (n) => n.child.kill("SIGKILL"),
    restart: async (n) => {
      await new Promise((r) => (n.child.exitCode !== null || n.child.signalCode !== null ? r() : n.child.once("exit", r)));
      start(n);
      await eventually(async () => (await inSync()).join() === "n1,n2,n3", `${n.name} back in sync`, 120_000);
    },
    stop: async () => {
      // SIGTERM: a node profiled (WARREN_BENCH_CPU_PROF) writes its profile as it exits
      for (const n of nodes) n.child?.kill(process.env.WARREN_BENCH_CPU_PROF ? "SIGTERM" : "SIGKILL");
      await sleep(process.env.WARREN_BENCH_CPU_PROF ? 3000 : 0);
      client.close();
      etcd.kill("SIGKILL");
      await sleep(200);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function rq(...a) {
  return execFileSync("bash", [RQ_SCRIPT, ...a], { encoding: "utf8" }).trim();
}

async function rabbitmqQuorum() {
  const urls = rq("urls").split(",");
  const prefix = process.env.WARREN_RQC_PREFIX ?? "cq";
  const pid = (i) => Number(readFileSync(`${process.env.WARREN_RQC_DIR ?? "/tmp/cl-catchup-rabbit"}-${i}/node.pid`, "utf8"));
  for (const u of urls) await eventually(() => connects(u), `RabbitMQ at ${u}`, 30_000);
  const nodes = [1, 2, 3].map((i) => ({ name: `${prefix}${i}@localhost`, index: i, url: urls[i - 1] }));
  return {
    name: "rabbitmq-quorum",
    urls,
    queueArgs: { "x-queue-type": "quorum" },
    pids: () => [1, 2, 3].map(pid),
    otherPids: () => [],
    /** The node holding the bench queue's leader (rabbitmqctl on a live node). */
    leader: async (queue) => {
      for (const n of nodes) {
        try {
          const out = execFileSync("bash", ["-c", `${ctlPrefix(n.index)} list_queues name leader --formatter json --quiet`], {
            encoding: "utf8",
          });
          const q = JSON.parse(out).find((r) => r.name === queue);
          if (q) return nodes.find((x) => x.name === q.leader) ?? null;
        } catch {}
      }
      return null;
    },
    kill: (n) => process.kill(pid(n.index), "SIGKILL"),
    restart: async (n, queue) => {
      rq("restart", String(n.index));
      // back as a member of the queue with the others: its Raft member answers
      await eventually(
        async () => {
          const out = execFileSync("bash", ["-c", `${ctlPrefix(n.index)} list_queues name online --formatter json --quiet`], {
            encoding: "utf8",
          });
          const row = JSON.parse(out).find((r) => r.name === queue);
          return row && row.online.length === 3;
        },
        `${n.name} back in the queue`,
        180_000,
      );
    },
    stop: async () => {},
  };
}

/** The environment rabbitmq-cluster.sh gives node i, for rabbitmqctl. */
function ctlPrefix(i) {
  const dir = process.env.WARREN_RQC_DIR ?? "/tmp/cl-catchup-rabbit";
  const prefix = process.env.WARREN_RQC_PREFIX ?? "cq";
  return `HOME=${dir}-home /usr/lib/rabbitmq/bin/rabbitmqctl -n ${prefix}${i}@localhost`;
}

// ---------------------------------------------------------------- measurements

async function declare(t, queue) {
  const c = await amqp.connect(t.urls[0]);
  const ch = await c.createChannel();
  await ch.deleteQueue(queue).catch(() => {});
  const ch2 = await c.createChannel();
  await ch2.assertQueue(queue, { durable: true, arguments: t.queueArgs });
  await c.close();
}

async function purge(t, queue) {
  for (const u of t.urls) {
    try {
      const c = await amqp.connect(u);
      const ch = await c.createChannel();
      await ch.purgeQueue(queue);
      await c.close();
      return;
    } catch {}
  }
}

function cpuSum(pids) {
  let s = 0;
  for (const p of pids) s += cpuTicks(p) ?? 0;
  return s;
}

/** Publishers with a window of unconfirmed messages for `seconds`: confirmed msg/s, CPU/msg. */
async function throughput(t, queue) {
  const pubs = [];
  for (let p = 0; p < PUBLISHERS; p++) pubs.push(await ConfirmPublisher.open(t.urls[0], queue, BODY));
  let running = true;
  for (const pub of pubs) {
    const pump = () => {
      if (!running) return;
      const n = WINDOW - pub.unconfirmed;
      // refill in slices of a quarter window: one write per slice
      if (n >= WINDOW / 4) pub.publish(n);
    };
    pub.onProgress = pump;
    pump();
  }
  const confirmed = () => pubs.reduce((a, p) => a + p.acked, 0);
  await sleep(1000); // warm-up
  const c0 = confirmed();
  const cpu0 = cpuSum(t.pids());
  const each0 = t.pids().map((p) => cpuTicks(p) ?? 0);
  const other0 = cpuSum(t.otherPids?.() ?? []);
  const t0 = process.hrtime.bigint();
  await sleep(SECONDS * 1000);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const n = confirmed() - c0;
  const cpu = (cpuSum(t.pids()) - cpu0) / CLK_TCK;
  const perNode = t.pids().map((p, i) => +(((cpuTicks(p) ?? 0) - each0[i]) / CLK_TCK).toFixed(2));
  const other = (cpuSum(t.otherPids?.() ?? []) - other0) / CLK_TCK;
  running = false;
  await eventually(() => pubs.every((p) => p.unconfirmed === 0), "the last confirms", 60_000).catch((err) => {
    const state = pubs.map((p) => ({
      published: p.published,
      acked: p.acked,
      nacked: p.nacked,
      lowest: p.lowest,
      early: p.early.size,
      error: p.conn.error?.message,
    }));
    throw new Error(`${err.message} ${JSON.stringify(state)}`);
  });
  const nacked = pubs.reduce((a, p) => a + p.nacked, 0);
  for (const p of pubs) await p.close();
  await purge(t, queue);
  return {
    msgPerSec: Math.round(n / s),
    cpuSeconds: +cpu.toFixed(2),
    cpuUsPerMsg: +((cpu / n) * 1e6).toFixed(1),
    cpuSecondsPerNode: perNode,
    nacked,
    ...(t.otherPids && { etcdCpuSeconds: +other.toFixed(2) }),
  };
}

/** One publisher at RATE msg/s: each message's publish → confirm time. */
async function latency(t, queue) {
  const pub = await ConfirmPublisher.open(t.urls[0], queue, BODY);
  const total = Math.round(RATE * LATENCY_SECONDS);
  const sentAt = new Float64Array(total + 1);
  const lat = [];
  pub.onSettle = (tag, ok) => {
    if (ok && tag <= total) lat.push(performance.now() - sentAt[tag]);
  };
  const tick = 5;
  const started = performance.now();
  const cpu0 = cpuSum(t.pids());
  const each0 = t.pids().map((p) => cpuTicks(p) ?? 0);
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
      const n = due - pub.published;
      if (n > 0) {
        const now = performance.now();
        for (let i = 1; i <= n; i++) sentAt[pub.published + i] = now;
        pub.publish(n);
      }
      if (pub.published >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tick);
  });
  const seconds = (performance.now() - started) / 1000;
  await eventually(() => pub.unconfirmed === 0, "the last confirms", 60_000);
  // at a fixed rate the brokers' work per message depends little on how busy the machine is
  const cpu = (cpuSum(t.pids()) - cpu0) / CLK_TCK;
  const perNode = t.pids().map((p, i) => +(((cpuTicks(p) ?? 0) - each0[i]) / CLK_TCK).toFixed(2));
  await pub.close();
  await purge(t, queue);
  lat.sort((a, b) => a - b);
  return {
    rate: Math.round(total / seconds),
    p50Ms: +percentile(lat, 50).toFixed(2),
    p99Ms: +percentile(lat, 99).toFixed(2),
    maxMs: +lat.at(-1).toFixed(2),
    cpuUsPerMsg: +((cpu / total) * 1e6).toFixed(1),
    cpuSecondsPerNode: perNode,
  };
}

/** Publishes one message on the first URL (not `except`) that takes it and confirms it. */
async function confirmedPublish(urls, queue) {
  for (const u of urls) {
    let c;
    try {
      c = await amqp.connect(u);
      c.on("error", () => {});
      const ch = await c.createConfirmChannel();
      ch.on("error", () => {});
      ch.sendToQueue(queue, BODY, { persistent: true });
      await ch.waitForConfirms();
      await c.close();
      return true;
    } catch {
      await c?.close().catch(() => {});
    }
  }
  return false;
}

async function failover(t, queue) {
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const victim = await t.leader(queue);
    if (victim === null) throw new Error("no leader found");
    const others = t.urls.filter((u) => u !== victim.url);
    if (!(await confirmedPublish(t.urls, queue))) throw new Error("no publish before the kill");
    const t0 = Date.now();
    t.kill(victim);
    await eventually(() => confirmedPublish(others, queue), "a confirmed publish after the kill", 120_000);
    const ms = Date.now() - t0;
    times.push(ms);
    log(`${t.name} failover round ${r + 1}: ${ms} ms (killed ${victim.name})`);
    await t.restart(victim, queue);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { rounds: times.length, times, medianMs: percentile(sorted, 50), maxMs: sorted.at(-1) };
}

// ---------------------------------------------------------------- main

const results = {
  date: new Date().toISOString(),
  settings: {
    seconds: SECONDS,
    publishers: PUBLISHERS,
    window: WINDOW,
    bodyBytes: BODY.length,
    rate: RATE,
    latencySeconds: LATENCY_SECONDS,
    rounds: ROUNDS,
  },
  loadavg: readFileSync("/proc/loadavg", "utf8").trim(),
  targets: {},
};
for (const name of TARGETS) {
  log(`starting ${name}`);
  const t = name === "warren-single" ? await warrenSingle() : name === "warren-cluster" ? await warrenCluster() : await rabbitmqQuorum();
  const queue = "bench-cluster";
  try {
    await declare(t, queue);
    const r = {};
    r.throughput = await throughput(t, queue);
    log(name, "throughput", JSON.stringify(r.throughput));
    r.latency = await latency(t, queue);
    log(name, "latency", JSON.stringify(r.latency));
    if (t.kill && ROUNDS > 0) {
      r.failover = await failover(t, queue);
      log(name, "failover", JSON.stringify(r.failover));
    }
    results.targets[name] = r;
  } catch (err) {
    log(`${name} failed: ${err.stack}`);
    if (t.logs) log(t.logs());
    results.targets[name] = { error: String(err.message) };
  } finally {
    await t.stop();
  }
}
results.loadavgAfter = readFileSync("/proc/loadavg", "utf8").trim();
const out = JSON.stringify(results, null, 2);
if (args.json) writeFileSync(args.json, `${out}\n`);
console.log(out);
process.exit(0);

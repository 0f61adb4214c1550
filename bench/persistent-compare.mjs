// Persistent messages with confirms, 1 publisher → 1 consumer (ack each), against Warren (spawned here,
// its own process) and any AMQP URLs given with their broker pid: throughput (a fixed count of
// messages, publisher and consumer in processes of their own, timed until the consumer has them all),
// broker CPU per message, the same with transient messages, and confirm latency p50/p99 at a fixed
// rate. Median of RUNS runs per size.
// usage: node bench/persistent-compare.mjs [seconds=8] [runs=3] [name=url@pid ...]
// Every confirm is an amqplib publisher confirm, which Warren sends only after the group commit's fsync.
import amqp from "amqplib";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenerArgs } from "./lib/cli-listeners.mjs";

const [SECONDS = 8, RUNS = 3] = process.argv.slice(2, 4).map(Number);
// messages per throughput run: about SECONDS of RabbitMQ's persistent rate on this machine
const COUNT = Number(process.env.PC_COUNT ?? SECONDS * 15_000);
const others = process.argv.slice(4).map((a) => {
  const [name, rest] = a.split("=");
  const at = rest.lastIndexOf("@");
  return { name, url: rest.slice(0, at), pid: Number(rest.slice(at + 1)) };
});
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const WINDOW = 2000; // confirms outstanding at most

/** Starts a worker (bench/workers/amqplib-persistent.mjs) and resolves once it says "ready". */
function worker(args) {
  const child = spawn(process.execPath, [new URL("./workers/amqplib-persistent.mjs", import.meta.url).pathname, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const lines = [];
  let onLine = null;
  child.stdout.on("data", (d) => {
    out += d;
    for (let i; (i = out.indexOf("\n")) >= 0; out = out.slice(i + 1)) {
      lines.push(out.slice(0, i));
      onLine?.();
    }
  });
  const waitFor = (pred) =>
    new Promise((resolve) => {
      const check = () => {
        const l = lines.find(pred);
        if (l !== undefined) {
          onLine = null;
          resolve(l);
        }
      };
      onLine = check;
      check();
    });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    ready: waitFor((l) => l === "ready"),
    go: () => child.stdin.end("go\n"),
    done: () => waitFor((l) => l.includes('"done":true')),
    exited,
  };
}

/**
 * COUNT messages through one queue, 1 publisher → 1 consumer in separate processes: wall time from
 * "go" until the consumer has them all, and the broker's CPU over that time, per message.
 */
async function throughput(url, pid, size, persistent = true) {
  const q = `pc-${process.pid}-${Date.now()}`;
  const count = COUNT;
  const consumer = worker(["consume", url, q, String(count)]);
  await consumer.ready;
  const publisher = worker(["publish", url, q, String(size), String(count), persistent ? "1" : "0"]);
  await publisher.ready;
  const c0 = cpuMs(pid);
  const t0 = Date.now();
  consumer.go();
  publisher.go();
  await consumer.done();
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = cpuMs(pid) - c0;
  await Promise.all([consumer.exited, publisher.exited]);
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  await ch.deleteQueue(q);
  await c.close();
  return { msgPerSec: Math.round(count / elapsed), cpuUsPerMsg: +((cpu * 1000) / count).toFixed(1) };
}

async function latency(url, rate = 2000, size = 16) {
  const q = `pcl-${process.pid}-${Date.now()}`;
  const pc = await amqp.connect(url);
  const pch = await pc.createConfirmChannel();
  await pch.assertQueue(q, { durable: true, autoDelete: false });
  const lat = [];
  const body = Buffer.alloc(size, 97);
  const total = rate * Math.min(SECONDS, 5);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    const due = t0 + BigInt(Math.round((i * 1e9) / rate));
    while (process.hrtime.bigint() < due) await new Promise((r) => setImmediate(r));
    const sent = process.hrtime.bigint();
    pch.sendToQueue(q, body, { persistent: true }, () => lat.push(Number(process.hrtime.bigint() - sent) / 1e6));
  }
  await pch.waitForConfirms();
  await pch.deleteQueue(q);
  await pc.close();
  lat.sort((a, b) => a - b);
  return { p50: +lat[Math.floor(lat.length * 0.5)].toFixed(3), p99: +lat[Math.floor(lat.length * 0.99)].toFixed(3) };
}

const dir = mkdtempSync(join(tmpdir(), "warren-pc-"));
// WARREN_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") go to Warren's node, to profile it
const nodeArgs = (process.env.WARREN_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
const child = spawn(
  process.execPath,
  [...nodeArgs, "dist/cli/main.js", ...listenerArgs({ amqp: 0 }), "--data-dir", dir, "--log-level", "info"],
  { stdio: ["ignore", "ignore", "pipe"] },
);
const port = await new Promise((resolve) => {
  let log = "";
  const on = (d) => {
    log += d;
    const m = /AMQP 0-9-1 listening on port (\d+)/.exec(log);
    if (m) resolve(Number(m[1]));
  };
  child.stderr.on("data", on);
});
const targets = [{ name: "warren", url: `amqp://guest:guest@127.0.0.1:${port}`, pid: child.pid }, ...others];
const out = {};
for (const t of targets) {
  out[t.name] = {};
  for (const size of [16, 1024]) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await throughput(t.url, t.pid, size));
    out[t.name][`${size}B`] = {
      msgPerSec: median(runs.map((x) => x.msgPerSec)),
      cpuUsPerMsg: median(runs.map((x) => x.cpuUsPerMsg)),
      runs,
    };
    // the same flow with transient messages, for the "at least half of the transient throughput"
    const transient = [];
    for (let r = 0; r < RUNS; r++) transient.push(await throughput(t.url, t.pid, size, false));
    out[t.name][`${size}B transient`] = {
      msgPerSec: median(transient.map((x) => x.msgPerSec)),
      cpuUsPerMsg: median(transient.map((x) => x.cpuUsPerMsg)),
      runs: transient,
    };
  }
  const lats = [];
  for (let r = 0; r < RUNS; r++) lats.push(await latency(t.url));
  out[t.name].confirmLatency2000 = { p50: median(lats.map((x) => x.p50)), p99: median(lats.map((x) => x.p99)), runs: lats };
}
console.log(JSON.stringify(out, null, 1));
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dir, { recursive: true, force: true });

#!/usr/bin/env node
// Client-bound scenarios: what a broker costs when real client libraries drive it, one process per
// side (amqplib's promise API, mqtt.js, stompit), at the rate the client manages ("max", with at
// most --cap messages published and not yet delivered) and at fixed rates. For each target in the
// same run: delivered msg/s, broker CPU µs per delivered message (utime + stime of the broker's
// pid over the window), and publish → deliver latency p50/p99 (the body carries the publisher's
// CLOCK_MONOTONIC time). Medians of --runs; targets interleaved within each run.
//
//   node bench/client-bound.mjs --protocol amqp --modes noack,ack,confirm --rates max,5000,20000,50000 \
//     --target warren=amqp://guest:guest@127.0.0.1:27410,pid=auto --target rabbitmq=amqp://guest:guest@127.0.0.1:27400
//
// --size N makes each body N bytes (default 16: the stamp alone).
// pid=auto (the default) finds the process listening on the URL's port (/proc/net/tcp).
// --json FILE keeps every run's numbers. Prints a markdown table and the load average.

import { fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { CLK_TCK, cpuTicks, pidListeningOn, syscallCounts } from "./lib/proc.mjs";
import { median } from "./lib/stats.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const protocol = opt("protocol", "amqp");
const DEFAULT_MODES = { amqp: "noack,ack,confirm", mqtt: "qos0,qos1", stomp: "auto,ci" };
const modes = opt("modes", DEFAULT_MODES[protocol]).split(",");
const rates = opt("rates", "max,5000,20000,50000")
  .split(",")
  .map((r) => (r === "max" ? 0 : Number(r)));
const runs = Number(opt("runs", 3));
const warmupMs = Number(opt("warmup", 1000));
const windowMs = Number(opt("duration", 5000));
const cap = Number(opt("cap", 20000));
// body bytes: the publisher's 16-hex-digit clock stamp, then padding
const size = Math.max(16, Number(opt("size", 16)));
const jsonFile = opt("json", undefined);
const targets = argv
  .flatMap((a, i) => (a === "--target" ? [argv[i + 1]] : []))
  .map((spec) => {
    const [name, rest] = [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)];
    const [url, ...opts] = rest.split(",");
    const o = Object.fromEntries(opts.map((kv) => kv.split("=")));
    const port = Number(new URL(url).port);
    const pid = o.pid === undefined || o.pid === "auto" ? pidListeningOn(port) : Number(o.pid);
    if (!pid) throw new Error(`target ${name}: no process found listening on ${port}`);
    return { name, url, pid };
  });
if (targets.length === 0) throw new Error("give at least one --target NAME=URL[,pid=N]");

const worker = fileURLToPath(new URL("./workers/client-lib.mjs", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function spawnWorker(config) {
  const child = fork(worker, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let seq = 0;
  const pending = new Map();
  let onReady;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    child.once("exit", (code, signal) => reject(new Error(`${config.role} exited ${code ?? signal}`)));
  });
  child.once("exit", () => {
    for (const reject of failing.values()) reject(new Error(`${config.role} process exited`));
  });
  const failing = new Map();
  child.on("message", (m) => {
    if (m.t === "ready") onReady();
    else if (m.t === "error") console.error(`[${config.role}] ${m.message}`);
    else pending.get(m.id)?.(m);
  });
  child.send(config);
  return {
    ready,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    /** t: "mark" (counters, and the latencies since the last mark) or "count" (delivered only). */
    ask: (t) =>
      new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${config.role} process is gone`));
        const id = ++seq;
        pending.set(id, resolve);
        failing.set(id, reject);
        child.send({ t, id });
      }),
    kill: () => child.kill("SIGKILL"),
    stop: async () => {
      if (child.connected) child.send({ t: "stop" });
      await Promise.race([new Promise((r) => child.once("exit", r)), sleep(3000)]);
      child.kill("SIGKILL");
    },
  };
}

async function runOnce(target, mode, rate, run) {
  const dest = `cb-${protocol}-${mode}-${rate}-${run}-${target.name}-${process.pid}`.replace(/[^a-zA-Z0-9-]/g, "");
  const base = { protocol, mode, url: target.url, dest: protocol === "mqtt" ? `cb/${dest}` : dest, rate, cap, size };
  const con = spawnWorker({ ...base, role: "con" });
  const pub = spawnWorker({ ...base, role: "pub" });
  // nothing hangs: a run that outlasts its time loses its client processes, which fails it
  const deadline = setTimeout(
    () => {
      con.kill();
      pub.kill();
    },
    warmupMs + windowMs + 30_000,
  );
  await con.ready;
  await pub.ready;
  // the publisher's view of the backlog: the consumer's count, passed on every 50 ms
  let feeding = true;
  const feed = (async () => {
    // a client that dies fails the run through the marks below, not here
    while (feeding) {
      const m = await con.ask("count").catch(() => null);
      if (m === null) break;
      pub.send({ t: "credit", delivered: m.delivered });
      await sleep(50);
    }
  })();
  pub.send({ t: "go" });
  try {
    await sleep(warmupMs);
    const [c0, p0, t0, at0] = [await con.ask("mark"), await pub.ask("mark"), cpuTicks(target.pid), performance.now()];
    const io0 = syscallCounts(target.pid);
    await sleep(windowMs);
    const [c1, p1, t1, at1] = [await con.ask("mark"), await pub.ask("mark"), cpuTicks(target.pid), performance.now()];
    const io1 = syscallCounts(target.pid);
    feeding = false;
    await feed;
    const n = c1.delivered - c0.delivered;
    const seconds = (at1 - at0) / 1000;
    return {
      rate: n / seconds,
      published: (p1.published - p0.published) / seconds,
      cpuUs: (((t1 - t0) / CLK_TCK) * 1e6) / n,
      brokerCores: (t1 - t0) / CLK_TCK / seconds,
      p50: c1.p50,
      p99: c1.p99,
      pubCpu: (p1.cpu - p0.cpu) / 1e6 / seconds,
      conCpu: (c1.cpu - c0.cpu) / 1e6 / seconds,
      // the broker's read and write syscalls per delivered message (null: /proc/PID/io not readable)
      readsPerMsg: io0 && io1 ? (io1.reads - io0.reads) / n : null,
      writesPerMsg: io0 && io1 ? (io1.writes - io0.writes) / n : null,
    };
  } finally {
    clearTimeout(deadline);
    feeding = false;
    await Promise.all([pub.stop(), con.stop()]);
  }
}

const load0 = loadavg();
const results = [];
for (const mode of modes) {
  for (const rate of rates) {
    const byTarget = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let run = 0; run < runs; run++) {
      for (const t of targets) {
        try {
          const r = await runOnce(t, mode, rate, run);
          byTarget[t.name].push(r);
          console.error(
            `${protocol} ${mode} @ ${rate || "max"} ${t.name} run ${run + 1}: ${r.rate.toFixed(0)} msg/s (published ${r.published.toFixed(0)}), ` +
              `${r.cpuUs.toFixed(2)} µs/msg (${(r.brokerCores * 100).toFixed(0)} % of a core), p50 ${r.p50?.toFixed(3)} p99 ${r.p99?.toFixed(3)} ms; ` +
              `${r.readsPerMsg === null ? "" : `syscalls/msg r ${r.readsPerMsg.toFixed(2)} w ${r.writesPerMsg.toFixed(2)}; `}` +
              `clients pub ${(r.pubCpu * 100).toFixed(0)} % con ${(r.conCpu * 100).toFixed(0)} %; load ${loadavg()[0].toFixed(1)}`,
          );
        } catch (err) {
          console.error(`${protocol} ${mode} @ ${rate || "max"} ${t.name} run ${run + 1}: failed: ${err.message}`);
        }
      }
    }
    results.push({ mode, rate, byTarget });
  }
}
const load1 = loadavg();

const med = (rs, k) => (rs.length === 0 ? Number.NaN : median(rs.map((r) => r[k]).filter((v) => v !== null)));
const f = (v, d = 2) => (Number.isNaN(v) ? "fail" : v.toFixed(d));
console.log(
  `Client-bound ${protocol} — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, medians of ${runs} runs, ` +
    `${warmupMs / 1000} s warm-up + ${windowMs / 1000} s window; load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ` +
    `${load1.map((l) => l.toFixed(2)).join(" ")} after (2 shared cores: latencies are scheduling-bound, CPU per message is the figure to compare)\n`,
);
const first = targets[0].name;
const others = targets.slice(1).map((t) => t.name);
console.log(
  `| scenario | ${targets.map((t) => `${t.name} msg/s | ${t.name} CPU µs/msg | ${t.name} p50 / p99 ms`).join(" | ")} | ${others.map((o) => `CPU ${first} ÷ ${o}`).join(" | ")} |`,
);
console.log(`|---|${targets.map(() => "---:|---:|---:|").join("")}${others.map(() => "---:|").join("")}`);
for (const r of results) {
  const cells = targets.map((t) => {
    const rs = r.byTarget[t.name];
    return `${f(med(rs, "rate"), 0)} | ${f(med(rs, "cpuUs"))} | ${f(med(rs, "p50"), 3)} / ${f(med(rs, "p99"), 3)}`;
  });
  const ratios = others.map((o) => f(med(r.byTarget[first], "cpuUs") / med(r.byTarget[o], "cpuUs")));
  console.log(
    `| ${protocol} ${r.mode} @ ${r.rate === 0 ? "max" : `${r.rate.toLocaleString("en")}/s`} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`,
  );
}
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ protocol, load0, load1, runs, warmupMs, windowMs, targets, results }, null, 2));

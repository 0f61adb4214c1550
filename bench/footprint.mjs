#!/usr/bin/env node
// Idle footprint and start-up of the CLI broker, listener by listener.
//
//   npm run build && node bench/footprint.mjs [--runs 3] [--port-base 27430] [--settle-ms 3000] [--only a,b]
//
// For each configuration a fresh process is spawned (`node dist/cli/main.js …`, a fresh data dir,
// --log-level warn): the time from spawn until every one of its ports listens, i.e. a TCP connect
// would succeed (polled every 2 ms from this process, i.e. timed from outside, in /proc/net/tcp and
// tcp6 rather than by connecting: a connection is a client, and the broker loads a front-end's code
// at its first client — the probe would measure that load, not an idle broker), the broker's CPU time at that
// moment (utime + stime from /proc, not disturbed by other load the way wall time is), and its RSS
// `--settle-ms` after start. Medians of `--runs`. Two floors for comparison: a bare `node` with a
// net.Server listening, and the same after importing dist/index.js (the library bundle).
// Prints a markdown table and the load average before and after (the machine is shared: wall
// times are noisy, CPU time and RSS much less so).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CLK_TCK, cpuTicks, rssBytes } from "./lib/proc.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt("runs", 3));
const base = Number(opt("port-base", 27430));
const settleMs = Number(opt("settle-ms", 3000));
const only = opt("only", undefined)?.split(",");

const LISTENERS = ["amqp", "mqtt", "stomp", "web-mqtt", "web-stomp", "openwire", "management", "prometheus"];
const portOf = (l) => base + LISTENERS.indexOf(l);

/** CLI flags turning on exactly `on` (every other listener off). */
function cliArgs(on, dataDir) {
  const a = ["dist/cli/main.js", "--data-dir", dataDir, "--log-level", "warn"];
  for (const l of LISTENERS) a.push(`--${l}-port`, on.includes(l) ? String(portOf(l)) : "off");
  return a;
}

const floorPort = base + LISTENERS.length;
const CONFIGS = [
  { name: "bare node, net.Server listening", argv: () => ["-e", `require("net").createServer().listen(${floorPort})`], ports: [floorPort] },
  {
    name: "node + import dist/index.js, net.Server listening",
    argv: () => [
      "--input-type=module",
      "-e",
      `await import("./dist/index.js"); (await import("node:net")).createServer().listen(${floorPort})`,
    ],
    ports: [floorPort],
  },
  ...LISTENERS.map((l) => ({ name: `warren: ${l} only`, on: [l] })),
  { name: "warren: 6 protocol listeners (no management, no Prometheus)", on: LISTENERS.slice(0, 6) },
  { name: "warren: all 8 listeners", on: LISTENERS },
].filter((c) => only === undefined || only.some((o) => c.name.includes(o)));

/** The local ports in LISTEN state (st 0A) in /proc/net/tcp and tcp6: where a connect would be accepted. */
function listening() {
  const ports = new Set();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A") ports.add(Number.parseInt(cols[1].split(":").pop(), 16));
    }
  }
  return ports;
}
const accepts = (port) => listening().has(port);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(config) {
  const dataDir = mkdtempSync(join(tmpdir(), "warren-footprint-"));
  const argv = config.argv ? config.argv() : cliArgs(config.on, dataDir);
  const ports = config.ports ?? config.on.map(portOf);
  for (const p of ports) if (accepts(p)) throw new Error(`port ${p} accepts before start: something else runs there`);
  const t0 = performance.now();
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const pending = new Set(ports);
  while (pending.size > 0) {
    if (child.exitCode !== null) throw new Error(`${config.name}: exited ${child.exitCode}: ${stderr}`);
    if (performance.now() - t0 > 30_000) throw new Error(`${config.name}: not accepting after 30 s`);
    const now = listening();
    for (const p of [...pending]) if (now.has(p)) pending.delete(p);
    if (pending.size > 0) await sleep(2);
  }
  const startupMs = performance.now() - t0;
  const startCpuMs = ((cpuTicks(child.pid) ?? Number.NaN) * 1000) / CLK_TCK;
  await sleep(Math.max(0, settleMs - (performance.now() - t0)));
  const rss = rssBytes(child.pid);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dataDir, { recursive: true, force: true });
  return { startupMs, startCpuMs, rssMiB: rss / 1048576 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const load0 = loadavg();
const rows = [];
for (const c of CONFIGS) {
  const rs = [];
  for (let i = 0; i < runs; i++) rs.push(await measure(c));
  const row = {
    name: c.name,
    startupMs: median(rs.map((r) => r.startupMs)),
    startCpuMs: median(rs.map((r) => r.startCpuMs)),
    rssMiB: median(rs.map((r) => r.rssMiB)),
    runs: rs,
  };
  rows.push(row);
  process.stderr.write(
    `${c.name}: ${rs.map((r) => `${r.startupMs.toFixed(0)} ms / ${r.startCpuMs.toFixed(0)} ms CPU / ${r.rssMiB.toFixed(1)} MiB`).join(", ")}\n`,
  );
}
const load1 = loadavg();

console.log(
  `Warren footprint — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, medians of ${runs} fresh processes; ` +
    `load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ${load1.map((l) => l.toFixed(2)).join(" ")} after (2 cores shared: wall times are noisy, CPU and RSS less so)\n`,
);
console.log(`| configuration | spawn → all ports accept, ms (wall) | CPU until then, ms | RSS ${settleMs / 1000} s after start, MiB |`);
console.log("|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.startupMs.toFixed(0)} | ${r.startCpuMs.toFixed(0)} | ${r.rssMiB.toFixed(1)} |`);

#!/usr/bin/env node
// Start-up A/B: fresh processes of two or more builds, interleaved, every standard listener on.
//
//   node bench/startup-ab.mjs [--rounds 11] [--settle-ms 0] [--port-base 27650] NAME=SCRIPT[,NODE_FLAG…][@ENV=VALUE…] …
//   e.g. node bench/startup-ab.mjs --rounds 11 base=/tmp/base/dist/cli/main.js new=dist/cli/main.js \
//          new-off=dist/cli/main.js@WARREN_CODE_CACHE=off
//
// A script other than a Warren CLI gets no arguments, and PORT_BASE in its environment (e.g. a
// floor that listens on the same eight ports). Per process: wall time from spawn until every port is in LISTEN state (/proc/net/tcp,
// tcp6; polled every 1 ms, no connection made), the CPU it has used by then (the sum of its
// threads' /proc/PID/task/TID/schedstat run time, ns resolution, unlike /proc/PID/stat's 10 ms
// ticks), and with --settle-ms > 0 its Anonymous memory (/proc/PID/smaps_rollup) that long after
// the spawn: node's file-backed text pages make RSS swing by 3-4 MiB between identical starts.
// Medians per build; the order alternates every round. The load average is printed: on a shared
// machine compare CPU and memory, not wall time.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const rounds = Number(opt("rounds", 11));
const settleMs = Number(opt("settle-ms", 0));
const base = Number(opt("port-base", 27650));
const LISTENERS = ["amqp", "mqtt", "stomp", "web-mqtt", "web-stomp", "openwire", "management", "prometheus"];
const builds = argv.map((spec) => {
  const [name, rest] = spec.split(/=(.*)/s);
  const [cmd, ...envs] = rest.split("@");
  const [script, ...flags] = cmd.split(",");
  return { name, script, flags, env: Object.fromEntries(envs.map((e) => e.split(/=(.*)/s).slice(0, 2))) };
});
if (builds.length === 0) throw new Error("usage: startup-ab.mjs NAME=SCRIPT … (see the header)");

function listening() {
  const ports = new Set();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === "0A") ports.add(Number.parseInt(c[1].split(":").pop(), 16));
    }
  }
  return ports;
}
function cpuMs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended
    }
  }
  return ns / 1e6;
}
const anonMiB = (pid) => Number(/^Anonymous:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function once(b) {
  const dir = mkdtempSync(join(tmpdir(), "warren-startup-ab-"));
  const ports = LISTENERS.map((_, i) => base + i);
  const args = [...b.flags, b.script];
  if (/cli[\\/]main\.js$/.test(b.script)) {
    args.push("--data-dir", join(dir, "data"), "--log-level", "warn");
    LISTENERS.forEach((l, i) => args.push(`--${l}-port`, String(ports[i])));
  }
  if (ports.some((p) => listening().has(p))) throw new Error(`a port of ${base}-${base + 7} is in use`);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, PORT_BASE: String(base), ...b.env },
  });
  const pending = new Set(ports);
  while (pending.size > 0) {
    if (child.exitCode !== null) throw new Error(`${b.name} exited with ${child.exitCode}`);
    if (performance.now() - t0 > 30_000) {
      child.kill("SIGKILL");
      throw new Error(`${b.name}: not listening after 30 s`);
    }
    const now = listening();
    for (const p of [...pending]) if (now.has(p)) pending.delete(p);
    if (pending.size > 0) await sleep(1);
  }
  const wall = performance.now() - t0;
  const cpu = cpuMs(child.pid);
  let anon = Number.NaN;
  if (settleMs > 0) {
    await sleep(settleMs - (performance.now() - t0));
    anon = anonMiB(child.pid);
  }
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
  return { wall, cpu, anon };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = new Map(builds.map((b) => [b.name, []]));
const load0 = loadavg()[0];
for (let r = 0; r < rounds; r++) for (const b of r % 2 ? [...builds].reverse() : builds) results.get(b.name).push(await once(b));
console.log(
  `${new Date().toISOString()} Node ${process.version}, ${rounds} rounds, load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`,
);
console.log("| build | spawn → 8 ports listen, ms (wall) | CPU by then, ms | Anonymous at settle, MiB | CPU of each run, ms |");
console.log("|---|---:|---:|---:|---|");
for (const b of builds) {
  const rs = results.get(b.name);
  const m = (k) => median(rs.map((x) => x[k]));
  console.log(
    `| ${b.name} | ${m("wall").toFixed(0)} | ${m("cpu").toFixed(1)} | ${settleMs > 0 ? m("anon").toFixed(2) : "–"} | ${rs.map((x) => x.cpu.toFixed(0)).join(" ")} |`,
  );
}

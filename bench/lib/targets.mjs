// --target parsing, and the lifecycle of targets the harness starts itself
// (cmd=...): spawn, time until every listed port accepts a TCP connection,
// idle RSS, and a bounded shutdown at the end.

import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseAmqpUrl } from "./amqp-raw.mjs";
import { parseAmqp10Url } from "./amqp10-raw.mjs";
import { parseMqttUrl } from "./mqtt-raw.mjs";
import { parseStompUrl } from "./stomp-raw.mjs";
import { rssBytes, processAlive, pidListeningOn } from "./proc.mjs";
import { sleep } from "./stats.mjs";

const KEYS = ["pid", "cmd", "ports", "cwd", "amqp"];
const URL_PARSERS = { amqp: parseAmqpUrl, mqtt: parseMqttUrl, stomp: parseStompUrl, amqp10: parseAmqp10Url };

/**
 * "name=amqp://host:port[,pid=N][,cmd=...][,ports=5679+1884][,cwd=dir]", or an
 * mqtt:// or stomp:// URL (then `amqp=URL` optionally names the same broker's
 * AMQP listener, used to delete the STOMP scenarios' queues).
 * Options are split at ",key=" for the known keys only, so cmd may contain
 * commas and spaces; surrounding quotes on a value are removed.
 */
export function parseTarget(spec) {
  const eq = spec.indexOf("=");
  if (eq <= 0) throw new Error(`--target must look like name=amqp|mqtt|stomp://host:port[,pid=N][,cmd=...]: ${spec}`);
  const name = spec.slice(0, eq);
  const parts = spec.slice(eq + 1).split(new RegExp(`,(?=(?:${KEYS.join("|")})=)`));
  const url = unquote(parts.shift());
  const t = { name, url, pid: null, cmd: null, ports: null, cwd: process.cwd(), amqpUrl: null, child: null, logFile: null, dead: null };
  for (const p of parts) {
    const i = p.indexOf("=");
    const key = p.slice(0, i);
    const value = unquote(p.slice(i + 1));
    if (key === "pid") {
      if (value === "auto") {
        t.pid = "auto";
        continue;
      }
      t.pid = Number(value);
      if (!Number.isInteger(t.pid) || t.pid <= 0) throw new Error(`target ${name}: bad pid ${value}`);
    } else if (key === "cmd") t.cmd = value;
    else if (key === "ports") t.ports = value.split(/[+ ]/).filter(Boolean).map(Number);
    else if (key === "cwd") t.cwd = value;
    else if (key === "amqp") t.amqpUrl = value;
  }
  const scheme = /^([a-z0-9]+):\/\//.exec(url)?.[1];
  if (!URL_PARSERS[scheme]) throw new Error(`target ${name}: URL must start with amqp://, amqp10://, mqtt:// or stomp://, got ${url}`);
  t.protocol = scheme;
  const s = URL_PARSERS[scheme](url); // validates the URL
  if (t.amqpUrl) parseAmqpUrl(t.amqpUrl);
  t.host = s.host;
  t.port = s.port;
  if (!t.ports) t.ports = [s.port];
  if (t.ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) throw new Error(`target ${name}: bad ports`);
  if (t.pid && t.cmd) throw new Error(`target ${name}: give pid= or cmd=, not both`);
  if (!t.cmd && (t.pid === null || t.pid === "auto")) {
    // The process listening on the AMQP port, when the broker is on this machine.
    const explicit = t.pid === "auto";
    t.pid = pidListeningOn(t.port);
    t.pidNote = t.pid
      ? `pid ${t.pid} found listening on port ${t.port}`
      : `no local process found listening on port ${t.port}: broker CPU and RSS will be n/a`;
    if (explicit && !t.pid) throw new Error(`target ${name}: pid=auto but ${t.pidNote}`);
  }
  if (t.pid && !processAlive(t.pid)) throw new Error(`target ${name}: no process with pid ${t.pid}`);
  return t;
}

function unquote(v) {
  const m = /^(["'])(.*)\1$/s.exec(v);
  return m ? m[2] : v;
}

function tryConnect(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      clearTimeout(t);
      sock.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/**
 * Spawn the target's cmd and poll every port until all accept. Returns
 * { startupMs, idleRss } and leaves the process running as the target.
 */
export async function startTarget(t, { timeoutMs = 30000, idleMs = 2000, log = () => {} } = {}) {
  if (t.child) throw new Error(`target ${t.name} already started`);
  for (const port of t.ports) {
    if (await tryConnect(t.host, port, 300))
      throw new Error(`target ${t.name}: port ${port} already accepts connections before start (another broker running?)`);
  }
  t.logFile = path.join(os.tmpdir(), `warren-bench-${t.name}-${process.pid}.log`);
  const fd = openSync(t.logFile, "a");
  const t0 = performance.now();
  // exec: the shell is replaced by the broker, so child.pid is the broker's pid.
  // detached: its own process group, so stopTarget can signal everything it spawned.
  const child = spawn("/bin/sh", ["-c", `exec ${t.cmd}`], { cwd: t.cwd, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  t.child = child;
  t.pid = child.pid;
  let exited = null;
  t.exitPromise = new Promise((resolve) =>
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  child.on("error", (e) => {
    exited = { error: e };
  });

  const pending = new Set(t.ports);
  const deadline = t0 + timeoutMs;
  await Promise.all(
    t.ports.map(async (port) => {
      while (pending.size > 0 && !exited && performance.now() < deadline) {
        if (await tryConnect(t.host, port, 250)) {
          pending.delete(port);
          return;
        }
        await sleep(10);
      }
    }),
  );
  const startupMs = performance.now() - t0;
  if (exited) throw new Error(`target ${t.name} exited during start-up (${JSON.stringify(exited)}); log: ${t.logFile}\n${tail(t.logFile)}`);
  if (pending.size > 0)
    throw new Error(`target ${t.name}: ports ${[...pending].join(",")} not accepting after ${timeoutMs} ms; log: ${t.logFile}`);
  log(`[${t.name}] all of ${t.ports.join(",")} accept after ${startupMs.toFixed(0)} ms (pid ${t.pid}, log ${t.logFile})`);
  await sleep(idleMs);
  if (exited) throw new Error(`target ${t.name} exited while idle; log: ${t.logFile}\n${tail(t.logFile)}`);
  return { startupMs, idleRss: rssBytes(t.pid) };
}

function tail(file) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

/** SIGTERM the target's process group, SIGKILL after graceMs. */
export async function stopTarget(t, graceMs = 5000) {
  const child = t.child;
  if (!child) return;
  t.child = null;
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }, graceMs);
    await t.exitPromise;
    clearTimeout(timer);
  }
  // whatever it left in its group
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    /* none */
  }
}

/** Synchronous last resort on orchestrator exit. */
export function killTargetNow(t) {
  if (t.child) {
    try {
      process.kill(-t.child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

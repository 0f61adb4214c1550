// ActiveMQ's failover transport (`failover:(tcp://…)`) across a broker restart: a JMS producer and
// consumer on one connection get every persistent message sent before and after the broker was
// stopped and started again on the same port and data.
//
// The scenario restarts the broker itself, so it never uses a shared one: an embedded run spawns
// Warren's CLI (dist/cli/main.js: `npm run build` first) on a data dir of its own; a run against
// ActiveMQ (`npm run conformance -- --openwire URL`, or WARREN_CONFORMANCE_OPENWIRE set) starts a
// private ActiveMQ 5.17 with conformance/activemq.sh on free ports and restarts it with
// `activemq.sh restart`.
import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";
import { buildJms, JMS_JARS } from "./java.js";
import { OPENWIRE_TARGET_ENV } from "./target.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A broker the scenario may stop and start again on the same port and data. */
interface RestartableBroker {
  name: string;
  port: number;
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A free TCP port on loopback (the broker must come back on the same one, so it cannot be 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Warren's CLI with only the OpenWire listener, on `port` and `dataDir`; resolves once it listens. */
function startWarren(port: number, dataDir: string): Promise<ChildProcessByStdio<null, null, Readable>> {
  const proc = spawn(
    process.execPath,
    [join(ROOT, "dist/cli/main.js"), ...listenerArgs({ openwire: `127.0.0.1:${port}` }), "--data-dir", dataDir, "--log-level", "info"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`Warren did not start within 20 s: ${log}`));
    }, 20_000);
    proc.stderr.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("Warren started")) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Warren exited with ${code} during start-up: ${log}`));
    });
  });
}

/** Stops a CLI broker as an operator would (SIGTERM), SIGKILL after 15 s. */
function stopWarren(proc: ChildProcessByStdio<null, null, Readable>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}

async function warren(): Promise<RestartableBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), "warren-failover-"));
  const port = await freePort();
  let proc = await startWarren(port, dataDir);
  return {
    name: "warren",
    port,
    async restart() {
      await stopWarren(proc);
      proc = await startWarren(port, dataDir);
    },
    async close() {
      await stopWarren(proc);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function activemq(): Promise<RestartableBroker> {
  // every connector on a port of its own: the defaults may be a shared ActiveMQ's (CI runs one)
  const [port, stomp, mqtt] = [await freePort(), await freePort(), await freePort()];
  const env = {
    ...process.env,
    WARREN_ACTIVEMQ_OPENWIRE_PORT: String(port),
    WARREN_ACTIVEMQ_STOMP_PORT: String(stomp),
    WARREN_ACTIVEMQ_MQTT_PORT: String(mqtt),
    WARREN_ACTIVEMQ_DIR: mkdtempSync(join(tmpdir(), "warren-failover-activemq-")),
  };
  const script = join(ROOT, "conformance/activemq.sh");
  const sh = (cmd: string) => run("bash", [script, cmd], { env, timeout: 150_000 });
  await sh("start");
  return { name: "activemq", port, restart: () => sh("restart").then(() => undefined), close: () => sh("stop").then(() => undefined) };
}

interface Observed {
  beforeRestart: string[];
  afterRestart: string[];
  extra: string | null;
  interrupted: number;
  resumed: number;
}

/** Runs java/Failover.java, restarting the broker when it says READY; its JSON result. */
async function runFailover<T = Observed>(broker: RestartableBroker, url: string, queue: string, ...extra: string[]): Promise<T> {
  const classes = await buildJms();
  const java: ChildProcessByStdio<Writable, Readable, Readable> = spawn(
    "/usr/bin/java",
    ["-cp", [classes, ...JMS_JARS].join(":"), "Failover", url, queue, ...extra],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  java.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    java.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("READY\n")) resolve();
    });
    java.once("exit", (code) => reject(new Error(`Failover exited ${code} before READY: ${out}${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => java.once("exit", (code) => resolve(code)));
  const killer = setTimeout(() => java.kill("SIGKILL"), 150_000);
  try {
    await ready;
    await broker.restart();
    java.stdin.end("restarted\n");
    const code = await exited;
    if (code !== 0) throw new Error(`Failover exited ${code}: ${out}${err}`);
    return JSON.parse(out.trim().split("\n").pop() ?? "") as T;
  } finally {
    clearTimeout(killer);
    java.kill("SIGKILL");
  }
}

let broker: RestartableBroker;
beforeAll(async () => {
  broker = process.env[OPENWIRE_TARGET_ENV]?.trim() ? await activemq() : await warren();
  await buildJms();
}, 180_000);
afterAll(() => broker?.close(), 60_000);

describe("the failover transport across a broker restart", () => {
  it("a producer and a consumer on failover:(tcp://…) get every persistent message sent before and after", async () => {
    const url = `failover:(tcp://127.0.0.1:${broker.port})?maxReconnectAttempts=200&initialReconnectDelay=100&maxReconnectDelay=500&useExponentialBackOff=false`;
    const r = await runFailover(broker, url, `conf.${randomUUID().slice(0, 8)}.failover`);
    expect(r.beforeRestart).toEqual(["before0", "before1", "before2", "before3", "before4"]);
    // the five in the consumer's prefetch when the broker went away come back from the store first
    expect(r.afterRestart).toEqual([
      "before5",
      "before6",
      "before7",
      "before8",
      "before9",
      ...Array.from({ length: 10 }, (_, i) => `after${i}`),
    ]);
    expect(r.extra).toBeNull();
    expect(r.interrupted).toBeGreaterThanOrEqual(1);
    expect(r.resumed).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it("Map, Object, Stream and plain messages keep their JMS type and content across the restart", async () => {
    const url = `failover:(tcp://127.0.0.1:${broker.port})?maxReconnectAttempts=200&initialReconnectDelay=100&maxReconnectDelay=500&useExponentialBackOff=false`;
    const r = await runFailover<{ after: (string | null)[] }>(broker, url, `conf.${randomUUID().slice(0, 8)}.types`, "types");
    expect(r.after).toEqual([
      "Map name=widget count=Integer:3 kind=map persistent=true",
      "Object Long:1099511627776 kind=object persistent=true",
      "Stream s 7 true kind=stream persistent=true",
      "Message kind=plain persistent=true",
    ]);
  }, 240_000);

  it("stored messages keep their message group: after the restart each group goes to one consumer", async () => {
    const url = `failover:(tcp://127.0.0.1:${broker.port})?maxReconnectAttempts=200&initialReconnectDelay=100&maxReconnectDelay=500&useExponentialBackOff=false`;
    const r = await runFailover<{ g1Owner: string[]; g2Owner: string[] }>(broker, url, `conf.${randomUUID().slice(0, 8)}.groups`, "groups");
    // "*": JMSXGroupFirstForConsumer (the group owners were in memory: each group is assigned anew)
    expect(r).toEqual({ g1Owner: ["g1-0*", "g1-1", "g1-2"], g2Owner: ["g2-0*", "g2-1", "g2-2"] });
  }, 240_000);
});

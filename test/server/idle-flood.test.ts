/**
 * An idle-socket flood under a low fd limit (issue 21's reproduction, kept measured): the CLI runs
 * under `ulimit -n 256` and 240 sockets that never log in (mostly MQTT, some AMQP and STOMP) take
 * every descriptor it has. The broker must live through the exhaustion (libuv accepts and drops
 * what it cannot keep; nothing may crash or log per attempt), close the idle sockets at the login
 * timeout, and then serve real AMQP, MQTT and STOMP clients. Without the login timeouts the idle
 * sockets are held for ever and every client stays locked out.
 * Runs dist/cli/main.js (`npm test` builds first).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import amqp from "amqplib";
import mqtt from "mqtt";
import stompit from "stompit";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

const FD_LIMIT = 256;
/** The login timeout of every listener: the behaviour under test is a timeout, so the test is timed. */
const LOGIN_MS = 2000;
/** Every wait is bounded well above the timeout. */
const BOUND = LOGIN_MS + 8000;
const IDLE = { mqtt: 200, amqp: 20, stomp: 20 };

let dir: string;
let child: ChildProcessByStdio<null, null, Readable> | null = null;
const idle: Socket[] = [];
afterEach(() => {
  for (const s of idle.splice(0)) s.destroy();
  child?.kill("SIGKILL");
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

interface Ports {
  amqp: number;
  mqtt: number;
  stomp: number;
}
interface LogLine {
  level: number;
  msg: string;
  port?: number;
  err?: { message?: string };
}

/** The CLI under `ulimit -n FD_LIMIT`, AMQP, MQTT and STOMP on free ports, every login timeout LOGIN_MS. */
async function spawnLimited(): Promise<{ ports: Ports; pid: number; log: () => LogLine[] }> {
  dir = mkdtempSync(join(tmpdir(), "warren-flood-"));
  const conf = join(dir, "warren.conf");
  writeFileSync(conf, ["handshake_timeout", "mqtt.login_timeout", "stomp.login_timeout"].map((k) => `${k} = ${LOGIN_MS}\n`).join(""));
  const args = [
    "dist/cli/main.js",
    "--config",
    conf,
    "--host",
    "127.0.0.1",
    ...listenerArgs({ amqp: 0, mqtt: 0, stomp: 0 }),
    "--data-dir",
    join(dir, "data"),
    "--log-level",
    "info",
    "--log-format",
    "json",
  ];
  const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(" ");
  const proc = spawn("bash", ["-c", `ulimit -n ${FD_LIMIT} && exec ${quoted}`], { stdio: ["ignore", "ignore", "pipe"] });
  child = proc;
  let text = "";
  // complete JSON lines only: a pipe read may end mid-line
  const log = () =>
    text
      .slice(0, text.lastIndexOf("\n"))
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogLine);
  const ports = await new Promise<Ports>((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      text += d.toString();
      const started = log().find((l) => l.msg === "Warren started") as { ports?: Ports } | undefined;
      if (started?.ports) resolve(started.ports);
    });
    proc.once("exit", (code) => reject(new Error(`broker exited ${code}: ${text}`)));
  });
  return { ports, pid: proc.pid!, log };
}

/** An idle socket; resolves with when it was closed (ms after `since`), whoever closed it. */
function idleSocket(port: number, since: number): Promise<number> {
  const s = connect(port, "127.0.0.1");
  idle.push(s);
  s.on("error", () => undefined);
  return new Promise((resolve) => s.once("close", () => resolve(Date.now() - since)));
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

async function until<T>(check: () => T | undefined | false, what: string, ms = BOUND): Promise<T> {
  for (const end = Date.now() + ms; ; ) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function withBound<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${BOUND} ms: ${what}`)), BOUND);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function amqpRoundTrip(port: number): Promise<string> {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
  try {
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true });
    ch.sendToQueue(queue, Buffer.from("amqp after the flood"));
    return await new Promise<string>((resolve) => void ch.consume(queue, (m) => resolve(m!.content.toString()), { noAck: true }));
  } finally {
    await conn.close();
  }
}

async function mqttRoundTrip(port: number): Promise<string> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: "after-flood",
    reconnectPeriod: 0,
    connectTimeout: BOUND,
  });
  try {
    const got = new Promise<string>((resolve) => client.on("message", (_t, payload) => resolve(payload.toString())));
    await client.subscribeAsync("flood/t", { qos: 1 });
    await client.publishAsync("flood/t", "mqtt after the flood", { qos: 1 });
    return await got;
  } finally {
    await client.endAsync();
  }
}

function stompRoundTrip(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    stompit.connect({ host: "127.0.0.1", port, connectHeaders: { host: "/", login: "guest", passcode: "guest" } }, (err, client) => {
      if (err) return reject(err);
      client.on("error", reject);
      client.subscribe({ destination: "/queue/after-flood", ack: "auto" }, (e, message) => {
        if (e) return reject(e);
        message.readString("utf8", (e2, body) => {
          client.disconnect();
          if (e2) reject(e2);
          else resolve(body!);
        });
      });
      const frame = client.send({ destination: "/queue/after-flood" });
      frame.write("stomp after the flood");
      frame.end();
    });
  });
}

describe("idle-socket flood under a low fd limit", () => {
  it("survives fd exhaustion, closes the idle sockets at the login timeout, then serves every protocol", async () => {
    const { ports, pid, log } = await spawnLimited();
    const since = Date.now();
    const closes = [
      ...Array.from({ length: IDLE.mqtt }, () => idleSocket(ports.mqtt, since)),
      ...Array.from({ length: IDLE.amqp }, () => idleSocket(ports.amqp, since)),
      ...Array.from({ length: IDLE.stomp }, () => idleSocket(ports.stomp, since)),
    ];

    // the flood takes every descriptor the process may have
    await until(() => openFds(pid) >= FD_LIMIT - 2, `the broker holding ~${FD_LIMIT} descriptors (has ${openFds(pid)})`);
    // …which locks real clients out while it lasts (libuv accepts and drops what it cannot keep)
    await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${ports.amqp}`)).rejects.toThrow();

    // every idle socket is closed: those past the limit at once, the rest by the login timeout
    const closedAt = await withBound(Promise.all(closes), "every idle socket closed by the broker");
    const byTimeout = closedAt.filter((ms) => ms >= LOGIN_MS - 100);
    expect(byTimeout.length).toBeGreaterThan(FD_LIMIT - 60);
    expect(child!.exitCode).toBeNull();

    // afterwards every protocol serves a real client
    expect(await withBound(amqpRoundTrip(ports.amqp), "AMQP round trip")).toBe("amqp after the flood");
    expect(await withBound(mqttRoundTrip(ports.mqtt), "MQTT round trip")).toBe("mqtt after the flood");
    expect(await withBound(stompRoundTrip(ports.stomp), "STOMP round trip")).toBe("stomp after the flood");

    // nothing went wrong on the broker's side, and what failed for want of descriptors was said once
    const lines = log();
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.filter((l) => l.msg === "closing connection: handshake not finished within the timeout").length).toBe(byTimeout.length);
    // (a failed resource check; a failed accept, if libuv could not drop the connection itself)
    const fdWarnings = lines.filter((l) => l.level === 40 && /EMFILE/.test(JSON.stringify(l))).map((l) => `${l.msg} ${l.port ?? ""}`);
    expect(fdWarnings).toEqual([...new Set(fdWarnings)]);
    expect(child!.exitCode).toBeNull();
  }, 60_000);
});

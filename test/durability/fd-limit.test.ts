/**
 * File descriptors: a deep backlog in many segment files needs no descriptor per segment, a
 * restart under a low `ulimit -n` recovers it, the limits are reported as they are, and a queue
 * whose store cannot be opened is refused with an error instead of no reply.
 * The restarts run the CLI (dist/cli/main.js; `npm test` builds first) under `ulimit -n`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { eventually } from "../../conformance/amqp/helpers.js";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

let dir: string;
let broker: RunningBroker | null = null;
let child: ChildProcessByStdio<null, null, Readable> | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  child?.kill("SIGKILL");
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

const openFds = (pid: number | "self" = "self") => readdirSync(`/proc/${pid}/fd`).length;

/** The CLI on `dir` under `ulimit -n limit`: AMQP and management on free ports, nothing else. */
async function spawnLimited(limit: number): Promise<{ amqp: number; management: number; pid: number }> {
  const args = ["dist/cli/main.js", ...listenerArgs({ amqp: 0, management: 0 }), "--data-dir", dir, "--log-level", "info"];
  const quoted = [process.execPath, ...args].map((a) => `'${a}'`).join(" ");
  const proc = spawn("bash", ["-c", `ulimit -n ${limit} && exec ${quoted}`], { stdio: ["ignore", "ignore", "pipe"] });
  child = proc;
  let log = "";
  const ports = await new Promise<{ amqp: number; management: number }>((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      log += d.toString();
      for (const line of log.split("\n")) {
        if (line.includes("Warren started")) resolve((JSON.parse(line) as { ports: { amqp: number; management: number } }).ports);
      }
    });
    proc.once("exit", (code) => reject(new Error(`broker exited ${code}: ${log}`)));
  });
  return { ...ports, pid: proc.pid! };
}

const body = (q: number, i: number) => Buffer.alloc(1000, `${q}:${i};`);

describe("file descriptors", () => {
  it("a backlog in hundreds of segments holds a few descriptors, and restarts under ulimit -n 100", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-fds-"));
    const cap = 16;
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent", segmentSize: 4096, maxOpenFiles: cap });
    const base = openFds();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    const queues = 3;
    const perQueue = 400; // 3 records a segment: ~400 segment files in all
    for (let q = 0; q < queues; q++) {
      await ch.assertQueue(`deep-${q}`, { durable: true });
      for (let i = 0; i < perQueue; i++) ch.sendToQueue(`deep-${q}`, body(q, i), { persistent: true });
      await ch.waitForConfirms();
    }
    // the connection's socket and a few of the runtime's own come and go: well under one per segment
    expect(openFds() - base).toBeLessThanOrEqual(cap + 4);
    await conn.close();
    await broker.close();
    broker = null;
    const segments = readdirSync(join(dir, "queues")).reduce(
      (n, d) => n + readdirSync(join(dir, "queues", d)).filter((f) => f.endsWith(".seg")).length,
      0,
    );
    expect(segments).toBeGreaterThan(350);

    // before, each segment was opened at recovery and kept open: EMFILE … .seg, and the broker exited
    const b = await spawnLimited(100);
    const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqp}`);
    const ch2 = await c2.createChannel();
    await ch2.prefetch(100);
    for (let q = 0; q < queues; q++) {
      const got: Buffer[] = [];
      await new Promise<void>((resolve) => {
        void ch2.consume(`deep-${q}`, (m) => {
          got.push(m!.content);
          ch2.ack(m!);
          if (got.length === perQueue) resolve();
        });
      });
      expect(got.every((m, i) => m.equals(body(q, i)))).toBe(true);
    }
    await c2.close();
    // /api/nodes tells the limit the process runs under, and what it uses. The store still opens
    // and closes files for a moment after the drain (acks, fsyncs), so compare a reading taken
    // while the count outside held still.
    const nodes = async () => {
      const res = await fetch(`http://127.0.0.1:${b.management}/api/nodes`, {
        headers: { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}` },
      });
      return ((await res.json()) as { fd_used: number; fd_total: number }[])[0]!;
    };
    const node = await eventually(async () => {
      const before = openFds(b.pid);
      const n = await nodes();
      if (openFds(b.pid) !== before || Math.abs(n.fd_used - before) > 3) throw new Error(`fd_used ${n.fd_used}, /proc ${before}`);
      return n;
    }, 10_000);
    expect(node.fd_total).toBe(100);
    expect(node.fd_used).toBeLessThan(100);
  }, 30_000);

  it("a transient backlog paged to hundreds of page-file segments holds a few descriptors too", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-fds-"));
    const cap = 16;
    broker = await startBroker({
      amqp: { port: 0 },
      dataDir: dir,
      logLevel: "silent",
      segmentSize: 4096,
      pageOutBytes: 4096,
      maxOpenFiles: cap,
    });
    const base = openFds();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    const n = 3000;
    for (let q = 0; q < 2; q++) {
      await ch.assertQueue(`paged-${q}`, { durable: false });
      for (let i = 0; i < n; i++) ch.sendToQueue(`paged-${q}`, body(q, i));
      await ch.waitForConfirms();
    }
    // page files are written behind the confirms: watch the descriptors while they are
    const pages = () => readdirSync(join(dir, "paging")).reduce((k, d) => k + readdirSync(join(dir, "paging", d)).length, 0);
    let most = 0;
    for (const until = Date.now() + 15_000; pages() < 1500 && Date.now() < until; ) {
      most = Math.max(most, openFds() - base);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(pages()).toBeGreaterThanOrEqual(1500);
    expect(most).toBeLessThanOrEqual(cap + 4);
    await ch.prefetch(200);
    for (let q = 0; q < 2; q++) {
      const got: Buffer[] = [];
      await new Promise<void>((resolve) => {
        void ch.consume(`paged-${q}`, (m) => {
          got.push(m!.content);
          ch.ack(m!);
          if (got.length === n) resolve();
        });
      });
      expect(got.every((m, i) => m.equals(body(q, i)))).toBe(true);
    }
    expect(openFds() - base).toBeLessThanOrEqual(cap + 4);
    await conn.close();
  });

  it("a durable queue whose store cannot be opened is refused with INTERNAL_ERROR, not left without a reply", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-fds-"));
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" });
    const p = broker.persistence;
    const openQueue = p.openQueue.bind(p);
    // what opening a queue's directory meets when every descriptor is taken (by sockets, say)
    p.openQueue = () => {
      throw Object.assign(new Error("EMFILE: too many open files, scandir '/data/queues/x'"), { code: "EMFILE" });
    };
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    conn.on("error", () => {});
    const ch = await conn.createChannel();
    ch.on("error", () => {});
    const closed = new Promise<Error>((resolve) => conn.once("close", resolve));
    // a hard error (as RabbitMQ's internal_error): the connection closes with it, the RPC fails
    await expect(ch.assertQueue("wanted", { durable: true })).rejects.toThrow();
    expect(String(await closed)).toMatch(/541 .*INTERNAL_ERROR - Cannot declare a queue 'queue 'wanted' in vhost '\/'': EMFILE/);
    // nothing half-made stays: once files can be opened again, the same declare works
    p.openQueue = openQueue;
    const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch2 = await c2.createChannel();
    ch2.on("error", () => {});
    await expect(ch2.checkQueue("wanted")).rejects.toThrow(/404/);
    const c3 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch3 = await c3.createConfirmChannel();
    await ch3.assertQueue("wanted", { durable: true });
    ch3.sendToQueue("wanted", Buffer.from("x"), { persistent: true });
    await ch3.waitForConfirms();
    expect((await ch3.checkQueue("wanted")).messageCount).toBe(1);
    await c3.close();
    await c2.close().catch(() => {});
  });
});

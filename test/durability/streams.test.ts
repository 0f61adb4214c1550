import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker, type StreamQueue, type VirtualHost } from "warren";

let dir: string;
let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningBroker> {
  broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent", segmentSize: 4096 });
  return broker;
}
const url = () => `amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`;

async function publish(q: string, bodies: string[]) {
  const conn = await amqp.connect(url());
  const ch = await conn.createConfirmChannel();
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b), { headers: { n: b } });
  await ch.waitForConfirms();
  await conn.close();
}

/** Reads `n` messages from `offset` with a prefetch of 10, acking each. */
async function read(q: string, offset: unknown, n: number): Promise<{ body: string; offset: unknown }[]> {
  const conn = await amqp.connect(url());
  const ch = await conn.createChannel();
  await ch.prefetch(10);
  const out: { body: string; offset: unknown }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${out.length} of ${n}`)), 5000);
    void ch.consume(
      q,
      (m) => {
        if (!m) return;
        out.push({ body: m.content.toString(), offset: m.properties.headers!["x-stream-offset"] });
        ch.ack(m);
        if (out.length === n) {
          clearTimeout(timer);
          resolve();
        }
      },
      { arguments: { "x-stream-offset": offset } },
    );
  });
  await conn.close();
  return out;
}

describe("stream queues over AMQP, across restarts", () => {
  it("a stream keeps every message and its offsets after a restart, and appends after them", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stream-"));
    await start();
    const conn = await amqp.connect(url());
    await (await conn.createChannel()).assertQueue("events", { durable: true, arguments: { "x-queue-type": "stream" } });
    await conn.close();
    const bodies = Array.from({ length: 300 }, (_, i) => `e${i}`);
    await publish("events", bodies);
    await broker!.close();
    await start();
    await publish("events", ["after"]);
    const got = await read("events", "first", 301);
    expect(got.map((m) => m.body)).toEqual([...bodies, "after"]);
    expect(got.map((m) => m.offset)).toEqual(got.map((_, i) => i));
    expect((await read("events", 299, 2)).map((m) => m.body)).toEqual(["e299", "after"]);
  });

  it("retention by x-max-length-bytes deletes old segment files, and a restart keeps the offsets", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stream-"));
    await start();
    const conn = await amqp.connect(url());
    await (await conn.createChannel()).assertQueue("capped", {
      durable: true,
      arguments: { "x-queue-type": "stream", "x-max-length-bytes": 20_000, "x-stream-max-segment-size-bytes": 5_000 },
    });
    await conn.close();
    const body = "x".repeat(500);
    await publish(
      "capped",
      Array.from({ length: 400 }, () => body),
    );
    const queueDirs = readdirSync(join(dir, "queues"));
    expect(queueDirs.length).toBe(1);
    const segFiles = readdirSync(join(dir, "queues", queueDirs[0]!)).filter((f) => f.endsWith(".seg"));
    // 400 × ~540 bytes written in 4 KiB files: without retention there would be over 50
    expect(segFiles.length).toBeLessThan(15);
    const first = (await read("capped", "first", 1))[0]!.offset as number;
    expect(first).toBeGreaterThan(300);
    await broker!.close();
    await start();
    const again = (await read("capped", "first", 1))[0]!.offset as number;
    expect(again).toBeGreaterThan(300);
    expect(again).toBeLessThanOrEqual(first);
    expect((await read("capped", 399, 1))[0]!.offset).toBe(399);
  });
});

describe("policies across restarts", () => {
  it("policies and operator policies are written to definitions.json and apply again after a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-policy-"));
    const b = await start();
    expect(
      b.core.setPolicy("/", { name: "cap", pattern: "^capped\\.", applyTo: "queues", priority: 3, definition: { "max-length": 2 } }),
    ).toMatchObject({ name: "cap" });
    expect(b.core.setPolicy("/", { name: "op", pattern: ".*", definition: { "message-ttl": 60000 } }, "operator")).toMatchObject({
      name: "op",
    });
    await b.close();
    const defs = JSON.parse((await import("node:fs")).readFileSync(join(dir, "definitions.json"), "utf8")) as { policies: unknown[] };
    expect(defs.policies).toEqual([
      { vhost: "/", name: "cap", pattern: "^capped\\.", "apply-to": "queues", definition: { "max-length": 2 }, priority: 3 },
    ]);
    await start();
    expect(broker!.core.listPolicies("operator")).toMatchObject([{ name: "op", definition: { "message-ttl": 60000 } }]);
    const conn = await amqp.connect(url());
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("capped.q", { durable: true });
    for (let i = 0; i < 5; i++) ch.sendToQueue("capped.q", Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    expect((await ch.checkQueue("capped.q")).messageCount).toBe(2);
    await conn.close();
  });
});

describe("stream paging", () => {
  it("a stream keeps only recent messages in memory past 16 × pageOutBytes, and reads the rest back from the store", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stream-page-"));
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent", pageOutBytes: 4096 });
    const conn = await amqp.connect(url());
    await (await conn.createChannel()).assertQueue("paged", { durable: true, arguments: { "x-queue-type": "stream" } });
    await conn.close();
    const bodies = Array.from({ length: 1000 }, (_, i) => `${i}:${"x".repeat(1000)}`);
    await publish("paged", bodies);
    const q = (broker.core.vhost("/") as VirtualHost).queues.get("paged") as StreamQueue;
    expect(q.length).toBe(1000);
    expect(q.residentMessageBytes).toBeLessThanOrEqual(16 * 4096);
    const got = await read("paged", "first", 1000);
    expect(got.map((m) => m.body)).toEqual(bodies);
    expect(got.map((m) => m.offset)).toEqual(bodies.map((_, i) => i));
  });
});

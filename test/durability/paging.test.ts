import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { type Queue, startBroker, type RunningBroker } from "warren";

let dir: string;
let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

const start = async () =>
  (broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent", pageOutBytes: 64 * 1024, segmentSize: 256 * 1024 }));
const queue = () => (broker!.core.vhost("/") as { queues: Map<string, Queue> }).queues.get("deep")!;
const body = (i: number) => Buffer.concat([Buffer.from(`${i}:`), Buffer.alloc(1024, i % 251)]);

/** Polls `cond` until it holds (bounded): file removal happens after the current commit. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
const dirsUnder = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)) : []);

async function drainInOrder(n: number, noAck = false): Promise<void> {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
  const ch = await conn.createChannel();
  await ch.prefetch(200);
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    void ch.consume(
      "deep",
      (m) => {
        if (!m!.content.equals(body(next))) reject(new Error(`message ${next} came back wrong`));
        next++;
        if (!noAck) ch.ack(m!);
        if (next === n) resolve();
      },
      { noAck },
    );
  });
  await ch.close(); // after the acks on the same channel
  await conn.close();
}

describe("paging", () => {
  it("past the page-out threshold a durable queue keeps positions, not bodies, and still delivers in order", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    for (let i = 0; i < 2000; i++) ch.sendToQueue("deep", body(i), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    // ~2 MB of bodies against a 64 KiB threshold: all but the first ~64 are on disk only
    expect(queue().pagedOutCount).toBeGreaterThan(1900);
    await drainInOrder(2000);
    expect(queue().messageCount).toBe(0);
  });

  it("a deep queue recovered after a restart comes back paged out and drains in order", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    for (let i = 0; i < 1500; i++) ch.sendToQueue("deep", body(i), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await broker!.close();
    await start();
    expect(queue().messageCount).toBe(1500);
    expect(queue().pagedOutCount).toBeGreaterThan(1400);
    await drainInOrder(1500, true); // no-ack: each record is settled as it is delivered
  });

  it("a deep durable priority queue pages each level, comes back after a restart, and delivers highest priority first", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true, arguments: { "x-max-priority": 2 } });
    for (let i = 0; i < 1500; i++) ch.sendToQueue("deep", body(i), { persistent: true, priority: i % 3 });
    await ch.waitForConfirms();
    await conn.close();
    expect(queue().pagedOutCount).toBeGreaterThan(1200);
    await broker!.close();
    await start();
    expect(queue().messageCount).toBe(1500);
    expect(queue().pagedOutCount).toBeGreaterThan(1200);
    const conn2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch2 = await conn2.createChannel();
    const got: number[] = [];
    for (let m = await ch2.get("deep", { noAck: true }); m !== false; m = await ch2.get("deep", { noAck: true })) {
      got.push(Number(m.content.subarray(0, m.content.indexOf(58)).toString()));
    }
    const expected = [2, 1, 0].flatMap((p) => Array.from({ length: 500 }, (_, k) => k * 3 + p));
    expect(got).toEqual(expected);
    await conn2.close();
  });

  it("x-message-ttl expires a deep paged-out transient queue from the head", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: false, arguments: { "x-message-ttl": 300 } });
    for (let i = 0; i < 3000; i++) ch.sendToQueue("deep", body(i));
    await ch.waitForConfirms();
    expect(queue().pagedOutCount).toBeGreaterThan(1000);
    await until(() => queue().messageCount === 0, "every message to expire");
    expect(queue().pagedOutCount).toBe(0);
    await conn.close();
  });

  it("a deep transient queue pages to a page file under the data dir and drains in order", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start(); // transient limit: 16 × 64 KiB = 1 MiB in memory
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: false });
    for (let i = 0; i < 3000; i++) ch.sendToQueue("deep", body(i), { persistent: false });
    await ch.waitForConfirms();
    await conn.close();
    expect(queue().pagedOutCount).toBeGreaterThan(1500);
    expect(dirsUnder("paging")).toHaveLength(1);
    await drainInOrder(3000);
    expect(queue().messageCount).toBe(0);
    // the page file goes with its queue
    (broker!.core.vhost("/") as { deleteQueue: (n: string, o: object, c: null) => unknown }).deleteQueue("deep", {}, null);
    expect(dirsUnder("paging")).toHaveLength(0);
  });

  it("persistent and transient messages interleaved past the limits keep their order; only persistent ones survive a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    for (let i = 0; i < 3000; i++) ch.sendToQueue("deep", body(i), { persistent: i % 3 !== 0 });
    await ch.waitForConfirms();
    await conn.close();
    expect(queue().pagedOutCount).toBeGreaterThan(2500);
    expect(dirsUnder("paging")).toHaveLength(1);
    await broker!.close();
    await start();
    // page files are emptied on start; the persistent two thirds come back in order
    expect(dirsUnder("paging")).toHaveLength(0);
    expect(queue().messageCount).toBe(2000);
    const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch2 = await c2.createChannel();
    const got: number[] = [];
    for (let m = await ch2.get("deep", { noAck: true }); m !== false; m = await ch2.get("deep", { noAck: true })) {
      got.push(Number(m.content.toString("latin1", 0, m.content.indexOf(":"))));
    }
    await c2.close();
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 0));
  });

  it("requeued messages go back ahead of the paged-out ones", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    for (let i = 0; i < 2000; i++) ch.sendToQueue("deep", body(i), { persistent: true });
    await ch.waitForConfirms();
    for (let i = 0; i < 5; i++) expect(await ch.get("deep")).not.toBe(false);
    ch.nackAll(true);
    await conn.close();
    await drainInOrder(2000);
  });

  it("purging a paged-out queue settles every stored message: nothing comes back and its segments go", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    for (let i = 0; i < 2000; i++) ch.sendToQueue("deep", body(i), { persistent: i % 2 === 0 });
    await ch.waitForConfirms();
    expect((await ch.purgeQueue("deep")).messageCount).toBe(2000);
    await conn.close();
    const [qdir] = dirsUnder("queues");
    await until(() => readdirSync(join(dir, "queues", qdir!)).filter((f) => f.endsWith(".seg")).length <= 1, "segments removed");
    await broker!.close();
    await start();
    expect(queue().messageCount).toBe(0);
  });
});

describe("deleting queues and vhosts removes their files", () => {
  it("deleting a durable queue removes its directory", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    await ch.assertQueue("other", { durable: true });
    ch.sendToQueue("deep", body(1), { persistent: true });
    await ch.waitForConfirms();
    expect(dirsUnder("queues")).toHaveLength(2);
    await ch.deleteQueue("deep");
    await conn.close();
    await until(() => readdirSync(join(dir, "queues")).length === 1, "the deleted queue's directory to go");
    // its files were moved to the trash at once and are unlinked off the event loop
    await until(() => readdirSync(join(dir, "trash")).length === 0, "the trash emptied");
  });

  it("deleting a vhost closes and removes its queues' stores and page files at once", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-page-"));
    await start();
    const core = broker!.core;
    core.addVhost("v2");
    core.users.setPermission("guest", "v2", { configure: ".*", write: ".*", read: ".*" });
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}/v2`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("deep", { durable: true });
    await ch.assertQueue("mem", { durable: false });
    for (let i = 0; i < 3000; i++) {
      ch.sendToQueue("deep", body(i), { persistent: true });
      ch.sendToQueue("mem", body(i), { persistent: false });
    }
    await ch.waitForConfirms();
    const consumed = new Promise<void>((resolve) => void ch.consume("deep", () => {}, {}).then(() => resolve()));
    await consumed;
    expect(dirsUnder("queues")).toHaveLength(1);
    expect(dirsUnder("paging")).toHaveLength(1);
    conn.on("error", () => {});
    ch.on("error", () => {});
    core.deleteVhost("v2");
    expect(dirsUnder("paging")).toHaveLength(0);
    await until(() => dirsUnder("queues").length === 0, "the vhost's queue directories to go");
    await conn.close().catch(() => {});
    // and a restart finds nothing of it
    await broker!.close();
    await start();
    expect(broker!.core.listVhosts().map((v) => v.name)).toEqual(["/"]);
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";

let dir: string;
let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningBroker> {
  broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" });
  return broker;
}
async function restart(): Promise<RunningBroker> {
  await broker?.close();
  return start();
}
const url = () => `amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`;

async function publishConfirmed(q: string, bodies: string[], persistent = true) {
  const conn = await amqp.connect(url());
  const ch = await conn.createConfirmChannel();
  for (const b of bodies) ch.sendToQueue(q, Buffer.from(b), { persistent, headers: { n: b } });
  await ch.waitForConfirms();
  await conn.close();
}

async function drain(q: string): Promise<{ body: string; redelivered: boolean; headers: unknown }[]> {
  const conn = await amqp.connect(url());
  const ch = await conn.createChannel();
  const out: { body: string; redelivered: boolean; headers: unknown }[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) break;
    out.push({ body: m.content.toString(), redelivered: m.fields.redelivered, headers: m.properties.headers });
  }
  await conn.close();
  return out;
}

describe("durability across a clean restart", () => {
  it("persistent messages in a durable queue come back in order with their properties", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createChannel();
    await ch.assertQueue("orders", { durable: true });
    await conn.close();
    const bodies = Array.from({ length: 500 }, (_, i) => `order-${i}`);
    await publishConfirmed("orders", bodies);
    await restart();
    const got = await drain("orders");
    expect(got.map((m) => m.body)).toEqual(bodies);
    expect(got[7]!.headers).toEqual({ n: "order-7" });
    expect(got.every((m) => !m.redelivered)).toBe(true);
  });

  it("transient messages, transient queues and exclusive queues are gone after a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createChannel();
    await ch.assertQueue("mixed", { durable: true });
    await ch.assertQueue("scratch", { durable: false });
    await conn.close();
    await publishConfirmed("mixed", ["p1"], true);
    await publishConfirmed("mixed", ["t1"], false);
    await publishConfirmed("mixed", ["p2"], true);
    await publishConfirmed("scratch", ["s1"], true);
    await restart();
    expect((await drain("mixed")).map((m) => m.body)).toEqual(["p1", "p2"]);
    const c2 = await amqp.connect(url());
    const ch2 = await c2.createChannel();
    ch2.on("error", () => {});
    await expect(ch2.checkQueue("scratch")).rejects.toThrow(/404/);
    await c2.close().catch(() => {});
  });

  it("acked messages do not come back; delivered-but-unacked ones come back flagged redelivered", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await start();
    const c = await amqp.connect(url());
    const ch = await c.createChannel();
    await ch.assertQueue("work", { durable: true });
    await c.close();
    await publishConfirmed("work", ["a", "b", "c", "d"]);
    const conn = await amqp.connect(url());
    const cc = await conn.createChannel();
    const a = (await cc.get("work")) as amqp.GetMessage;
    const b = (await cc.get("work")) as amqp.GetMessage;
    expect([a.content.toString(), b.content.toString()]).toEqual(["a", "b"]);
    cc.ack(a);
    // a round trip makes sure the ack was processed before the broker stops
    await cc.checkQueue("work");
    await restart(); // b was delivered and never acked
    const got = await drain("work");
    expect(got.map((m) => [m.body, m.redelivered])).toEqual([
      ["b", true],
      ["c", false],
      ["d", false],
    ]);
    await restart(); // drained with no-ack: nothing comes back
    expect(await drain("work")).toEqual([]);
  });

  it("a purged or deleted durable queue's messages do not come back", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createChannel();
    await ch.assertQueue("p", { durable: true });
    await ch.assertQueue("d", { durable: true });
    await conn.close();
    await publishConfirmed("p", ["1", "2"]);
    await publishConfirmed("d", ["1", "2"]);
    const c2 = await amqp.connect(url());
    const ch2 = await c2.createChannel();
    await ch2.purgeQueue("p");
    await ch2.deleteQueue("d");
    await ch2.assertQueue("d", { durable: true });
    await c2.close();
    await restart();
    expect(await drain("p")).toEqual([]);
    expect(await drain("d")).toEqual([]);
  });

  it("definitions survive: users, vhosts, permissions, durable exchanges, queues and bindings", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const b = await start();
    b.core.addVhost("shop");
    b.core.users.add("alice", "s3cret", ["monitoring"]);
    b.core.users.setPermission("alice", "shop", { configure: "^a", write: ".*", read: ".*" });
    const shop = b.core.vhost("shop");
    if (!("declareExchange" in shop)) throw shop;
    shop.declareExchange("events", { type: "topic", durable: true });
    shop.declareExchange("tmp-x", { type: "fanout", durable: false });
    shop.declareQueue("audit", { durable: true, args: { "x-max-length": 10 } }, null);
    shop.declareQueue("tmp-q", { durable: false }, null);
    shop.bindQueue("audit", "events", "order.#", {}, null);
    shop.bindQueue("tmp-q", "events", "x", {}, null);
    await restart();
    const conn = await amqp.connect(`amqp://alice:s3cret@127.0.0.1:${broker!.ports.amqp}/shop`);
    const ch = await conn.createConfirmChannel();
    ch.on("error", () => {});
    ch.publish("events", "order.created", Buffer.from("hi"), { persistent: true });
    await ch.waitForConfirms();
    const m = await ch.get("audit");
    expect(m && m.content.toString()).toBe("hi");
    await expect(ch.checkExchange("tmp-x")).rejects.toThrow(/404/);
    await conn.close().catch(() => {});
    const defs = JSON.parse(readFileSync(join(dir, "definitions.json"), "utf8"));
    expect(defs.users.find((u: { name: string }) => u.name === "alice")).toMatchObject({
      hashing_algorithm: "rabbit_password_hashing_sha256",
      tags: ["monitoring"],
    });
    expect(defs.queues).toContainEqual({
      name: "audit",
      vhost: "shop",
      durable: true,
      auto_delete: false,
      arguments: { "x-max-length": 10 },
    });
    expect(defs.bindings).toContainEqual({
      source: "events",
      vhost: "shop",
      destination: "audit",
      destination_type: "queue",
      routing_key: "order.#",
      arguments: {},
    });
    expect(defs.queues.map((q: { name: string }) => q.name)).not.toContain("tmp-q");
  });

  it("a confirm for a persistent message in a durable queue comes only after the group commit", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const b = await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("c", { durable: true });
    const before = b.persistence.commit.stats.commits;
    const confirmed: number[] = [];
    for (let i = 0; i < 100; i++) ch.sendToQueue("c", Buffer.from(`${i}`), { persistent: true }, () => confirmed.push(i));
    await ch.waitForConfirms();
    expect(confirmed).toHaveLength(100);
    const commits = b.persistence.commit.stats.commits - before;
    // far fewer fsync rounds than messages: one per event-loop turn's batch
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(50);
    await conn.close();
  });
});

describe("message TTL across a restart", () => {
  it("a restored message keeps its expiry: one due while the broker was down goes at start, a later one when due", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("ttl-dead", { durable: true });
    await ch.assertQueue("ttl", { durable: true, arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "ttl-dead" } });
    const publishedAt = Date.now();
    ch.sendToQueue("ttl", Buffer.from("short"), { persistent: true, expiration: "300" });
    ch.sendToQueue("ttl", Buffer.from("long"), { persistent: true, expiration: "4000" });
    await ch.waitForConfirms();
    await conn.close();
    await broker!.close();
    // the short one's TTL runs out while the broker is down
    while (Date.now() < publishedAt + 400) await new Promise((r) => setTimeout(r, 400 - (Date.now() - publishedAt)));
    await start();
    const c2 = await amqp.connect(url());
    const ch2 = await c2.createChannel();
    const dead: { body: string; reason: unknown }[] = [];
    await ch2.consume(
      "ttl-dead",
      (m) => {
        if (m) dead.push({ body: m.content.toString(), reason: (m.properties.headers?.["x-death"] as { reason: string }[])[0]!.reason });
      },
      { noAck: true },
    );
    const until = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (dead.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    await until(1);
    expect(dead).toEqual([{ body: "short", reason: "expired" }]);
    if (Date.now() < publishedAt + 4000) expect((await ch2.checkQueue("ttl")).messageCount).toBe(1);
    await until(2);
    expect(dead).toEqual([
      { body: "short", reason: "expired" },
      { body: "long", reason: "expired" },
    ]);
    expect(Date.now()).toBeGreaterThanOrEqual(publishedAt + 4000);
    await c2.close();
  });
});

describe("confirms mean disk", () => {
  it("a persistent message's confirm waits for its fsync while a transient one's does not", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const b = await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createConfirmChannel();
    const other = await conn.createConfirmChannel();
    await ch.assertQueue("c", { durable: true });
    // hold the disk: a commit in flight that finishes only when the test says so
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    b.persistence.commit.markDirty({ flush: () => gate });
    await other.checkQueue("c"); // a round trip: the gated commit has started
    let persistentConfirmed = false;
    ch.sendToQueue("c", Buffer.from("p"), { persistent: true }, () => (persistentConfirmed = true));
    // another publisher's transient message is confirmed meanwhile: nothing to wait for
    await new Promise<void>((r) => other.sendToQueue("c", Buffer.from("t"), { persistent: false }, () => r()));
    for (let i = 0; i < 5; i++) await other.checkQueue("c");
    expect(persistentConfirmed).toBe(false);
    release();
    await ch.waitForConfirms();
    expect(persistentConfirmed).toBe(true);
    await conn.close();
  });
});

describe("transactions", () => {
  it("tx.commit-ok for persistent messages comes after their fsync, and they survive a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const b = await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createChannel();
    await ch.assertQueue("txq", { durable: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    b.persistence.commit.markDirty({ flush: () => gate });
    // amqplib has no promise for tx.select/commit on a plain channel: use the raw RPC
    const rpc = (ch as unknown as { rpc: (m: number, f: object, e: number) => Promise<unknown> }).rpc.bind(ch);
    await rpc((90 << 16) | 10, {}, (90 << 16) | 11); // tx.select
    ch.sendToQueue("txq", Buffer.from("in-tx"), { persistent: true });
    let committed = false;
    const commit = rpc((90 << 16) | 20, {}, (90 << 16) | 21).then(() => (committed = true)); // tx.commit
    const other = await conn.createChannel();
    for (let i = 0; i < 5; i++) await other.checkQueue("txq");
    expect(committed).toBe(false);
    release();
    await commit;
    await conn.close();
    await restart();
    expect((await drain("txq")).map((m) => m.body)).toEqual(["in-tx"]);
  });
});

describe("the data dir", () => {
  it("is created when missing", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const nested = join(dir, "a", "b");
    broker = await startBroker({ amqp: false, dataDir: nested, logLevel: "silent" });
    expect(existsSync(join(nested, "definitions.json"))).toBe(true);
  });

  it("that is a file gives a startup error naming the path", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    await expect(startBroker({ amqp: false, dataDir: file, logLevel: "silent" })).rejects.toThrow(`data dir ${file} is not a directory`);
  });

  it("in use by a running broker gives a startup error naming the path", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await start();
    await expect(startBroker({ amqp: false, dataDir: dir, logLevel: "silent" })).rejects.toThrow(
      `data dir ${dir} is in use by another Warren (pid ${process.pid}`,
    );
  });

  it("written by an incompatible store version gives a clear error naming the path and versions", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    writeFileSync(join(dir, "warren-store.json"), JSON.stringify({ storeVersion: 7 }));
    await expect(startBroker({ amqp: false, dataDir: dir, logLevel: "silent" })).rejects.toThrow(
      `${dir} was written by Warren store version 7; this Warren reads store version 1`,
    );
  });

  it("that is read-only gives a startup error naming the path", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    // sysfs refuses new files even to root, unlike a chmod-ed directory
    await expect(startBroker({ amqp: false, dataDir: "/sys/kernel", logLevel: "silent" })).rejects.toThrow(
      "data dir /sys/kernel is not writable",
    );
  });

  it("whose parent cannot be created gives a startup error naming the path", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    await expect(startBroker({ amqp: false, dataDir: "/sys/kernel/warren/data", logLevel: "silent" })).rejects.toThrow(
      "data dir /sys/kernel/warren/data cannot be created",
    );
  });

  it("that fills up (ENOSPC on a commit) nacks the confirms of that commit instead of confirming", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-dur-"));
    const b = await start();
    const conn = await amqp.connect(url());
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("full", { durable: true });
    // every commit fails, as a full disk makes it fail, until the disk has room again
    let full = true;
    const disk = {
      flush: () => {
        if (!full) return Promise.resolve();
        b.persistence.commit.markDirty(disk);
        return Promise.reject(
          Object.assign(new Error(`${dir}/queues/x/0000000001.seg: ENOSPC: no space left on device, write`), { code: "ENOSPC" }),
        );
      },
    };
    b.persistence.commit.markDirty(disk);
    const outcome = await new Promise<string>((resolve) =>
      ch.sendToQueue("full", Buffer.from("m"), { persistent: true }, (err) => resolve(err ? "nack" : "ack")),
    );
    expect(outcome).toBe("nack");
    full = false;
    // the next commit works again: confirms resume
    await new Promise<void>((resolve, reject) =>
      ch.sendToQueue("full", Buffer.from("n"), { persistent: true }, (err) => (err ? reject(new Error("nacked")) : resolve())),
    );
    await conn.close();
  });
});

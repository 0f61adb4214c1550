// STOMP receipts for SENDs of persistent messages to durable queues mean "on disk", as RabbitMQ's
// (they ride on publisher confirms there): they wait for the group commit, in order.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type RunningBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

let dir: string;
let broker: RunningBroker | null = null;
const clients: RawStomp[] = [];
/** A failed test must not leave the disk held, or closing the broker would wait for it. */
let releaseHeld: (() => void) | null = null;
afterEach(async () => {
  releaseHeld?.();
  releaseHeld = null;
  for (const c of clients.splice(0)) c.close();
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningBroker> {
  broker = await startBroker({
    amqp: false,
    stomp: { port: 0 },
    webStomp: false,
    mqtt: false,
    webMqtt: false,
    dataDir: dir,
    logLevel: "silent",
  });
  return broker;
}

async function client(): Promise<RawStomp> {
  const { c, connected } = await RawStomp.connected(broker!.ports.stomp!);
  expect(connected.command).toBe("CONNECTED");
  clients.push(c);
  return c;
}

/** Holds the disk: a commit in flight that finishes only when the test says so. */
function holdCommit(b: RunningBroker): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  b.persistence.commit.markDirty({ flush: () => gate });
  releaseHeld = release;
  return release;
}

/** A round trip on c: the broker has handled everything c sent before. */
async function roundTrip(c: RawStomp, id: string): Promise<void> {
  c.send("SUBSCRIBE", { destination: `/queue/probe-${id}`, id: `probe-${id}`, receipt: `probe-${id}` });
  const f = await c.next();
  // the next frame is the probe's receipt: nothing held back went out before it
  expect(f.command).toBe("RECEIPT");
  expect(f.headers["receipt-id"]).toBe(`probe-${id}`);
}

describe("STOMP receipts and the disk", () => {
  it("a persistent SEND's receipt waits for its fsync; a transient SEND's does not", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stomp-dur-"));
    const b = await start();
    const c = await client();
    const other = await client();
    await roundTrip(c, "declare");
    const release = holdCommit(b);
    await roundTrip(other, "started"); // the gated commit has begun
    c.send("SEND", { destination: "/queue/orders", persistent: "true", receipt: "p1" }, "safe");
    other.send("SEND", { destination: "/queue/orders", receipt: "t1" }, "transient");
    expect((await other.next()).headers["receipt-id"]).toBe("t1");
    for (let i = 0; i < 3; i++) await roundTrip(c, `held-${i}`);
    release();
    const f = await c.next();
    expect(f.command).toBe("RECEIPT");
    expect(f.headers["receipt-id"]).toBe("p1");
  });

  it("receipts keep their order: a transient SEND's receipt waits behind a persistent one's, DISCONNECT's behind both", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stomp-dur-"));
    const b = await start();
    const c = await client();
    await roundTrip(c, "declare");
    const release = holdCommit(b);
    await roundTrip(c, "started");
    c.send("SEND", { destination: "/queue/orders", persistent: "true", receipt: "p1" }, "one");
    c.send("SEND", { destination: "/queue/orders", persistent: "true", receipt: "p2" }, "two");
    c.send("SEND", { destination: "/queue/orders", receipt: "t3" }, "three");
    await roundTrip(c, "held");
    c.send("DISCONNECT", { receipt: "bye" });
    release();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await c.next()).headers["receipt-id"]!);
    expect(ids).toEqual(["p1", "p2", "t3", "bye"]);
    await c.waitClosed();
  });

  it("a COMMIT's receipt covering persistent SENDs waits for the disk, and the messages survive a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stomp-dur-"));
    const b = await start();
    const c = await client();
    await roundTrip(c, "declare");
    const release = holdCommit(b);
    await roundTrip(c, "started");
    c.send("BEGIN", { transaction: "t" });
    c.send("SEND", { destination: "/queue/txq", persistent: "true", transaction: "t" }, "in-tx");
    c.send("COMMIT", { transaction: "t", receipt: "committed" });
    await roundTrip(c, "held");
    release();
    expect((await c.next()).headers["receipt-id"]).toBe("committed");
    c.close();
    await broker!.close();
    const b2 = await start();
    expect(b2.ports.stomp).toBeTruthy();
    const d = await client();
    d.send("SUBSCRIBE", { destination: "/queue/txq", id: "s" });
    expect((await d.next()).body.toString()).toBe("in-tx");
  });

  it("durable topic subscriptions, RabbitMQ's and ActiveMQ's, keep their persistent messages across a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stomp-dur-"));
    await start();
    const rabbit = { destination: "/topic/news.eu", id: "news", persistent: "true", "auto-delete": "false", receipt: "r1" };
    const amq = { destination: "/topic/news.>", id: "feed", "activemq.subscriptionName": "feed", receipt: "r2" };
    const a = await client();
    a.send("SUBSCRIBE", rabbit);
    expect((await a.next()).headers["receipt-id"]).toBe("r1");
    a.close();
    const { c: b } = await RawStomp.connected(broker!.ports.stomp!, { "client-id": "app1" });
    clients.push(b);
    b.send("SUBSCRIBE", amq);
    expect((await b.next()).headers["receipt-id"]).toBe("r2");
    b.close();
    const p = await client();
    p.send("SEND", { destination: "/topic/news.eu", persistent: "true", receipt: "p" }, "kept");
    expect((await p.next()).headers["receipt-id"]).toBe("p");
    p.close();
    await broker!.close();
    await start();
    const a2 = await client();
    a2.send("SUBSCRIBE", rabbit);
    expect((await a2.take((f) => f.command === "MESSAGE")).body.toString()).toBe("kept");
    const { c: b2 } = await RawStomp.connected(broker!.ports.stomp!, { "client-id": "app1" });
    clients.push(b2);
    b2.send("SUBSCRIBE", amq);
    expect((await b2.take((f) => f.command === "MESSAGE")).body.toString()).toBe("kept");
  });

  it("without a data directory receipts go out at once", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-stomp-dur-"));
    broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, mqtt: false, webMqtt: false, logLevel: "silent" });
    const c = await client();
    c.send("SEND", { destination: "/queue/mem", persistent: "true", receipt: "r" }, "x");
    expect((await c.next()).headers["receipt-id"]).toBe("r");
  });
});

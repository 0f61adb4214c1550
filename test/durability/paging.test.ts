import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
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

async function drainInOrder(n: number, noAck = false): Promise<void> {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
  const ch = await conn.createChannel();
  await ch.prefetch(200);
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    void ch.consume("deep", (m) => {
      if (!m!.content.equals(body(next))) reject(new Error(`message ${next} came back wrong`));
      next++;
      if (!noAck) ch.ack(m!);
      if (next === n) resolve();
    }, { noAck });
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
});

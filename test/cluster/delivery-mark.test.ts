/**
 * "A message seen twice carries the redelivered flag" across a failover (docs/clustering.md,
 * "Delivery marks"): a delivery may leave the leader only once every node that could lead next
 * holds the queue's delivery mark. The follower's link is slowed by a proxy, so the mark's bytes
 * are still on their way when the consumer would otherwise get the message; at that moment the
 * follower's data dir (what a new leader would open after kill -9 of this one) is copied and
 * opened as a store: the message must come back flagged.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { basename } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { ReplicationFollower } from "../../src/cluster/follower.js";
import { ReplicationLeader } from "../../src/cluster/leader.js";
import { LOCK_FILE } from "../../src/store/lock.js";
import { eventually } from "./etcd.js";

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function tmp(name: string): string {
  const d = mkdtempSync(`/tmp/cluster-${name}-`);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * A TCP proxy to `port` that holds every leader → follower chunk for `delayMs` before passing it
 * on (the follower's answers pass at once): a slow link, in order.
 */
async function slowLink(port: number, delayMs: number): Promise<number> {
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, "127.0.0.1");
    inbound.on("data", (chunk: Buffer) => {
      setTimeout(() => {
        if (!outbound.destroyed) outbound.write(chunk);
      }, delayMs);
    });
    outbound.on("data", (chunk: Buffer) => {
      if (!inbound.destroyed) inbound.write(chunk);
    });
    const close = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("error", close).on("close", close);
    outbound.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

async function start(dataDir: string, replication?: ReplicationLeader): Promise<RunningBroker> {
  const b = await startBroker({ amqp: { port: 0 }, dataDir, logLevel: "silent" }, replication && { replication });
  cleanup.push(() => b.close());
  return b;
}

const url = (b: RunningBroker) => `amqp://guest:guest@127.0.0.1:${b.ports.amqp}`;

/** The follower's files as they are now, as a new leader would find them after kill -9 of this one. */
function snapshot(dir: string): string {
  const copy = tmp("snapshot");
  cpSync(dir, copy, { recursive: true, filter: (src) => basename(src) !== LOCK_FILE });
  return copy;
}

describe("delivery marks in a cluster", () => {
  it("a delivery leaves the leader only once the follower holds its mark: a copy of the follower taken as it arrives brings it back flagged", async () => {
    const ldir = tmp("leader");
    const fdir = tmp("follower");
    const f = await ReplicationFollower.listen({ dataDir: fdir, nodeName: "n2", clusterId: "c1", port: 0, host: "127.0.0.1", log: quiet });
    cleanup.push(() => f.close());
    const viaProxy = await slowLink(f.port, 300);
    const leader = new ReplicationLeader({
      dataDir: ldir,
      clusterId: "c1",
      nodeName: "n1",
      epoch: 7,
      clusterSize: 2,
      log: quiet,
      retryMs: 50,
      followers: [{ name: "n2", host: "127.0.0.1", port: viaProxy }],
      inSync: { write: async () => {} },
    });
    const b = await start(ldir, leader);
    await eventually(() => leader.status().followers[0]!.state === "live", "the follower streaming");

    const conn = await amqp.connect(url(b));
    cleanup.push(() => conn.close().catch(() => {}));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("jobs", { durable: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue("jobs", Buffer.from(`job-${i}`), { persistent: true });
    await ch.waitForConfirms();

    // the consumer takes all three and acks none; the follower is copied as each one arrives
    const consumer = await conn.createChannel();
    const seen: { body: string; redelivered: boolean; copy: string }[] = [];
    await consumer.consume("jobs", (m) => {
      if (m === null) return;
      seen.push({ body: m.content.toString(), redelivered: m.fields.redelivered, copy: snapshot(fdir) });
    });
    await eventually(() => seen.length === 3, "the three deliveries", 15_000);
    expect(seen.map((s) => s.redelivered)).toEqual([false, false, false]);

    // each copy, opened as the new leader would open it, brings the delivered message back flagged
    for (const s of seen) {
      const replica = await start(s.copy);
      const c = await amqp.connect(url(replica));
      const rch = await c.createChannel();
      const back: string[] = [];
      for (;;) {
        const m = await rch.get("jobs", { noAck: true });
        if (m === false) break;
        back.push(`${m.content.toString()}${m.fields.redelivered ? " (redelivered)" : ""}`);
      }
      await c.close();
      await replica.close();
      expect(back).toContain(`${s.body} (redelivered)`);
    }
  }, 60_000);
});

import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { ReplicationFollower } from "../../src/cluster/follower.js";
import { ReplicationLeader } from "../../src/cluster/leader.js";
import { eventually } from "./etcd.js";
import { clusterPort } from "./ports.js";

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

/** Whether any segment file under the data dir holds `text` (the leader's own write is done). */
function onLeaderDisk(dataDir: string, text: string): boolean {
  const root = join(dataDir, "queues");
  for (const q of readdirSync(root)) {
    for (const f of readdirSync(join(root, q))) {
      if (f.endsWith(".seg") && readFileSync(join(root, q, f)).includes(text)) return true;
    }
  }
  return false;
}

describe("confirms wait for a majority", () => {
  it("in a cluster of three with both followers down a confirm waits, and arrives once one follower has caught up", async () => {
    const ldir = tmp("leader");
    const [p2, p3] = [clusterPort(10), clusterPort(11)];
    const leader = new ReplicationLeader({
      dataDir: ldir,
      clusterId: "c1",
      nodeName: "n1",
      epoch: 3,
      clusterSize: 3,
      log: quiet,
      retryMs: 50,
      followers: [
        { name: "n2", host: "127.0.0.1", port: p2 },
        { name: "n3", host: "127.0.0.1", port: p3 },
      ],
      inSync: { write: async () => {} },
    });
    const b: RunningBroker = await startBroker({ amqp: { port: 0 }, dataDir: ldir, logLevel: "silent" }, { replication: leader });
    cleanup.push(() => b.close());
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.ports.amqp}`);
    cleanup.push(() => conn.close().catch(() => {}));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("orders", { durable: true });
    let confirmed: Error | null | undefined;
    ch.sendToQueue("orders", Buffer.from("order-1-payload"), { persistent: true }, (err) => {
      confirmed = err;
    });
    // the leader's own write is done, and the broker has answered a round trip since: a single
    // node would have confirmed by now
    await eventually(() => onLeaderDisk(ldir, "order-1-payload"), "the message in the leader's segment");
    await ch.checkQueue("orders");
    await ch.checkQueue("orders");
    expect(confirmed).toBeUndefined();
    expect(leader.status().followers.map((f) => f.state)).not.toContain("live");

    // one follower comes up: the leader dials it, copies the store, and the batch has a majority
    const fdir = tmp("follower");
    const f = await ReplicationFollower.listen({ dataDir: fdir, nodeName: "n2", clusterId: "c1", port: p2, host: "127.0.0.1", log: quiet });
    cleanup.push(() => f.close());
    await eventually(() => confirmed !== undefined, "the confirm", 15_000);
    expect(confirmed).toBeNull();
    expect(leader.status().inSync).toEqual(["n1", "n2"]);
    // and later publishes are confirmed in the ordinary way, acknowledged by n2
    ch.sendToQueue("orders", Buffer.from("order-2"), { persistent: true });
    await ch.waitForConfirms();
    expect(f.stats.ackedBatch).toBeGreaterThan(0);
  });

  it("a follower in the in-sync set that goes away holds confirms until the set no longer lists it", async () => {
    const ldir = tmp("leader");
    const fdir2 = tmp("follower2");
    const fdir3 = tmp("follower3");
    const [p2, p3] = [clusterPort(12), clusterPort(13)];
    let release: () => void = () => {};
    let gate: Promise<void> | null = null;
    const writes: string[][] = [];
    const leader = new ReplicationLeader({
      dataDir: ldir,
      clusterId: "c1",
      nodeName: "n1",
      epoch: 3,
      clusterSize: 3,
      log: quiet,
      retryMs: 50,
      followers: [
        { name: "n2", host: "127.0.0.1", port: p2 },
        { name: "n3", host: "127.0.0.1", port: p3 },
      ],
      // etcd as the leader sees it: writes can be held to show that confirms wait for them
      inSync: {
        write: async (nodes) => {
          if (gate !== null) await gate;
          writes.push([...nodes]);
        },
      },
    });
    const f2 = await ReplicationFollower.listen({
      dataDir: fdir2,
      nodeName: "n2",
      clusterId: "c1",
      port: p2,
      host: "127.0.0.1",
      log: quiet,
    });
    const f3 = await ReplicationFollower.listen({
      dataDir: fdir3,
      nodeName: "n3",
      clusterId: "c1",
      port: p3,
      host: "127.0.0.1",
      log: quiet,
    });
    cleanup.push(
      () => f2.close(),
      () => f3.close(),
    );
    const b = await startBroker({ amqp: { port: 0 }, dataDir: ldir, logLevel: "silent" }, { replication: leader });
    cleanup.push(() => b.close());
    await eventually(() => leader.status().inSync.length === 3, "both followers in sync");
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.ports.amqp}`);
    cleanup.push(() => conn.close().catch(() => {}));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("orders", { durable: true });
    await ch.waitForConfirms();

    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await f3.close(); // n3 goes; n2 alone is a majority with the leader, but n3 is still listed in sync
    await eventually(() => leader.status().followers[1]!.state !== "live", "the leader noticing n3 gone");
    let confirmed: Error | null | undefined;
    ch.sendToQueue("orders", Buffer.from("after-n3-went"), { persistent: true }, (err) => {
      confirmed = err;
    });
    await eventually(
      () => f2.stats.ackedBatch >= leader.status().sealed && onLeaderDisk(ldir, "after-n3-went"),
      "n2 acknowledging the batch",
    );
    await ch.checkQueue("orders");
    expect(confirmed).toBeUndefined();
    release();
    await eventually(() => confirmed !== undefined, "the confirm once etcd no longer lists n3");
    expect(confirmed).toBeNull();
    expect(writes.at(-1)).toEqual(["n1", "n2"]);
  });
});

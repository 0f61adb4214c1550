/**
 * Delta catch-up (docs/clustering.md, "Catch-up"): a follower that reconnects says what it holds
 * and the leader copies only what differs; a follower's file that diverged from the leader's is
 * repaired from the first chunk that differs; the writes queued for a follower during its copy
 * are bounded. Leader and followers run in this process (ReplicationLeader / ReplicationFollower
 * over loopback), each with its own data dir.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { ReplicationFollower } from "../../src/cluster/follower.js";
import { ReplicationLeader } from "../../src/cluster/leader.js";
import { isStorePath } from "../../src/cluster/protocol.js";
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

async function followerOn(dataDir: string, name: string, port: number): Promise<ReplicationFollower> {
  const f = await ReplicationFollower.listen({ dataDir, nodeName: name, clusterId: "c1", port, host: "127.0.0.1", log: quiet });
  cleanup.push(() => f.close());
  return f;
}

async function start(dataDir: string, replication?: ReplicationLeader): Promise<RunningBroker> {
  const b = await startBroker({ amqp: { port: 0 }, dataDir, logLevel: "silent" }, replication && { replication });
  cleanup.push(() => b.close());
  return b;
}

const url = (b: RunningBroker) => `amqp://guest:guest@127.0.0.1:${b.ports.amqp}`;

/** The store's files (relative path → sha256), as a follower must hold them. */
function storeTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const r = `${rel}${n}`;
      if (statSync(p).isDirectory()) walk(p, `${r}/`);
      else if (isStorePath(r)) out[r] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir, "");
  return out;
}

function storeBytes(dir: string): number {
  let n = 0;
  for (const r of Object.keys(storeTree(dir))) n += statSync(join(dir, r)).size;
  return n;
}

/** Publishes `count` persistent 1 KiB messages to each queue, with confirms. */
async function publish(b: RunningBroker, queues: string[], count: number, tag: string): Promise<void> {
  const conn = await amqp.connect(url(b));
  const ch = await conn.createConfirmChannel();
  for (const q of queues) await ch.assertQueue(q, { durable: true });
  const body = Buffer.alloc(1024, tag);
  for (let i = 0; i < count; i++) {
    for (const q of queues) ch.sendToQueue(q, Buffer.concat([Buffer.from(`${tag}-${i}:`), body]), { persistent: true });
    if (i % 500 === 499) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** Each queue's message count and first/last bodies' tags, read by a single-node broker. */
async function summary(b: RunningBroker, queues: string[]): Promise<Record<string, string[]>> {
  const conn = await amqp.connect(url(b));
  const ch = await conn.createChannel();
  const out: Record<string, string[]> = {};
  for (const q of queues) {
    const tags: string[] = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      tags.push(m.content.toString("latin1", 0, m.content.indexOf(":")));
    }
    out[q] = tags;
  }
  await conn.close();
  return out;
}

interface Cluster {
  ldir: string;
  fdir: string;
  b: RunningBroker;
  leader: ReplicationLeader;
  n2: () => ReplicationFollower;
  restartN2: () => Promise<ReplicationFollower>;
  stopN2: () => Promise<void>;
  synced: () => Promise<void>;
}

/** A leader, n2 (restartable on its data dir and port) and n3 (so confirms need no n2). */
async function cluster(port: number, maxCopyQueueBytes?: number): Promise<Cluster> {
  const ldir = tmp("leader");
  const fdir = tmp("n2");
  const n3 = await followerOn(tmp("n3"), "n3", 0);
  let n2 = await followerOn(fdir, "n2", port);
  const leader = new ReplicationLeader({
    dataDir: ldir,
    clusterId: "c1",
    nodeName: "n1",
    epoch: 7,
    clusterSize: 3,
    log: quiet,
    retryMs: 50,
    followers: [
      { name: "n2", host: "127.0.0.1", port },
      { name: "n3", host: "127.0.0.1", port: n3.port },
    ],
    inSync: { write: async () => {} },
    ...(maxCopyQueueBytes !== undefined && { maxCopyQueueBytes }),
  });
  const b = await start(ldir, leader);
  const n2status = () => leader.status().followers.find((f) => f.name === "n2")!;
  const synced = async (): Promise<void> => {
    await b.persistence.commit.drain();
    const sealed = leader.status().sealed;
    await eventually(() => n2status().state === "live" && n2.stats.ackedBatch >= sealed, "n2 acknowledging every batch", 30_000);
  };
  return {
    ldir,
    fdir,
    b,
    leader,
    n2: () => n2,
    stopN2: async () => {
      await n2.close();
      await eventually(() => n2status().state !== "live", "the leader noticing n2 gone");
    },
    restartN2: async () => {
      n2 = await followerOn(fdir, "n2", port);
      return n2;
    },
    synced,
  };
}

const catchUp = (c: Cluster) => c.leader.status().followers.find((f) => f.name === "n2")!.catchUp;

describe("delta catch-up", () => {
  it("a follower that restarts after more writes is sent only the bytes it lacks", async () => {
    const c = await cluster(clusterPort(60));
    await eventually(() => catchUp(c).copies === 1 && c.n2().stats.ackedBatch > 0, "n2 streaming");
    await publish(c.b, ["q1", "q2"], 3000, "a");
    await c.synced();
    await c.stopN2();
    const before = storeBytes(c.ldir);
    expect(before).toBeGreaterThan(6_000_000);
    // more messages: the open segments grow, new segments start, and q1's head is acked away
    await publish(c.b, ["q1", "q2"], 1500, "b");
    const conn = await amqp.connect(url(c.b));
    const ch = await conn.createChannel();
    for (let i = 0; i < 100; i++) expect(await ch.get("q1", { noAck: true })).not.toBe(false);
    await conn.close();
    await c.b.persistence.commit.drain();
    const grown = storeBytes(c.ldir) - before;
    const n2 = await c.restartN2();
    await c.synced();
    const stats = catchUp(c);
    expect(stats.copies).toBe(2);
    expect(stats.lastDiverged).toBe(0);
    // only the new bytes travelled: not the 6 MB it already had
    expect(stats.lastCopyBytes).toBeLessThanOrEqual(grown);
    expect(stats.lastCopyBytes).toBeGreaterThan(grown / 2);
    expect(n2.stats.bytesWritten).toBeLessThan(grown * 1.5);
    expect(storeTree(c.fdir)).toEqual(storeTree(c.ldir));
    await n2.close();
    const replica = await start(c.fdir);
    const got = await summary(replica, ["q1", "q2"]);
    expect(got["q1"]!.length).toBe(4400);
    expect(got["q2"]!.length).toBe(4500);
    expect(got["q1"]![0]).toBe("a-100");
    expect(got["q2"]!.at(-1)).toBe("b-1499");
  }, 90_000);

  it("a follower's files that diverged from the leader's are repaired; its data dir opens with every confirmed message", async () => {
    const c = await cluster(clusterPort(61));
    await eventually(() => catchUp(c).copies === 1 && c.n2().stats.ackedBatch > 0, "n2 streaming");
    await publish(c.b, ["q1", "q2"], 2500, "a");
    await c.synced();
    await c.stopN2();
    await publish(c.b, ["q1"], 200, "b");
    await c.b.persistence.commit.drain();
    // what an old leader could have left here, never confirmed, and an OS crash's hole:
    const dirs = readdirSync(join(c.fdir, "queues")).map((d) => join(c.fdir, "queues", d));
    const segFiles = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((n) => n.endsWith(".seg"))
        .map((n) => join(d, n)),
    );
    expect(segFiles.length).toBe(2);
    const [s1, s2] = segFiles as [string, string];
    // (1) a tail written by another term: same offsets, other bytes, and more of them
    const size1 = statSync(s1).size;
    let fd = openSync(s1, "r+");
    writeSync(fd, Buffer.alloc(3000, "x"), 0, 3000, size1 - 1000);
    closeSync(fd);
    // (2) a zeroed page in the middle of a file whose tail still matches
    fd = openSync(s2, "r+");
    writeSync(fd, Buffer.alloc(4096, 0), 0, 4096, 1_200_000);
    closeSync(fd);
    // (3) a segment and a queue directory the leader never had, a leftover clean-shutdown marker
    const dir1 = join(s1, "..");
    writeFileSync(join(dir1, "0000009999.seg"), Buffer.alloc(500, "z"));
    const stray = join(c.fdir, "queues", "f".repeat(32));
    mkdirSync(stray);
    writeFileSync(join(stray, "0000000000.seg"), Buffer.alloc(100, "z"));
    appendFileSync(join(c.fdir, "clean-shutdown"), "");
    const n2 = await c.restartN2();
    await c.synced();
    const stats = catchUp(c);
    expect(stats.lastDiverged).toBe(2);
    // s2's first chunk agrees: far less than the store travels
    expect(stats.lastCopyBytes).toBeLessThan(storeBytes(c.ldir) / 2);
    expect(storeTree(c.fdir)).toEqual(storeTree(c.ldir));
    expect(readdirSync(c.fdir)).not.toContain("clean-shutdown");
    await n2.close();
    const replica = await start(c.fdir);
    const got = await summary(replica, ["q1", "q2"]);
    expect(got["q1"]!.length).toBe(2700);
    expect(got["q2"]!.length).toBe(2500);
    expect(got["q1"]!.at(-1)).toBe("b-199");
  }, 90_000);
});

describe("the writes queued for a follower during its copy", () => {
  it("are bounded: past the bound its session is dropped, and it catches up later", async () => {
    // below one window of the publisher's writes: any window written during the copy passes it
    const bound = 16 * 1024;
    const c = await cluster(clusterPort(62), bound);
    await eventually(() => catchUp(c).copies === 1 && c.n2().stats.ackedBatch > 0, "n2 streaming");
    await c.stopN2();
    await publish(c.b, ["q1"], 12_000, "a");
    // n2 comes back to a 12 MB copy while a publisher keeps writing
    const conn = await amqp.connect(url(c.b));
    const ch = await conn.createConfirmChannel();
    const body = Buffer.alloc(1024, "c");
    let publishing = true;
    let sent = 0;
    const loop = (async () => {
      while (publishing) {
        for (let i = 0; i < 50; i++) ch.sendToQueue("q1", Buffer.concat([Buffer.from(`c-${sent++}:`), body]), { persistent: true });
        await ch.waitForConfirms();
      }
    })();
    await c.restartN2();
    await eventually(() => catchUp(c).overflows > 0, "a session dropped for its queue", 30_000);
    publishing = false;
    await loop;
    await conn.close();
    await c.synced();
    const stats = catchUp(c);
    // one commit batch's writes can pass the bound before it is checked, no more
    expect(stats.maxQueuedBytes).toBeLessThan(bound + 2 * 1024 * 1024);
    expect(stats.copies).toBeGreaterThanOrEqual(3);
    expect(storeTree(c.fdir)).toEqual(storeTree(c.ldir));
    await c.n2().close();
    const replica = await start(c.fdir);
    const got = await summary(replica, ["q1"]);
    expect(got["q1"]!.length).toBe(12_000 + sent);
  }, 90_000);
});

import { afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import amqp from "amqplib";
import mqtt from "mqtt";
import { startBroker, type RunningBroker } from "warren";
import { ReplicationFollower } from "../../src/cluster/follower.js";
import { ReplicationLeader } from "../../src/cluster/leader.js";
import { encodeFrame, frames, FrameType, PROTOCOL_HEADER } from "../../src/cluster/protocol.js";
import { eventually } from "./etcd.js";
import { clusterPort } from "./ports.js";

type FollowerLog = { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };
const quiet: FollowerLog = { info: () => {}, warn: () => {}, error: () => {} };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function tmp(name: string): string {
  const d = mkdtempSync(`/tmp/cluster-${name}-`);
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function follower(
  dataDir: string,
  extra: { epoch?: number; clusterId?: string; log?: FollowerLog } = {},
): Promise<ReplicationFollower> {
  const f = await ReplicationFollower.listen({
    dataDir,
    nodeName: "n2",
    clusterId: extra.clusterId ?? "c1",
    port: 0,
    host: "127.0.0.1",
    log: extra.log ?? quiet,
    ...(extra.epoch !== undefined && { epoch: extra.epoch }),
  });
  cleanup.push(() => f.close());
  return f;
}

function leaderFor(dataDir: string, f: ReplicationFollower, clusterSize: number, inSync: string[][] = []): ReplicationLeader {
  return new ReplicationLeader({
    dataDir,
    clusterId: "c1",
    nodeName: "n1",
    epoch: 7,
    clusterSize,
    log: quiet,
    retryMs: 50,
    followers: [{ name: "n2", host: "127.0.0.1", port: f.port }],
    inSync: { write: async (nodes) => void inSync.push([...nodes]) },
  });
}

async function start(dataDir: string, replication?: ReplicationLeader): Promise<RunningBroker> {
  const b = await startBroker({ amqp: { port: 0 }, dataDir, logLevel: "silent" }, replication && { replication });
  cleanup.push(() => b.close());
  return b;
}

const url = (b: RunningBroker) => `amqp://guest:guest@127.0.0.1:${b.ports.amqp}`;

/** Every queue's messages, in order, with the redelivered flag (reading them acks them). */
async function contents(b: RunningBroker, queues: string[]): Promise<Record<string, string[]>> {
  const conn = await amqp.connect(url(b));
  const ch = await conn.createChannel();
  const out: Record<string, string[]> = {};
  for (const q of queues) {
    out[q] = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      out[q]!.push(`${m.content.toString()}${m.fields.redelivered ? " (redelivered)" : ""}`);
    }
  }
  await conn.close();
  return out;
}

function vhost(b: RunningBroker) {
  return b.core.listVhosts().find((v) => v.name === "/")!;
}

function durableQueues(b: RunningBroker): string[] {
  return [...vhost(b).queues.values()]
    .filter((q) => q.durable)
    .map((q) => q.name)
    .sort();
}

/** Publishes, acks, declares and deletes through AMQP: the writes a follower must end up with. */
async function workload(b: RunningBroker, tag: string): Promise<void> {
  const conn = await amqp.connect(url(b));
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange(`ex-${tag}`, "direct", { durable: true });
  for (const q of ["keep", `gone-${tag}`, `acked-${tag}`]) {
    await ch.assertQueue(q, { durable: true });
    await ch.bindQueue(q, `ex-${tag}`, q);
  }
  for (let i = 0; i < 200; i++) {
    ch.publish(`ex-${tag}`, "keep", Buffer.from(`${tag}-${i}`), { persistent: true });
    ch.publish(`ex-${tag}`, `gone-${tag}`, Buffer.from(`g-${i}`), { persistent: true });
    ch.publish(`ex-${tag}`, `acked-${tag}`, Buffer.from(`a-${i}`), { persistent: true });
  }
  await ch.waitForConfirms();
  // half of one queue acked, a few delivered and left unacked (they come back redelivered)
  const consumer = await conn.createChannel();
  await consumer.prefetch(110);
  let n = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.consume(`acked-${tag}`, (m) => {
      if (m === null) return;
      if (++n <= 100) consumer.ack(m);
      if (n === 110) resolve();
    });
  });
  await done;
  await ch.deleteQueue(`gone-${tag}`);
  // what the consumer was sent is settled in the store before the connection goes
  await b.persistence.commit.drain();
  await conn.close();
}

describe("replicating the store", () => {
  it("a follower's data dir, opened as a single-node store, holds exactly the leader's queues and messages", async () => {
    const ldir = tmp("leader");
    const fdir = tmp("follower");
    const f = await follower(fdir);
    const leader = leaderFor(ldir, f, 2);
    const b = await start(ldir, leader);
    await eventually(() => leader.status().followers[0]!.state === "live", "the follower streaming");
    await workload(b, "one");
    await workload(b, "two");
    await b.persistence.commit.drain();
    const sealed = leader.status().sealed;
    await eventually(() => f.stats.ackedBatch >= sealed, "the follower acknowledging every batch");
    expect(f.stats.refused).toBe(0);
    const queues = durableQueues(b);
    expect(queues).toEqual(["acked-one", "acked-two", "keep"]);

    await f.close();
    const replica = await start(fdir);
    expect(durableQueues(replica)).toEqual(queues);
    expect([...vhost(replica).exchanges.keys()]).toEqual(expect.arrayContaining(["ex-one", "ex-two"]));
    const onReplica = await contents(replica, queues);
    await b.close();
    const reopened = await start(ldir);
    const onLeader = await contents(reopened, queues);
    expect(onReplica).toEqual(onLeader);
    expect(onReplica["keep"]!.length).toBe(400);
    expect(onReplica["acked-one"]!.length).toBe(100);
    // each ack freed credit, so all 200 went out: the 100 not acked come back flagged, on the
    // replica (after a crash-style recovery) as on the leader (after a clean shutdown)
    expect(onReplica["acked-one"]!.filter((m) => m.endsWith("(redelivered)")).length).toBe(100);
  });

  it("a follower that joins late gets the whole store, then the writes made meanwhile", async () => {
    const ldir = tmp("leader");
    const fdir = tmp("follower");
    // n3 is there from the start, so confirms have their majority while n2 is away
    const n3 = await ReplicationFollower.listen({
      dataDir: tmp("follower3"),
      nodeName: "n3",
      clusterId: "c1",
      port: 0,
      host: "127.0.0.1",
      log: quiet,
    });
    cleanup.push(() => n3.close());
    const inSync: string[][] = [];
    const port = clusterPort(19); // known before n2 listens (a port from 0 could be taken meanwhile)
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
      inSync: { write: async (nodes) => void inSync.push([...nodes]) },
    });
    const b = await start(ldir, leader);
    await workload(b, "before");
    expect(leader.status().inSync).toEqual(["n1", "n3"]);
    const f = await ReplicationFollower.listen({ dataDir: fdir, nodeName: "n2", clusterId: "c1", port, host: "127.0.0.1", log: quiet });
    cleanup.push(() => f.close());
    await eventually(() => leader.status().inSync.includes("n2"), "n2 in sync", 15_000);
    expect(inSync.at(-1)).toEqual(["n1", "n3", "n2"]);
    await workload(b, "after");
    await b.persistence.commit.drain();
    const sealed = leader.status().sealed;
    await eventually(() => f.stats.ackedBatch >= sealed, "n2 acknowledging every batch");
    await f.close();
    const queues = durableQueues(b);
    const replica = await start(fdir);
    const onReplica = await contents(replica, queues);
    await b.close();
    const onLeader = await contents(await start(ldir), queues);
    expect(onReplica).toEqual(onLeader);
    expect(onReplica["keep"]!.length).toBe(400);
  });
});

describe("replicating MQTT state", () => {
  it("retained messages reach the follower: its data dir serves them as a single node", async () => {
    const ldir = tmp("leader");
    const fdir = tmp("follower");
    const f = await follower(fdir);
    const leader = leaderFor(ldir, f, 2);
    const b = await startBroker({ mqtt: { port: 0 }, dataDir: ldir, logLevel: "silent" }, { replication: leader });
    cleanup.push(() => b.close());
    await eventually(() => leader.status().followers[0]!.state === "live", "the follower streaming");
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.ports.mqtt}`, { clientId: "pub" });
    await pub.publishAsync("sensors/1", "21.5", { qos: 1, retain: true });
    await pub.endAsync();
    await eventually(() => {
      try {
        return readFileSync(join(fdir, "mqtt/state.json"), "utf8").includes("sensors");
      } catch {
        return false;
      }
    }, "the state file on the follower");
    await b.close();
    await f.close();
    const replica = await startBroker({ mqtt: { port: 0 }, dataDir: fdir, logLevel: "silent" });
    cleanup.push(() => replica.close());
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${replica.ports.mqtt}`, { clientId: "sub" });
    const got = new Promise<string>((resolve) => sub.on("message", (topic, payload) => resolve(`${topic}=${payload.toString()}`)));
    await sub.subscribeAsync("sensors/#", { qos: 1 });
    expect(await got).toBe("sensors/1=21.5");
    await sub.endAsync();
  });
});

describe("bad input on the replication port", () => {
  /** Sends `bytes` and resolves with the refusal's reason once the follower closes the connection. */
  async function refusal(port: number, bytes: Buffer[]): Promise<string> {
    const s = net.connect(port, "127.0.0.1");
    let got = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
    });
    await new Promise<void>((resolve) => s.on("connect", () => resolve()));
    for (const b of bytes) s.write(b);
    await new Promise<void>((resolve) => s.on("close", () => resolve()));
    // the last frame is REFUSE: reason is its string body
    const start = got.length - (got.readUInt16BE(got.length - 2) === 0 ? 2 : 0);
    void start;
    const idx = lastFrame(got);
    expect(got[idx + 8]).toBe(FrameType.Refuse);
    const n = got.readUInt16BE(idx + 17);
    return got.toString("utf8", idx + 19, idx + 19 + n);
  }

  function lastFrame(b: Buffer): number {
    let at = 0;
    let last = 0;
    while (at + 4 <= b.length) {
      last = at;
      at += 4 + b.readUInt32BE(at);
    }
    return last;
  }

  function tree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string): void => {
      for (const n of readdirSync(d).sort()) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
        else out[`${rel}${n}`] = createHash("sha256").update(readFileSync(p)).digest("hex");
      }
    };
    walk(dir, "");
    return out;
  }

  it("garbage, a stranger's cluster id, an old epoch and paths outside the store are refused, logged once each, and change nothing", async () => {
    const ldir = tmp("leader");
    const fdir = tmp("follower");
    const warnings: string[] = [];
    const f = await follower(fdir, { epoch: 5, log: { ...quiet, warn: (_o: object, msg: string) => void warnings.push(msg) } });
    const leader = leaderFor(ldir, f, 2);
    const b = await start(ldir, leader);
    await workload(b, "x");
    await b.persistence.commit.drain();
    const sealed = leader.status().sealed;
    await eventually(() => f.stats.ackedBatch >= sealed, "the follower acknowledging every batch");
    await b.close();
    const before = tree(fdir);
    expect(Object.keys(before).length).toBeGreaterThan(3);

    const hello = (epoch: number, cluster = "c1") => frames.hello(epoch, cluster, "intruder");
    expect(await refusal(f.port, [Buffer.from("GET / HTTP/1.1\r\n\r\n")])).toMatch(/bad header/);
    expect(
      await refusal(f.port, [
        PROTOCOL_HEADER,
        Buffer.from([0, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]),
      ]),
    ).toMatch(/checksum/);
    expect(await refusal(f.port, [PROTOCOL_HEADER, Buffer.from([0xff, 0xff, 0xff, 0xff])])).toMatch(/out of bounds/);
    expect(await refusal(f.port, [PROTOCOL_HEADER, ...hello(9, "someone-else")])).toMatch(
      /cluster id "someone-else" is not this cluster's/,
    );
    expect(await refusal(f.port, [PROTOCOL_HEADER, ...hello(3)])).toMatch(/epoch 3 is older than the current 7/);
    // a well-formed frame naming a file outside the store
    const evil = encodeFrame(FrameType.Write, 9, Buffer.concat([str("../../etc/evil"), Buffer.alloc(8)]), Buffer.from("x"));
    expect(await refusal(f.port, [PROTOCOL_HEADER, ...hello(9), ...evil])).toMatch(/not a store path/);
    // a frame of another epoch on an accepted connection
    const other = frames.remove(10, "definitions.json");
    expect(await refusal(f.port, [PROTOCOL_HEADER, ...hello(9), ...other])).toMatch(/frame epoch 10 differs/);
    // a write before any hello
    expect(await refusal(f.port, [PROTOCOL_HEADER, ...frames.reset(9)])).toMatch(/expected HELLO/);
    expect(f.stats.refused).toBe(8);
    expect(tree(fdir)).toEqual(before);
    // each refusal is logged once, with its reason
    const refusals = warnings.filter((w) => w.startsWith("replication connection from "));
    expect(refusals.length).toBe(8);
    for (const reason of [
      "bad header",
      "checksum",
      "out of bounds",
      "someone-else",
      "epoch 3 is older",
      "not a store path",
      "frame epoch 10",
      "expected HELLO",
    ]) {
      expect(refusals.filter((w) => w.includes(reason)).length).toBe(1);
    }

    // the follower is unharmed: the next legitimate leader (a newer term) replicates into it
    const next = new ReplicationLeader({
      dataDir: ldir,
      clusterId: "c1",
      nodeName: "n1",
      epoch: 11,
      clusterSize: 2,
      log: quiet,
      retryMs: 50,
      followers: [{ name: "n2", host: "127.0.0.1", port: f.port }],
      inSync: { write: async () => {} },
    });
    const b2 = await start(ldir, next);
    await eventually(() => next.status().followers[0]!.state === "live", "the follower streaming from the new term");
    const conn = await amqp.connect(url(b2));
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue("keep", Buffer.from("after-the-garbage"), { persistent: true });
    await ch.waitForConfirms();
    await conn.close();
    await b2.close();
    await f.close();
    // and the data dir still opens as a store with the leader's queues and the new message
    const replica = await start(fdir);
    expect(durableQueues(replica)).toEqual(["acked-x", "keep"]);
    expect((await contents(replica, ["keep"]))["keep"]).toContain("after-the-garbage");
  });
});

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const out = Buffer.alloc(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

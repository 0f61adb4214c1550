/**
 * Failover of a three-node cluster (the built CLI, dist/): kill -9 the leader while a publisher
 * with confirms runs; a client with a host list reconnects to the new leader, and every message
 * that was confirmed is there. Needs `npm run build` (npm test does it) and etcd (Debian's).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { Etcd3 } from "etcd3";
import { startClusterNode } from "../../src/cluster/node.js";
import { type EtcdProcess, eventually, startEtcd, inSync } from "./etcd.js";
import { clusterPort } from "./ports.js";
import { connectAny, freePort, spawnCliNode } from "./cli-node.js";

let etcd: EtcdProcess;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  etcd = await startEtcd(clusterPort(2), clusterPort(3));
}, 30_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface NodeProc {
  name: string;
  amqpPort: number;
  replicationPort: number;
  dir: string;
  child: ChildProcess;
  log: () => string;
}

/** Starts a node of the CLI; `dir` again restarts a node on its data dir. */
function startNode(name: string, amqpPort: number, replicationPort: number, conf: string, dir?: string): NodeProc {
  if (dir === undefined) {
    dir = mkdtempSync(`/tmp/cluster-${name}-`);
    dirs.push(dir);
  }
  const { child, log } = spawnCliNode({ name, etcdUrl: etcd.url, conf, dir, replicationPort, ports: { amqp: amqpPort } });
  children.push(child);
  return { name, amqpPort, replicationPort, dir, child, log };
}

/** A fresh three-node cluster's processes (n1 started first, so it leads), with the lease TTL given. */
async function threeNodes(leaseTtl: number) {
  const client = new Etcd3({ hosts: etcd.url });
  await client.delete().prefix("/warren/");
  const conf = join(mkdtempSync("/tmp/cluster-conf-"), "warren.conf");
  dirs.push(join(conf, ".."));
  writeFileSync(conf, `cluster.lease_ttl = ${leaseTtl}\nloopback_users = none\n`);
  const ports = [await freePort(), await freePort(), await freePort()];
  const n1 = startNode("n1", ports[0]!, clusterPort(14), conf);
  const nodes = [n1];
  const logs = () => nodes.map((n) => `--- ${n.name}\n${n.log()}`).join("\n");
  /** Waits for n1 to lead, starts n2 and n3, and waits until all three are in sync. */
  const allInSync = async () => {
    await eventually(async () => (await connectAny([ports[0]!])).conn.close().then(() => true), "n1 leading", 20_000);
    nodes.push(startNode("n2", ports[1]!, clusterPort(15), conf), startNode("n3", ports[2]!, clusterPort(16), conf));
    await eventually(async () => (await inSync(client)).join() === "n1,n2,n3", "every node in sync", 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${logs()}`);
    });
  };
  return { client, ports, n1, nodes, logs, allInSync };
}

describe("failover", () => {
  it("kill -9 of the leader, three rounds: a client with a host list reconnects to the new leader and every confirmed message is there", async () => {
    const conf = join(mkdtempSync("/tmp/cluster-conf-"), "warren.conf");
    dirs.push(join(conf, ".."));
    writeFileSync(conf, "cluster.lease_ttl = 2\nloopback_users = none\n");
    const ports = [await freePort(), await freePort(), await freePort()];
    const nodes = new Map<number, NodeProc>();
    const n1 = startNode("n1", ports[0]!, clusterPort(14), conf);
    nodes.set(ports[0]!, n1);
    const logs = () => [...nodes.values()].map((n) => `--- ${n.name}\n${n.log()}`).join("\n");
    // n1 first, so it leads; then the followers
    await eventually(async () => (await connectAny([ports[0]!])).conn.close().then(() => true), "n1 leading", 20_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${logs()}`);
      },
    );
    nodes.set(ports[1]!, startNode("n2", ports[1]!, clusterPort(15), conf));
    nodes.set(ports[2]!, startNode("n3", ports[2]!, clusterPort(16), conf));
    const client = new Etcd3({ hosts: etcd.url });
    try {
      await eventually(async () => (await inSync(client)).join() === "n1,n2,n3", "every node in sync", 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${logs()}`);
      });
      // a follower refuses clients: its port is closed
      await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[1]}`)).rejects.toThrow(/ECONNREFUSED/);

      const confirmed = new Set<string>();
      let next = 0;
      let { conn, port: leaderPort } = await connectAny(ports);
      conn.on("error", () => {}); // the kills are expected; each window notices them
      let ch = await conn.createConfirmChannel();
      await ch.assertQueue("orders", { durable: true });
      /** Publishes a window of messages and waits for their confirms; false if the connection went. */
      const window = async (size: number): Promise<boolean> => {
        const bodies = Array.from({ length: size }, () => `m-${next++}`);
        const c = conn;
        let onError: (err: unknown) => void = () => {};
        let onClose: () => void = () => {};
        try {
          await new Promise<void>((resolve, reject) => {
            onError = reject;
            onClose = () => reject(new Error("closed"));
            c.on("error", onError);
            c.on("close", onClose);
            for (const b of bodies) ch.sendToQueue("orders", Buffer.from(b), { persistent: true });
            ch.waitForConfirms().then(() => resolve(), reject);
          });
          for (const b of bodies) confirmed.add(b);
          return true;
        } catch {
          return false;
        } finally {
          c.off("error", onError);
          c.off("close", onClose);
        }
      };
      const failovers: number[] = [];
      for (let round = 0; round < 3; round++) {
        const target = confirmed.size + 150;
        while (confirmed.size < target) expect(await window(25)).toBe(true);
        const victim = nodes.get(leaderPort)!;
        const killedAt = Date.now();
        victim.child.kill("SIGKILL");
        // the publisher sees its connection drop, and reconnects through the host list
        let failoverMs = -1;
        for (;;) {
          if (await window(25)) break;
          const reconnected = await eventually(async () => connectAny(ports), "a new leader accepting connections", 30_000).catch(
            (err: Error) => {
              throw new Error(`${err.message}\n${logs()}`);
            },
          );
          if (failoverMs < 0) failoverMs = Date.now() - killedAt;
          conn = reconnected.conn;
          leaderPort = reconnected.port;
          conn.on("error", () => {});
          ch = await conn.createConfirmChannel();
        }
        expect(leaderPort).not.toBe(victim.amqpPort);
        failovers.push(failoverMs);
        // the killed node comes back on its data dir, as a follower, and catches up
        const back = startNode(victim.name, victim.amqpPort, victim.replicationPort, conf, victim.dir);
        nodes.set(victim.amqpPort, back);
        await eventually(async () => (await inSync(client)).join() === "n1,n2,n3", `${victim.name} back in sync`, 30_000).catch(
          (err: Error) => {
            throw new Error(`${err.message}\n${logs()}`);
          },
        );
      }
      while (confirmed.size < 600) expect(await window(25)).toBe(true);
      console.log(`failover times (kill -9 → new leader accepting AMQP connections, lease TTL 2 s): ${failovers.join(", ")} ms`);
      for (const ms of failovers) {
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThan(20_000);
      }

      // every confirmed message is on the leader now (some unconfirmed ones may be there too)
      const got = new Set<string>();
      const reader = await conn.createChannel();
      for (;;) {
        const m = await reader.get("orders", { noAck: true });
        if (m === false) break;
        got.add(m.content.toString());
      }
      const lost = [...confirmed].filter((b) => !got.has(b));
      expect(lost).toEqual([]);
      expect(confirmed.size).toBeGreaterThanOrEqual(600);
      await conn.close();
    } finally {
      client.close();
      for (const n of nodes.values()) n.child.kill("SIGKILL");
    }
  }, 180_000);
});

describe("a leader cut off from etcd", () => {
  it("stops confirming once its lease may have expired: the waiting confirm becomes a nack, then it stops and says why", async () => {
    const client = new Etcd3({ hosts: etcd.url });
    await client.delete().prefix("/warren/");
    // a second member that never answers: confirms need it (a majority of two)
    await client.put("/warren/members/n2").value(JSON.stringify({ replication: { host: "127.0.0.1", port: clusterPort(17) } }));
    client.close();
    const dir = mkdtempSync("/tmp/cluster-alone-");
    dirs.push(dir);
    const lines: string[] = [];
    const node = await startClusterNode({
      dataDir: dir,
      amqp: { port: 0 },
      host: "127.0.0.1",
      logLevel: "info",
      logFormat: "json",
      logDestination: { write: (l: string) => lines.push(l) },
      cluster: { etcd: [etcd.url], nodeName: "n1", replicationPort: clusterPort(18), leaseTtl: 2 },
    });
    try {
      const broker = await node.leading;
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
      conn.on("error", () => {});
      const ch = await conn.createConfirmChannel();
      ch.on("error", () => {});
      await ch.assertQueue("orders", { durable: true });
      const outcome = new Promise<string>((resolve) => {
        ch.sendToQueue("orders", Buffer.from("waits"), { persistent: true }, (err) => resolve(err === null ? "ack" : "nack"));
      });
      const paused = Date.now();
      etcd.pause();
      const reason = await node.steppedDown;
      const after = Date.now() - paused;
      expect(reason).toMatch(/not renewed/);
      expect(await outcome).toBe("nack");
      expect(after).toBeLessThanOrEqual(2_000 + 500);
      expect(node.role()).toBe("stopped");
      expect(lines.some((l) => l.includes("no longer leader"))).toBe(true);
      // its client port is closed: clients move on to the next host
      await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      etcd.resume();
      await node.close();
    }
  }, 30_000);
});

describe("fencing", () => {
  it("a leader paused past its lease confirms nothing it is sent after a new leader took over, and stops when it resumes", async () => {
    const { client, ports, n1, nodes, logs, allInSync } = await threeNodes(2);
    try {
      await allInSync();

      const old = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[0]}`);
      old.on("error", () => {});
      const oldCh = await old.createConfirmChannel();
      oldCh.on("error", () => {});
      await oldCh.assertQueue("fenced", { durable: true });
      for (let i = 0; i < 50; i++) oldCh.sendToQueue("fenced", Buffer.from(`before-${i}`), { persistent: true });
      await oldCh.waitForConfirms();
      // a consumer holds ten of them unacked when the leader stops: they must come back flagged
      const seenOnOld = new Set<string>();
      const holder = await old.createChannel();
      holder.on("error", () => {});
      await holder.prefetch(10);
      await holder.consume("fenced", (m) => {
        if (m !== null) seenOnOld.add(m.content.toString());
      });
      await eventually(() => seenOnOld.size === 10, "ten deliveries on the old leader");
      const late = await old.createChannel();
      late.on("error", () => {});

      n1.child.kill("SIGSTOP");
      // asked of the paused leader: when it resumes it must deliver nothing (a new leader has the
      // queue by then, and would deliver the same messages without the flag)
      late
        .consume("fenced", (m) => {
          if (m !== null) seenOnOld.add(`late:${m.content.toString()}`);
        })
        .catch(() => {});
      // sent to the paused leader: the bytes wait in its socket
      const outcomes: Promise<string>[] = [];
      for (let i = 0; i < 10; i++) {
        outcomes.push(
          new Promise((resolve) => {
            oldCh.sendToQueue("fenced", Buffer.from(`during-${i}`), { persistent: true }, (err) => resolve(err === null ? "ack" : "nack"));
            old.once("close", () => resolve("closed"));
          }),
        );
      }
      const { conn, port } = await eventually(async () => connectAny([ports[1]!, ports[2]!]), "a new leader", 30_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}\n${logs()}`);
        },
      );
      const ch = await conn.createConfirmChannel();
      for (let i = 0; i < 20; i++) ch.sendToQueue("fenced", Buffer.from(`after-${i}`), { persistent: true });
      await ch.waitForConfirms();

      n1.child.kill("SIGCONT");
      // it finds its lease past, nacks what it holds and stops (exit 75, for its supervisor)
      await eventually(() => n1.child.exitCode !== null, "the old leader stopping", 30_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${logs()}`);
      });
      expect(n1.child.exitCode).toBe(75);
      expect(n1.log()).toMatch(/no longer leader: lease not renewed/);
      const got = await Promise.all(outcomes);
      expect(got).not.toContain("ack");

      const bodies = new Set<string>();
      const unflagged: string[] = [];
      const reader = await conn.createChannel();
      for (;;) {
        const m = await reader.get("fenced", { noAck: true });
        if (m === false) break;
        const body = m.content.toString();
        bodies.add(body);
        if (seenOnOld.has(body) && !m.fields.redelivered) unflagged.push(body);
      }
      // seen on the old leader and again here: flagged; nothing delivered by it after it resumed
      expect(unflagged).toEqual([]);
      expect([...seenOnOld].filter((b) => b.startsWith("late:"))).toEqual([]);
      for (let i = 0; i < 50; i++) expect(bodies.has(`before-${i}`)).toBe(true);
      for (let i = 0; i < 20; i++) expect(bodies.has(`after-${i}`)).toBe(true);
      expect([...bodies].filter((b) => b.startsWith("during-"))).toEqual([]);
      expect(port).not.toBe(ports[0]);
      await conn.close();
    } finally {
      n1.child.kill("SIGCONT");
      for (const n of nodes) n.child.kill("SIGKILL");
      client.close();
    }
  }, 120_000);
});

describe("planned stop", () => {
  it("SIGTERM to the leader hands over at once (its lease is revoked), not after the lease TTL", async () => {
    // a long lease: a handover that waited for it would take 10 s
    const { client, ports, n1, nodes, allInSync } = await threeNodes(10);
    try {
      await allInSync();
      const before = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[0]}`);
      const closed = new Promise<string>((resolve) => before.on("close", (err: Error | undefined) => resolve(String(err?.message))));
      before.on("error", () => {});
      const ch = await before.createConfirmChannel();
      await ch.assertQueue("planned", { durable: true });
      for (let i = 0; i < 30; i++) ch.sendToQueue("planned", Buffer.from(`p-${i}`), { persistent: true });
      await ch.waitForConfirms();

      const stoppedAt = Date.now();
      n1.child.kill("SIGTERM");
      // clients are told as at any shutdown: 320 CONNECTION_FORCED
      expect(await closed).toMatch(/320/);
      const { conn } = await eventually(async () => connectAny([ports[1]!, ports[2]!]), "a new leader", 30_000);
      const handoverMs = Date.now() - stoppedAt;
      console.log(`planned handover (SIGTERM → new leader accepting AMQP connections, lease TTL 10 s): ${handoverMs} ms`);
      // without the revoke etcd would keep the old key until its lease ran out: at least 10 s after
      // the last keep-alive, which went at most 10/3 s before the stop
      expect(handoverMs).toBeLessThan(5_000);
      await eventually(() => n1.child.exitCode !== null, "the old leader exiting");
      expect(n1.child.exitCode).toBe(0);
      const reader = await conn.createChannel();
      const got: string[] = [];
      for (;;) {
        const m = await reader.get("planned", { noAck: true });
        if (m === false) break;
        got.push(m.content.toString());
      }
      expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `p-${i}`));
      await conn.close();
    } finally {
      for (const n of nodes) n.child.kill("SIGKILL");
      client.close();
    }
  }, 120_000);
});

describe("fast detection of a dead leader", () => {
  it("kill -9 of the leader: a follower finds its replication port refused and ends its term, well before the lease TTL", async () => {
    // a long lease: a failover that waited for it would take 6.7-10 s (the last keep-alive went
    // at most TTL/3 before the kill)
    const { client, ports, n1, nodes, allInSync } = await threeNodes(10);
    try {
      await allInSync();
      const before = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[0]}`);
      before.on("error", () => {});
      const ch = await before.createConfirmChannel();
      await ch.assertQueue("fast", { durable: true });
      for (let i = 0; i < 30; i++) ch.sendToQueue("fast", Buffer.from(`f-${i}`), { persistent: true });
      await ch.waitForConfirms();

      const killedAt = Date.now();
      n1.child.kill("SIGKILL");
      const { conn } = await eventually(async () => connectAny([ports[1]!, ports[2]!]), "a new leader", 30_000);
      const failoverMs = Date.now() - killedAt;
      console.log(`failover with fast detection (kill -9 → new leader accepting AMQP connections, lease TTL 10 s): ${failoverMs} ms`);
      expect(failoverMs).toBeLessThan(5_000);
      expect(nodes[1]!.log() + nodes[2]!.log()).toMatch(/leader n1 \(epoch \d+\) is gone \(its replication port refuses connections\)/);
      // the new leader had caught up as a follower: its recovery did not verify every checksum again
      expect(nodes[1]!.log() + nodes[2]!.log()).toMatch(/leading the cluster .*checksumsVerified=true/);
      const reader = await conn.createChannel();
      const got: string[] = [];
      for (;;) {
        const m = await reader.get("fast", { noAck: true });
        if (m === false) break;
        got.push(m.content.toString());
      }
      expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `f-${i}`));
      await conn.close();
    } finally {
      for (const n of nodes) n.child.kill("SIGKILL");
      client.close();
    }
  }, 120_000);
});

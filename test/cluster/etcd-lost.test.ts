/**
 * etcd lost under a three-node cluster (the built CLI, dist/): the leader stops confirming once its
 * lease may have expired, logs why and exits for its supervisor; when etcd returns a leader is
 * elected again and every message that was confirmed — before the outage or during its first
 * moments, while the lease still held — is there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { type EtcdProcess, eventually, startEtcd, inSync } from "./etcd.js";
import { clusterPort } from "./ports.js";
import { connectAny, freePort, spawnCliNode } from "./cli-node.js";

let etcd: EtcdProcess;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  etcd = await startEtcd(clusterPort(54), clusterPort(55));
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
  out: string;
}

function spawnNode(n: NodeProc, conf: string): void {
  const p = spawnCliNode({
    name: n.name,
    etcdUrl: etcd.url,
    conf,
    dir: n.dir,
    replicationPort: n.replicationPort,
    ports: { amqp: n.amqpPort },
  });
  n.child = p.child;
  // the log of every run of this node, restarts included
  p.child.stderr!.on("data", (d: Buffer) => {
    n.out += d.toString();
  });
  children.push(n.child);
}

describe("etcd lost", () => {
  it("the leader stops confirming and says why; when etcd returns a leader serves every message confirmed before", async () => {
    const conf = join(mkdtempSync("/tmp/cluster-conf-"), "warren.conf");
    dirs.push(join(conf, ".."));
    writeFileSync(conf, "cluster.lease_ttl = 2\nloopback_users = none\n");
    const nodes: NodeProc[] = [];
    for (const [i, name] of ["n1", "n2", "n3"].entries()) {
      const dir = mkdtempSync(`/tmp/cluster-${name}-`);
      dirs.push(dir);
      nodes.push({
        name,
        amqpPort: await freePort(),
        replicationPort: clusterPort(56 + i),
        dir,
        child: null as unknown as ChildProcess,
        out: "",
      });
    }
    const ports = nodes.map((n) => n.amqpPort);
    const logs = () => nodes.map((n) => `--- ${n.name}\n${n.out}`).join("\n");
    const explain = (err: Error): never => {
      throw new Error(`${err.message}\n${logs()}`);
    };
    const client = new Etcd3({ hosts: etcd.url });
    try {
      spawnNode(nodes[0]!, conf);
      await eventually(async () => (await connectAny([ports[0]!])).conn.close().then(() => true), "n1 leading", 20_000).catch(explain);
      spawnNode(nodes[1]!, conf);
      spawnNode(nodes[2]!, conf);
      await eventually(async () => (await inSync(client)).length === 3, "every node in sync", 20_000).catch(explain);

      const { conn } = await connectAny([ports[0]!]);
      conn.on("error", () => {});
      const closed = new Promise<void>((resolve) => conn.once("close", () => resolve()));
      const ch = await conn.createConfirmChannel();
      ch.on("error", () => {});
      await ch.assertQueue("kept", { durable: true });
      for (let i = 0; i < 100; i++) ch.sendToQueue("kept", Buffer.from(`before-${i}`), { persistent: true });
      await ch.waitForConfirms();

      // etcd goes away; the publisher keeps publishing until its connection goes
      const outcomes = new Map<string, "ack" | "nack">();
      let publishing = true;
      void closed.then(() => {
        publishing = false;
      });
      const pausedAt = Date.now();
      etcd.pause();
      const publisher = (async () => {
        let i = 0;
        while (publishing) {
          const body = `during-${i++}`;
          try {
            ch.sendToQueue("kept", Buffer.from(body), { persistent: true }, (err) => outcomes.set(body, err === null ? "ack" : "nack"));
          } catch {
            break;
          }
          // one message a turn or so, so that confirms can come back in between
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (i % 20 === 0) await Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, 20))]);
        }
      })();
      // the leader steps down within its TTL of the last renewal, says why, and exits for its supervisor
      await eventually(() => nodes[0]!.child.exitCode !== null, "the leader stopping", 15_000).catch(explain);
      const stoppedAfter = Date.now() - pausedAt;
      expect(nodes[0]!.child.exitCode).toBe(75);
      expect(nodes[0]!.out).toMatch(/no longer leader: lease not renewed/);
      await closed;
      await publisher;
      console.log(
        `etcd paused: the leader stopped after ${stoppedAfter} ms; ${[...outcomes.values()].filter((o) => o === "ack").length} confirmed, ` +
          `${[...outcomes.values()].filter((o) => o === "nack").length} nacked meanwhile`,
      );
      expect(stoppedAfter).toBeLessThan(10_000);
      // nothing is confirmed once the connection is gone, and no follower leads without etcd
      await expect(connectAny(ports)).rejects.toThrow();

      // etcd returns; the stopped node comes back (its supervisor), and a leader is elected
      etcd.resume();
      spawnNode(nodes[0]!, conf);
      const { conn: after } = await eventually(async () => connectAny(ports), "a leader after etcd returned", 30_000).catch(explain);
      const reader = await after.createChannel();
      const got = new Set<string>();
      for (;;) {
        const m = await reader.get("kept", { noAck: true });
        if (m === false) break;
        got.add(m.content.toString());
      }
      for (let i = 0; i < 100; i++) expect(got.has(`before-${i}`)).toBe(true);
      const lost = [...outcomes].filter(([body, o]) => o === "ack" && !got.has(body)).map(([b]) => b);
      expect(lost).toEqual([]);
      await after.close();
    } finally {
      etcd.resume();
      client.close();
      for (const n of nodes) n.child?.kill("SIGKILL");
    }
  }, 120_000);
});

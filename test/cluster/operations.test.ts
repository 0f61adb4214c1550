/**
 * Operating a cluster (docs/clustering.md, "Operations"): /api/nodes and Prometheus list every
 * member with its role, epoch, in-sync flag and lag; `warren ctl cluster_status`; the planned
 * handover (`warren ctl cluster transfer_leadership`) and the rolling restart close real clients
 * with their protocol's code and a confirming publisher loses nothing. Three nodes in this
 * process, one etcd (Debian's), ports at offsets 20..36 of WARREN_CLUSTER_TEST_PORT_BASE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { connect as tcpConnect, type Socket } from "node:net";
import amqp from "amqplib";
import { Command } from "commander";
import mqtt from "mqtt";
import { startBroker } from "warren";
import { ctlCommand } from "../../src/cli/ctl.js";
import { type ClusterNode, startClusterNode } from "../../src/cluster/node.js";
import type { RunningBroker } from "../../src/server/start.js";
import { type EtcdProcess, eventually, startEtcd } from "./etcd.js";
import { clusterPort } from "./ports.js";

const NAMES = ["n1", "n2", "n3"] as const;
type Name = (typeof NAMES)[number];
const index = (n: Name): number => NAMES.indexOf(n);
const amqpPort = (n: Name): number => clusterPort(25 + index(n));
const mqttPort = (n: Name): number => clusterPort(28 + index(n));
const stompPort = (n: Name): number => clusterPort(31 + index(n));
// long enough that a leader starting its listeners on a loaded machine keeps its lease
const LEASE_S = 10;
const AUTH = { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}` };

let etcd: EtcdProcess;
const nodes = new Map<Name, ClusterNode>();
const dirs = new Map<Name, string>();

async function startNode(name: Name): Promise<ClusterNode> {
  let dir = dirs.get(name);
  if (dir === undefined) {
    dir = mkdtempSync(`/tmp/cluster-ops-${name}-`);
    dirs.set(name, dir);
  }
  const node = await startClusterNode({
    dataDir: dir,
    host: "127.0.0.1",
    logLevel: process.env.OPS_DEBUG ? "info" : "silent",
    amqp: { port: amqpPort(name) },
    mqtt: { port: mqttPort(name) },
    stomp: { port: stompPort(name) },
    management: { port: 0 },
    prometheus: { port: 0 },
    cluster: { etcd: [etcd.url], nodeName: name, replicationPort: clusterPort(22 + index(name)), leaseTtl: LEASE_S },
  });
  nodes.set(name, node);
  return node;
}

function leaderNow(): [Name, ClusterNode] | undefined {
  for (const [n, node] of nodes) if (node.role() === "leader") return [n, node];
  return undefined;
}

async function leaderBroker(): Promise<{ name: Name; node: ClusterNode; broker: RunningBroker }> {
  const [name, node] = await eventually(() => leaderNow(), "a leader");
  return { name, node, broker: await node.leading };
}

async function api(broker: RunningBroker, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${broker.ports.management}${path}`, {
    ...init,
    headers: { ...AUTH, ...(init.body !== undefined && { "content-type": "application/json" }), ...init.headers },
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : null };
}

type NodeRow = Record<string, unknown> & { name: string };

async function nodesOf(broker: RunningBroker): Promise<NodeRow[]> {
  const r = await api(broker, "/api/nodes");
  expect(r.status).toBe(200);
  return r.body as NodeRow[];
}

/** Every member is running and in sync, as the leader reports it. */
async function allInSync(): Promise<void> {
  await eventually(
    async () => {
      const { broker } = await leaderBroker();
      const rows = await nodesOf(broker);
      return rows.length === nodes.size && rows.every((r) => r.running === true && r.cluster_in_sync === true);
    },
    "every member in sync",
    30_000,
  );
}

async function ctl(broker: RunningBroker, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = { code: 0, stdout: "", stderr: "" };
  const command = ctlCommand({
    out: (t) => void (run.stdout += t),
    err: (t) => void (run.stderr += t),
    exitCode: (c) => void (run.code = c),
    errIsTTY: false,
  });
  const program = new Command("warren").exitOverride().addCommand(command);
  command.exitOverride();
  await program.parseAsync(["ctl", "--url", `http://127.0.0.1:${broker.ports.management}`, ...args], { from: "user" });
  return run;
}

/** Clients of every protocol on the leader, each recording how the broker ended it. */
async function clientsOn(name: Name) {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort(name)}`);
  conn.on("error", () => {});
  const amqpClosed = new Promise<string>((resolve) => conn.on("close", (err?: Error) => resolve(err?.message ?? "no error")));
  const v5 = await mqtt.connectAsync({
    host: "127.0.0.1",
    port: mqttPort(name),
    protocolVersion: 5,
    clientId: "ops-v5",
    reconnectPeriod: 0,
  });
  const v5Disconnect = new Promise<number | undefined>((resolve) => v5.on("disconnect", (p) => resolve(p.reasonCode)));
  const v3 = await mqtt.connectAsync({
    host: "127.0.0.1",
    port: mqttPort(name),
    protocolVersion: 4,
    clientId: "ops-v3",
    reconnectPeriod: 0,
  });
  const v3Closed = new Promise<void>((resolve) => v3.on("close", () => resolve()));
  const stomp: Socket = tcpConnect(stompPort(name), "127.0.0.1");
  let stompText = "";
  stomp.on("data", (d) => (stompText += d.toString()));
  stomp.on("error", () => {});
  const stompClosed = new Promise<void>((resolve) => stomp.on("close", () => resolve()));
  stomp.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
  await eventually(() => stompText.includes("CONNECTED"), "STOMP CONNECTED");
  return {
    amqpClosed,
    v5Disconnect,
    v3Closed,
    stomp: stompClosed.then(() => stompText),
    end: () => {
      v5.end(true);
      v3.end(true);
      stomp.destroy();
    },
  };
}

/**
 * A publisher with confirms and a host list: it publishes batches of persistent messages, counts
 * a batch only once `waitForConfirms` says so, and reconnects to whichever host accepts.
 */
class ConfirmingPublisher {
  readonly confirmed = new Set<string>();
  readonly closes: string[] = [];
  private next = 0;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(private readonly queue: string) {
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  private async connect(): Promise<amqp.ChannelModel | null> {
    for (const n of NAMES) {
      try {
        return await amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort(n)}`);
      } catch {
        // refused: a follower, or the leader not listening yet; try the next host
      }
    }
    return null;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const conn = await this.connect();
      if (conn === null) {
        // every host refused (the successor is opening its store): try the list again shortly
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      let open = true;
      conn.on("error", () => {});
      conn.on("close", (err?: Error) => {
        open = false;
        this.closes.push(err?.message ?? "no error");
      });
      try {
        const ch = await conn.createConfirmChannel();
        ch.on("error", () => {});
        await ch.assertQueue(this.queue, { durable: true });
        while (!this.stopped && open) {
          const batch: string[] = [];
          for (let i = 0; i < 20; i++) {
            const id = `m${this.next++}`;
            batch.push(id);
            ch.sendToQueue(this.queue, Buffer.from(id), { persistent: true });
          }
          await ch.waitForConfirms();
          for (const id of batch) this.confirmed.add(id);
        }
      } catch {
        // the connection went (a handover): the batch in flight is unconfirmed; reconnect
      }
      if (open) await conn.close().catch(() => {});
    }
  }
}

/** Everything in `queue` on the current leader, consumed. */
async function drain(queue: string, expected: Set<string>): Promise<Set<string>> {
  const { name } = await leaderBroker();
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort(name)}`);
  try {
    const ch = await conn.createChannel();
    const seen = new Set<string>();
    await ch.consume(
      queue,
      (m) => {
        if (m !== null) seen.add(m.content.toString());
      },
      { noAck: true },
    );
    await eventually(() => [...expected].every((id) => seen.has(id)), `every confirmed message of ${queue}`, 20_000).catch(() => {});
    return seen;
  } finally {
    await conn.close();
  }
}

describe("a cluster's members in the management API, Prometheus and warren ctl", () => {
  beforeAll(async () => {
    // what a leader loads when it takes over, loaded once here so that no take-over waits for it
    await import("../../src/management/listeners.js");
    etcd = await startEtcd(clusterPort(20), clusterPort(21));
    // n1 first, so it leads; then the two followers
    await (await startNode("n1")).leading;
    await startNode("n2");
    await startNode("n3");
    await allInSync();
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes.values()) await n.close().catch(() => {});
    await etcd?.stop();
    for (const d of dirs.values()) rmSync(d, { recursive: true, force: true });
  }, 30_000);

  it("GET /api/nodes lists every member with its role, epoch, in-sync flag and lag; /api/nodes/{name} works for each", async () => {
    const { node, broker } = await leaderBroker();
    const epoch = node.term()!.epoch;
    const rows = await nodesOf(broker);
    expect(rows.map((r) => r.name)).toEqual(["warren@n1", "warren@n2", "warren@n3"]);
    const [leader, f2, f3] = rows as [NodeRow, NodeRow, NodeRow];
    // the leader keeps the full node object RabbitMQ gives
    expect(leader).toMatchObject({ type: "disc", running: true, cluster_role: "leader", cluster_epoch: epoch, cluster_in_sync: true });
    expect(leader).toMatchObject({ replication_lag_batches: 0, replication_lag_bytes: 0 });
    expect(typeof leader.mem_used).toBe("number");
    expect(leader.db_dir).toBe(broker.dataDir);
    for (const f of [f2, f3]) {
      expect(f).toMatchObject({ type: "disc", running: true, cluster_role: "follower", cluster_epoch: epoch, cluster_in_sync: true });
      expect(typeof f.replication_lag_batches).toBe("number");
      expect(typeof f.replication_lag_bytes).toBe("number");
      expect(f.mem_used).toBeUndefined();
    }
    // the overview names this node as the cluster does
    expect(((await api(broker, "/api/overview")).body as { node: string }).node).toBe("warren@n1");
    const one = await api(broker, "/api/nodes/warren%40n2");
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: "warren@n2", cluster_role: "follower" });
    expect((await api(broker, "/api/nodes/warren%40n1")).body).toMatchObject({ name: "warren@n1", cluster_role: "leader" });
    expect((await api(broker, "/api/nodes/warren%40n9")).status).toBe(404);

    // confirmed publishes: followers have acknowledged every batch, so no lag remains
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${amqpPort("n1")}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("ops-lag", { durable: true });
    for (let i = 0; i < 50; i++) ch.sendToQueue("ops-lag", Buffer.alloc(1000, i), { persistent: true });
    await ch.waitForConfirms();
    await eventually(
      async () => (await nodesOf(broker)).every((r) => r.replication_lag_batches === 0 && r.replication_lag_bytes === 0),
      "no lag",
    );

    // a follower that stops: not running, out of sync, and lagging by what was confirmed without it
    await nodes.get("n3")!.close();
    nodes.delete("n3");
    await eventually(async () => {
      const n3 = (await nodesOf(broker)).find((r) => r.name === "warren@n3");
      return n3?.running === false && n3.cluster_in_sync === false;
    }, "n3 down and out of sync");
    for (let i = 0; i < 10; i++) ch.sendToQueue("ops-lag", Buffer.alloc(1000, i), { persistent: true });
    await ch.waitForConfirms();
    const n3 = (await nodesOf(broker)).find((r) => r.name === "warren@n3")!;
    expect(n3.replication_lag_batches).toBeGreaterThan(0);
    expect(n3.replication_lag_bytes).toBeGreaterThan(10_000);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.ports.prometheus}/metrics`)).text();
    expect(metrics).toContain('warren_cluster_role{node="warren@n1"} 1');
    expect(metrics).toContain('warren_cluster_role{node="warren@n2"} 0');
    expect(metrics).toContain(`warren_cluster_epoch ${epoch}`);
    expect(metrics).toContain('warren_cluster_in_sync{node="warren@n2"} 1');
    expect(metrics).toContain('warren_cluster_in_sync{node="warren@n3"} 0');
    expect(metrics).toMatch(/warren_cluster_replication_lag_batches\{node="warren@n3"\} [1-9]\d*/);
    expect(metrics).toMatch(/warren_cluster_replication_lag_bytes\{node="warren@n3"\} [1-9]\d*/);
    expect(metrics).toContain('warren_cluster_replication_lag_batches{node="warren@n1"} 0');
    expect(metrics).toContain('warren_cluster_member_running{node="warren@n3"} 0');

    const text = await ctl(broker, ["cluster_status"]);
    expect(text.code).toBe(0);
    expect(text.stdout.startsWith("Cluster status of node warren@n1 ...\n")).toBe(true);
    const clusterId = ((await api(broker, "/api/cluster")).body as { cluster_id: string }).cluster_id;
    expect(text.stdout).toContain(`Basics\n\nCluster name: ${clusterId}\n\nDisk Nodes\n\nwarren@n1\nwarren@n2\nwarren@n3\n`);
    expect(text.stdout).toContain("\nRunning Nodes\n\nwarren@n1\nwarren@n2\n\nLeader\n");
    expect(text.stdout).toContain(`\nLeader\n\nwarren@n1 (epoch ${epoch})\n\nIn-sync Nodes\n\nwarren@n1\nwarren@n2\n\nReplication Lag\n\n`);
    expect(text.stdout).toMatch(/Node: warren@n3, batches: [1-9]\d*, bytes: [1-9]\d*\n$/);
    const json = await ctl(broker, ["cluster_status", "--formatter", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      cluster_name: clusterId,
      disk_nodes: ["warren@n1", "warren@n2", "warren@n3"],
      running_nodes: ["warren@n1", "warren@n2"],
      leader: "warren@n1",
      epoch,
      in_sync_nodes: ["warren@n1", "warren@n2"],
      replication_lag: { "warren@n2": { batches: 0, bytes: 0 } },
    });
    await conn.close();

    // back: it catches up and is in sync again
    await startNode("n3");
    await allInSync();
  }, 90_000);

  it("transfer_leadership: clients are closed with their protocol's code, the successor leads, the old leader follows, and no confirmed message is lost", async () => {
    const { name: from, node: old, broker } = await leaderBroker();
    const oldEpoch = old.term()!.epoch;
    // only administrators hand over
    await api(broker, "/api/users/ops-monitor", { method: "PUT", body: JSON.stringify({ password: "pw", tags: "monitoring" }) });
    const refused = await fetch(`http://127.0.0.1:${broker.ports.management}/api/cluster/transfer-leadership`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from("ops-monitor:pw").toString("base64")}` },
    });
    expect(refused.status).toBe(401);

    const clients = await clientsOn(from);
    const publisher = new ConfirmingPublisher("ops-handover");
    await eventually(() => publisher.confirmed.size >= 200, "confirms before the handover", 20_000);

    const run = await ctl(broker, ["cluster", "transfer_leadership"]);
    expect(run.code).toBe(0);
    const successor = /to warren@(n\d)/.exec(run.stdout)?.[1] as Name;
    expect(run.stdout).toBe(`Transferring the leadership from warren@${from} to warren@${successor}\n`);
    expect(successor).not.toBe(from);

    expect(await clients.amqpClosed).toContain("320 (CONNECTION-FORCED)");
    expect(await clients.v5Disconnect).toBe(0x9c);
    await clients.v3Closed;
    expect(await clients.stomp).toContain("ERROR\nmessage:connection_forced");
    clients.end();

    // the successor leads a new term; the old leader stays up as a follower
    const next = nodes.get(successor)!;
    await eventually(() => next.role() === "leader", `${successor} leading`, 15_000);
    expect(next.term()!.epoch).toBeGreaterThan(oldEpoch);
    await eventually(() => old.role() === "follower" && old.handovers() === 1, "the old leader following");
    expect(old.follower()).not.toBeNull();

    // the publisher moved over and goes on being confirmed by the new leader
    const before = publisher.confirmed.size;
    await eventually(() => publisher.confirmed.size >= before + 200, "confirms after the handover", 30_000);
    await publisher.stop();
    expect(publisher.closes.some((c) => c.includes("320 (CONNECTION-FORCED)"))).toBe(true);

    const seen = await drain("ops-handover", publisher.confirmed);
    const lost = [...publisher.confirmed].filter((id) => !seen.has(id));
    expect(lost).toEqual([]);

    // the old leader catches up from the new one and is in sync again
    await allInSync();
    const rows = await nodesOf((await leaderBroker()).broker);
    expect(rows[0]).toMatchObject({ name: `warren@${successor}`, cluster_role: "leader" });
    expect(rows.find((r) => r.name === `warren@${from}`)).toMatchObject({ cluster_role: "follower", running: true, cluster_in_sync: true });
  }, 120_000);

  it("a rolling restart (the leader's close, as on SIGTERM) closes clients the same way and an in-sync node leads at once", async () => {
    const { name: from, node: old } = await leaderBroker();
    const oldEpoch = old.term()!.epoch;
    const clients = await clientsOn(from);
    const closing = old.close();
    expect(await clients.amqpClosed).toContain("320 (CONNECTION-FORCED)");
    expect(await clients.v5Disconnect).toBe(0x9c);
    await clients.v3Closed;
    expect(await clients.stomp).toContain("ERROR\nmessage:connection_forced");
    clients.end();
    await closing;
    nodes.delete(from);
    const t0 = Date.now();
    const { node } = await leaderBroker();
    expect(node.term()!.epoch).toBeGreaterThan(oldEpoch);
    // the lease was revoked: no waiting for its TTL
    expect(Date.now() - t0).toBeLessThan(LEASE_S * 1000);
  }, 60_000);

  it("refuses to hand over when no in-sync follower stands for election", async () => {
    const { name, broker } = await leaderBroker();
    for (const [n, node] of [...nodes]) {
      if (n === name) continue;
      await node.close();
      nodes.delete(n);
    }
    await eventually(
      async () => (await nodesOf(broker)).filter((r) => r.cluster_in_sync === true).length === 1,
      "the leader alone in sync",
    );
    const r = await api(broker, "/api/cluster/transfer-leadership", { method: "POST" });
    expect(r.status).toBe(400);
    expect((r.body as { reason: string }).reason).toMatch(/^no in-sync follower stands for election/);
    const run = await ctl(broker, ["cluster", "transfer_leadership"]);
    expect(run.code).toBe(70);
    expect(run.stderr).toContain("no in-sync follower stands for election");
    // still leading, still serving
    expect(leaderNow()?.[0]).toBe(name);
    expect((await nodesOf(broker))[0]).toMatchObject({ name: `warren@${name}`, cluster_role: "leader" });
  }, 30_000);
});

describe("a single node", () => {
  it("has no cluster fields in /api/nodes, no cluster gauges, and refuses the cluster endpoints", async () => {
    const b = await startBroker({ management: { port: 0 }, prometheus: { port: 0 }, logLevel: "silent" });
    try {
      const rows = await nodesOf(b);
      expect(rows).toHaveLength(1);
      for (const k of ["cluster_role", "cluster_epoch", "cluster_in_sync", "replication_lag_batches", "replication_lag_bytes"]) {
        expect(rows[0]).not.toHaveProperty(k);
      }
      expect((await api(b, "/api/cluster")).status).toBe(400);
      // GET /api/cluster is for monitoring users, the handover for administrators
      await api(b, "/api/users/ops-mgmt", { method: "PUT", body: JSON.stringify({ password: "pw", tags: "management" }) });
      await api(b, "/api/users/ops-mon", { method: "PUT", body: JSON.stringify({ password: "pw", tags: "monitoring" }) });
      const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:pw`).toString("base64")}` });
      expect((await api(b, "/api/cluster", { headers: as("ops-mgmt") })).body).toEqual({
        error: "not_authorised",
        reason: "Not monitor user",
      });
      expect((await api(b, "/api/cluster", { headers: as("ops-mon") })).status).toBe(400);
      expect((await api(b, "/api/cluster/transfer-leadership", { method: "POST", headers: as("ops-mon") })).body).toEqual({
        error: "not_authorised",
        reason: "Not administrator user",
      });
      const t = await api(b, "/api/cluster/transfer-leadership", { method: "POST" });
      expect(t.status).toBe(400);
      expect(t.body).toEqual({ error: "bad_request", reason: "this node is not a cluster member (start it with --cluster-etcd)" });
      const metrics = await (await fetch(`http://127.0.0.1:${b.ports.prometheus}/metrics`)).text();
      expect(metrics).not.toContain("warren_cluster_");
      const status = await ctl(b, ["cluster_status"]);
      expect(status.code).toBe(70);
      expect(status.stderr).toContain("not a cluster member");
    } finally {
      await b.close();
    }
  });
});

/**
 * The planned handover and the rolling restart through the built `warren` (dist/, `npm run
 * build`): two CLI nodes, `warren ctl cluster transfer_leadership` as an operator runs it, the
 * old leader's process staying up as a follower, then SIGTERM of the new leader. An MQTT 5
 * client observes each close. Ports at offsets 34..37 of WARREN_CLUSTER_TEST_PORT_BASE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildProcess, execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import mqtt from "mqtt";
import { type EtcdProcess, eventually, startEtcd } from "./etcd.js";
import { clusterPort } from "./ports.js";
import { CLI, freePort, spawnCliNode } from "./cli-node.js";

const AUTH = { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}` };
let etcd: EtcdProcess;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  etcd = await startEtcd(clusterPort(34), clusterPort(35));
}, 30_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await etcd?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface NodeProc {
  name: string;
  mqtt: number;
  management: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  log(): string;
}

async function startNode(name: string, replicationPort: number, conf: string): Promise<NodeProc> {
  const dir = mkdtempSync(`/tmp/cluster-ops-cli-${name}-`);
  dirs.push(dir);
  const [mqttPort, management] = [await freePort(), await freePort()];
  // a leader runs every listener it is given: those the test does not use are off
  const { child, exited, log } = spawnCliNode({
    name,
    etcdUrl: etcd.url,
    conf,
    dir,
    replicationPort,
    ports: { mqtt: mqttPort, management },
  });
  children.push(child);
  return { name, mqtt: mqttPort, management, child, exited, log };
}

/** /api/nodes of a node that leads (throws while it does not listen). */
async function nodesOf(n: NodeProc): Promise<{ name: string; cluster_role: string; running: boolean; cluster_in_sync: boolean }[]> {
  const res = await fetch(`http://127.0.0.1:${n.management}/api/nodes`, { headers: AUTH });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as never;
}

async function v5On(n: NodeProc): Promise<{ disconnect: Promise<number | undefined>; end(): void }> {
  const c = await mqtt.connectAsync({ host: "127.0.0.1", port: n.mqtt, protocolVersion: 5, clientId: `cli-${n.name}`, reconnectPeriod: 0 });
  const disconnect = new Promise<number | undefined>((resolve) => c.on("disconnect", (p) => resolve(p.reasonCode)));
  return { disconnect, end: () => c.end(true) };
}

describe("cluster operations with the warren command", () => {
  it("ctl cluster transfer_leadership hands over and the old leader's process follows; SIGTERM of the new leader hands back", async () => {
    const conf = join(mkdtempSync("/tmp/cluster-ops-conf-"), "warren.conf");
    dirs.push(join(conf, ".."));
    // a long lease: neither handover may wait for it
    writeFileSync(conf, "cluster.lease_ttl = 10\n");
    const n1 = await startNode("n1", clusterPort(36), conf);
    const nodes = [n1];
    const logs = () => nodes.map((n) => `--- ${n.name}\n${n.log()}`).join("\n");
    const withLogs = (err: Error): never => {
      throw new Error(`${err.message}\n${logs()}`);
    };
    await eventually(() => nodesOf(n1), "n1 leading", 30_000).catch(withLogs);
    const n2 = await startNode("n2", clusterPort(37), conf);
    nodes.push(n2);
    await eventually(
      async () => {
        const rows = await nodesOf(n1);
        return rows.length === 2 && rows.every((r) => r.running && r.cluster_in_sync);
      },
      "n2 in sync",
      30_000,
    ).catch(withLogs);

    const before = await v5On(n1);
    const run = await promisify(execFile)(process.execPath, [
      CLI,
      "ctl",
      "--url",
      `http://127.0.0.1:${n1.management}`,
      "cluster",
      "transfer_leadership",
    ]).catch(withLogs);
    expect(run.stdout).toBe("Transferring the leadership from warren@n1 to warren@n2\n");
    expect(await before.disconnect).toBe(0x9c);
    before.end();
    const handedOverAt = Date.now();
    await eventually(async () => (await nodesOf(n2))[0]?.name === "warren@n2", "n2 leading", 15_000).catch(withLogs);
    // no lease TTL (10 s) in between
    expect(Date.now() - handedOverAt).toBeLessThan(8_000);
    // the old leader's process is still there, following, and in sync again
    await eventually(
      async () => (await nodesOf(n2)).find((r) => r.name === "warren@n1")?.cluster_in_sync === true,
      "n1 in sync under n2",
      30_000,
    ).catch(withLogs);
    expect(n1.child.exitCode).toBeNull();
    expect(n1.log()).toContain("handed over");

    // a rolling restart of n2: SIGTERM closes its clients the same way and n1 leads again
    const during = await v5On(n2);
    n2.child.kill("SIGTERM");
    expect(await during.disconnect).toBe(0x9c);
    during.end();
    expect(await n2.exited).toBe(0);
    const rows = await eventually(() => nodesOf(n1), "n1 leading again", 15_000).catch(withLogs);
    expect(rows[0]).toMatchObject({ name: "warren@n1", cluster_role: "leader" });
    expect(rows.find((r) => r.name === "warren@n2")).toMatchObject({ cluster_role: "follower", running: false });
  }, 150_000);
});

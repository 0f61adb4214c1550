/**
 * The catch-up scenario of issue 16 with the built CLI (dist/) and one etcd: a follower stopped
 * during a backlog restarts, catches up while the leader keeps serving (its publisher keeps
 * getting confirms and its consumer messages), joins `in-sync`, then wins an election and serves
 * every message. npm test runs it with 100,000 messages; `npm run test:catch-up-1m` (in .ci/run)
 * with 1,000,000 (WARREN_CATCHUP_MESSAGES). It prints the copy time, the bytes copied, the
 * leader's RSS during the copy and the most bytes queued for the follower meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import amqp from "amqplib";
import { Etcd3 } from "etcd3";
import { type EtcdProcess, eventually, startEtcd, inSync } from "./etcd.js";
import { clusterPort } from "./ports.js";
import { connectAny, freePort, spawnCliNode } from "./cli-node.js";

const MESSAGES = Number(process.env.WARREN_CATCHUP_MESSAGES ?? 100_000);
/** Above the new leader's store recovery time on a loaded machine (see the conf below); WARREN_CATCHUP_LEASE_TTL to try others. */
const LEASE_TTL_S = Number(process.env.WARREN_CATCHUP_LEASE_TTL ?? (MESSAGES > 200_000 ? 15 : 10));
/** Generous: the 1,000,000 run publishes and reads a million messages on a loaded machine. */
const TIMEOUT_MS = 120_000 + MESSAGES * 0.6;
let etcd: EtcdProcess;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  etcd = await startEtcd(clusterPort(63), clusterPort(64));
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

function startNode(name: string, amqpPort: number, replicationPort: number, conf: string, dir?: string): NodeProc {
  if (dir === undefined) {
    dir = mkdtempSync(`/tmp/cluster-${name}-`);
    dirs.push(dir);
  }
  const { child, log } = spawnCliNode({ name, etcdUrl: etcd.url, conf, dir, replicationPort, ports: { amqp: amqpPort } });
  children.push(child);
  return { name, amqpPort, replicationPort, dir, child, log };
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? 0 : Number(m[1]) * 1024;
}

async function killed(n: NodeProc): Promise<void> {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => n.child.once("exit", () => resolve()));
  n.child.kill("SIGKILL");
  await exited;
}

/** Publishes `count` persistent messages `${prefix}${i}` with confirms, windows of `window`. */
async function publishBacklog(ch: amqp.ConfirmChannel, queue: string, count: number): Promise<void> {
  const window = 5000;
  const pad = Buffer.alloc(64, "p");
  for (let i = 0; i < count; ) {
    const end = Math.min(count, i + window);
    for (; i < end; i++) ch.sendToQueue(queue, Buffer.concat([Buffer.from(`${i}:`), pad]), { persistent: true });
    await ch.waitForConfirms();
  }
}

describe("catch-up with a backlog", () => {
  it(
    `a follower stopped during a ${MESSAGES}-message backlog catches up while the leader serves, joins in-sync, then leads and serves every message`,
    async () => {
      const conf = join(mkdtempSync("/tmp/cluster-conf-"), "warren.conf");
      dirs.push(join(conf, ".."));
      // a new leader opens its store synchronously: it must do so within its lease (store recovery
      // of 1,000,000 messages took 4.8 s on the loaded test machine, past a 2 s lease)
      writeFileSync(conf, `cluster.lease_ttl = ${LEASE_TTL_S}\nloopback_users = none\n`);
      const ports = [await freePort(), await freePort(), await freePort()];
      const n1 = startNode("n1", ports[0]!, clusterPort(65), conf);
      const all = [n1];
      const logs = () => all.map((n) => `--- ${n.name}\n${n.log().slice(-4000)}`).join("\n");
      const fail = (err: Error) => {
        throw new Error(`${err.message}\n${logs()}`);
      };
      const client = new Etcd3({ hosts: etcd.url });
      const conns: amqp.ChannelModel[] = [];
      try {
        await eventually(
          async () => (await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[0]}`)).close().then(() => true),
          "n1 leading",
          20_000,
        ).catch(fail);
        const n2 = startNode("n2", ports[1]!, clusterPort(66), conf);
        let n3 = startNode("n3", ports[2]!, clusterPort(67), conf);
        all.push(n2, n3);
        await eventually(async () => (await inSync(client)).join() === "n1,n2,n3", "every node in sync", 30_000).catch(fail);

        const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[0]}`);
        conns.push(conn);
        const ch = await conn.createConfirmChannel();
        await ch.assertQueue("backlog", { durable: true });
        await ch.assertQueue("live", { durable: true });
        await ch.waitForConfirms();

        // n3 goes away; the backlog builds up on n1 and n2
        await killed(n3);
        await eventually(async () => (await inSync(client)).join() === "n1,n2", "n3 out of sync", 20_000).catch(fail);
        const t0 = Date.now();
        await publishBacklog(ch, "backlog", MESSAGES);
        const publishMs = Date.now() - t0;

        // traffic while n3 catches up: a confirming publisher and an acking consumer on "live"
        const confirmedLive: number[] = [];
        let nextLive = 0;
        let running = true;
        const publisher = (async () => {
          while (running) {
            const from = nextLive;
            for (let i = 0; i < 20; i++) ch.sendToQueue("live", Buffer.from(String(nextLive++)), { persistent: true });
            await ch.waitForConfirms();
            for (let i = from; i < nextLive; i++) confirmedLive.push(i);
          }
        })();
        const consumerConn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[0]}`);
        conns.push(consumerConn);
        const cch = await consumerConn.createChannel();
        await cch.prefetch(50);
        const consumed = new Set<number>();
        await cch.consume("live", (m) => {
          if (m === null) return;
          consumed.add(Number(m.content.toString()));
          cch.ack(m);
        });
        await eventually(() => consumed.size > 20, "the consumer receiving", 20_000);

        const baseRss = rssBytes(n1.child.pid!);
        let peakRss = baseRss;
        const sampler = setInterval(() => {
          peakRss = Math.max(peakRss, rssBytes(n1.child.pid!));
        }, 50);
        const restartedAt = Date.now();
        const confirmsBefore = confirmedLive.length;
        const consumedBefore = consumed.size;
        n3 = startNode("n3", ports[2]!, clusterPort(67), conf, n3.dir);
        all.push(n3);
        await eventually(async () => (await inSync(client)).join() === "n1,n2,n3", "n3 back in sync", TIMEOUT_MS).catch(fail);
        const catchUpMs = Date.now() - restartedAt;
        clearInterval(sampler);
        const confirmsDuring = confirmedLive.length - confirmsBefore;
        const consumedDuring = consumed.size - consumedBefore;
        running = false;
        await publisher;
        // the last copy to n3: the one after its restart
        const copied = [
          ...n1
            .log()
            .matchAll(/caught n3 up: (\d+) bytes of (\d+) files copied in (\d+) ms \((\d+) diverged, at most (\d+) bytes queued\)/g),
        ].at(-1);
        expect(copied, logs()).toBeDefined();
        const [, bytes, files, copyMs, , queued] = copied!.map(Number) as number[];
        console.log(
          `catch-up of ${MESSAGES} messages: backlog published in ${publishMs} ms; n3 restart → in-sync ${catchUpMs} ms; ` +
            `copy ${copyMs} ms, ${bytes} bytes of ${files} files; leader RSS ${Math.round(baseRss / 2 ** 20)} MiB before, ` +
            `${Math.round(peakRss / 2 ** 20)} MiB peak; at most ${queued} bytes queued for n3; ` +
            `during the catch-up: ${confirmsDuring} confirms, ${consumedDuring} deliveries`,
        );
        // the leader kept serving during the copy
        expect(confirmsDuring).toBeGreaterThan(0);
        expect(consumedDuring).toBeGreaterThan(0);
        // the backlog itself travelled (n3 had none of it)
        expect(bytes!).toBeGreaterThan(MESSAGES * 64);
        // the queue for n3 stayed within its bound (64 MiB)
        expect(queued!).toBeLessThanOrEqual(64 * 1024 * 1024 + 4 * 1024 * 1024);
        for (const c of conns.splice(0)) await c.close().catch(() => {});

        // n3 leads: n2, then n1 killed (n1 then still had n3 for its majority)
        await killed(n2);
        await eventually(async () => (await inSync(client)).join() === "n1,n3", "n2 out of sync", 20_000).catch(fail);
        await killed(n1);
        const leader = await eventually(
          async () => amqp.connect(`amqp://guest:guest@127.0.0.1:${ports[2]}`),
          "n3 leading",
          30_000 + MESSAGES / 10,
        ).catch(fail);
        conns.push(leader);
        // how long n3 took from its election to serving (its store's recovery, mostly)
        console.log(
          n3
            .log()
            .split("\n")
            .filter((l) => /leading the cluster|is gone/.test(l))
            .join("\n"),
        );
        const rch = await leader.createChannel();
        await rch.prefetch(2000);
        const seen = new Uint8Array(MESSAGES);
        let count = 0;
        await new Promise<void>((resolve) => {
          void rch.consume(
            "backlog",
            (m) => {
              if (m === null) return;
              const i = Number(m.content.toString("latin1", 0, m.content.indexOf(":")));
              if (seen[i] === 0) count++;
              seen[i] = 1;
              if (count === MESSAGES) resolve();
            },
            { noAck: true },
          );
        });
        expect(count).toBe(MESSAGES);
        // every confirmed "live" message was consumed before, or is on n3
        const left = new Set<number>();
        for (;;) {
          const m = await rch.get("live", { noAck: true });
          if (m === false) break;
          left.add(Number(m.content.toString()));
        }
        expect(confirmedLive.filter((i) => !consumed.has(i) && !left.has(i))).toEqual([]);
      } finally {
        for (const c of conns) await c.close().catch(() => {});
        client.close();
        for (const n of all) n.child.kill("SIGKILL");
      }
    },
    TIMEOUT_MS * 3,
  );
});

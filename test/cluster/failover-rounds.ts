/**
 * Failover rounds with every protocol (docs/clustering.md, "Failover tests"): three CLI nodes
 * (dist/), publishers with confirms on durable queues — AMQP (confirm channel), MQTT QoS 1 (PUBACK)
 * and STOMP (persistent SEND with a receipt) — and an AMQP consumer with manual acks, each client
 * going through the host list whenever its connection drops. Each round kills the leader with
 * SIGKILL at a random moment, measures how long until a new leader accepts connections, and
 * restarts the killed node on its data dir (a follower again). Used by
 * test/cluster/failover-protocols.test.ts and bench/cluster-soak.ts.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import amqp from "amqplib";
import { Etcd3 } from "etcd3";
import mqtt from "mqtt";
import { spawnCliNode } from "./cli-node.js";

export interface RoundsOptions {
  readonly rounds: number;
  readonly etcdUrl: string;
  /** Per node (three): AMQP, MQTT, STOMP and replication ports. */
  readonly nodes: readonly { amqp: number; mqtt: number; stomp: number; replication: number }[];
  readonly leaseTtlSeconds: number;
  /** The built CLI (dist/cli/main.js). */
  readonly cli: string;
  /** Progress lines (one per round). */
  readonly log?: (line: string) => void;
  /** Messages each publisher has confirmed since the last kill before the next one (default 20). */
  readonly perRound?: number;
  /** How long a round may wait for a new leader, or for the cluster to be in sync (default 30 s). */
  readonly roundTimeoutMs?: number;
}

export interface RoundsResult {
  /** Kill → a new leader accepting connections, per round (ms). */
  readonly failoversMs: number[];
  readonly confirmed: { amqp: number; mqtt: number; stomp: number };
  /** Confirmed (ack, PUBACK, RECEIPT) and never delivered. */
  readonly lost: string[];
  /** Delivered more than once, and a later delivery came without the redelivered flag. */
  readonly unflagged: string[];
  readonly deliveries: number;
  /** Bodies delivered more than once (each later time flagged, unless listed in `unflagged`). */
  readonly seenTwice: number;
  /** Nodes that stopped by themselves (lost their lease) and were restarted. */
  readonly selfStops: number;
}

const QUEUES = { amqp: "fo-amqp", mqtt: "fo-mqtt", stomp: "fo-stomp" } as const;
/** MQTT's topic for fo-mqtt (bound to amq.topic as fo.mqtt). */
const MQTT_TOPIC = "fo/mqtt";

interface Node {
  readonly name: string;
  readonly dir: string;
  readonly ports: RoundsOptions["nodes"][number];
  child: ChildProcess;
  /** Killed on purpose: its exit is not a self-stop. */
  killed: boolean;
  out: string;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it is truthy, for at most `ms` (then throws, naming `what`). */
async function until<T>(check: () => T | Promise<T>, what: string, ms: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await pause(20);
  }
}

/** Whether something accepts TCP connections on `port` (followers do not listen). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function runFailoverRounds(o: RoundsOptions): Promise<RoundsResult> {
  const log = o.log ?? (() => {});
  const perRound = o.perRound ?? 20;
  const roundTimeout = o.roundTimeoutMs ?? 30_000;
  const base = mkdtempSync("/tmp/cluster-rounds-");
  const conf = join(base, "warren.conf");
  writeFileSync(conf, `cluster.lease_ttl = ${o.leaseTtlSeconds}\nloopback_users = none\n`);
  const etcd = new Etcd3({ hosts: o.etcdUrl });
  await etcd.delete().prefix("/warren/");
  let stopping = false;
  let selfStops = 0;

  const nodes: Node[] = o.nodes.map((ports, i) => {
    const name = `n${i + 1}`;
    const dir = join(base, name);
    return { name, dir, ports, child: null as unknown as ChildProcess, killed: false, out: "" };
  });
  const spawnNode = (n: Node): void => {
    n.killed = false;
    const { child } = spawnCliNode({
      cli: o.cli,
      name: n.name,
      etcdUrl: o.etcdUrl,
      conf,
      dir: n.dir,
      replicationPort: n.ports.replication,
      ports: { "--amqp-port": n.ports.amqp, "--mqtt-port": n.ports.mqtt, "--stomp-port": n.ports.stomp },
    });
    n.child = child;
    child.stderr!.on("data", (d: Buffer) => {
      // the last 64 KiB are enough to tell what happened
      n.out = (n.out + d.toString()).slice(-65536);
    });
    child.once("exit", (code, signal) => {
      if (n.child !== child || n.killed || stopping) return;
      // a leader that lost its lease exits 75 for its supervisor: this is the supervisor
      selfStops++;
      log(`${n.name} stopped by itself (${code ?? signal}); restarting it`);
      spawnNode(n);
    });
  };
  const logs = () => nodes.map((n) => `--- ${n.name}\n${n.out}`).join("\n");
  const fail = (err: Error): never => {
    throw new Error(`${err.message}\n${logs()}`);
  };
  const inSync = async (): Promise<string> => {
    const v = await etcd.get("/warren/in-sync").string();
    return v === null ? "" : (JSON.parse(v) as { nodes: string[] }).nodes.sort().join();
  };
  const leaderName = async (): Promise<string | null> => {
    const kvs = await etcd.getAll().prefix("/warren/election/").sort("Create", "Ascend").limit(1).strings();
    return Object.values(kvs)[0] ?? null;
  };
  const amqpHosts = nodes.map((n) => n.ports.amqp);

  const confirmed = { amqp: new Set<string>(), mqtt: new Set<string>(), stomp: new Set<string>() };
  const seen = new Map<string, boolean[]>();
  let deliveries = 0;
  const clients: Promise<void>[] = [];
  const failoversMs: number[] = [];

  try {
    spawnNode(nodes[0]!);
    await until(() => accepts(nodes[0]!.ports.amqp), "n1 leading", 30_000).catch(fail);
    spawnNode(nodes[1]!);
    spawnNode(nodes[2]!);
    await until(async () => (await inSync()) === "n1,n2,n3", "every node in sync", 30_000).catch(fail);
    {
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${nodes[0]!.ports.amqp}`);
      const ch = await c.createChannel();
      for (const q of Object.values(QUEUES)) await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(QUEUES.mqtt, "amq.topic", MQTT_TOPIC.replace("/", "."));
      await c.close();
    }

    /** An AMQP connection to the first host of the list that accepts. */
    const connectAmqp = async (): Promise<amqp.ChannelModel> => {
      for (;;) {
        for (const port of amqpHosts) {
          if (stopping) throw new Error("stopping");
          try {
            const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
            c.on("error", () => {});
            return c;
          } catch {
            // the next host
          }
        }
        await pause(50);
      }
    };
    /** Resolves when `c` closes (the leader it talks to died). */
    const closedOf = (c: { once(e: "close", f: () => void): unknown }) =>
      new Promise<"closed">((resolve) => c.once("close", () => resolve("closed")));

    // ---- AMQP publisher: windows of 10 with confirms ----
    clients.push(
      (async () => {
        let n = 0;
        while (!stopping) {
          let c: amqp.ChannelModel;
          try {
            c = await connectAmqp();
          } catch {
            return;
          }
          const closed = closedOf(c);
          try {
            const ch = await c.createConfirmChannel();
            ch.on("error", () => {});
            while (!stopping) {
              const bodies = Array.from({ length: 10 }, () => `amqp-${n++}`);
              for (const b of bodies) ch.sendToQueue(QUEUES.amqp, Buffer.from(b), { persistent: true });
              const r = await Promise.race([ch.waitForConfirms().then(() => "ok" as const), closed]);
              if (r !== "ok") break;
              for (const b of bodies) confirmed.amqp.add(b);
            }
          } catch {
            // the connection went mid-window: those bodies are not confirmed
          }
          await c.close().catch(() => {});
        }
      })(),
    );

    // ---- MQTT publisher: QoS 1, a new client (and clean session) per connection ----
    clients.push(
      (async () => {
        let n = 0;
        let attempt = 0;
        while (!stopping) {
          const port = nodes[attempt++ % nodes.length]!.ports.mqtt;
          const client = mqtt.connect({
            host: "127.0.0.1",
            port,
            clientId: `fo-pub-${attempt}`,
            username: "guest",
            password: "guest",
            clean: true,
            reconnectPeriod: 0,
            connectTimeout: 3000,
          });
          const connected = await new Promise<boolean>((resolve) => {
            client.once("connect", () => resolve(true));
            client.once("error", () => resolve(false));
            client.once("close", () => resolve(false));
          });
          if (!connected) {
            client.end(true);
            if (attempt % nodes.length === 0) await pause(50);
            continue;
          }
          const closed = closedOf(client);
          while (!stopping) {
            const bodies = Array.from({ length: 10 }, () => `mqtt-${n++}`);
            const acks = bodies.map(
              (b) =>
                new Promise<void>((resolve, reject) => client.publish(MQTT_TOPIC, b, { qos: 1 }, (err) => (err ? reject(err) : resolve()))),
            );
            const r = await Promise.race([Promise.all(acks).then(() => "ok" as const), closed]).catch(() => "failed" as const);
            if (r !== "ok") break;
            for (const b of bodies) confirmed.mqtt.add(b);
          }
          client.end(true);
        }
      })(),
    );

    // ---- STOMP publisher: persistent SENDs with receipts, over a raw socket ----
    clients.push(
      (async () => {
        let n = 0;
        let attempt = 0;
        while (!stopping) {
          const port = nodes[attempt++ % nodes.length]!.ports.stomp;
          const s = net.connect(port, "127.0.0.1");
          s.on("error", () => {});
          let buffered = "";
          const frames: string[] = [];
          let wake: (() => void) | null = null;
          s.on("data", (d: Buffer) => {
            buffered += d.toString();
            let at: number;
            while ((at = buffered.indexOf("\0")) >= 0) {
              frames.push(buffered.slice(0, at).replace(/^\n+/, ""));
              buffered = buffered.slice(at + 1);
            }
            wake?.();
          });
          const closed = closedOf(s);
          s.once("close", () => wake?.());
          /** The next frame, or null once the socket closed. */
          const next = async (): Promise<string | null> => {
            for (;;) {
              if (frames.length > 0) return frames.shift()!;
              if (s.destroyed || s.readyState === "closed") return null;
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = null;
            }
          };
          const up = await Promise.race([new Promise<"up">((resolve) => s.once("connect", () => resolve("up"))), closed]);
          if (up !== "up") {
            if (attempt % nodes.length === 0) await pause(50);
            continue;
          }
          s.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
          const hello = await next();
          if (hello === null || !hello.startsWith("CONNECTED")) {
            s.destroy();
            continue;
          }
          while (!stopping) {
            const bodies = Array.from({ length: 10 }, () => `stomp-${n++}`);
            for (const b of bodies) {
              s.write(`SEND\ndestination:/amq/queue/${QUEUES.stomp}\npersistent:true\nreceipt:${b}\ncontent-length:${b.length}\n\n${b}\0`);
            }
            let got = 0;
            for (;;) {
              const f = await next();
              if (f === null || !f.startsWith("RECEIPT")) break;
              const id = /receipt-id:(.*)/.exec(f)?.[1];
              if (id !== undefined) confirmed.stomp.add(id);
              if (++got === bodies.length) break;
            }
            if (got < bodies.length) break;
          }
          s.destroy();
        }
      })(),
    );

    // ---- AMQP consumer: manual acks, each after a random moment, on the three queues ----
    clients.push(
      (async () => {
        while (!stopping) {
          let c: amqp.ChannelModel;
          try {
            c = await connectAmqp();
          } catch {
            return;
          }
          const closed = closedOf(c);
          try {
            const ch = await c.createChannel();
            ch.on("error", () => {});
            await ch.prefetch(200);
            for (const q of Object.values(QUEUES)) {
              await ch.consume(q, (m) => {
                if (m === null) return;
                deliveries++;
                const body = m.content.toString();
                const flags = seen.get(body);
                if (flags === undefined) seen.set(body, [m.fields.redelivered]);
                else flags.push(m.fields.redelivered);
                // unacked messages are there at every kill: they must come back flagged
                setTimeout(() => {
                  try {
                    ch.ack(m);
                  } catch {
                    // the channel went: the message comes back
                  }
                }, Math.random() * 40);
              });
            }
            await Promise.race([closed, until(() => stopping, "stop", 3_600_000)]);
          } catch {
            // reconnect
          }
          await c.close().catch(() => {});
        }
      })(),
    );

    const total = () => confirmed.amqp.size + confirmed.mqtt.size + confirmed.stomp.size;
    for (let round = 1; round <= o.rounds; round++) {
      await until(async () => (await inSync()) === "n1,n2,n3", `round ${round}: every node in sync`, 2 * roundTimeout).catch(fail);
      const at = { amqp: confirmed.amqp.size, mqtt: confirmed.mqtt.size, stomp: confirmed.stomp.size };
      await until(
        () =>
          confirmed.amqp.size >= at.amqp + perRound &&
          confirmed.mqtt.size >= at.mqtt + perRound &&
          confirmed.stomp.size >= at.stomp + perRound,
        `round ${round}: every publisher confirming`,
        2 * roundTimeout,
      ).catch(fail);
      // a random moment: mid-window, mid-commit, mid-delivery
      await pause(Math.random() * 300);
      const name = await leaderName();
      const victim = nodes.find((n) => n.name === name);
      if (victim === undefined) throw new Error(`round ${round}: no leader in etcd\n${logs()}`);
      const survivors = nodes.filter((n) => n !== victim);
      const exited = new Promise<void>((resolve) => victim.child.once("exit", () => resolve()));
      victim.killed = true;
      const killedAt = Date.now();
      victim.child.kill("SIGKILL");
      const leader = await until(
        async () => {
          for (const n of survivors) if (await accepts(n.ports.amqp)) return n;
          return null;
        },
        `round ${round}: a new leader accepting connections`,
        roundTimeout,
      ).catch(fail);
      const ms = Date.now() - killedAt;
      failoversMs.push(ms);
      log(
        `round ${round}: killed ${victim.name} (leader), ${leader.name} accepted connections after ${ms} ms; confirmed so far ${total()}`,
      );
      await exited;
      spawnNode(victim);
    }

    // every confirmed message reaches the consumer (some unconfirmed ones may too)
    stopping = true;
    await Promise.all(clients.splice(0));
    stopping = false;
    const all = [...confirmed.amqp, ...confirmed.mqtt, ...confirmed.stomp];
    // a consumer of its own drains what the stopped one left
    const reader = await connectAmqp();
    const ch = await reader.createChannel();
    await ch.prefetch(500);
    for (const q of Object.values(QUEUES)) {
      await ch.consume(q, (m) => {
        if (m === null) return;
        deliveries++;
        const body = m.content.toString();
        const flags = seen.get(body);
        if (flags === undefined) seen.set(body, [m.fields.redelivered]);
        else flags.push(m.fields.redelivered);
        ch.ack(m);
      });
    }
    await until(() => all.every((b) => seen.has(b)), "every confirmed message delivered", 30_000).catch(() => {});
    await reader.close().catch(() => {});
    const lost = all.filter((b) => !seen.has(b));
    const unflagged: string[] = [];
    let seenTwice = 0;
    for (const [body, flags] of seen) {
      if (flags.length < 2) continue;
      seenTwice++;
      if (flags.slice(1).some((f) => !f)) unflagged.push(`${body} (${flags.join(",")})`);
    }
    return {
      failoversMs,
      confirmed: { amqp: confirmed.amqp.size, mqtt: confirmed.mqtt.size, stomp: confirmed.stomp.size },
      lost,
      unflagged,
      deliveries,
      seenTwice,
      selfStops,
    };
  } finally {
    stopping = true;
    await Promise.allSettled(clients);
    for (const n of nodes) {
      n.killed = true;
      n.child?.kill("SIGKILL");
    }
    await Promise.all(
      nodes.map((n) =>
        n.child && n.child.exitCode === null && n.child.signalCode === null ? new Promise((r) => n.child.once("exit", r)) : null,
      ),
    );
    etcd.close();
    rmSync(base, { recursive: true, force: true });
  }
}

/** The p-th percentile (nearest rank) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((s.length * p) / 100) - 1))] ?? Number.NaN;
}

/**
 * Failover rounds with every protocol (docs/clustering.md, "Failover tests"): three CLI nodes
 * (dist/), publishers with confirms on durable queues — AMQP (confirm channel), MQTT QoS 1 (PUBACK)
 * and STOMP (persistent SEND with a receipt) — and a consumer with manual acks for each, over its
 * own protocol: AMQP (basic.ack), MQTT QoS 1 in a persistent session (PUBACK) and STOMP
 * (client-individual ACK), each client going through the host list whenever its connection drops. Each round kills the leader with
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
import { inSync } from "./etcd.js";

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
  /**
   * Delivered more than once, and a later delivery came without the redelivered flag (AMQP's
   * redelivered bit, MQTT's DUP, STOMP's `redelivered:true` header).
   */
  readonly unflagged: string[];
  readonly deliveries: number;
  /** Bodies delivered more than once (each later time flagged, unless listed in `unflagged`). */
  readonly seenTwice: number;
  /** Deliveries per consumer's protocol, and of them those flagged redelivered. */
  readonly consumed: { amqp: number; mqtt: number; stomp: number };
  readonly flagged: { amqp: number; mqtt: number; stomp: number };
  /** Reconnects of the MQTT consumer whose CONNACK said its persistent session was not there. */
  readonly lostSessions: number;
  /** Nodes that stopped by themselves (lost their lease) and were restarted. */
  readonly selfStops: number;
}

/**
 * The durable queues: AMQP's and STOMP's declared; MQTT's is the consumer's persistent session
 * queue (mqtt-subscription-fo-subqos1), which MQTT_TOPIC reaches through amq.topic.
 */
const QUEUES = { amqp: "fo-amqp", stomp: "fo-stomp" } as const;
const MQTT_TOPIC = "fo/mqtt";
const MQTT_CONSUMER = "fo-sub";

type Proto = "amqp" | "mqtt" | "stomp";

/** A raw STOMP 1.2 connection: frames split at NUL, `next()` waits for one (null once closed). */
interface StompSocket {
  readonly socket: net.Socket;
  next(): Promise<string | null>;
}

/** Connects and logs in, or null (refused, or no CONNECTED). */
async function stompConnect(port: number): Promise<StompSocket | null> {
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
  s.once("close", () => wake?.());
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
  const up = await new Promise<boolean>((resolve) => {
    s.once("connect", () => resolve(true));
    s.once("close", () => resolve(false));
  });
  if (!up) return null;
  s.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
  const hello = await next();
  if (hello === null || !hello.startsWith("CONNECTED")) {
    s.destroy();
    return null;
  }
  return { socket: s, next };
}

/** A STOMP frame's header, or undefined. */
function stompHeader(frame: string, name: string): string | undefined {
  const head = frame.slice(0, frame.indexOf("\n\n") >>> 0);
  for (const line of head.split("\n")) if (line.startsWith(`${name}:`)) return line.slice(name.length + 1);
  return undefined;
}

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
  /** The publishers stop (then the consumers, once every confirmed message came). */
  let stopping = false;
  let consumersStopping = false;
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
      ports: { amqp: n.ports.amqp, mqtt: n.ports.mqtt, stomp: n.ports.stomp },
    });
    n.child = child;
    child.stderr!.on("data", (d: Buffer) => {
      // the last 64 KiB are enough to tell what happened
      n.out = (n.out + d.toString()).slice(-65536);
    });
    child.once("exit", (code, signal) => {
      if (n.child !== child || n.killed || consumersStopping) return;
      // a leader that lost its lease exits 75 for its supervisor: this is the supervisor
      selfStops++;
      const why = [...n.out.matchAll(/no longer leader: ([^\n]*)|could not take over[^\n]*/g)].at(-1);
      log(`${n.name} stopped by itself (${code ?? signal}${why ? `: ${why[1] ?? why[0]}` : ""}); restarting it`);
      spawnNode(n);
    });
  };
  const logs = () => nodes.map((n) => `--- ${n.name}\n${n.out}`).join("\n");
  const fail = (err: Error): never => {
    throw new Error(`${err.message}\n${logs()}`);
  };
  const inSyncNames = async (): Promise<string> => (await inSync(etcd)).join();
  const leaderName = async (): Promise<string | null> => {
    const kvs = await etcd.getAll().prefix("/warren/election/").sort("Create", "Ascend").limit(1).strings();
    return Object.values(kvs)[0] ?? null;
  };
  const amqpHosts = nodes.map((n) => n.ports.amqp);

  const confirmed = { amqp: new Set<string>(), mqtt: new Set<string>(), stomp: new Set<string>() };
  const seen = new Map<string, boolean[]>();
  let deliveries = 0;
  const consumed = { amqp: 0, mqtt: 0, stomp: 0 };
  const flagged = { amqp: 0, mqtt: 0, stomp: 0 };
  /** One delivery of `body` to the consumer of `proto`, with its redelivered flag. */
  const saw = (proto: Proto, body: string, redelivered: boolean): void => {
    deliveries++;
    consumed[proto]++;
    if (redelivered) flagged[proto]++;
    const flags = seen.get(body);
    if (flags === undefined) seen.set(body, [redelivered]);
    else flags.push(redelivered);
  };
  /** Publishers. */
  const clients: Promise<void>[] = [];
  /** Consumers: they stop after the publishers, once every confirmed message came. */
  const consumers: Promise<void>[] = [];

  const failoversMs: number[] = [];
  /** Reconnects of the MQTT consumer that found its persistent session gone (CONNACK session present 0). */
  let lostSessions = 0;

  try {
    spawnNode(nodes[0]!);
    await until(() => accepts(nodes[0]!.ports.amqp), "n1 leading", 30_000).catch(fail);
    spawnNode(nodes[1]!);
    spawnNode(nodes[2]!);
    await until(async () => (await inSyncNames()) === "n1,n2,n3", "every node in sync", 30_000).catch(fail);
    {
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${nodes[0]!.ports.amqp}`);
      const ch = await c.createChannel();
      for (const q of Object.values(QUEUES)) await ch.assertQueue(q, { durable: true });
      await c.close();
    }

    /** An AMQP connection to the first host of the list that accepts. */
    const connectAmqp = async (halted: () => boolean = () => stopping): Promise<amqp.ChannelModel> => {
      for (;;) {
        for (const port of amqpHosts) {
          if (halted()) throw new Error("stopping");
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

    // ---- consumers, one per protocol, each acking every message after a random moment: there are
    // always unacked deliveries at a kill, and they must come back flagged ----
    const ackDelay = () => Math.random() * 40;

    // AMQP: basic.consume with manual acks on fo-amqp
    consumers.push(
      (async () => {
        while (!consumersStopping) {
          let c: amqp.ChannelModel;
          try {
            c = await connectAmqp(() => consumersStopping);
          } catch {
            return;
          }
          const closed = closedOf(c);
          try {
            const ch = await c.createChannel();
            ch.on("error", () => {});
            await ch.prefetch(200);
            await ch.consume(QUEUES.amqp, (m) => {
              if (m === null) return;
              saw("amqp", m.content.toString(), m.fields.redelivered);
              setTimeout(() => {
                try {
                  ch.ack(m);
                } catch {
                  // the channel went: the message comes back
                }
              }, ackDelay());
            });
            await Promise.race([closed, until(() => consumersStopping, "stop", 3_600_000)]);
          } catch {
            // reconnect
          }
          await c.close().catch(() => {});
        }
      })(),
    );

    // MQTT 3.1.1: QoS 1 in a persistent session (clean session off, one client id throughout),
    // each PUBACK sent a random moment after the PUBLISH; a message the session's queue hands out
    // again comes with DUP set
    const mqttConsumerConnect = async (port: number): Promise<mqtt.MqttClient | null> => {
      const client = mqtt.connect({
        host: "127.0.0.1",
        port,
        clientId: MQTT_CONSUMER,
        username: "guest",
        password: "guest",
        clean: false,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      });
      // the PUBACK goes when handleMessage calls back (mqtt.js's hook for it; customHandleAcks is MQTT 5's)
      client.handleMessage = (packet, callback) => {
        if (packet.cmd !== "publish" || packet.qos === 0) return callback();
        saw("mqtt", packet.payload.toString(), packet.dup);
        // mqtt.js handles the next PUBLISH only after this one's PUBACK: a short wait keeps the
        // consumer ahead of the publisher, and the broker's in-flight window stays unacked anyway
        setTimeout(() => callback(), Math.random() * 2);
      };
      client.on("error", () => {});
      const connected = await new Promise<boolean>((resolve) => {
        client.once("connect", (connack) => {
          sessionPresent = connack.sessionPresent;
          resolve(true);
        });
        client.once("close", () => resolve(false));
      });
      if (connected) return client;
      client.end(true);
      return null;
    };
    /** Whether the MQTT consumer's last CONNACK said its session was there. */
    let sessionPresent = false;
    {
      // the session and its queue exist before anything is published to the topic
      const first = await until(() => mqttConsumerConnect(nodes[0]!.ports.mqtt), "the MQTT consumer's session", 30_000).catch(fail);
      await first.subscribeAsync(MQTT_TOPIC, { qos: 1 });
      consumers.push(
        (async () => {
          let client: mqtt.MqttClient | null = first;
          let attempt = 0;
          while (!consumersStopping) {
            if (client === null) {
              client = await mqttConsumerConnect(nodes[attempt++ % nodes.length]!.ports.mqtt);
              if (client === null) {
                if (attempt % nodes.length === 0) await pause(50);
                continue;
              }
              // a persistent session outlives a failover: its queue and subscription are on the new leader
              if (!sessionPresent) lostSessions++;
            }
            const c = client;
            await Promise.race([closedOf(c), until(() => consumersStopping, "stop", 3_600_000)]);
            c.end(true);
            client = null;
          }
        })(),
      );
    }

    // STOMP: SUBSCRIBE with ack:client-individual on fo-stomp, each ACK after a random moment
    consumers.push(
      (async () => {
        let attempt = 0;
        while (!consumersStopping) {
          const c = await stompConnect(nodes[attempt++ % nodes.length]!.ports.stomp);
          if (c === null) {
            if (attempt % nodes.length === 0) await pause(50);
            continue;
          }
          c.socket.write(`SUBSCRIBE\nid:0\ndestination:/amq/queue/${QUEUES.stomp}\nack:client-individual\nprefetch-count:200\n\n\0`);
          const stop = until(() => consumersStopping, "stop", 3_600_000).then(() => null);
          for (;;) {
            const f = await Promise.race([c.next(), stop]);
            if (f === null || !f.startsWith("MESSAGE")) break;
            const body = f.slice(f.indexOf("\n\n") + 2);
            saw("stomp", body, stompHeader(f, "redelivered") === "true");
            const ack = stompHeader(f, "ack");
            setTimeout(() => {
              if (!c.socket.destroyed) c.socket.write(`ACK\nid:${ack}\n\n\0`);
            }, ackDelay());
          }
          c.socket.destroy();
        }
      })(),
    );

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
          const c = await stompConnect(port);
          if (c === null) {
            if (attempt % nodes.length === 0) await pause(50);
            continue;
          }
          while (!stopping) {
            const bodies = Array.from({ length: 10 }, () => `stomp-${n++}`);
            for (const b of bodies) {
              c.socket.write(
                `SEND\ndestination:/amq/queue/${QUEUES.stomp}\npersistent:true\nreceipt:${b}\ncontent-length:${b.length}\n\n${b}\0`,
              );
            }
            let got = 0;
            for (;;) {
              const f = await c.next();
              if (f === null || !f.startsWith("RECEIPT")) break;
              const id = stompHeader(f, "receipt-id");
              if (id !== undefined) confirmed.stomp.add(id);
              if (++got === bodies.length) break;
            }
            if (got < bodies.length) break;
          }
          c.socket.destroy();
        }
      })(),
    );

    const total = () => confirmed.amqp.size + confirmed.mqtt.size + confirmed.stomp.size;
    for (let round = 1; round <= o.rounds; round++) {
      await until(async () => (await inSyncNames()) === "n1,n2,n3", `round ${round}: every node in sync`, 2 * roundTimeout).catch(fail);
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
        `round ${round}: killed ${victim.name} (leader), ${leader.name} accepted connections after ${ms} ms; confirmed so far ${total()}, consumed ${JSON.stringify(consumed)}, MQTT sessions lost ${lostSessions}`,
      );
      await exited;
      spawnNode(victim);
    }

    // every confirmed message reaches its consumer (some unconfirmed ones may too): the publishers
    // stop, the consumers go on until they have seen every confirmed message (or a minute passed)
    stopping = true;
    await Promise.all(clients.splice(0));
    const all = [...confirmed.amqp, ...confirmed.mqtt, ...confirmed.stomp];
    await until(() => all.every((b) => seen.has(b)), "every confirmed message delivered", 60_000).catch(() => {});
    consumersStopping = true;
    await Promise.all(consumers.splice(0));
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
      consumed,
      flagged,
      lostSessions,
    };
  } finally {
    stopping = true;
    consumersStopping = true;
    await Promise.allSettled([...clients, ...consumers]);
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

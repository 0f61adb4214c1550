#!/usr/bin/env node
// Warren benchmark harness: measures AMQP brokers given by URL in one run and
// prints one markdown table (scenarios as rows, one column per target, a ratio
// column for two targets). See bench/README.md.
//
//   npm run bench -- --target warren=amqp://127.0.0.1:5679,cmd="node dist/cli/main.js --amqp-port 5679 --data-dir /tmp/x" \
//                    --target rabbitmq=amqp://guest:guest@127.0.0.1:5672,pid=$(pgrep -f beam.smp)

import os from "node:os";
import { writeFileSync, readFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { AmqpConnection } from "./lib/amqp-raw.mjs";
import { CLK_TCK, cpuTicks, rssBytes, RssSampler, processAlive, machineBusyTicks } from "./lib/proc.mjs";
import { WorkerHandle } from "./lib/workers.mjs";
import { parseTarget, startTarget, stopTarget, killTargetNow } from "./lib/targets.mjs";
import { median, fmtNum, fmtMiB, sleep, withTimeout } from "./lib/stats.mjs";

// ------------------------------------------------------------------ scenarios

const Q_PREFIX = "warren-bench";

/** @type {Array<object>} in table order; `protocol` is the URL scheme of the targets they run against */
const SCENARIOS = [
  { id: "noack-16", protocol: "amqp", kind: "throughput", title: "1→1, 16 B, no-ack", size: 16, mode: "noack" },
  { id: "ack-16", protocol: "amqp", kind: "throughput", title: "1→1, 16 B, ack each (prefetch 100)", size: 16, mode: "ack", prefetch: 100 },
  {
    id: "multiack-16",
    protocol: "amqp",
    kind: "throughput",
    title: "1→1, 16 B, multi-ack (prefetch 1000)",
    size: 16,
    mode: "multiack",
    prefetch: 1000,
  },
  { id: "noack-1k", protocol: "amqp", kind: "throughput", title: "1→1, 1 KiB, no-ack", size: 1024, mode: "noack" },
  {
    id: "ack-1k",
    protocol: "amqp",
    kind: "throughput",
    title: "1→1, 1 KiB, ack each (prefetch 100)",
    size: 1024,
    mode: "ack",
    prefetch: 100,
  },
  {
    id: "multiack-1k",
    protocol: "amqp",
    kind: "throughput",
    title: "1→1, 1 KiB, multi-ack (prefetch 1000)",
    size: 1024,
    mode: "multiack",
    prefetch: 1000,
  },
  { id: "fanout", protocol: "amqp", kind: "throughput", title: "fan-out ×10, 16 B, no-ack", size: 16, mode: "noack", fanout: true },
  { id: "latency", protocol: "amqp", kind: "latency", title: "latency", size: 16 },

  // first, so that in a default run it meets a broker whose heap earlier scenarios haven't grown (see README)
  { id: "mqtt-idle", protocol: "mqtt", kind: "idle", title: "MQTT idle connections" },
  { id: "mqtt-qos0", protocol: "mqtt", kind: "throughput", title: "MQTT 1→1, 64 B, QoS 0", size: 64, qos: 0 },
  { id: "mqtt-qos1", protocol: "mqtt", kind: "throughput", title: "MQTT 1→1, 64 B, QoS 1 (PUBACK both ways)", size: 64, qos: 1 },
  {
    id: "mqtt-fanout",
    protocol: "mqtt",
    kind: "throughput",
    title: "MQTT fan-out 1→10 subscribers, 64 B, QoS 0",
    size: 64,
    qos: 0,
    fanout: true,
  },
  { id: "mqtt-latency-qos0", protocol: "mqtt", kind: "latency", title: "MQTT QoS 0 latency", size: 64, qos: 0 },
  { id: "mqtt-latency-qos1", protocol: "mqtt", kind: "latency", title: "MQTT QoS 1 latency", size: 64, qos: 1 },

  {
    id: "stomp-auto-16",
    protocol: "stomp",
    kind: "throughput",
    title: "STOMP SEND→SUBSCRIBE /queue, 16 B, ack auto",
    size: 16,
    ack: "auto",
  },
  {
    id: "stomp-ci-16",
    protocol: "stomp",
    kind: "throughput",
    title: "STOMP SEND→SUBSCRIBE /queue, 16 B, client-individual (prefetch 100)",
    size: 16,
    ack: "client-individual",
    prefetch: 100,
  },
  {
    id: "stomp-auto-1k",
    protocol: "stomp",
    kind: "throughput",
    title: "STOMP SEND→SUBSCRIBE /queue, 1 KiB, ack auto",
    size: 1024,
    ack: "auto",
  },
  {
    id: "stomp-ci-1k",
    protocol: "stomp",
    kind: "throughput",
    title: "STOMP SEND→SUBSCRIBE /queue, 1 KiB, client-individual (prefetch 100)",
    size: 1024,
    ack: "client-individual",
    prefetch: 100,
  },
  { id: "stomp-latency", protocol: "stomp", kind: "latency", title: "STOMP latency (ack auto)", size: 16 },

  // AMQP 1.0: pre-settled both ways, or unsettled both ways (the sender keeps ≤ --amqp10-window
  // deliveries the broker has not settled; the receiver accepts each and keeps a credit of 200)
  { id: "a10-settled-16", protocol: "amqp10", kind: "throughput", title: "AMQP 1.0 1→1, 16 B, pre-settled", size: 16, settled: true },
  {
    id: "a10-unsettled-16",
    protocol: "amqp10",
    kind: "throughput",
    title: "AMQP 1.0 1→1, 16 B, unsettled (credit 200)",
    size: 16,
    settled: false,
  },
  { id: "a10-settled-1k", protocol: "amqp10", kind: "throughput", title: "AMQP 1.0 1→1, 1 KiB, pre-settled", size: 1024, settled: true },
  {
    id: "a10-unsettled-1k",
    protocol: "amqp10",
    kind: "throughput",
    title: "AMQP 1.0 1→1, 1 KiB, unsettled (credit 200)",
    size: 1024,
    settled: false,
  },
  {
    id: "a10-fanout",
    protocol: "amqp10",
    kind: "throughput",
    title: "AMQP 1.0 fan-out ×10, 16 B, pre-settled",
    size: 16,
    settled: true,
    fanout: true,
  },
  { id: "a10-latency", protocol: "amqp10", kind: "latency", title: "AMQP 1.0 latency (pre-settled)", size: 16 },

  { id: "startup", protocol: "any", kind: "startup", title: "start-up" },
];
const PROTOCOLS = ["amqp", "mqtt", "stomp", "amqp10"];
const ALIASES = {
  // `all` is every scenario of the run's protocol (start-up only for AMQP; name it to add it to the others)
  all: (p) => SCENARIOS.filter((s) => s.protocol === p || (p === "amqp" && s.protocol === "any")).map((s) => s.id),
  "1to1": () => ["noack-16", "ack-16", "multiack-16", "noack-1k", "ack-1k", "multiack-1k"],
  throughput: (p) => SCENARIOS.filter((s) => s.protocol === p && s.kind === "throughput").map((s) => s.id),
  latency: (p) => SCENARIOS.filter((s) => s.protocol === p && s.kind === "latency").map((s) => s.id),
};

// ------------------------------------------------------------------ options

const USAGE = `usage: npm run bench -- --target NAME=amqp://user:pass@host:port[/vhost][,pid=N|,cmd="..."][,ports=P+P][,cwd=DIR] [...]
       npm run bench -- --protocol mqtt --target NAME=mqtt://[user:pass@]host:port[,…] [...]
       npm run bench -- --protocol stomp --target NAME=stomp://[user:pass@]host:port[,amqp=URL][,…] [...]
       npm run bench -- --protocol amqp10 --target NAME=amqp10://user:pass@host:port[/vhost],amqp=URL[,…] [...]

  --target SPEC         a broker to measure (repeatable; columns in this order; ratios = 1st ÷ each other)
                          pid=N     broker process for CPU/RSS; default (or pid=auto): the local process
                                    listening on the URL's port
                          cmd="..." start the broker; measures start-up and idle RSS, kills it at the end
                          ports=A+B ports that must all accept before start-up is complete (default: the URL's)
                          amqp=URL  (stomp targets) the broker's AMQP URL, to delete the scenarios' queues;
                                    (amqp10 targets, required) to declare and delete them
  --protocol P          amqp, mqtt, stomp or amqp10: which scenarios run (default: the first target's URL scheme);
                        every target's URL must use that scheme
  --scenarios LIST      comma-separated ids or aliases (default all of the protocol):
                          ${SCENARIOS.map((s) => s.id).join(", ")}
                          aliases: 1to1, throughput, latency, all
  --runs N              repetitions per scenario, median reported (default 3)
  --quick               smoke run: 1 run, 0.5 s warm-up, 2 s window
  --warmup MS           warm-up before each measured window (default 1000)
  --duration MS         measured window (default 5000)
  --publishers N        publisher processes per throughput scenario (default 1)
  --fanout-queues N     queues bound to the fan-out exchange (default 10)
  --fanout-consumer-procs N  processes sharing the fan-out consumers (default 2)
  --multiack-every N    ack with multiple=true every N deliveries (default 100)
  --publish-batch-bytes N  bytes of pre-encoded messages per publisher write() (default 65536; 1 = one message per write)
  --max-backlog N       cap on published-but-not-delivered messages per queue, 0 = no cap (default 20000)
  --queue-args JSON     AMQP: arguments the scenarios' queues are declared with, e.g. '{"x-max-priority":10}' or '{"x-message-ttl":60000}'
                        (strings, integers and booleans), to compare a queue feature's cost with a plain queue
  --latency-rate N      msg/s for the latency scenarios (default 5000)
  --mqtt-window N       MQTT QoS 1 publisher: PUBLISHes in flight without PUBACK (default 1000)
  --amqp10-window N     AMQP 1.0 unsettled sender: deliveries the broker has not settled yet (default 1000)
  --idle-connections N  mqtt-idle: idle MQTT connections to open (default 10000; ulimit -n is raised if it can be)
  --startup-timeout MS  give up on a cmd= target's start-up after this long (default 30000)
  --idle MS             idle time before reading idle RSS (default 2000)
  --idle-settle S       mqtt-idle: keep holding the connections this many seconds more and read RSS
                        again (default 90): V8 gives back the young generation the connection storm
                        grew only once its memory reducer sees the process idle, tens of seconds later
  --idle-keepalive S    mqtt-idle: the clients' keep-alive; they PINGREQ every S/2 s (default 0: silent)
  --json FILE           also write every run's raw numbers as JSON
  --table-from A.json[,B.json…]  only print the table from earlier --json files (same targets;
                        a later file's scenarios replace an earlier one's)
  --help`;

function parseArgs(argv) {
  const o = {
    targets: [],
    protocol: null,
    scenarioSpec: "all",
    runs: 3,
    warmupMs: 1000,
    durationMs: 5000,
    publishers: 1,
    fanoutQueues: 10,
    fanoutConsumerProcs: 2,
    publishBatchBytes: 65536,
    multiackEvery: 100,
    maxBacklog: 20000,
    latencyRate: 5000,
    startupTimeoutMs: 30000,
    idleMs: 2000,
    json: null,
    quick: false,
    mqttWindow: 1000,
    amqp10Window: 1000,
    idleConnections: 10000,
    idleSettleS: 90,
    idleKeepalive: 0,
  };
  const explicit = new Set();
  const num = (name, v, min = 0) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} needs a number ≥ ${min}, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    explicit.add(a);
    switch (a) {
      case "--target":
        o.targets.push(parseTarget(val()));
        break;
      case "--scenarios":
        o.scenarioSpec = val();
        break;
      case "--protocol":
        o.protocol = val();
        break;
      case "--mqtt-window":
        o.mqttWindow = num(a, val(), 1);
        break;
      case "--amqp10-window":
        o.amqp10Window = num(a, val(), 1);
        break;
      case "--idle-connections":
        o.idleConnections = num(a, val(), 1);
        break;
      case "--runs":
        o.runs = num(a, val(), 1);
        break;
      case "--quick":
        o.quick = true;
        break;
      case "--warmup":
        o.warmupMs = num(a, val());
        break;
      case "--duration":
        o.durationMs = num(a, val(), 100);
        break;
      case "--publishers":
        o.publishers = num(a, val(), 1);
        break;
      case "--fanout-queues":
        o.fanoutQueues = num(a, val(), 1);
        break;
      case "--fanout-consumer-procs":
        o.fanoutConsumerProcs = num(a, val(), 1);
        break;
      case "--multiack-every":
        o.multiackEvery = num(a, val(), 1);
        break;
      case "--publish-batch-bytes":
        o.publishBatchBytes = num(a, val(), 1);
        break;
      case "--max-backlog":
        o.maxBacklog = num(a, val());
        break;
      case "--queue-args":
        o.queueArgs = JSON.parse(val());
        break;
      case "--latency-rate":
        o.latencyRate = num(a, val(), 1);
        break;
      case "--startup-timeout":
        o.startupTimeoutMs = num(a, val(), 100);
        break;
      case "--idle":
        o.idleMs = num(a, val());
        break;
      case "--idle-settle":
        o.idleSettleS = num(a, val());
        break;
      case "--idle-keepalive":
        o.idleKeepalive = num(a, val());
        break;
      case "--json":
        o.json = val();
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n\n${USAGE}`);
    }
  }
  if (o.quick) {
    if (!explicit.has("--runs")) o.runs = 1;
    if (!explicit.has("--warmup")) o.warmupMs = 500;
    if (!explicit.has("--duration")) o.durationMs = 2000;
    if (!explicit.has("--idle")) o.idleMs = 1000;
  }
  if (o.targets.length === 0) throw new Error(`give at least one --target\n\n${USAGE}`);
  if (o.protocol === null) {
    // the first target's scheme, unless every named scenario says otherwise (e.g. --scenarios mqtt-qos0)
    const named = o.scenarioSpec
      .split(",")
      .map((x) => SCENARIOS.find((sc) => sc.id === x.trim())?.protocol)
      .filter((p) => p && p !== "any");
    o.protocol = named.length > 0 && named.every((p) => p === named[0]) ? named[0] : o.targets[0].protocol;
  }
  if (!PROTOCOLS.includes(o.protocol)) throw new Error(`--protocol must be one of ${PROTOCOLS.join(", ")}`);
  for (const t of o.targets) {
    if (t.protocol !== o.protocol) throw new Error(`target ${t.name}: a ${o.protocol} run needs ${o.protocol}:// URLs, got ${t.url}`);
    if (t.protocol === "amqp10" && !t.amqpUrl) throw new Error(`target ${t.name}: amqp10 targets need amqp=URL (to declare the queues)`);
  }
  const ids = [];
  for (const x of o.scenarioSpec
    .split(",")
    .map((y) => y.trim())
    .filter(Boolean)) {
    const sc = SCENARIOS.find((y) => y.id === x);
    if (ALIASES[x]) ids.push(...ALIASES[x](o.protocol));
    else if (sc && (sc.protocol === o.protocol || sc.protocol === "any")) ids.push(x);
    else if (sc) throw new Error(`scenario ${x} is for ${sc.protocol} targets, this run is ${o.protocol}`);
    else throw new Error(`unknown scenario ${x}; known: ${SCENARIOS.map((y) => y.id).join(", ")}`);
  }
  o.scenarios = [...new Set(ids)];
  const names = o.targets.map((t) => t.name);
  if (new Set(names).size !== names.length) throw new Error("target names must be unique");
  if (o.multiackEvery >= 1000) throw new Error("--multiack-every must be below the multi-ack prefetch (1000)");
  return o;
}

const log = (...a) => console.error(...a);

// ------------------------------------------------------------------ runs

/** Everything a run started, so a timeout can tear it all down at once. */
class RunContext {
  constructor() {
    this.workers = [];
    this.conns = [];
    this.aborted = false;
  }
  worker(kind, cfg, label) {
    const w = new WorkerHandle(kind, cfg, label);
    this.workers.push(w);
    return w;
  }
  abort() {
    this.aborted = true;
    for (const w of this.workers) w.kill();
    for (const c of this.conns) c.destroy();
  }
}

/** Counters of all workers at (nearly) one instant, with the broker's CPU ticks. */
async function markAll(target, workers, extra) {
  const ticks = target.pid ? cpuTicks(target.pid) : null;
  const machine = machineBusyTicks();
  const t = process.hrtime.bigint();
  const replies = await Promise.all(workers.map((w) => w.mark(extra)));
  if (target.pid && ticks === null) throw new Error(`broker process ${target.pid} is gone`);
  return { t, ticks, machine, replies };
}

/**
 * CPU used on the machine during the window by anything other than the broker
 * and this run's clients (other tests, other brokers…), in % of one core. A
 * high value means the numbers are disturbed; on a shared broker, other users'
 * traffic also shows up in the broker's own CPU.
 */
function otherLoadPct(m0, m1, secs, clientCpu) {
  if (m0.machine === null || m1.machine === null) return null;
  const busy = (m1.machine - m0.machine) / CLK_TCK;
  const broker = m0.ticks === null ? 0 : (m1.ticks - m0.ticks) / CLK_TCK;
  const clients = (clientCpu.reduce((a, c) => a + c.pct, 0) / 100) * secs;
  return Math.max(0, ((busy - broker - clients) / secs) * 100);
}

async function openControl(ctx, target) {
  const c = await AmqpConnection.open(target.protocol === "amqp10" ? target.amqpUrl : target.url, { name: "warren-bench control" });
  c.onError = () => {};
  ctx.conns.push(c);
  return c;
}

/** AMQP (both): the scenario's queues. STOMP: the queue behind the /queue/ destination. MQTT: none (clean sessions). */
function queueNames(sc, o) {
  if (sc.protocol === "stomp") return [stompQueue(sc)];
  if (sc.protocol !== "amqp" && sc.protocol !== "amqp10") return [];
  if (sc.fanout) return Array.from({ length: o.fanoutQueues }, (_, i) => `${Q_PREFIX}-fanout-${i}`);
  return [`${Q_PREFIX}-${sc.id}`];
}
const stompQueue = (sc) => `bench-${sc.id}`;
const mqttTopic = (sc) => `${Q_PREFIX}/${sc.id}`;

/**
 * Delete what a scenario declares; tolerant of "not there" (a fresh connection each call).
 * STOMP targets are cleaned up through their amqp= URL when one is given (otherwise the
 * consumers drain the queue on stop and the empty queue stays).
 */
async function cleanup(target, sc, o) {
  const url = target.protocol === "amqp" ? target.url : target.amqpUrl;
  const queues = queueNames(sc, o);
  if (!url || queues.length === 0) return;
  const c = await AmqpConnection.open(url, { name: "warren-bench cleanup", timeoutMs: 5000 });
  try {
    for (const q of queues) await c.queueDelete(q);
    if (sc.fanout && sc.protocol !== "stomp") await c.exchangeDelete(`${Q_PREFIX}-fanout`);
  } finally {
    await c.close(2000);
  }
}

/**
 * The protocol-specific part of a throughput run: how many delivery streams
 * (queues / subscribers / destinations) there are, and the worker kinds and
 * configs of consumers (given the stream indexes they serve) and publishers.
 */
async function throughputSetup(ctx, target, sc, o, perPublisherLimit) {
  const pubCommon = { url: target.url, bodySize: sc.size, limit: perPublisherLimit, batchBytes: o.publishBatchBytes };
  if (sc.protocol === "mqtt") {
    const topic = mqttTopic(sc);
    return {
      streams: sc.fanout ? o.fanoutQueues : 1,
      consumerKind: "mqtt-consumer",
      consumerCfg: (idx) => ({ url: target.url, subscribers: idx, topic, qos: sc.qos }),
      publisherKind: "mqtt-publisher",
      publisherCfg: { ...pubCommon, topic, qos: sc.qos, window: o.mqttWindow },
      close: async () => {},
    };
  }
  if (sc.protocol === "stomp") {
    const destination = `/queue/${stompQueue(sc)}`;
    return {
      streams: 1,
      consumerKind: "stomp-consumer",
      consumerCfg: () => ({ url: target.url, destinations: [destination], ack: sc.ack, prefetch: sc.prefetch ?? null }),
      publisherKind: "stomp-publisher",
      publisherCfg: { ...pubCommon, destination },
      close: async () => {},
    };
  }
  const queues = queueNames(sc, o);
  const exchange = sc.fanout ? `${Q_PREFIX}-fanout` : "";
  const ctl = await openControl(ctx, target);
  if (sc.fanout) await ctl.exchangeDeclare(exchange, "fanout");
  for (const q of queues) {
    await ctl.queueDeclare(q, { args: o.queueArgs ?? {} });
    if (sc.fanout) await ctl.queueBind(q, exchange, "");
  }
  if (sc.protocol === "amqp10") {
    // RabbitMQ 3.x addresses, which Warren also takes: the queues exist, so /amq/queue/ names them as they are
    return {
      streams: queues.length,
      consumerKind: "amqp10-consumer",
      consumerCfg: (idx) => ({ url: target.url, addresses: idx.map((i) => `/amq/queue/${queues[i]}`), settled: sc.settled }),
      publisherKind: "amqp10-publisher",
      publisherCfg: {
        ...pubCommon,
        address: sc.fanout ? `/exchange/${exchange}/bench` : `/amq/queue/${queues[0]}`,
        settled: sc.settled,
        window: o.amqp10Window,
      },
      close: () => ctl.close(2000),
    };
  }
  return {
    streams: queues.length,
    consumerKind: "consumer",
    consumerCfg: (idx) => ({
      url: target.url,
      queues: idx.map((i) => queues[i]),
      mode: sc.mode,
      prefetch: sc.prefetch,
      ackEvery: o.multiackEvery,
    }),
    publisherKind: "publisher",
    publisherCfg: { ...pubCommon, exchange, routingKey: sc.fanout ? "" : queues[0] },
    close: () => ctl.close(2000),
  };
}

async function throughputRun(ctx, target, sc, o) {
  await cleanup(target, sc, o); // leftovers of an interrupted earlier run
  const P = o.publishers;
  const capped = o.maxBacklog > 0;
  const setup = await throughputSetup(ctx, target, sc, o, capped ? Math.ceil(o.maxBacklog / P) : null);

  // Consumers first, so nothing is published before someone is listening.
  const nCons = Math.min(sc.fanout ? o.fanoutConsumerProcs : 1, setup.streams);
  const assigned = Array.from({ length: nCons }, () => []);
  for (let i = 0; i < setup.streams; i++) assigned[i % nCons].push(i);
  const consumers = assigned.map((idx, k) => ctx.worker(setup.consumerKind, setup.consumerCfg(idx), `consumer ${k + 1}`));
  await Promise.all(consumers.map((w) => w.ready()));

  const publishers = Array.from({ length: P }, (_, k) => ctx.worker(setup.publisherKind, setup.publisherCfg, `publisher ${k + 1}`));
  await Promise.all(publishers.map((w) => w.ready()));

  // Backlog cap: each publisher may publish up to (slowest stream's deliveries + maxBacklog) / P.
  const perQueue = new Array(setup.streams).fill(0);
  let lastMin = 0;
  let lastMove = performance.now(); // when any consumer last reported a new delivery
  consumers.forEach((w, k) => {
    w.onProgress = (counts) => {
      counts.forEach((c, j) => {
        if (c !== perQueue[assigned[k][j]]) lastMove = performance.now();
        perQueue[assigned[k][j]] = c;
      });
      if (!capped) return;
      let min = Infinity;
      for (const c of perQueue) if (c < min) min = c;
      if (min > lastMin) {
        lastMin = min;
        const v = Math.ceil((min + o.maxBacklog) / P);
        for (const p of publishers) p.send({ t: "limit", v });
      }
    };
  });

  const rss = new RssSampler(target.pid);
  try {
    for (const p of publishers) p.send({ t: "start" });
    await sleep(o.warmupMs);
    const all = [...consumers, ...publishers];
    const m0 = await markAll(target, all);
    await sleep(o.durationMs);
    const m1 = await markAll(target, all);
    const rssEnd = rss.sample();
    rss.stop();
    const stalledMs = performance.now() - lastMove;
    if (stalledMs > 1000) throw new Error(`no deliveries for the last ${(stalledMs / 1000).toFixed(1)} s of the window (broker stalled?)`);

    const secs = Number(m1.t - m0.t) / 1e9;
    const sum = (m, ws, f) => ws.reduce((acc, w) => acc + f(m.replies[all.indexOf(w)]), 0);
    const delivered =
      sum(m1, consumers, (r) => r.counts.reduce((a, b) => a + b, 0)) - sum(m0, consumers, (r) => r.counts.reduce((a, b) => a + b, 0));
    const published = sum(m1, publishers, (r) => r.published) - sum(m0, publishers, (r) => r.published);
    if (delivered <= 0) throw new Error("no messages delivered in the measured window");
    const cpuUs = target.pid ? ((m1.ticks - m0.ticks) * 1e6) / CLK_TCK : null;
    const clientCpu = all.map((w, i) => ({ label: w.label, pct: ((m1.replies[i].cpu - m0.replies[i].cpu) / 1e6 / secs) * 100 }));
    return {
      otherLoadPct: otherLoadPct(m0, m1, secs, clientCpu),
      rate: delivered / secs,
      publishRate: published / secs,
      cpuPerMsg: cpuUs === null ? null : cpuUs / delivered,
      brokerCpuPct: cpuUs === null ? null : (cpuUs / 1e6 / secs) * 100,
      rssEnd,
      rssPeak: target.pid ? rss.peak : null,
      clientCpu,
      clients: { publishers: P, consumers: nCons },
    };
  } finally {
    rss.stop();
    // Publishers first so queues stop growing, then consumers, then the queues.
    await teardown(target, sc, o, async () => {
      await Promise.all(publishers.map((w) => w.stop()));
      await Promise.all(consumers.map((w) => w.stop(8000)));
      await setup.close();
    });
  }
}

/** Stop a run's clients and delete its queues; a failure here is logged, never masks the run's own result. */
async function teardown(target, sc, o, stopClients) {
  try {
    await stopClients();
    await cleanup(target, sc, o);
  } catch (e) {
    log(`[${target.name}] ${sc.id}: cleanup failed — ${e.message}`);
  }
}

async function latencyRun(ctx, target, sc, o) {
  await cleanup(target, sc, o);
  let w;
  let ctl = null;
  if (sc.protocol === "mqtt") {
    w = ctx.worker(
      "mqtt-latency",
      { url: target.url, topic: mqttTopic(sc), qos: sc.qos, rate: o.latencyRate, bodySize: sc.size },
      "latency pub+sub",
    );
  } else if (sc.protocol === "amqp10") {
    const queue = queueNames(sc, o)[0];
    ctl = await openControl(ctx, target);
    await ctl.queueDeclare(queue, { args: o.queueArgs ?? {} });
    w = ctx.worker(
      "amqp10-latency",
      { url: target.url, address: `/amq/queue/${queue}`, rate: o.latencyRate, bodySize: sc.size },
      "latency pub+con",
    );
  } else if (sc.protocol === "stomp") {
    w = ctx.worker(
      "stomp-latency",
      { url: target.url, destination: `/queue/${stompQueue(sc)}`, rate: o.latencyRate, bodySize: sc.size },
      "latency pub+con",
    );
  } else {
    const queue = queueNames(sc, o)[0];
    ctl = await openControl(ctx, target);
    await ctl.queueDeclare(queue, { args: o.queueArgs ?? {} });
    w = ctx.worker("latency", { url: target.url, queue, rate: o.latencyRate, bodySize: sc.size }, "latency pub+con");
  }
  await w.ready();
  const rss = new RssSampler(target.pid);
  try {
    w.send({ t: "start" });
    await sleep(o.warmupMs);
    const m0 = await markAll(target, [w], { phase: "begin" });
    await sleep(o.durationMs);
    const m1 = await markAll(target, [w], { phase: "end" });
    const rssEnd = rss.sample();
    const secs = Number(m1.t - m0.t) / 1e9;
    const L = m1.replies[0].latency;
    if (!L.samples) throw new Error("no messages received in the measured window");
    // Everything sent in the window should have arrived by its end, give or take the tail in flight.
    const lost = L.sentInWindow - L.receivedInWindow;
    if (lost > o.latencyRate * 0.5)
      throw new Error(`consumer fell behind: ${lost} of ${L.sentInWindow} messages not received in the window`);
    const cpuUs = target.pid ? ((m1.ticks - m0.ticks) * 1e6) / CLK_TCK : null;
    const clientCpu = [{ label: w.label, pct: ((m1.replies[0].cpu - m0.replies[0].cpu) / 1e6 / secs) * 100 }];
    return {
      otherLoadPct: otherLoadPct(m0, m1, secs, clientCpu),
      rate: L.receivedInWindow / secs,
      p50: L.p50 / 1000,
      p99: L.p99 / 1000,
      p999: L.p999 / 1000,
      max: L.max / 1000,
      cpuPerMsg: cpuUs === null ? null : cpuUs / L.receivedInWindow,
      brokerCpuPct: cpuUs === null ? null : (cpuUs / 1e6 / secs) * 100,
      rssEnd,
      rssPeak: target.pid ? rss.peak : null,
      clientCpu,
      clients: { publishers: 0, consumers: 0, combined: 1 },
    };
  } finally {
    rss.stop();
    await teardown(target, sc, o, async () => {
      await w.stop();
      if (ctl) await ctl.close(2000);
    });
  }
}

/**
 * Idle MQTT connections: broker RSS before, open N connections (CONNECT +
 * CONNACK, keep-alive 0, nothing else) from one client process, wait
 * --idle ms (at least 2 s) for the broker to settle, RSS again; reports the
 * growth per connection and the broker's CPU per connection while opening.
 * A cmd= target is restarted first, so every run starts from a fresh process.
 */
async function idleRun(ctx, target, sc, o) {
  if (target.cmd) {
    // A fresh process for every run: memory freed by an earlier run's (or scenario's) connections
    // would otherwise be reused and hide most of the growth.
    await stopTarget(target);
    await startTarget(target, { timeoutMs: o.startupTimeoutMs, idleMs: 0, log });
  }
  if (!target.pid) throw new Error("needs the broker's pid for RSS");
  const N = o.idleConnections;
  const w = ctx.worker("mqtt-idle", { url: target.url, count: N, parallel: 50, keepalive: o.idleKeepalive }, "idle conns");
  await w.ready();
  try {
    await sleep(1000);
    const before = rssBytes(target.pid);
    const t0 = cpuTicks(target.pid);
    const opened = await w.request("open", "opened", {}, 150000);
    const t1 = cpuTicks(target.pid);
    await sleep(Math.max(2000, o.idleMs));
    const after = rssBytes(target.pid);
    // held longer: the figure a broker keeps while its clients idle, once the runtime has settled
    await sleep(o.idleSettleS * 1000);
    const settled = rssBytes(target.pid);
    const m = await w.mark();
    if (before === null || after === null || settled === null) throw new Error(`broker process ${target.pid} is gone`);
    if (m.open < N) throw new Error(`only ${m.open} of ${N} connections still open (${m.failed} closed by the broker)`);
    return {
      otherLoadPct: null,
      connections: N,
      keepalive: o.idleKeepalive,
      rssBefore: before,
      rssAfter: after,
      rssSettled: settled,
      settleS: o.idleSettleS,
      kibPerConn: (after - before) / 1024 / N,
      kibPerConnSettled: (settled - before) / 1024 / N,
      openMs: opened.ms,
      cpuPerConnUs: ((t1 - t0) * 1e6) / CLK_TCK / N,
      clientCpu: [],
      clients: { combined: 1 },
    };
  } finally {
    await w.stop(10000);
    await settle(target);
  }
}

/**
 * Wait until the broker is (nearly) idle again — below 20 % of a core over half a second, at most
 * 60 s: RabbitMQ takes tens of seconds to tear down 10,000 connections, and the next run's
 * CONNECTs would otherwise time out.
 */
async function settle(target) {
  await sleep(1000);
  if (!target.pid) return;
  const t0 = performance.now();
  let prev = cpuTicks(target.pid);
  while (prev !== null && performance.now() - t0 < 60000) {
    await sleep(500);
    const now = cpuTicks(target.pid);
    if (now === null || (now - prev) / CLK_TCK < 0.1) break;
    prev = now;
  }
  const waited = performance.now() - t0;
  if (waited > 3000) log(`[${target.name}] waited ${(waited / 1000).toFixed(0)} s for the broker to settle after the idle connections`);
}

/** One run of one scenario on one target, bounded in time; null on failure. */
async function runOnce(target, sc, o, runNo) {
  const tag = `[${target.name}] ${sc.id} run ${runNo}/${o.runs}`;
  if (target.dead) {
    log(`${tag}: skipped, target is down (${target.dead})`);
    return null;
  }
  if (target.pid && !processAlive(target.pid)) {
    target.dead = `process ${target.pid} exited`;
    log(`${tag}: fail — ${target.dead}`);
    return null;
  }
  const ctx = new RunContext();
  const budget = sc.kind === "idle" ? 240000 + o.idleSettleS * 1000 : o.warmupMs + o.durationMs + 45000;
  const fn = sc.kind === "latency" ? latencyRun : sc.kind === "idle" ? idleRun : throughputRun;
  try {
    const r = await withTimeout(fn(ctx, target, sc, o), budget, tag, () => ctx.abort());
    log(`${tag}: ${describe(sc, r)}`);
    return r;
  } catch (e) {
    ctx.abort();
    log(`${tag}: fail — ${e.message}`);
    // best effort so a failed run leaves nothing behind on the broker
    await withTimeout(cleanup(target, sc, o), 8000, "cleanup").catch(() => {});
    return null;
  } finally {
    ctx.abort();
    await sleep(300); // let the broker settle between runs
  }
}

function describe(sc, r) {
  if (sc.kind === "idle") {
    return (
      `${fmtNum(r.connections)} connections opened in ${fmtNum(r.openMs)} ms (broker CPU ${fmtNum(r.cpuPerConnUs)} µs/connection), ` +
      `RSS ${fmtMiB(r.rssBefore)} → ${fmtMiB(r.rssAfter)} MiB = ${r.kibPerConn.toFixed(2)} KiB/connection, ` +
      `${r.settleS} s later ${fmtMiB(r.rssSettled)} MiB = ${r.kibPerConnSettled.toFixed(2)} KiB/connection`
    );
  }
  const cpu = r.cpuPerMsg === null ? "" : `, ${fmtNum(r.cpuPerMsg)} µs CPU/msg (broker ${fmtNum(r.brokerCpuPct)}%)`;
  const rss = r.rssEnd === null || r.rssEnd === undefined ? "" : `, RSS ${fmtMiB(r.rssEnd)}/${fmtMiB(r.rssPeak)} MiB`;
  const clients =
    " | clients " +
    r.clientCpu.map((c) => `${c.label} ${c.pct.toFixed(0)}%`).join(", ") +
    (r.otherLoadPct === null ? "" : ` | other load on the machine ${r.otherLoadPct.toFixed(0)}%`);
  if (sc.kind === "latency") {
    return `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, p99.9 ${r.p999.toFixed(2)} ms, max ${r.max.toFixed(2)} ms at ${fmtNum(r.rate)} msg/s${cpu}${rss}${clients}`;
  }
  return `${fmtNum(r.rate)} ${sc.fanout ? "deliveries" : "msg"}/s (published ${fmtNum(r.publishRate)} msg/s)${cpu}${rss}${clients}`;
}

// ------------------------------------------------------------------ table

function rowsFor(sc, o) {
  const t = sc.title;
  if (sc.kind === "throughput") {
    const unit = sc.fanout ? "deliveries/s" : "msg/s";
    const per = sc.fanout ? "delivery" : "msg";
    return [
      { label: `${t} — ${unit} ↑`, get: (r) => r.rate, fmt: fmtNum },
      { label: `${t} — broker CPU µs/${per} ↓`, get: (r) => r.cpuPerMsg, fmt: fmtNum },
      { label: `${t} — broker RSS end / peak MiB ↓`, get: (r) => r.rssPeak, cell: (rs) => rssCell(rs) },
    ];
  }
  if (sc.kind === "latency") {
    const at = `${t} @ ${fmtNum(o.latencyRate)} msg/s`;
    return [
      { label: `${at}, ${sc.size} B — p50 ms ↓`, get: (r) => r.p50, fmt: fmtNum },
      { label: `${at}, ${sc.size} B — p99 ms ↓`, get: (r) => r.p99, fmt: fmtNum },
      { label: `${at} — broker CPU µs/msg ↓`, get: (r) => r.cpuPerMsg, fmt: fmtNum },
    ];
  }
  if (sc.kind === "idle") {
    return [
      // the largest run, not the median: a process that is not restarted (pid=) reuses memory an
      // earlier run freed, so later runs can only under-report
      {
        label: `${fmtNum(o.idleConnections)} idle MQTT connections — broker RSS growth KiB/connection ${Math.max(2, o.idleMs / 1000)} s after opening (max of runs) ↓`,
        get: (r) => r.kibPerConn,
        fmt: fmtNum,
        agg: "max",
      },
      { label: `… held ${o.idleSettleS} s more (max of runs) ↓`, get: (r) => r.kibPerConnSettled, fmt: fmtNum, agg: "max" },
      {
        label: `${fmtNum(o.idleConnections)} idle MQTT connections — broker RSS before → after MiB (that run) ↓`,
        get: (r) => r.rssAfter,
        cell: (rs) => idleRssCell(rs),
      },
      { label: `opening them — broker CPU µs/connection ↓`, get: (r) => r.cpuPerConnUs, fmt: fmtNum },
    ];
  }
  return [
    { label: "start-up to all listeners accepting — ms ↓", get: (r) => r.startupMs, fmt: (v) => fmtNum(v) },
    { label: "idle RSS after start-up — MiB ↓", get: (r) => r.idleRss, fmt: (v) => fmtMiB(v) },
  ];
}

/** Before → after of the run with the largest growth (the one the KiB/connection row reports). */
function idleRssCell(runs) {
  const r = runs.filter(Boolean).reduce((a, b) => (b.kibPerConn > a.kibPerConn ? b : a));
  return `${fmtMiB(r.rssBefore)} → ${fmtMiB(r.rssAfter)}`;
}

function rssCell(runs) {
  const ok = runs.filter(Boolean);
  const end = median(ok.map((r) => r.rssEnd));
  const peak = median(ok.map((r) => r.rssPeak));
  if (end === null && peak === null) return "n/a";
  return `${fmtMiB(end)} / ${fmtMiB(peak)}`;
}

function clientsLabel(sc, o) {
  if (sc.kind === "startup") return "–";
  if (sc.kind === "latency") return "1 (pub+con)";
  if (sc.kind === "idle") return "1";
  const nCons = Math.min(sc.fanout ? o.fanoutConsumerProcs : 1, sc.fanout ? o.fanoutQueues : 1);
  return `${o.publishers} pub + ${nCons} con`;
}

function buildTable(o, results) {
  const names = o.targets.map((t) => t.name);
  // ratio columns: the first target ÷ each of the others
  const others = names.slice(1);
  const header = ["scenario — metric", "clients", ...names, ...others.map((n) => `${names[0]} ÷ ${n}`)];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i >= 2 ? "---:" : "---")).join("|")}|`];
  for (const sc of SCENARIOS.filter((s) => o.scenarios.includes(s.id))) {
    for (const row of rowsFor(sc, o)) {
      const values = [];
      const cells = names.map((n) => {
        const runs = results[sc.id]?.[n];
        if (runs === undefined) {
          values.push(null);
          return "n/a";
        }
        if (runs === "n/a") {
          values.push(null);
          return "n/a";
        }
        const ok = runs.filter(Boolean);
        if (ok.length === 0) {
          values.push(null);
          return "fail";
        }
        const v = row.agg === "max" ? Math.max(...ok.map(row.get)) : median(ok.map(row.get));
        values.push(v);
        let cell = row.cell ? row.cell(runs) : v === null ? "n/a" : row.fmt(v);
        if (ok.length < runs.length) cell += ` (${ok.length}/${runs.length} runs)`;
        return cell;
      });
      const ratios = values.slice(1).map((v) => (values[0] !== null && v !== null && v !== 0 ? `${(values[0] / v).toFixed(2)}×` : "–"));
      lines.push(`| ${[row.label, clientsLabel(sc, o), ...cells, ...ratios].join(" | ")} |`);
    }
  }
  return lines.join("\n");
}

// ------------------------------------------------------------------ report

function printReport(o, results, startedAts) {
  const cpuModel = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  const when = startedAts.map((d) => new Date(d).toISOString().slice(0, 16).replace("T", " ")).join(" and ");
  const heading =
    `Warren bench — ${when} UTC, ${os.cpus().length} cores (${cpuModel}), ` +
    `Node ${process.version}; median of ${o.runs} run(s), ${o.warmupMs / 1000} s warm-up + ${o.durationMs / 1000} s window; ` +
    `clients = client processes (raw-socket ${o.protocol.toUpperCase()}, bench/workers/)`;
  console.log(`${heading}\n\n${buildTable(o, results)}\n`);
  console.log("↑ higher is better, ↓ lower is better. Broker CPU = utime+stime of the target's pid over the window ÷ messages delivered.");
  const loadsOf = (byTarget) =>
    Object.values(byTarget)
      .filter(Array.isArray)
      .flat()
      .filter((r) => r && r.otherLoadPct != null)
      .map((r) => r.otherLoadPct);
  const loads = Object.values(results).flatMap(loadsOf);
  const busy = median(loads);
  if (busy !== null) {
    console.log(
      `Other load on the machine during the measured windows: median ${busy.toFixed(0)}%, max ${Math.max(...loads).toFixed(0)}% of one core` +
        (busy > 20 ? " — numbers are disturbed by other processes; rerun on a quiet machine for final figures." : "."),
    );
    const per = SCENARIOS.filter((sc) => results[sc.id] && loadsOf(results[sc.id]).length > 0).map((sc) => {
      const l = loadsOf(results[sc.id]);
      return `${sc.id} ${median(l).toFixed(0)}% (max ${Math.max(...l).toFixed(0)}%)`;
    });
    console.log(`By scenario (median, max): ${per.join(", ")}.`);
  }
}

/**
 * --table-from a.json[,b.json…]: print the table again from --json files of earlier runs with
 * the same targets; for a scenario present in several files the later file's runs are used
 * (e.g. latency scenarios re-run on a quiet machine).
 */
function tableFrom(files) {
  const docs = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
  const o = { ...docs[0].options };
  const results = {};
  for (const d of docs) {
    const names = d.options.targets.map((t) => t.name).join(",");
    if (names !== o.targets.map((t) => t.name).join(",")) throw new Error(`${files[docs.indexOf(d)]}: other targets (${names})`);
    Object.assign(results, d.results);
  }
  o.scenarios = SCENARIOS.map((sc) => sc.id).filter((id) => results[id]);
  printReport(
    o,
    results,
    docs.map((d) => d.startedAt),
  );
}

// ------------------------------------------------------------------ main

/**
 * mqtt-idle needs one descriptor per connection in the client process (and in
 * a broker started with cmd=, which inherits the limit). If the soft
 * RLIMIT_NOFILE is too low, re-run this process under `ulimit -S -n` (up to
 * the hard limit); if even the hard limit is too low, open fewer connections.
 * Brokers given by pid keep their own limit: warn when it is too low.
 */
function ensureFdLimit(o) {
  const need = o.idleConnections + 1024;
  const limit = (flag) => {
    const v = execFileSync("/bin/sh", ["-c", `ulimit ${flag} -n`], { encoding: "utf8" }).trim();
    return v === "unlimited" ? Infinity : Number(v);
  };
  const soft = limit("-S");
  if (soft < need) {
    const hard = limit("-H");
    if (hard >= need && !process.env.WARREN_BENCH_FD_RAISED) {
      log(`ulimit -n is ${soft}; re-running the harness with ulimit -S -n ${need} for ${o.idleConnections} idle connections`);
      const r = spawnSync(
        "/bin/sh",
        ["-c", `ulimit -S -n ${need} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
        { stdio: "inherit", env: { ...process.env, WARREN_BENCH_FD_RAISED: "1" } },
      );
      process.exit(r.status ?? 1);
    }
    const n = Math.max(1, Math.min(hard, soft) - 1024);
    log(
      `ulimit -n allows ${Math.min(hard, soft)} descriptors (hard limit ${hard}): opening ${n} idle connections instead of ${o.idleConnections}`,
    );
    o.idleConnections = n;
  }
  for (const t of o.targets) {
    if (t.cmd || !t.pid) continue;
    try {
      const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${t.pid}/limits`, "utf8"));
      if (m && m[1] !== "unlimited" && Number(m[1]) < o.idleConnections + 100) {
        log(`[${t.name}] warning: the broker's own open-files limit is ${m[1]}, below ${o.idleConnections} connections`);
      }
    } catch {
      /* not readable */
    }
  }
}

async function main() {
  const tf = process.argv.indexOf("--table-from");
  if (tf >= 0) {
    tableFrom(process.argv[tf + 1].split(","));
    return;
  }
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  if (o.scenarios.includes("mqtt-idle")) ensureFdLimit(o);
  for (const t of o.targets) if (t.pidNote) log(`[${t.name}] ${t.pidNote}`);
  const started = o.targets.filter((t) => t.cmd);
  const killAll = () => started.forEach(killTargetNow);
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"])
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });

  const results = {};
  const startedAt = new Date();

  // Start-up first: targets with cmd= are started (runs times if measured), the last start stays up.
  const measureStartup = o.scenarios.includes("startup");
  if (measureStartup) results.startup = {};
  for (const t of o.targets) {
    if (!t.cmd) {
      if (measureStartup) results.startup[t.name] = "n/a";
      continue;
    }
    const runs = measureStartup ? o.runs : 1;
    const rs = [];
    for (let i = 1; i <= runs; i++) {
      try {
        const r = await startTarget(t, { timeoutMs: o.startupTimeoutMs, idleMs: measureStartup ? o.idleMs : 0, log });
        if (measureStartup)
          log(
            `[${t.name}] startup run ${i}/${runs}: ${r.startupMs.toFixed(0)} ms to ${t.ports.join("+")}, idle RSS ${fmtMiB(r.idleRss)} MiB`,
          );
        rs.push(r);
        if (i < runs) await stopTarget(t);
      } catch (e) {
        log(`[${t.name}] startup run ${i}/${runs}: fail — ${e.message}`);
        rs.push(null);
        await stopTarget(t);
        if (i === runs) t.dead = "failed to start";
      }
    }
    if (t.dead === "failed to start" && rs.some(Boolean)) {
      // the last start failed but an earlier one worked: try once more to have a target to measure
      try {
        await startTarget(t, { timeoutMs: o.startupTimeoutMs, idleMs: 0, log });
        t.dead = null;
      } catch {
        await stopTarget(t);
      }
    }
    if (measureStartup) results.startup[t.name] = rs;
  }

  // Scenario → run → target, so slow drifts on the machine hit every target alike.
  for (const sc of SCENARIOS.filter((s) => o.scenarios.includes(s.id) && s.kind !== "startup")) {
    results[sc.id] = Object.fromEntries(o.targets.map((t) => [t.name, []]));
    for (let run = 1; run <= o.runs; run++) {
      for (const t of o.targets) {
        results[sc.id][t.name].push(await runOnce(t, sc, o, run));
      }
    }
  }

  for (const t of started) await stopTarget(t);

  printReport(o, results, [startedAt]);
  if (o.json) {
    writeFileSync(
      o.json,
      JSON.stringify(
        {
          startedAt,
          options: { ...o, targets: o.targets.map(({ name, url, pid, cmd, ports }) => ({ name, url, pid, cmd, ports })) },
          results,
        },
        null,
        2,
      ),
    );
    log(`raw results written to ${o.json}`);
  }
}

main().catch((e) => {
  console.error(e.stack || e.message);
  process.exit(1);
});

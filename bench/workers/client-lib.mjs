// One side of a client-bound scenario (bench/client-bound.mjs), driven by a real client library as
// applications use it: amqplib's promise API, mqtt.js, stompit. One process per side.
//
// config: { role: "pub" | "con", protocol: "amqp" | "mqtt" | "stomp", mode, url, dest, rate, cap }
//   amqp modes: noack (no-ack consumer), ack (prefetch 100, ack each), confirm (persistent
//               messages on a confirm channel, ≤ 2,000 unconfirmed; consumer as ack)
//   mqtt modes: qos0, qos1 (publish and subscription at that QoS)
//   stomp modes: auto (ack:auto), ci (ack:client-individual, prefetch-count:100, ACK each)
// The publisher sends 16-byte bodies carrying process.hrtime.bigint() (CLOCK_MONOTONIC, the same
// clock in every process) in hex: `rate` msg/s on a 1 ms tick, or as fast as the library takes
// them (rate 0) while fewer than `cap` are published but not yet delivered (the orchestrator
// passes the consumer's count on). The consumer counts and keeps each message's latency since the
// last mark.

import { runWorker, send, cpuMicros } from "./common.mjs";

let cfg;
let published = 0;
let delivered = 0;
let credit = 0; // delivered count as last reported by the orchestrator
let lat = new Float64Array(1 << 20);
let nLat = 0;
let running = false;
let client; // library handle, closed on stop

let pad = null; // the body's bytes past the stamp (--size), set at init
const stamp = () => {
  const t = Buffer.from(process.hrtime.bigint().toString(16).padStart(16, "0"));
  return pad === null ? t : Buffer.concat([t, pad]);
};
const received = (body) => {
  delivered++;
  const sent = BigInt(`0x${body.toString("latin1", 0, 16)}`);
  if (nLat === lat.length) {
    const bigger = new Float64Array(lat.length * 2);
    bigger.set(lat);
    lat = bigger;
  }
  lat[nLat++] = Number(process.hrtime.bigint() - sent) / 1e6;
};

/** Publishing loop: `sendOne()` → false when the library wants us to wait for `waitDrain()`. */
function drive(sendOne, waitDrain) {
  const t0 = performance.now();
  const tick = async () => {
    if (!running) return;
    const due = cfg.rate > 0 ? Math.floor(((performance.now() - t0) * cfg.rate) / 1000) : published + 1000;
    while (running && published < due) {
      if (cfg.rate === 0 && published - credit >= cfg.cap) break;
      published++;
      if (!sendOne()) {
        await waitDrain();
        break;
      }
    }
    if (cfg.rate > 0) setTimeout(tick, 1);
    else setImmediate(tick);
  };
  tick();
}

async function amqp() {
  const { default: amqplib } = await import("amqplib");
  const conn = await amqplib.connect(cfg.url);
  client = conn;
  const confirm = cfg.mode === "confirm";
  const ch = cfg.role === "pub" && confirm ? await conn.createConfirmChannel() : await conn.createChannel();
  await ch.assertQueue(cfg.dest, { durable: confirm, autoDelete: false });
  if (cfg.role === "con") {
    if (cfg.mode !== "noack") await ch.prefetch(100);
    const noAck = cfg.mode === "noack";
    await ch.consume(
      cfg.dest,
      (m) => {
        if (m === null) return;
        received(m.content);
        if (!noAck) ch.ack(m);
      },
      { noAck },
    );
    return;
  }
  let outstanding = 0;
  let wake = null;
  const confirmed = () => {
    outstanding--;
    if (wake !== null && outstanding < 1000) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const options = { persistent: confirm };
  return () =>
    drive(
      () => {
        if (confirm) {
          outstanding++;
          const ok = ch.sendToQueue(cfg.dest, stamp(), options, confirmed);
          return ok && outstanding < 2000;
        }
        return ch.sendToQueue(cfg.dest, stamp(), options);
      },
      () =>
        new Promise((r) => {
          if (confirm && outstanding >= 2000) wake = r;
          else ch.once("drain", r);
        }),
    );
}

async function mqtt() {
  const { default: mqttjs } = await import("mqtt");
  const c = mqttjs.connect(cfg.url, { clean: true, clientId: `cb-${cfg.role}-${process.pid}`, reconnectPeriod: 0, protocolVersion: 4 });
  client = { close: () => new Promise((r) => c.end(true, {}, r)) };
  await new Promise((resolve, reject) => {
    c.once("connect", resolve);
    c.once("error", reject);
  });
  const qos = cfg.mode === "qos1" ? 1 : 0;
  if (cfg.role === "con") {
    c.on("message", (_topic, payload) => received(payload));
    await c.subscribeAsync(cfg.dest, { qos });
    return;
  }
  let inflight = 0;
  let wake = null;
  const done = () => {
    inflight--;
    if (wake !== null && inflight < 500) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const opts = { qos };
  return () =>
    drive(
      () => {
        inflight++;
        c.publish(cfg.dest, stamp(), opts, done);
        return inflight < 1000;
      },
      () => new Promise((r) => (wake = r)),
    );
}

async function stomp() {
  const { default: stompit } = await import("stompit");
  const u = new URL(cfg.url);
  const c = await new Promise((resolve, reject) =>
    stompit.connect(
      {
        host: u.hostname,
        port: Number(u.port),
        connectHeaders: {
          host: "/",
          login: decodeURIComponent(u.username || "guest"),
          passcode: decodeURIComponent(u.password || "guest"),
          "heart-beat": "0,0",
        },
      },
      (err, cl) => (err ? reject(err) : resolve(cl)),
    ),
  );
  client = { close: async () => c.destroy() };
  const destination = `/queue/${cfg.dest}`;
  if (cfg.role === "con") {
    const ci = cfg.mode === "ci";
    c.subscribe({ destination, ack: ci ? "client-individual" : "auto", ...(ci && { "prefetch-count": "100" }) }, (err, message) => {
      if (err) throw err;
      message.readString("latin1", (e, body) => {
        if (e) throw e;
        received(Buffer.from(body, "latin1"));
        if (ci) c.ack(message);
      });
    });
    return;
  }
  return () =>
    drive(
      () => {
        const body = stamp();
        const frame = c.send({ destination, "content-length": body.length });
        frame.write(body);
        frame.end();
        return true;
      },
      () => Promise.resolve(),
    );
}

let start;
runWorker({
  async init(c) {
    cfg = c;
    if ((cfg.size ?? 16) > 16) pad = Buffer.alloc(cfg.size - 16, 0x61);
    start = await { amqp, mqtt, stomp }[cfg.protocol]();
  },
  go() {
    running = true;
    start?.();
  },
  credit(msg) {
    credit = msg.delivered;
  },
  count(msg) {
    send({ t: "mark", id: msg.id, delivered });
  },
  mark(msg) {
    const sorted = lat.subarray(0, nLat).slice().sort();
    const q = (p) => (nLat === 0 ? null : sorted[Math.min(nLat - 1, Math.floor(p * nLat))]);
    send({ t: "mark", id: msg.id, published, delivered, cpu: cpuMicros(), p50: q(0.5), p99: q(0.99), n: nLat });
    nLat = 0;
  },
  async stop() {
    running = false;
    await Promise.race([client?.close?.(), new Promise((r) => setTimeout(r, 2000))]).catch(() => {});
    process.exit(0);
  },
});

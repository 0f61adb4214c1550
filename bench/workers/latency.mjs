// Latency process: publishes at a fixed rate on one connection and consumes
// (no-ack) on another, in the same process so both ends read the same clock.
// Each body starts with process.hrtime.bigint() taken just before the write;
// latency = receive time − that stamp. Messages are scheduled on a fixed
// timeline (rate × elapsed), so a stalled publisher catches up in a burst
// rather than silently lowering the rate.

import { AmqpConnection, encodePublish, bodyOffsetInPublish } from "../lib/amqp-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

let pub;
let con;
let template;
let bodyOff = 0;
let rate = 5000;
let startNs = 0n;
let sent = 0;
let received = 0;
let running = false;
let timer = null;
let recording = false;
let lat = []; // µs
let sentAtBegin = 0;
let receivedAtBegin = 0;

function tick() {
  if (!running) return;
  const elapsedNs = process.hrtime.bigint() - startNs;
  const due = Number((elapsedNs * BigInt(rate)) / 1000000000n) - sent;
  if (due > 0) {
    const len = template.length;
    const out = Buffer.allocUnsafe(due * len);
    const now = process.hrtime.bigint();
    for (let i = 0; i < due; i++) {
      template.copy(out, i * len);
      out.writeBigUInt64BE(now, i * len + bodyOff);
    }
    sent += due;
    pub.send(out);
  }
  timer = setTimeout(tick, 1);
}

async function init(cfg) {
  const { url, queue, bodySize = 16 } = cfg;
  rate = cfg.rate;
  if (bodySize < 8) throw new Error("latency body must hold an 8-byte timestamp");
  pub = await AmqpConnection.open(url, { name: `warren-bench latency-pub ${process.pid}` });
  con = await AmqpConnection.open(url, { name: `warren-bench latency-con ${process.pid}` });
  pub.onError = die;
  con.onError = die;
  template = encodePublish(1, "", queue, Buffer.alloc(bodySize, 0x61), pub.frameMax);
  bodyOff = bodyOffsetInPublish(template);
  con.onBody = (ch, buf, start) => {
    received++;
    if (recording) {
      const now = process.hrtime.bigint();
      lat.push(Number(now - buf.readBigUInt64BE(start)) / 1000);
    }
  };
  await con.basicConsume(queue, { noAck: true });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

runWorker({
  init,
  start() {
    running = true;
    startNs = process.hrtime.bigint();
    tick();
  },
  mark(msg) {
    if (msg.phase === "begin") {
      lat = [];
      recording = true;
      sentAtBegin = sent;
      receivedAtBegin = received;
      send({ t: "mark", id: msg.id, counts: [received], published: sent, cpu: cpuMicros() });
      return;
    }
    recording = false;
    const sorted = Float64Array.from(lat).sort();
    send({
      t: "mark",
      id: msg.id,
      counts: [received],
      published: sent,
      cpu: cpuMicros(),
      latency: {
        samples: sorted.length,
        sentInWindow: sent - sentAtBegin,
        receivedInWindow: received - receivedAtBegin,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9),
        max: sorted.length ? sorted[sorted.length - 1] : null,
      },
    });
  },
  async stop() {
    running = false;
    clearTimeout(timer);
    await Promise.all([pub.close(2000), con.close(2000)]);
    process.exit(0);
  },
});

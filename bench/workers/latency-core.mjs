// The protocol-independent part of the MQTT and STOMP latency processes
// (the AMQP one, latency.mjs, predates it and works the same way): publish on
// a fixed timeline (rate × elapsed, so a stalled publisher catches up in a
// burst instead of lowering the rate), each message stamped with
// process.hrtime.bigint() just before its write; the receiving side (same
// process, same clock) records receive time − stamp.

import { runWorker, send, cpuMicros } from "./common.mjs";

/**
 * setup(cfg, received) → { template, stampOffset, write(buf), patch?(buf, off), close() }
 * and calls received(buf, stampOffset) for every message that arrives.
 */
export function runLatencyWorker(setup) {
  let io;
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

  function onReceived(buf, at) {
    received++;
    if (recording) lat.push(Number(process.hrtime.bigint() - buf.readBigUInt64BE(at)) / 1000);
  }

  function tick() {
    if (!running) return;
    const elapsedNs = process.hrtime.bigint() - startNs;
    const due = Number((elapsedNs * BigInt(rate)) / 1000000000n) - sent;
    if (due > 0) {
      const { template, stampOffset } = io;
      const len = template.length;
      const out = Buffer.allocUnsafe(due * len);
      const now = process.hrtime.bigint();
      for (let i = 0; i < due; i++) {
        template.copy(out, i * len);
        if (io.patch) io.patch(out, i * len);
        out.writeBigUInt64BE(now, i * len + stampOffset);
      }
      sent += due;
      io.write(out);
    }
    timer = setTimeout(tick, 1);
  }

  function percentile(sorted, p) {
    if (sorted.length === 0) return null;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i];
  }

  runWorker({
    async init(cfg) {
      rate = cfg.rate;
      io = await setup(cfg, onReceived);
    },
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
      await io.close();
      process.exit(0);
    },
  });
}

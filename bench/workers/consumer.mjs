// Consumer process: one connection per queue, counts basic.deliver frames.
// Modes: "noack" (basic.consume no-ack), "ack" (basic.ack per message,
// prefetch), "multiack" (basic.ack multiple=true every `ackEvery`, prefetch).
// Acks produced while handling one socket read go out in one write().

import { AmqpConnection, deliveryTagOf, writeAck, ACK_FRAME_LEN } from "../lib/amqp-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

const conns = [];
const counts = [];
let progressTimer = null;

async function init(cfg) {
  const { url, queues, mode, prefetch = 100, ackEvery = 100, progressMs = 20 } = cfg;
  for (let qi = 0; qi < queues.length; qi++) {
    const conn = await AmqpConnection.open(url, { name: `warren-bench consumer ${process.pid}` });
    conn.onError = die;
    conns.push(conn);
    counts.push(0);
    const noAck = mode === "noack";
    if (!noAck) await conn.basicQos(prefetch);

    if (mode === "noack") {
      conn.onDeliver = () => {
        counts[qi]++;
      };
    } else if (mode === "ack") {
      let tags = new Float64Array(4096);
      let n = 0;
      conn.onDeliver = (ch, buf, start) => {
        counts[qi]++;
        if (n === tags.length) {
          const t = new Float64Array(n * 2);
          t.set(tags);
          tags = t;
        }
        tags[n++] = deliveryTagOf(buf, start);
      };
      conn.afterData = () => {
        if (n === 0) return;
        const out = Buffer.allocUnsafe(n * ACK_FRAME_LEN);
        let off = 0;
        for (let i = 0; i < n; i++) off = writeAck(out, off, 1, tags[i], false);
        n = 0;
        conn.send(out);
      };
    } else if (mode === "multiack") {
      let sinceAck = 0;
      let ackTag = -1;
      conn.onDeliver = (ch, buf, start) => {
        counts[qi]++;
        if (++sinceAck >= ackEvery) {
          sinceAck = 0;
          ackTag = deliveryTagOf(buf, start);
        }
      };
      conn.afterData = () => {
        if (ackTag < 0) return;
        const out = Buffer.allocUnsafe(ACK_FRAME_LEN);
        writeAck(out, 0, 1, ackTag, true);
        ackTag = -1;
        conn.send(out);
      };
    } else {
      throw new Error(`unknown consumer mode ${mode}`);
    }
    await conn.basicConsume(queues[qi], { noAck });
  }
  progressTimer = setInterval(() => send({ t: "progress", counts }), progressMs);
}

runWorker({
  init,
  mark(msg) {
    send({ t: "mark", id: msg.id, counts: counts.slice(), cpu: cpuMicros() });
  },
  async stop() {
    clearInterval(progressTimer);
    await Promise.all(conns.map((c) => c.close(2000)));
    process.exit(0);
  },
});

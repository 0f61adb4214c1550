// STOMP consumer process: one connection per destination, SUBSCRIBE with
// ack:auto or ack:client-individual (+ prefetch-count); counts MESSAGE
// frames. In client-individual mode every message is ACKed (id = its ack
// header), the ACKs of one socket read in one write(). On stop it keeps
// consuming until nothing has arrived for 300 ms (at most 5 s), so the queue
// is left (nearly) empty for the next run.

import { StompConnection, writeAck, ACK_OVERHEAD } from "../lib/stomp-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";
import { sleep } from "../lib/stats.mjs";

const conns = [];
const counts = [];
let progressTimer = null;
let lastMessageAt = 0;

async function init(cfg) {
  const { url, destinations, ack = "auto", prefetch = null, progressMs = 20 } = cfg;
  for (let di = 0; di < destinations.length; di++) {
    const conn = await StompConnection.open(url);
    conn.onError = die;
    conns.push(conn);
    counts.push(0);
    if (ack === "auto") {
      conn.onMessage = () => {
        counts[di]++;
        lastMessageAt = performance.now();
      };
    } else {
      let out = Buffer.allocUnsafe(65536);
      let off = 0;
      conn.onMessage = (buf, bs, be, as, ae) => {
        counts[di]++;
        lastMessageAt = performance.now();
        if (as < 0) {
          die(new Error("MESSAGE without an ack header in client-individual mode"));
          return;
        }
        const need = ACK_OVERHEAD + (ae - as);
        if (off + need > out.length) {
          const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, off + need));
          out.copy(bigger, 0, 0, off);
          out = bigger;
        }
        off = writeAck(out, off, buf, as, ae);
      };
      conn.afterData = () => {
        if (off === 0) return;
        conn.send(Buffer.from(out.subarray(0, off))); // a copy: out is reused
        off = 0;
      };
    }
    await conn.subscribe(destinations[di], { id: `sub-${di}`, ack, prefetch });
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
    const t0 = performance.now();
    while (performance.now() - lastMessageAt < 300 && performance.now() - t0 < 5000) await sleep(50);
    await Promise.all(conns.map((c) => c.close(2000)));
    process.exit(0);
  },
});

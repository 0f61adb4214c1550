// AMQP 1.0 consumer process: one connection and receiver link per address; counts transfers.
// Settled mode: the link is pre-settled (snd-settle-mode settled) and credit is topped up when
// half is used. Unsettled mode: every delivery is accepted — one disposition per run of
// consecutive delivery-ids of a socket read — and the credit topped up to `credit` in the same
// write, as a client with a prefetch of `credit` would. On stop it keeps receiving until nothing
// has arrived for 300 ms (at most 5 s), so the queue is left (nearly) empty for the next run.

import { Amqp10Connection, writeAccept, ACCEPT_FRAME_LEN } from "../lib/amqp10-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";
import { sleep } from "../lib/stats.mjs";

const conns = [];
const counts = [];
let progressTimer = null;
let lastMessageAt = 0;

async function init(cfg) {
  const { url, addresses, settled = true, credit = 200, progressMs = 20 } = cfg;
  for (let ai = 0; ai < addresses.length; ai++) {
    const conn = await Amqp10Connection.open(url);
    conn.onError = die;
    conns.push(conn);
    counts.push(0);
    if (settled) {
      let granted = 0;
      conn.onTransfer = () => {
        counts[ai]++;
        lastMessageAt = performance.now();
      };
      conn.afterData = () => {
        if (conn.received - granted >= credit / 2) {
          granted = conn.received;
          conn.send(conn.creditFrame());
        }
      };
    } else {
      // runs of consecutive delivery-ids seen in this read: [first, last] pairs
      let runs = new Float64Array(256);
      let nRuns = 0;
      conn.onTransfer = (_buf, id) => {
        if (id < 0) return;
        counts[ai]++;
        lastMessageAt = performance.now();
        if (nRuns > 0 && runs[nRuns * 2 - 1] === id - 1) {
          runs[nRuns * 2 - 1] = id;
          return;
        }
        if (nRuns * 2 === runs.length) {
          const r = new Float64Array(runs.length * 2);
          r.set(runs);
          runs = r;
        }
        runs[nRuns * 2] = id;
        runs[nRuns * 2 + 1] = id;
        nRuns++;
      };
      conn.afterData = () => {
        if (nRuns === 0) return;
        const flow = conn.creditFrame();
        const out = Buffer.allocUnsafe(nRuns * ACCEPT_FRAME_LEN + flow.length);
        let off = 0;
        for (let i = 0; i < nRuns; i++) off = writeAccept(out, off, runs[i * 2], runs[i * 2 + 1]);
        flow.copy(out, off);
        nRuns = 0;
        conn.send(out);
      };
    }
    await conn.attachReceiver(addresses[ai], { settled, credit: settled ? Math.max(credit, 1000) : credit });
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

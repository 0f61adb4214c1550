// AMQP 1.0 publisher process: one sender link; writes pre-encoded transfers, many per write(),
// within the link credit and session window the broker grants, the orchestrator's backlog cap,
// and (unsettled mode) a window of deliveries the broker has not yet settled — the AMQP 1.0
// form of a confirm window.

import { Amqp10Connection, encodeTransfer, patchTransfer } from "../lib/amqp10-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

let conn;
let t; // the transfer template
let template; // batchMsgs copies of it
let batchMsgs = 0;
let published = 0;
let nextId = 0;
let limit = Infinity;
let running = false;
let waitingDrain = false;
let settled = true;
let window = Infinity;
let unsettled = 0;

function pump() {
  while (running && !waitingDrain) {
    const n = Math.min(batchMsgs, limit - published, conn.sendable(), window - unsettled);
    if (n <= 0) return; // wait for credit, a new limit or settlements
    // a fresh buffer each write: the socket may still hold the previous one
    const len = t.buf.length;
    const out = Buffer.allocUnsafe(n * len);
    template.copy(out, 0, 0, n * len);
    for (let i = 0; i < n; i++) patchTransfer(out, i * len, t, nextId++);
    conn.consume(n);
    published += n;
    if (!settled) unsettled += n;
    if (!conn.send(out)) {
      waitingDrain = true;
      return;
    }
  }
}

async function init(cfg) {
  const { url, address, bodySize, batchBytes = 65536, limit: initialLimit = null } = cfg;
  settled = cfg.settled !== false;
  if (!settled) window = cfg.window ?? 1000;
  conn = await Amqp10Connection.open(url);
  conn.onError = die;
  conn.onCredit = pump;
  conn.onSettled = (first, last) => {
    unsettled -= ((last - first) >>> 0) + 1;
    pump();
  };
  conn.socket.on("drain", () => {
    waitingDrain = false;
    pump();
  });
  await conn.attachSender(address, { settled });
  t = encodeTransfer(Buffer.alloc(bodySize, 0x61), settled);
  batchMsgs = Math.max(1, Math.floor(batchBytes / t.buf.length));
  template = Buffer.allocUnsafe(batchMsgs * t.buf.length);
  for (let i = 0; i < batchMsgs; i++) t.buf.copy(template, i * t.buf.length);
  if (initialLimit !== null) limit = initialLimit;
}

runWorker({
  init,
  start() {
    running = true;
    pump();
  },
  limit(msg) {
    if (msg.v > limit) {
      limit = msg.v;
      pump();
    }
  },
  mark(msg) {
    send({ t: "mark", id: msg.id, published, cpu: cpuMicros() });
  },
  async stop() {
    running = false;
    await conn.close(2000);
    process.exit(0);
  },
});

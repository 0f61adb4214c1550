// STOMP publisher process: writes pre-encoded SEND frames (with
// content-length), many per write(), as fast as the socket drains, within the
// orchestrator's backlog cap (see publisher.mjs).

import { StompConnection, encodeSend } from "../lib/stomp-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

let conn;
let batch;
let msgLen = 0;
let batchMsgs = 0;
let published = 0;
let limit = Infinity;
let running = false;
let waitingDrain = false;

function pump() {
  while (running && !waitingDrain) {
    const n = Math.min(batchMsgs, limit - published);
    if (n <= 0) return;
    const chunk = n === batchMsgs ? batch : batch.subarray(0, n * msgLen);
    published += n;
    if (!conn.send(chunk)) {
      waitingDrain = true;
      return;
    }
  }
}

async function init(cfg) {
  const { url, destination, bodySize, batchBytes = 65536, limit: initialLimit = null } = cfg;
  conn = await StompConnection.open(url);
  conn.onError = die;
  conn.socket.on("drain", () => {
    waitingDrain = false;
    pump();
  });
  const one = encodeSend(destination, Buffer.alloc(bodySize, 0x61)).buf;
  msgLen = one.length;
  batchMsgs = Math.max(1, Math.floor(batchBytes / msgLen));
  batch = Buffer.allocUnsafe(batchMsgs * msgLen);
  for (let i = 0; i < batchMsgs; i++) one.copy(batch, i * msgLen);
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

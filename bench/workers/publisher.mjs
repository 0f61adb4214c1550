// Publisher process: writes pre-encoded basic.publish+header+body frames,
// many messages per write(), as fast as the socket drains. It stops writing
// when write() returns false (until 'drain'), when the broker sends
// connection.blocked, and when it reaches the orchestrator's limit (the
// backlog cap: consumers' progress + max backlog), so the broker is measured
// moving messages, not buffering them.

import { AmqpConnection, encodePublish } from "../lib/amqp-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

let conn;
let batch; // pre-encoded messages
let msgLen = 0;
let batchMsgs = 0;
let published = 0;
let limit = Infinity;
let running = false;
let waitingDrain = false;

function pump() {
  while (running && !waitingDrain && !conn.blocked) {
    const n = Math.min(batchMsgs, limit - published);
    if (n <= 0) return; // wait for a new limit
    const chunk = n === batchMsgs ? batch : batch.subarray(0, n * msgLen);
    published += n;
    if (!conn.send(chunk)) {
      waitingDrain = true;
      return;
    }
  }
}

async function init(cfg) {
  const { url, exchange, routingKey, bodySize, batchBytes = 65536, limit: initialLimit = null } = cfg;
  conn = await AmqpConnection.open(url, { name: `warren-bench publisher ${process.pid}` });
  conn.onError = die;
  conn.onBlocked = (blocked) => {
    if (!blocked) pump();
  };
  conn.socket.on("drain", () => {
    waitingDrain = false;
    pump();
  });
  const body = Buffer.alloc(bodySize, 0x61);
  const one = encodePublish(1, exchange, routingKey, body, conn.frameMax);
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

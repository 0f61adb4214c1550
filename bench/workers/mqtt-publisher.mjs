// MQTT publisher process: writes pre-encoded PUBLISH packets, many per
// write(), as fast as the socket drains (same flow control and backlog cap as
// publisher.mjs). QoS 1: at most `window` PUBLISHes without a PUBACK; packet
// ids are patched into a fresh copy of the batch for every write() (a buffer
// handed to write() may still be queued, so it is never modified afterwards).

import { MqttConnection, encodePublish } from "../lib/mqtt-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

let conn;
let batch; // pre-encoded messages
let msgLen = 0;
let idOffset = -1;
let batchMsgs = 0;
let qos = 0;
let window = 1000;
let published = 0;
let acked = 0;
let nextId = 1;
let limit = Infinity;
let running = false;
let waitingDrain = false;

function pump() {
  while (running && !waitingDrain) {
    let n = Math.min(batchMsgs, limit - published);
    if (qos > 0) n = Math.min(n, window - (published - acked));
    if (n <= 0) return; // wait for a new limit / PUBACKs
    let chunk;
    if (qos === 0) {
      chunk = n === batchMsgs ? batch : batch.subarray(0, n * msgLen);
    } else {
      chunk = Buffer.allocUnsafe(n * msgLen);
      batch.copy(chunk, 0, 0, n * msgLen);
      for (let i = 0, p = idOffset; i < n; i++, p += msgLen) {
        chunk[p] = nextId >> 8;
        chunk[p + 1] = nextId & 0xff;
        nextId = nextId === 65535 ? 1 : nextId + 1;
      }
    }
    published += n;
    if (!conn.send(chunk)) {
      waitingDrain = true;
      return;
    }
  }
}

async function init(cfg) {
  const { url, topic, bodySize, batchBytes = 65536, limit: initialLimit = null } = cfg;
  qos = cfg.qos ?? 0;
  window = cfg.window ?? 1000;
  if (qos > 0 && window > 65000) throw new Error("QoS 1 window must stay below 65,535 packet ids");
  conn = await MqttConnection.open(url, { clientId: `warren-bench-pub-${process.pid}` });
  conn.onError = die;
  conn.onPuback = () => {
    acked++;
  };
  conn.afterData = () => {
    if (qos > 0) pump();
  };
  conn.socket.on("drain", () => {
    waitingDrain = false;
    pump();
  });
  const one = encodePublish(topic, Buffer.alloc(bodySize, 0x61), qos);
  msgLen = one.buf.length;
  idOffset = one.idOffset;
  batchMsgs = Math.max(1, Math.floor(batchBytes / msgLen));
  if (qos > 0) batchMsgs = Math.min(batchMsgs, window);
  batch = Buffer.allocUnsafe(batchMsgs * msgLen);
  for (let i = 0; i < batchMsgs; i++) one.buf.copy(batch, i * msgLen);
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
    send({ t: "mark", id: msg.id, published, acked, cpu: cpuMicros() });
  },
  async stop() {
    running = false;
    await conn.close(2000);
    process.exit(0);
  },
});

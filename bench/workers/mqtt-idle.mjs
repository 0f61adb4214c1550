// Idle-connection process: on "start", opens N MQTT connections (CONNECT,
// clean session, keep-alive 0 = no PINGREQs, wait for CONNACK), `parallel` at
// a time, then just holds them. mark → how many are open. The orchestrator
// reads the broker's RSS before and after.

import { MqttConnection } from "../lib/mqtt-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

const conns = [];
let cfg;
let failed = 0;

runWorker({
  init(c) { cfg = c; },
  async open(msg) {
    const { url, count, parallel = 50 } = cfg;
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        const conn = await MqttConnection.open(url, { clientId: `wb-idle-${process.pid}-${i}`, keepalive: 0, timeoutMs: 20000 });
        conn.onError = () => { failed++; };
        conns.push(conn);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    send({ t: "opened", id: msg.id, open: conns.length, ms: performance.now() - t0 });
  },
  mark(msg) {
    send({ t: "mark", id: msg.id, open: conns.length - failed, failed, cpu: cpuMicros() });
  },
  stop() {
    for (const c of conns) { c.closing = true; c.socket.destroy(); }
    process.exit(0);
  },
});

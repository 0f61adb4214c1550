// Idle-connection process: on "start", opens N MQTT connections (CONNECT,
// clean session, wait for CONNACK), `parallel` at a time, then just holds them:
// with keep-alive 0 nothing more is sent; with keep-alive K each connection
// sends a PINGREQ every K/2 s, spread evenly, as a real client does. mark → how
// many are open. The orchestrator reads the broker's RSS before and after.

import { MqttConnection } from "../lib/mqtt-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

const PINGREQ = Buffer.from([0xc0, 0x00]);

const conns = [];
let cfg;
let failed = 0;

runWorker({
  init(c) {
    cfg = c;
  },
  async open(msg) {
    const { url, count, parallel = 50, keepalive = 0 } = cfg;
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const i = next++;
        const conn = await MqttConnection.open(url, { clientId: `wb-idle-${process.pid}-${i}`, keepalive, timeoutMs: 20000 });
        conn.onError = () => {
          failed++;
        };
        conns.push(conn);
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    if (keepalive > 0) {
      // one PINGREQ per connection per half keep-alive, a slice of them each 100 ms
      const slices = Math.max(1, (keepalive * 1000) / 2 / 100);
      let at = 0;
      setInterval(() => {
        const n = Math.ceil(conns.length / slices);
        for (let k = 0; k < n; k++) {
          const c = conns[at++ % conns.length];
          if (!c.closing) c.send(PINGREQ);
        }
      }, 100).unref();
    }
    send({ t: "opened", id: msg.id, open: conns.length, ms: performance.now() - t0 });
  },
  mark(msg) {
    send({ t: "mark", id: msg.id, open: conns.length - failed, failed, cpu: cpuMicros() });
  },
  stop() {
    for (const c of conns) {
      c.closing = true;
      c.socket.destroy();
    }
    process.exit(0);
  },
});

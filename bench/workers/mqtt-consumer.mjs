// MQTT subscriber process: one connection (clean session) per subscriber,
// each subscribed to the scenario's topic at the given QoS; counts PUBLISH
// packets. At QoS 1 the PUBACKs produced while handling one socket read go
// out in one write().

import { MqttConnection, writePuback, PUBACK_LEN } from "../lib/mqtt-raw.mjs";
import { runWorker, send, die, cpuMicros } from "./common.mjs";

const conns = [];
const counts = [];
let progressTimer = null;

async function init(cfg) {
  const { url, subscribers, topic, qos = 0, progressMs = 20 } = cfg;
  for (let si = 0; si < subscribers.length; si++) {
    const conn = await MqttConnection.open(url, { clientId: `warren-bench-sub-${subscribers[si]}-${process.pid}` });
    conn.onError = die;
    conns.push(conn);
    counts.push(0);
    if (qos === 0) {
      conn.onPublish = () => {
        counts[si]++;
      };
    } else {
      let ids = new Uint16Array(4096);
      let n = 0;
      conn.onPublish = (buf, start, end, q, id) => {
        counts[si]++;
        if (q === 0) return;
        if (n === ids.length) {
          const t = new Uint16Array(n * 2);
          t.set(ids);
          ids = t;
        }
        ids[n++] = id;
      };
      conn.afterData = () => {
        if (n === 0) return;
        const out = Buffer.allocUnsafe(n * PUBACK_LEN);
        let off = 0;
        for (let i = 0; i < n; i++) off = writePuback(out, off, ids[i]);
        n = 0;
        conn.send(out);
      };
    }
    const granted = await conn.subscribe(topic, qos);
    if (granted !== qos) throw new Error(`subscribed at QoS ${qos}, broker granted ${granted}`);
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

// MQTT latency process: a publisher and a subscriber connection in one
// process, QoS 0 or 1 on both (the subscriber PUBACKs every message at QoS 1,
// in one write() per socket read; the publisher's PUBACKs are only counted).
// See latency-core.mjs.

import { MqttConnection, encodePublish, writePuback, PUBACK_LEN } from "../lib/mqtt-raw.mjs";
import { runLatencyWorker } from "./latency-core.mjs";
import { die } from "./common.mjs";

runLatencyWorker(async (cfg, received) => {
  const { url, topic, qos = 0, bodySize = 64 } = cfg;
  if (bodySize < 8) throw new Error("latency body must hold an 8-byte timestamp");
  const pub = await MqttConnection.open(url, { clientId: `warren-bench-latpub-${process.pid}` });
  const sub = await MqttConnection.open(url, { clientId: `warren-bench-latsub-${process.pid}` });
  pub.onError = die;
  sub.onError = die;
  let ids = [];
  sub.onPublish = (buf, start, end, q, id, payloadStart) => {
    received(buf, payloadStart);
    if (q > 0) ids.push(id);
  };
  sub.afterData = () => {
    if (ids.length === 0) return;
    const out = Buffer.allocUnsafe(ids.length * PUBACK_LEN);
    let off = 0;
    for (const id of ids) off = writePuback(out, off, id);
    ids = [];
    sub.send(out);
  };
  const granted = await sub.subscribe(topic, qos);
  if (granted !== qos) throw new Error(`subscribed at QoS ${qos}, broker granted ${granted}`);
  const one = encodePublish(topic, Buffer.alloc(bodySize, 0x61), qos);
  let nextId = 1;
  return {
    template: one.buf,
    stampOffset: one.payloadOffset,
    patch:
      qos > 0
        ? (buf, at) => {
            buf[at + one.idOffset] = nextId >> 8;
            buf[at + one.idOffset + 1] = nextId & 0xff;
            nextId = nextId === 65535 ? 1 : nextId + 1;
          }
        : null,
    write: (buf) => pub.send(buf),
    close: () => Promise.all([pub.close(2000), sub.close(2000)]),
  };
});

// AMQP 1.0 latency process: a pre-settled sender and a pre-settled receiver on the same queue
// address, on two connections in one process. See latency-core.mjs.

import { Amqp10Connection, encodeTransfer, patchTransfer } from "../lib/amqp10-raw.mjs";
import { runLatencyWorker } from "./latency-core.mjs";
import { die } from "./common.mjs";

runLatencyWorker(async (cfg, received) => {
  const { url, address, bodySize = 16 } = cfg;
  if (bodySize < 8) throw new Error("latency body must hold an 8-byte timestamp");
  const pub = await Amqp10Connection.open(url);
  const sub = await Amqp10Connection.open(url);
  pub.onError = die;
  sub.onError = die;
  let granted = 0;
  sub.onTransfer = (buf, id, at, end) => {
    if (id >= 0) received(buf, end - bodySize);
  };
  sub.afterData = () => {
    if (sub.received - granted >= 500) {
      granted = sub.received;
      sub.send(sub.creditFrame());
    }
  };
  await sub.attachReceiver(address, { settled: true, credit: 1000 });
  await pub.attachSender(address, { settled: true });
  const t = encodeTransfer(Buffer.alloc(bodySize, 0x61), true);
  let nextId = 0;
  return {
    template: t.buf,
    stampOffset: t.bodyAt,
    patch: (buf, off) => {
      if (pub.sendable() <= 0) throw new Error("out of link credit at the latency rate");
      pub.consume(1);
      patchTransfer(buf, off, t, nextId++);
    },
    write: (buf) => pub.send(buf),
    close: () => Promise.all([pub.close(2000), sub.close(2000)]),
  };
});

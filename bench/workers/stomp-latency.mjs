// STOMP latency process: SEND on one connection, SUBSCRIBE (ack auto) to the
// same /queue/ destination on another, in one process. See latency-core.mjs.

import { StompConnection, encodeSend } from "../lib/stomp-raw.mjs";
import { runLatencyWorker } from "./latency-core.mjs";
import { die } from "./common.mjs";

runLatencyWorker(async (cfg, received) => {
  const { url, destination, bodySize = 16 } = cfg;
  if (bodySize < 8) throw new Error("latency body must hold an 8-byte timestamp");
  const pub = await StompConnection.open(url);
  const sub = await StompConnection.open(url);
  pub.onError = die;
  sub.onError = die;
  sub.onMessage = (buf, bodyStart) => received(buf, bodyStart);
  await sub.subscribe(destination, { ack: "auto" });
  const one = encodeSend(destination, Buffer.alloc(bodySize, 0x61));
  return {
    template: one.buf,
    stampOffset: one.bodyOffset,
    write: (buf) => pub.send(buf),
    close: () => Promise.all([pub.close(2000), sub.close(2000)]),
  };
});

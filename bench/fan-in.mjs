// Fan-in: many MQTT publishers, each at a modest fixed rate on its own timer (devices reporting),
// into one QoS 0 subscriber on a wildcard. What the broker pays per message when every read is
// another connection's: broker CPU µs per delivered message, the broker's read and write syscalls
// per message (/proc/PID/io), and publish → deliver latency p50/p99. Targets interleaved per run.
//
//   node bench/fan-in.mjs --publishers 200 --rate 50 --runs 5 \
//     --target warren=mqtt://127.0.0.1:27912 --target mosquitto=mqtt://127.0.0.1:27913
//
// pid=auto (the default) finds the process listening on the URL's port.

import { createRequire } from "node:module";
import net from "node:net";
import { loadavg } from "node:os";
import { CLK_TCK, cpuTicks, pidListeningOn, syscallCounts } from "./lib/proc.mjs";
import { median } from "./lib/stats.mjs";

const mqttPacket = createRequire(import.meta.url)("mqtt-packet");

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const publishers = Number(opt("publishers", 200));
const rate = Number(opt("rate", 50));
const runs = Number(opt("runs", 3));
const warmupMs = Number(opt("warmup", 1500));
const windowMs = Number(opt("duration", 5000));
const payloadSize = Math.max(8, Number(opt("size", 32)));
const targets = argv
  .flatMap((a, i) => (a === "--target" ? [argv[i + 1]] : []))
  .map((spec) => {
    const name = spec.slice(0, spec.indexOf("="));
    const [url, ...opts] = spec.slice(spec.indexOf("=") + 1).split(",");
    const o = Object.fromEntries(opts.map((kv) => kv.split("=")));
    const { hostname, port } = new URL(url);
    const pid = o.pid === undefined || o.pid === "auto" ? pidListeningOn(Number(port)) : Number(o.pid);
    if (!pid) throw new Error(`target ${name}: no process found listening on ${port}`);
    return { name, host: hostname, port: Number(port), pid };
  });
if (targets.length === 0) throw new Error("give at least one --target NAME=mqtt://HOST:PORT[,pid=N]");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function connect(target, clientId) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target.port, target.host, () => {
      socket.setNoDelay(true);
      socket.write(mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: 0 }));
    });
    socket.once("error", reject);
    socket.once("data", () => resolve(socket));
  });
}

async function runOnce(target, run) {
  const prefix = `fanin-${process.pid}-${run}`;
  const sub = await connect(target, `${prefix}-sub`);
  const latencies = [];
  let received = 0;
  let recording = false;
  let subscribed;
  const suback = new Promise((r) => (subscribed = r));
  const parser = mqttPacket.parser();
  parser.on("packet", (p) => {
    if (p.cmd === "suback") subscribed();
    if (p.cmd !== "publish") return;
    received++;
    if (recording) latencies.push(Number(process.hrtime.bigint() - p.payload.readBigUInt64BE(0)) / 1e6);
  });
  sub.on("data", (d) => parser.parse(d));
  sub.write(mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: `${prefix}/#`, qos: 0 }] }));
  await suback;

  const sockets = [];
  for (let i = 0; i < publishers; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(publishers, i + 50); j++) batch.push(connect(target, `${prefix}-p${j}`));
    sockets.push(...(await Promise.all(batch)));
  }
  const payload = Buffer.alloc(payloadSize, 0x61);
  const timers = [];
  const period = 1000 / rate;
  sockets.forEach((socket, i) => {
    const topic = `${prefix}/${i}`;
    const send = () => {
      payload.writeBigUInt64BE(process.hrtime.bigint(), 0);
      socket.write(mqttPacket.generate({ cmd: "publish", topic, payload, qos: 0 }));
    };
    // each device on its own phase, as independent publishers are
    timers.push(setTimeout(() => timers.push(setInterval(send, period)), Math.random() * period));
  });
  await sleep(warmupMs);
  const cpu0 = cpuTicks(target.pid);
  const io0 = syscallCounts(target.pid);
  const got0 = received;
  recording = true;
  await sleep(windowMs);
  recording = false;
  const cpu1 = cpuTicks(target.pid);
  const io1 = syscallCounts(target.pid);
  const delivered = received - got0;
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  sub.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    msgPerS: delivered / (windowMs / 1000),
    cpuUsPerMsg: (((cpu1 - cpu0) / CLK_TCK) * 1e6) / delivered,
    readsPerMsg: io0 && io1 ? (io1.reads - io0.reads) / delivered : NaN,
    writesPerMsg: io0 && io1 ? (io1.writes - io0.writes) / delivered : NaN,
    p50: at(0.5),
    p99: at(0.99),
  };
}

const results = new Map(targets.map((t) => [t.name, []]));
const loadBefore = loadavg();
for (let run = 1; run <= runs; run++) {
  for (const target of targets) {
    const r = await runOnce(target, run);
    results.get(target.name).push(r);
    console.error(
      `${target.name} run ${run}: ${r.msgPerS.toFixed(0)} msg/s, ${r.cpuUsPerMsg.toFixed(2)} µs/msg, ` +
        `reads ${r.readsPerMsg.toFixed(3)} writes ${r.writesPerMsg.toFixed(3)} per msg, p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} ms; load ${loadavg()[0].toFixed(1)}`,
    );
    await sleep(500);
  }
}
const fmt = (xs, key, digits) => median(xs.map((x) => x[key])).toFixed(digits);
console.log(
  `Fan-in, MQTT QoS 0: ${publishers} publishers × ${rate} msg/s, ${payloadSize} B, one subscriber on a wildcard — ` +
    `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, medians of ${runs} runs, ` +
    `${warmupMs} ms warm-up + ${windowMs} ms window; load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")} before, ` +
    `${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} after\n`,
);
console.log("| target | msg/s | broker CPU µs/msg | reads / writes per msg | p50 / p99 ms |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, xs] of results) {
  console.log(
    `| ${name} | ${fmt(xs, "msgPerS", 0)} | ${fmt(xs, "cpuUsPerMsg", 2)} | ${fmt(xs, "readsPerMsg", 3)} / ${fmt(xs, "writesPerMsg", 3)} | ${fmt(xs, "p50", 3)} / ${fmt(xs, "p99", 3)} |`,
  );
}
process.exit(0);

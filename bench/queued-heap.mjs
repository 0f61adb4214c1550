#!/usr/bin/env node
// What the broker's heap holds per message waiting in a queue, for each protocol's usual publisher:
// a STOMP SEND with a destination and a length, an amqplib sendToQueue, a rhea send, an MQTT QoS 1
// publish to a persistent session that is away. The broker (dist/index.js of --root, default this checkout)
// runs in this process with --expose-gc; each publisher runs in a child process of its own, so only
// the broker's objects are counted. Heap after two full GCs, before and after N messages, divided
// by N. A warm-up round first, so compiled code does not count. Heap after GC does not depend on
// the machine's load; run it for two roots to compare builds.
//
//   npm run build && node bench/queued-heap.mjs [--root DIR] [--messages 20000] [--only stomp,amqp,amqp10,mqtt]

import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const here = fileURLToPath(import.meta.url);
const root = resolve(opt("root", fileURLToPath(new URL("..", import.meta.url))));
const n = Number(opt("messages", 20_000));
const only = opt("only", "stomp,amqp,amqp10,mqtt").split(",");

if (typeof globalThis.gc !== "function") {
  // the broker side needs gc(): run again with it exposed
  const r = spawnSync(process.execPath, ["--expose-gc", here, ...argv], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const role = opt("role", "broker");
const modules = join(root, "node_modules");

// ---- publishers (child processes) ----
if (role !== "broker") {
  const url = opt("url");
  const count = Number(opt("count"));
  const from = Number(opt("from"));
  const body = (i) => String(i).padStart(16, "0");
  if (role === "stomp") {
    const { connect } = await import("node:net");
    const u = new URL(url);
    const s = connect(Number(u.port), u.hostname);
    let got = "";
    const until = (text) =>
      new Promise((r) => {
        const check = () => got.includes(text) && (s.off("data", on), r());
        const on = (d) => {
          got += d.toString("latin1");
          check();
        };
        s.on("data", on);
        check();
      });
    s.write("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
    await until("CONNECTED");
    let frames = "";
    for (let i = from; i < from + count; i++) {
      const last = i === from + count - 1;
      frames += `SEND\ndestination:/queue/queued-heap-stomp\ncontent-length:16\n${last ? "receipt:done\n" : ""}\n${body(i)}\0`;
    }
    s.write(frames);
    await until("receipt-id:done");
    s.destroy();
  } else if (role === "amqp") {
    const { default: amqp } = await import(pathToFileURL(join(modules, "amqplib/channel_api.js")).href);
    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("queued-heap-amqp", { durable: false });
    for (let i = from; i < from + count; i++) ch.sendToQueue("queued-heap-amqp", Buffer.from(body(i)));
    await ch.waitForConfirms();
    await conn.close();
  } else if (role === "amqp10") {
    const { default: rhea } = await import(pathToFileURL(join(modules, "rhea/lib/container.js")).href);
    const u = new URL(url);
    const container = rhea.create_container({ id: `queued-heap-${process.pid}` });
    const c = container.connect({ host: u.hostname, port: Number(u.port), username: "guest", password: "guest" });
    const sender = c.open_sender("/queue/queued-heap-amqp10");
    let accepted = 0;
    let next = from;
    await new Promise((done) => {
      sender.on("accepted", () => ++accepted === count && done());
      // within the link's credit and rhea's outgoing window
      const pump = () => {
        while (next < from + count && sender.sendable()) sender.send({ body: Buffer.from(body(next++)) });
      };
      sender.on("sendable", pump);
    });
    c.close();
    await new Promise((r) => c.once("connection_close", r));
  } else if (role === "mqtt") {
    const { default: mqtt } = await import(pathToFileURL(join(modules, "mqtt/build/index.js")).href);
    const c = await mqtt.connectAsync(url, { clientId: `queued-heap-pub-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0 });
    const acks = [];
    for (let i = from; i < from + count; i++) acks.push(c.publishAsync("queued/heap", body(i), { qos: 1 }));
    await Promise.all(acks);
    await c.endAsync();
  }
  process.exit(0);
}

// ---- the broker ----
const run = promisify(execFile);
const { startBroker } = await import(pathToFileURL(join(root, "dist/index.js")).href);
const dataDir = mkdtempSync(join(tmpdir(), "warren-queued-heap-"));
const broker = await startBroker({ amqp: { port: 0 }, stomp: { port: 0 }, mqtt: { port: 0 }, logLevel: "warn", dataDir });
const urls = {
  stomp: `stomp://127.0.0.1:${broker.ports.stomp}`,
  amqp: `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`,
  amqp10: `amqp://127.0.0.1:${broker.ports.amqp}`,
  mqtt: `mqtt://127.0.0.1:${broker.ports.mqtt}`,
};
if (only.includes("mqtt")) {
  // a persistent session subscribed at QoS 1, then away: its queue keeps what is published
  const { default: mqtt } = await import(pathToFileURL(join(modules, "mqtt/build/index.js")).href);
  const sub = await mqtt.connectAsync(urls.mqtt, { clientId: "queued-heap-sub", clean: false, protocolVersion: 4, reconnectPeriod: 0 });
  await sub.subscribeAsync("queued/heap", { qos: 1 });
  await sub.endAsync();
}
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const publish = (protocol, from, count) =>
  run(process.execPath, [
    here,
    "--role",
    protocol,
    "--root",
    root,
    "--url",
    urls[protocol],
    "--from",
    String(from),
    "--count",
    String(count),
  ]);

console.log(`queued-heap ${root}, ${n} messages per protocol, Node ${process.version}`);
for (const protocol of only) {
  await publish(protocol, 0, 2_000);
  const before = heap();
  await publish(protocol, 2_000, n);
  const perMessage = (heap() - before) / n;
  console.log(`${protocol.padEnd(6)} ${perMessage.toFixed(1)} B per queued message`);
}
await broker.close();
rmSync(dataDir, { recursive: true, force: true });

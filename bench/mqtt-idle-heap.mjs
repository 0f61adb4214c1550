#!/usr/bin/env node
// What an idle MQTT connection holds, in the V8 heap and in RSS.
//
//   npm run build && node bench/mqtt-idle-heap.mjs [--connections 5000] [--server warren|net] [--snapshots]
//
// The server runs in a child process of its own (`node --expose-gc`): `warren` is the embedded
// broker from dist/ with only MQTT on; `net` is a bare net.Server that holds the sockets and reads
// nothing — the floor a Node socket costs. This process opens N raw MQTT 3.1.1 connections
// (CONNECT, clean session, keep-alive 0, wait for CONNACK; against `net` just the TCP connection),
// then the child runs a full GC twice and reports heap used and RSS; the per-connection figures are
// the differences from before the connections, divided by N. RSS is read again after `--hold` s
// (default 30; V8 gives back the young generation the storm grew only once the process is idle).
// With --snapshots the child writes heap snapshots before and after and this script diffs them by
// constructor (count and self size per connection): where the bytes are.

import { fork } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt("connections", 5000));
const serverKind = opt("server", "warren");
const holdS = Number(opt("hold", 30));
const snapshots = args.includes("--snapshots");

if (process.env.WARREN_IDLE_CHILD === "1") {
  // ---- the server process ----
  const v8 = await import("node:v8");
  let port;
  const held = [];
  if (process.env.WARREN_IDLE_SERVER === "net") {
    const { createServer } = await import("node:net");
    const server = createServer((s) => held.push(s));
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    port = server.address().port;
  } else {
    const { startBroker } = await import(new URL("../dist/index.js", import.meta.url).href);
    const broker = await startBroker({ mqtt: { port: 0 }, logLevel: "warn", dataDir: process.env.WARREN_IDLE_DIR });
    port = broker.ports.mqtt;
  }
  const measure = () => {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, rss: m.rss, external: m.external };
  };
  process.on("message", (msg) => {
    if (msg.t === "measure") process.send({ t: "measured", ...measure(), held: held.length });
    if (msg.t === "rss") process.send({ t: "rss", rss: process.memoryUsage().rss });
    if (msg.t === "snapshot") {
      globalThis.gc();
      process.send({ t: "snapshot", file: v8.writeHeapSnapshot(msg.file) });
    }
  });
  process.send({ t: "ready", port });
} else {
  // ---- the orchestrator ----
  const dataDir = join(tmpdir(), `warren-idle-heap-${process.pid}`);
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ["--expose-gc"],
    env: { ...process.env, WARREN_IDLE_CHILD: "1", WARREN_IDLE_SERVER: serverKind, WARREN_IDLE_DIR: dataDir },
  });
  const waiting = new Map();
  child.on("message", (m) => {
    waiting.get(m.t)?.(m);
    waiting.delete(m.t);
  });
  const ask = (t, reply, extra = {}) =>
    new Promise((resolve) => {
      waiting.set(reply, resolve);
      if (t !== null) child.send({ t, ...extra });
    });
  const { port } = await ask(null, "ready");
  const snapshot = async (name) =>
    (await ask("snapshot", "snapshot", { file: join(tmpdir(), `warren-idle-${name}-${process.pid}.heapsnapshot`) })).file;

  const connectPacket = (clientId) => {
    const id = Buffer.from(clientId);
    const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0, id.length >> 8, id.length & 0xff]), id]);
    return Buffer.concat([Buffer.from([0x10, body.length]), body]);
  };
  const open = (i) =>
    new Promise((resolve, reject) => {
      const s = connect({ port, host: "127.0.0.1" }, () => {
        if (serverKind === "net") return resolve(s);
        s.write(connectPacket(`idle-heap-${i}`));
      });
      s.once("error", reject);
      if (serverKind !== "net") {
        s.once("data", (d) => (d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error(`CONNACK ${d.toString("hex")}`))));
      }
    });

  const before = await ask("measure", "measured");
  const snapBefore = snapshots ? await snapshot("before") : undefined;
  const sockets = [];
  let next = 0;
  const lane = async () => {
    while (next < N) sockets.push(await open(next++));
  };
  await Promise.all(Array.from({ length: 50 }, lane));
  const after = await ask("measure", "measured");
  const snapAfter = snapshots ? await snapshot("after") : undefined;
  await new Promise((r) => setTimeout(r, holdS * 1000));
  const held = await ask("rss", "rss");
  const kib = (b) => (b / 1024 / N).toFixed(2);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  console.log(`${serverKind}, ${N} idle connections (${new Date().toISOString().slice(0, 16)} UTC, load average ${load}):`);
  console.log(`  heap used after GC: ${kib(after.heapUsed - before.heapUsed)} KiB/connection`);
  console.log(`  external (Buffers): ${kib(after.external - before.external)} KiB/connection`);
  console.log(
    `  RSS right after opening: ${kib(after.rss - before.rss)} KiB/connection; after ${holdS} s more: ${kib(held.rss - before.rss)} KiB/connection`,
  );

  if (snapshots) {
    const byCtor = (file) => {
      const snap = JSON.parse(readFileSync(file, "utf8"));
      const f = snap.snapshot.meta.node_fields;
      const types = snap.snapshot.meta.node_types[0];
      const [iType, iName, iSize] = [f.indexOf("type"), f.indexOf("name"), f.indexOf("self_size")];
      const out = new Map();
      for (let i = 0; i < snap.nodes.length; i += f.length) {
        const type = types[snap.nodes[i + iType]];
        const name = type === "object" || type === "closure" || type === "native" ? snap.strings[snap.nodes[i + iName]] : `(${type})`;
        const key = type === "closure" ? `${name}()` : name;
        const e = out.get(key) ?? { count: 0, size: 0 };
        e.count++;
        e.size += snap.nodes[i + iSize];
        out.set(key, e);
      }
      rmSync(file, { force: true });
      return out;
    };
    const a = byCtor(snapBefore);
    const b = byCtor(snapAfter);
    const rows = [...b].map(([k, v]) => ({ k, count: (v.count - (a.get(k)?.count ?? 0)) / N, size: (v.size - (a.get(k)?.size ?? 0)) / N }));
    rows.sort((x, y) => y.size - x.size);
    console.log("  heap snapshot diff, per connection (constructor or (type): count, bytes):");
    for (const r of rows.slice(0, 30))
      if (r.size >= 4) console.log(`    ${r.k.slice(0, 60).padEnd(60)} ${r.count.toFixed(2).padStart(6)} ${r.size.toFixed(0).padStart(6)}`);
    console.log(`    total ${rows.reduce((n, r) => n + r.size, 0).toFixed(0)} B`);
  }
  for (const s of sockets) s.destroy();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
}

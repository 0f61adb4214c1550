#!/usr/bin/env node
// The floor under any Node.js broker at a fixed message rate: a relay that does nothing but read
// what one publisher socket sends and write each read, unchanged, to one consumer socket. No
// protocol, no routing, no allocation beyond what node's stream layer does. Its CPU per message is
// what the event loop, the read and the write syscalls and node's stream machinery cost at that
// rate on this machine, so a broker cannot go below it (Warren's client-bound AMQP scenario does
// the same reads and writes, plus the protocol).
//
//   node bench/node-floor.mjs [--rate 5000] [--size 90] [--seconds 8] [--runs 3] [--port 27990]
//
// The publisher writes `size` bytes per message, the messages of each 1 ms tick as separate
// writes (as amqplib does at client-bound.mjs's fixed rates), each starting with its send time
// (CLOCK_MONOTONIC, hex); the consumer counts bytes and each message's latency.
// Three processes: relay, publisher, consumer. Reported: the relay's utime+stime (all threads,
// from /proc) ÷ messages, reads and writes per message from /proc/PID/io, p50/p99 latency
// publisher → consumer, medians of the runs.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { once } from "node:events";
import net from "node:net";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    rate: { type: "string", default: "5000" },
    size: { type: "string", default: "90" },
    seconds: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
    port: { type: "string", default: "27990" },
    role: { type: "string" },
  },
});
const rate = Number(opt.rate);
const size = Number(opt.size);
const port = Number(opt.port);

function relay() {
  let pub = null;
  let con = null;
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.once("data", (hello) => {
      if (hello[0] === 0x70) pub = s;
      else {
        con = s;
        process.send?.("consumer");
      }
      if (pub && con) pub.on("data", (chunk) => con.write(chunk));
    });
  });
  server.listen(port, "127.0.0.1", () => process.send?.("listening"));
}

async function publisher() {
  const s = net.connect(port, "127.0.0.1");
  s.setNoDelay(true);
  await once(s, "connect");
  s.write("p");
  const t0 = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    while (sent < due) {
      const msg = Buffer.alloc(size, 0x61);
      msg.write(process.hrtime.bigint().toString(16).padStart(16, "0"), "latin1");
      s.write(msg);
      sent++;
    }
    setTimeout(tick, 1);
  };
  tick();
}

async function consumer() {
  const s = net.connect(port, "127.0.0.1");
  s.setNoDelay(true);
  await once(s, "connect");
  s.write("c");
  // Messages are `size` bytes starting with the send time in hex; TCP may split them anywhere.
  let bytes = 0;
  let partial = Buffer.alloc(0);
  let lat = [];
  s.on("data", (c) => {
    bytes += c.length;
    let buf = partial.length > 0 ? Buffer.concat([partial, c]) : c;
    const now = process.hrtime.bigint();
    let at = 0;
    for (; at + size <= buf.length; at += size) {
      lat.push(Number(now - BigInt(`0x${buf.toString("latin1", at, at + 16)}`)) / 1e6);
    }
    partial = buf.subarray(at);
    buf = null;
  });
  process.on("message", () => {
    process.send?.({ bytes, lat });
    lat = [];
  });
}

function cpuTicks(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

function io(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/io`, "utf8").trim().split("\n")) {
    const [k, v] = line.split(": ");
    out[k] = Number(v);
  }
  return out;
}

function child(role) {
  const args = [new URL(import.meta.url).pathname, "--role", role, "--rate", String(rate), "--size", String(size)];
  return spawn(process.execPath, [...args, "--port", String(port)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

const ask = async (proc) => {
  proc.send("count");
  const [answer] = await once(proc, "message");
  return answer;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function orchestrate() {
  const hz = 100; // USER_HZ on Linux
  const results = [];
  for (let run = 0; run < Number(opt.runs); run++) {
    const r = child("relay");
    await once(r, "message");
    const c = child("con");
    await once(r, "message"); // the consumer is connected
    const p = child("pub");
    await sleep(1000); // warm-up
    const cpu0 = cpuTicks(r.pid);
    const io0 = io(r.pid);
    const { bytes: b0 } = await ask(c);
    const t0 = performance.now();
    await sleep(Number(opt.seconds) * 1000);
    const cpu1 = cpuTicks(r.pid);
    const io1 = io(r.pid);
    const { bytes: b1, lat } = await ask(c);
    lat.sort((a, b) => a - b);
    const secs = (performance.now() - t0) / 1000;
    const msgs = (b1 - b0) / size;
    const row = {
      msgPerSec: Math.round(msgs / secs),
      cpuMicrosPerMsg: (((cpu1 - cpu0) / hz) * 1e6) / msgs,
      readsPerMsg: (io1.syscr - io0.syscr) / msgs,
      writesPerMsg: (io1.syscw - io0.syscw) / msgs,
      p50: lat[Math.floor(lat.length * 0.5)],
      p99: lat[Math.floor(lat.length * 0.99)],
    };
    results.push(row);
    console.log(`run ${run + 1}: ${JSON.stringify(row)}`);
    for (const x of [p, c, r]) x.kill();
    await Promise.all([once(p, "exit"), once(c, "exit"), once(r, "exit")]);
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `median of ${results.length}: ${median(results.map((x) => x.msgPerSec))} msg/s, ` +
      `${median(results.map((x) => x.cpuMicrosPerMsg)).toFixed(2)} µs CPU/msg, ` +
      `${median(results.map((x) => x.readsPerMsg)).toFixed(2)} reads and ` +
      `${median(results.map((x) => x.writesPerMsg)).toFixed(2)} writes per msg, ` +
      `p50 ${median(results.map((x) => x.p50)).toFixed(3)} ms, p99 ${median(results.map((x) => x.p99)).toFixed(3)} ms ` +
      `(load ${load})`,
  );
}

if (opt.role === "relay") relay();
else if (opt.role === "pub") publisher();
else if (opt.role === "con") consumer();
else await orchestrate();

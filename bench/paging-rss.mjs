// Deep durable backlog: publish N persistent messages with confirms, report RSS, then drain in order.
// usage: node bench/paging-rss.mjs [messages=2000000] [bodyBytes=1024]
import amqp from "amqplib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { listenerArgs } from "./lib/cli-listeners.mjs";

const [N = 2_000_000, SIZE = 1024] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "warren-paging-"));
// the broker runs as its own process so its RSS is measured alone
const child = spawn(process.execPath, ["dist/cli/main.js", ...listenerArgs({ amqp: 0 }), "--data-dir", dir, "--log-level", "info"], {
  stdio: ["ignore", "ignore", "pipe"],
});
const port = await new Promise((resolve, reject) => {
  let log = "";
  child.stderr.on("data", (d) => {
    log += d;
    const m = /AMQP 0-9-1 listening on port (\d+)/.exec(log);
    if (m) resolve(Number(m[1]));
  });
  child.once("exit", (code) => reject(new Error(`broker exited ${code}: ${log}`)));
});
const url = `amqp://guest:guest@127.0.0.1:${port}`;
const conn = await amqp.connect(url);
const ch = await conn.createConfirmChannel();
await ch.assertQueue("deep", { durable: true });
const body = Buffer.alloc(SIZE, 120);
const mb = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1e3);
let t = process.hrtime.bigint();
let peak = 0;
for (let i = 0; i < N; i++) {
  body.writeUInt32BE(i, 0);
  if (!ch.sendToQueue("deep", body, { persistent: true })) await new Promise((r) => ch.once("drain", r));
  if (i % 10000 === 0) {
    await ch.waitForConfirms();
    peak = Math.max(peak, mb());
  }
}
await ch.waitForConfirms();
const pubS = Number(process.hrtime.bigint() - t) / 1e9;
const afterPublish = mb();
t = process.hrtime.bigint();
await ch.prefetch(1000);
let next = 0;
await new Promise((resolve, reject) => {
  ch.consume("deep", (m) => {
    if (m.content.readUInt32BE(0) !== next) reject(new Error(`out of order at ${next}`));
    next++;
    if (next % 500 === 0 || next === N) ch.ack(m, true);
    if (next % 10000 === 0) peak = Math.max(peak, mb());
    if (next === N) resolve();
  });
});
const drainS = Number(process.hrtime.bigint() - t) / 1e9;
console.log(
  JSON.stringify({
    messages: N,
    bodyBytes: SIZE,
    publishMsgPerSec: Math.round(N / pubS),
    rssAfterPublishMB: afterPublish,
    peakRssMB: Math.max(peak, mb()),
    drainMsgPerSec: Math.round(N / drainS),
    note: "broker RSS, measured in its own process",
  }),
);
await ch.close();
await conn.close();
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dir, { recursive: true, force: true });

// A stream read by ten consumers at ten offsets over AMQP 0-9-1 (the replay case): the stream is
// filled first, then each consumer starts at its own offset (consumer k at k × messages/20) and
// reads messages/2 records with prefetch 1000, acking every 100 (multiple). Reports each
// consumer's msg/s (median and slowest over the consumers, median over runs) per target.
//
// usage: node bench/stream-consumers.mjs [--target NAME=amqp://…]… [--messages 200000] [--size 100]
//        [--consumers 10] [--runs 3]
// Without --target an embedded Warren (dist/, a fresh data dir) is measured. Targets are measured
// one after another in the same run; every run uses a fresh stream.
import amqp from "amqplib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = opt("messages", 200_000);
const SIZE = opt("size", 100);
const C = opt("consumers", 10);
const RUNS = opt("runs", 3);
const targets = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--target") {
    const [name, url] = args[++i].split(/=(.*)/s);
    targets.push({ name, url });
  }
}

let embedded = null;
if (targets.length === 0) {
  const { startBroker } = await import("../dist/index.js");
  const dir = mkdtempSync(join(tmpdir(), "warren-bench-stream-"));
  const broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "warn" });
  embedded = { broker, dir };
  targets.push({ name: "warren", url: `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}` });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function fill(url, stream) {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(stream, { durable: true, arguments: { "x-queue-type": "stream" } });
  const body = Buffer.alloc(SIZE, 120);
  for (let i = 0; i < N; i++) {
    if (!ch.sendToQueue(stream, body)) await new Promise((r) => ch.once("drain", r));
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** One consumer: resolves with its msg/s once it has read `count` messages from `offset`. */
async function consume(url, stream, offset, count) {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.prefetch(1000);
  let got = 0;
  let t0 = 0n;
  let tagged;
  conn.on("error", (e) => process.stderr.write(`conn error ${e.message}\n`));
  conn.on("close", () => got < count && process.stderr.write(`conn closed at ${got}\n`));
  const done = new Promise((resolve, reject) => {
    ch.on("error", reject);
    tagged = ch.consume(
      stream,
      (m) => {
        // deliveries past the count (in flight when it was reached) are left unacked: the connection closes
        if (m === null || got >= count) return;
        if (got === 0) t0 = process.hrtime.bigint();
        got++;
        if (got % 100 === 0 || got === count) ch.ack(m, true);
        if (got === count) resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      },
      { arguments: { "x-stream-offset": offset } },
    );
  });
  const seconds = await done;
  // cancel first: a close while deliveries are still arriving can leave amqplib's close() unresolved
  await ch.cancel((await tagged).consumerTag);
  await conn.close();
  return count / seconds;
}

async function run(target) {
  const stream = `bench-stream-${randomBytes(4).toString("hex")}`;
  await fill(target.url, stream);
  process.stderr.write(`${target.name}: filled ${stream}\n`);
  const per = Math.floor(N / 2);
  const rates = await Promise.all(Array.from({ length: C }, (_, k) => consume(target.url, stream, Math.floor((k * N) / (2 * C)), per)));
  const conn = await amqp.connect(target.url);
  await (await conn.createChannel()).deleteQueue(stream);
  await conn.close();
  return { median: median(rates), slowest: Math.min(...rates), total: rates.reduce((a, b) => a + b, 0) };
}

const results = [];
for (const t of targets) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const x = await run(t);
    process.stderr.write(
      `${t.name} run ${r + 1}: median ${Math.round(x.median)} msg/s per consumer, slowest ${Math.round(x.slowest)}, sum ${Math.round(x.total)}\n`,
    );
    runs.push(x);
  }
  results.push({
    target: t.name,
    perConsumerMedian: Math.round(median(runs.map((x) => x.median))),
    slowestConsumer: Math.round(median(runs.map((x) => x.slowest))),
    allConsumers: Math.round(median(runs.map((x) => x.total))),
  });
}

console.log(
  `stream, ${C} consumers at ${C} offsets, ${N} × ${SIZE} B records, each reads ${Math.floor(N / 2)} (medians of ${RUNS} runs)\n`,
);
console.log(`| target | per consumer msg/s (median) | slowest consumer msg/s | all consumers msg/s |`);
console.log(`|---|---:|---:|---:|`);
for (const r of results) console.log(`| ${r.target} | ${r.perConsumerMedian} | ${r.slowestConsumer} | ${r.allConsumers} |`);
console.log(`\n${JSON.stringify(results)}`);

if (embedded) {
  await embedded.broker.close();
  rmSync(embedded.dir, { recursive: true, force: true });
}

// Confirmed persistent publishing into one durable queue: msg/s and group-commit batch sizes.
// usage: node bench/persistent-confirms.mjs [publishers=3] [messagesPerPublisher=20000] [bodyBytes=1024]
import amqp from "amqplib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker } from "../dist/index.js";

const [P = 3, N = 20000, SIZE = 1024] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "warren-bench-"));
const broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "warn" });
const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
const body = Buffer.alloc(SIZE, 120);
const setup = await amqp.connect(url);
await (await setup.createChannel()).assertQueue("bench", { durable: true });
const t0 = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: P }, async () => {
    const conn = await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < N; i++) {
      if (!ch.sendToQueue("bench", body, { persistent: true })) await new Promise((r) => ch.once("drain", r));
    }
    await ch.waitForConfirms();
    await conn.close();
  }),
);
const s = Number(process.hrtime.bigint() - t0) / 1e9;
const st = broker.persistence.commit.stats;
console.log(
  JSON.stringify({
    publishers: P,
    messages: P * N,
    bodyBytes: SIZE,
    seconds: +s.toFixed(2),
    msgPerSec: Math.round((P * N) / s),
    commits: st.commits,
    messagesPerCommit: +((P * N) / st.commits).toFixed(1),
    confirmWaitersPerCommit: +(st.waiters / st.commits).toFixed(2),
  }),
);
await setup.close();
await broker.close();
rmSync(dir, { recursive: true, force: true });

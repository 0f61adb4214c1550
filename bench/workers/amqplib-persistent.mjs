// One side of persistent-compare's 1 → 1 flow, in a process of its own so the publisher's loop never
// starves the consumer's callbacks (as it does when both share one client event loop):
//   node amqplib-persistent.mjs publish URL QUEUE SIZE COUNT PERSISTENT   publishes COUNT with confirms (≤ 2,000 outstanding)
//   node amqplib-persistent.mjs consume URL QUEUE COUNT                    consumes COUNT, prefetch 100, ack each
// Each prints "ready" once set up, waits for "go" on stdin, and prints one JSON line when done.
import amqp from "amqplib";

const [role, url, queue, ...rest] = process.argv.slice(2);
const conn = await amqp.connect(url);
const go = new Promise((resolve) => process.stdin.once("data", resolve));

if (role === "publish") {
  const [size, count, persistent] = [Number(rest[0]), Number(rest[1]), rest[2] === "1"];
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  const body = Buffer.alloc(size, 97);
  const WINDOW = 2000;
  let outstanding = 0;
  let wake = null;
  const confirmed = () => {
    outstanding--;
    if (wake !== null && outstanding < WINDOW / 2) {
      const w = wake;
      wake = null;
      w();
    }
  };
  console.log("ready");
  await go;
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    if (outstanding >= WINDOW) await new Promise((r) => (wake = r));
    outstanding++;
    if (!ch.sendToQueue(queue, body, { persistent }, confirmed)) await new Promise((r) => ch.once("drain", r));
  }
  await ch.waitForConfirms();
  console.log(JSON.stringify({ publishSeconds: (Date.now() - t0) / 1000 }));
} else {
  const count = Number(rest[0]);
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: true });
  await ch.prefetch(100);
  let n = 0;
  let done;
  const all = new Promise((r) => (done = r));
  await ch.consume(queue, (m) => {
    ch.ack(m);
    if (++n === count) done();
  });
  console.log("ready");
  await all;
}
console.log(JSON.stringify({ role, done: true }));
await conn.close();

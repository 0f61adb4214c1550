// Micro-benchmark of the core's publish → dispatch → ack path, with and without selector
// consumers. Run: npx tsx bench/micro/dispatch.mjs [path to a src/core to compare, default ../../src/core]
// A/B against another revision: git archive <rev> src/core | tar -x -C .bench-base (inside the
// repository, so its imports resolve), then pass .bench-base/src/core.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const core = process.argv[2] ? resolve(process.argv[2]) : new URL("../../src/core", import.meta.url).pathname;
const { VirtualHost } = await import(pathToFileURL(`${core}/vhost.ts`).href);
const { Message } = await import(pathToFileURL(`${core}/message.ts`).href);
let compileSelector = null;
try {
  ({ compileSelector } = await import(pathToFileURL(`${core}/selectors/index.ts`).href));
} catch {}

/** A consumer that acks every delivery at once (prefetch-free, like an auto-ack client). */
class AckingConsumer {
  client = { id: 1 };
  constructor(queue) {
    this.queue = queue;
    this.n = 0;
  }
  hasCredit() {
    return true;
  }
  deliver(entry) {
    this.n++;
    this.queue.ack(entry);
  }
  cancelledByBroker() {}
}

function run(name, selectorText, iterations = 300_000) {
  const v = new VirtualHost("/");
  v.declareQueue("q", { args: {} }, null);
  const q = v.queues.get("q");
  const c = new AckingConsumer(q);
  const opts = { tag: "t", noAck: false, exclusive: false, priority: 0 };
  if (selectorText !== null) opts.selector = compileSelector(selectorText);
  q.consume(c, opts);
  const messages = [];
  for (let i = 0; i < 1024; i++)
    messages.push(new Message("", "q", Buffer.from("0123456789abcdef"), { headers: { color: i % 2 ? "red" : "blue", n: i } }));
  for (let i = 0; i < iterations / 10; i++) v.publish("", "q", messages[i & 1023]);
  let best = Infinity;
  for (let round = 0; round < 15; round++) {
    // CPU time, not wall time: on a shared machine other processes' load shows in the wall clock
    const start = process.cpuUsage();
    for (let i = 0; i < iterations; i++) v.publish("", "q", messages[i & 1023]);
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 1000) / iterations);
  }
  console.log(`${name.padEnd(52)} ${best.toFixed(0).padStart(5)} ns/msg (CPU, best of 15)`);
}

// one scenario per process (SCENARIO=plain|selector), so one's type feedback never slows the other
if (process.env.SCENARIO !== "selector") run("publish + dispatch + ack, no selector", null);
else run("publish + dispatch + ack, selector matching all", "color IN ('red', 'blue') AND n >= 0");

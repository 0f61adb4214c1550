// Queue features' cost on the per-message path: throughput of a plain queue, a priority queue
// (x-max-priority 10, priorities 0..9 mixed) and a queue with x-message-ttl, measured on the core
// (VirtualHost.publish → Queue → consumer) so that no client's cost hides the queue's.
// Two shapes per queue kind: "flow" (a consumer with credit takes each message as it arrives) and
// "backlog" (publish N, then a consumer drains them). Median of RUNS runs, msg/s.
// usage: node bench/queue-features.mjs [messages=500000] [runs=5] [bodyBytes=128]
import { Message, VirtualHost } from "../dist/index.js";

const [N = 500_000, RUNS = 5, SIZE = 128] = process.argv.slice(2).map(Number);
const body = Buffer.alloc(SIZE, 120);

const KINDS = {
  plain: {},
  priority: { "x-max-priority": 10 },
  ttl: { "x-message-ttl": 60_000 },
};

class Sink {
  constructor() {
    this.client = { id: 1 };
    this.count = 0;
  }
  hasCredit() {
    return true;
  }
  deliver(entry, sub) {
    this.count++;
    sub.queue.ack(entry);
  }
  cancelledByBroker() {}
}

function messages(kind) {
  // built before timing: the front-end's decode is not what is measured
  const out = new Array(N);
  for (let i = 0; i < N; i++) {
    const props = kind === "priority" ? { priority: i % 10 } : {};
    const m = new Message("", "q", body, props);
    m.noteProperties(props);
    out[i] = m;
  }
  return out;
}

function once(kind, shape) {
  const v = new VirtualHost("/");
  v.declareQueue("q", { args: KINDS[kind] }, null);
  const q = v.queues.get("q");
  const msgs = messages(kind);
  const sink = new Sink();
  const t0 = process.hrtime.bigint();
  if (shape === "flow") {
    q.consume(sink, { tag: "c", noAck: false, exclusive: false, priority: 0 });
    for (let i = 0; i < N; i++) v.publish("", "q", msgs[i]);
  } else {
    for (let i = 0; i < N; i++) v.publish("", "q", msgs[i]);
    q.consume(sink, { tag: "c", noAck: false, exclusive: false, priority: 0 });
    q.dispatch();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink.count !== N) throw new Error(`${kind}/${shape}: delivered ${sink.count} of ${N}`);
  v.deleteQueue("q", {}, null);
  return N / s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const shape of ["flow", "backlog"]) {
  const plain = [];
  const results = {};
  for (const kind of Object.keys(KINDS)) results[kind] = [];
  // interleave kinds within each run so machine noise hits them alike
  for (let r = 0; r < RUNS; r++) for (const kind of Object.keys(KINDS)) results[kind].push(once(kind, shape));
  plain.push(median(results.plain));
  for (const kind of Object.keys(KINDS)) {
    const m = median(results[kind]);
    rows.push({ shape, kind, msgPerSec: Math.round(m), ofPlain: +(m / plain[0]).toFixed(2) });
  }
}
console.log(JSON.stringify({ messages: N, runs: RUNS, bodyBytes: SIZE, node: process.version }));
console.log("| shape | queue | msg/s (median) | ÷ plain |\n|---|---|---:|---:|");
for (const r of rows) console.log(`| ${r.shape} | ${r.kind} | ${r.msgPerSec.toLocaleString("en")} | ${r.ofPlain} |`);

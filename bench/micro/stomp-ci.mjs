// Micro-benchmark of STOMP client-individual's per-message path without sockets: a publisher
// session's SEND frames and a consumer session's ACK frames (as stompit writes them, STOMP 1.2)
// are fed to two StompConnections over in-memory transports, five messages a turn, and the CPU
// time (process.cpuUsage: JavaScript, GC and allocation, no syscalls) per message is reported.
//
//   npx tsx bench/micro/stomp-ci.mjs [--root DIR] [--messages 400000] [--rounds 5] [--backlog N]
//
// --backlog N publishes N messages first, so every message waits behind N others as it does when
// a client publishes faster than its consumer acks ("max" in client-bound.mjs, up to 20,000): each
// then outlives young-generation collections, and GC's share is what that rate pays.
//
// --root runs another checkout's sources (e.g. a `git archive` of the base commit, with a
// node_modules link), for an A/B in one machine state: run both alternately.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const root = resolve(opt("root", new URL("../..", import.meta.url).pathname));
const messages = Number(opt("messages", 400_000));
const rounds = Number(opt("rounds", 5));
const backlog = Number(opt("backlog", 0));
const perTurn = 5;

const load = (p) => import(pathToFileURL(`${root}/${p}`).href);
const { Broker } = await load("src/core/index.ts");
const { createLogger } = await load("src/server/logger.ts");
const { StompConnection } = await load("protocols/stomp/connection.ts");
const { defaultStompOptions } = await load("protocols/stomp/server.ts");

/** A transport that keeps nothing: frames are counted, the reserved slab is reused. */
class NullTransport {
  remoteAddress = "127.0.0.1";
  remotePort = 40000;
  localAddress = "127.0.0.1";
  localPort = 61613;
  lastWrite = 0;
  backedUp = false;
  slab = Buffer.allocUnsafe(64 * 1024);
  at = 0;
  written = 0;
  handlers = null;
  tls() {
    return null;
  }
  write(frame) {
    this.written++;
    this.last = frame;
  }
  reserve(size) {
    if (this.at + size > this.slab.length) this.at = 0;
    const at = this.at;
    this.at += size;
    return at;
  }
  commit() {
    this.written++;
  }
  acknowledgeRead() {}
  end() {}
  destroy() {}
  start(h) {
    this.handlers = h;
  }
  pause() {}
  resume() {}
}

const broker = new Broker();
const log = createLogger("silent");
const options = defaultStompOptions(broker);
const connect = Buffer.from("CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0");

function session() {
  const t = new NullTransport();
  const c = new StompConnection(t, broker, options, log, () => undefined);
  t.handlers.data(Buffer.from(connect));
  return { t, c };
}

const pub = session();
const con = session();
const dest = "/queue/cb-stomp-ci-micro";
con.t.handlers.data(Buffer.from(`SUBSCRIBE\ndestination:${dest}\nack:client-individual\nprefetch-count:100\nid:1\n\n\0`));

const body = "000041df2d3eabd3";
const send = `SEND\ndestination:${dest}\ncontent-length:16\n\n${body}\0\n`;
let tag = 0;

/** One turn: five SENDs in one read, then their five ACKs in one read (headers and NULs together). */
function turn() {
  pub.t.handlers.data(Buffer.from(send.repeat(perTurn), "latin1"));
  let acks = "";
  for (let i = 0; i < perTurn; i++) {
    const id = `T_1@@${con.c.sessionId}@@${++tag}`;
    acks += `ACK\nsubscription:1\nmessage-id:${id}\nid:${id}\n\n\0\n`;
  }
  con.t.handlers.data(Buffer.from(acks, "latin1"));
}

/** The same input built and not fed: its cost is taken off. */
function harness() {
  let n = Buffer.from(send.repeat(perTurn), "latin1").length;
  let acks = "";
  for (let i = 0; i < perTurn; i++) {
    const id = `T_1@@${con.c.sessionId}@@${i}`;
    acks += `ACK\nsubscription:1\nmessage-id:${id}\nid:${id}\n\n\0\n`;
  }
  n += Buffer.from(acks, "latin1").length;
  return n;
}

let sink = 0;
for (let i = 0; i < backlog; i += perTurn) pub.t.handlers.data(Buffer.from(send.repeat(perTurn), "latin1"));
for (let i = 0; i < 20_000; i++) {
  turn();
  sink += harness();
}
const results = [];
for (let r = 0; r < rounds; r++) {
  const turns = messages / perTurn;
  const u0 = process.cpuUsage();
  for (let i = 0; i < turns; i++) turn();
  const u = process.cpuUsage(u0);
  const h0 = process.cpuUsage();
  for (let i = 0; i < turns; i++) sink += harness();
  const h = process.cpuUsage(h0);
  results.push(((u.user + u.system - h.user - h.system) * 1000) / messages);
}
results.sort((a, b) => a - b);
const q = broker.vhosts?.get?.("/")?.queues?.get?.("cb-stomp-ci-micro");
console.log(
  `${root}: ${results.map((r) => r.toFixed(0)).join(" ")} ns/msg (median ${results[Math.floor(rounds / 2)].toFixed(0)}); ` +
    `frames out ${con.t.written}${q ? `, queue ${q.messageCount}` : ""}`,
);

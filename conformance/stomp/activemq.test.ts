// ActiveMQ-convention STOMP scenarios: apps written for ActiveMQ 5.17 must work unchanged on
// Warren. They run against ActiveMQ (WARREN_CONFORMANCE_STOMP_ACTIVEMQ) or an embedded Warren,
// never against RabbitMQ, which knows neither `>` nor activemq.subscriptionName.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RawStomp } from "./raw-client.js";
import type { StompFrame } from "../../protocols/stomp/frame-parser.js";
import { type StompBrokerUnderTest, useStompBroker } from "./target.js";

let target: StompBrokerUnderTest;
const open: RawStomp[] = [];
/** Dotted names unique per run, so a broker shared between runs starts clean. */
const unique = (s: string) => `conf.${s}.${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  target = await useStompBroker("activemq");
});
afterAll(async () => {
  for (const c of open) c.close();
  await target.close();
});

async function client(headers: Record<string, string> = {}) {
  const r = await RawStomp.connected(target.port, headers, target.host);
  expect(r.connected.command).toBe("CONNECTED");
  open.push(r.c);
  return r.c;
}

/** The RECEIPT for `receipt` (or the ERROR that carries it); MESSAGEs that come first stay queued. */
function receiptFor(c: RawStomp, receipt: string): Promise<StompFrame> {
  return c.take((f) => f.command !== "MESSAGE" && f.headers["receipt-id"] === receipt, `RECEIPT ${receipt}`);
}

/** SUBSCRIBE with a receipt, resolved once the broker has set the subscription up. */
async function subscribe(c: RawStomp, headers: Record<string, string>): Promise<void> {
  c.send("SUBSCRIBE", { ...headers, receipt: `sub-${headers["id"]}` });
  expect((await receiptFor(c, `sub-${headers["id"]}`)).command).toBe("RECEIPT");
}

/** SEND with a receipt: resolved once the broker has taken the message. */
async function send(c: RawStomp, destination: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const receipt = `send-${randomBytes(3).toString("hex")}`;
  c.send("SEND", { destination, ...headers, receipt }, body);
  expect((await receiptFor(c, receipt)).command).toBe("RECEIPT");
}

/** Collects MESSAGE bodies until `marker` arrives (the marker excluded): what arrived before it, in order. */
async function bodiesUntil(c: RawStomp, marker: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const f: StompFrame = await c.next();
    expect(f.command).toBe("MESSAGE");
    const b = f.body.toString();
    if (b === marker) return bodies;
    bodies.push(b);
  }
}

describe("STOMP conformance, ActiveMQ conventions", () => {
  it("a dotted /queue/ name round-trips with its receipt, custom headers and MESSAGE headers", async () => {
    const q = `/queue/${unique("orders")}`;
    const c = await client();
    await subscribe(c, { destination: q, id: "s1", ack: "client-individual" });
    await send(c, q, "order-1", { "x-region": "eu", persistent: "true" });
    const m = await c.next();
    expect(m.command).toBe("MESSAGE");
    expect(m.body.toString()).toBe("order-1");
    expect(m.headers["destination"]).toBe(q);
    expect(m.headers["subscription"]).toBe("s1");
    expect(m.headers["x-region"]).toBe("eu");
    expect(m.headers["message-id"]).toBeTruthy();
    expect(m.headers["ack"]).toBeTruthy();
    c.send("ACK", { id: m.headers["ack"]!, receipt: "acked" });
    expect((await receiptFor(c, "acked")).command).toBe("RECEIPT");
  });

  it("competing consumers on a /queue/ share its messages, each delivered once", async () => {
    const q = `/queue/${unique("work")}`;
    const [a, b] = [await client(), await client()];
    await subscribe(a, { destination: q, id: "a" });
    await subscribe(b, { destination: q, id: "b" });
    const p = await client();
    for (let i = 0; i < 4; i++) await send(p, q, `job-${i}`);
    const got = [...(await Promise.all([a.next(), a.next(), b.next(), b.next()]))].map((f) => f.body.toString()).sort();
    expect(got).toEqual(["job-0", "job-1", "job-2", "job-3"]);
  });

  it("topic wildcards: `*` is one dotted word, `>` is one or more, exact names match only themselves", async () => {
    const k = unique("prices");
    const star = await client();
    const rest = await client();
    const exact = await client();
    await subscribe(star, { destination: `/topic/${k}.*`, id: "star" });
    await subscribe(rest, { destination: `/topic/${k}.>`, id: "rest" });
    await subscribe(exact, { destination: `/topic/${k}.eu`, id: "exact" });
    const p = await client();
    await send(p, `/topic/${k}.eu`, "eu");
    await send(p, `/topic/${k}.eu.fr`, "eu.fr");
    await send(p, `/topic/${k}.us`, "us");
    await send(p, `/topic/${k}.end`, "end");
    expect(await bodiesUntil(star, "end")).toEqual(["eu", "us"]);
    expect(await bodiesUntil(rest, "end")).toEqual(["eu", "eu.fr", "us"]);
    await send(p, `/topic/${k}.eu`, "last");
    expect(await bodiesUntil(exact, "last")).toEqual(["eu"]);
  });

  it("a wildcard subscription's MESSAGE names the topic it was sent to", async () => {
    const k = unique("dest");
    const c = await client();
    await subscribe(c, { destination: `/topic/${k}.>`, id: "w" });
    await send(c, `/topic/${k}.a.b`, "x");
    const m = await c.next();
    expect(m.headers["destination"]).toBe(`/topic/${k}.a.b`);
    expect(m.headers["subscription"]).toBe("w");
  });

  it("a `*` in the middle matches exactly one word there", async () => {
    const k = unique("mid");
    const c = await client();
    await subscribe(c, { destination: `/topic/${k}.*.tick`, id: "m" });
    const p = await client();
    await send(p, `/topic/${k}.a.tick`, "a");
    await send(p, `/topic/${k}.a.b.tick`, "deep");
    await send(p, `/topic/${k}.tick`, "shallow");
    await send(p, `/topic/${k}.z.tick`, "end");
    expect(await bodiesUntil(c, "end")).toEqual(["a"]);
  });

  it("a durable subscription named by client-id and activemq.subscriptionName keeps messages while its subscriber is away", async () => {
    const topic = `/topic/${unique("feed")}`;
    const clientId = `cid-${randomBytes(4).toString("hex")}`;
    const sub = { destination: topic, id: "d", "activemq.subscriptionName": "feed" };
    const a = await client({ "client-id": clientId });
    await subscribe(a, sub);
    a.send("DISCONNECT", { receipt: "bye" });
    expect((await a.next()).headers["receipt-id"]).toBe("bye");
    await a.waitClosed();

    const p = await client();
    await send(p, topic, "while-away-1", { persistent: "true" });
    await send(p, topic, "while-away-2", { persistent: "true" });

    const b = await client({ "client-id": clientId });
    await subscribe(b, sub);
    await send(p, topic, "back");
    expect(await bodiesUntil(b, "back")).toEqual(["while-away-1", "while-away-2"]);
  });

  it("UNSUBSCRIBE with activemq.subscriptionName removes the durable subscription once it is inactive, refusing otherwise", async () => {
    const topic = `/topic/${unique("gone")}`;
    const clientId = `cid-${randomBytes(4).toString("hex")}`;
    const sub = { destination: topic, id: "d", "activemq.subscriptionName": "s" };
    const a = await client({ "client-id": clientId });
    await subscribe(a, sub);
    // still consuming: refused, and the connection stays open
    a.send("UNSUBSCRIBE", { id: "d", "activemq.subscriptionName": "s", receipt: "u1" });
    const inUse = await a.next();
    expect(inUse.command).toBe("ERROR");
    expect(inUse.headers["message"]).toBe("Durable consumer is in use");
    expect(inUse.headers["receipt-id"]).toBe("u1");
    // UNSUBSCRIBE by id only deactivates; with the name it then removes
    a.send("UNSUBSCRIBE", { id: "d", receipt: "u2" });
    expect((await a.next()).headers["receipt-id"]).toBe("u2");
    a.send("UNSUBSCRIBE", { id: "d", "activemq.subscriptionName": "s", receipt: "u3" });
    const removed = await a.next();
    expect(removed.command).toBe("RECEIPT");
    expect(removed.headers["receipt-id"]).toBe("u3");
    a.send("UNSUBSCRIBE", { id: "d", "activemq.subscriptionName": "s", receipt: "u4" });
    const none = await a.next();
    expect(none.command).toBe("ERROR");
    expect(none.headers["message"]).toBe(`No durable subscription exists for clientID: ${clientId} and subscriptionName: s`);
    a.send("DISCONNECT", { receipt: "bye" });
    expect((await a.next()).headers["receipt-id"]).toBe("bye");

    const p = await client();
    await send(p, topic, "nobody-listens");

    const b = await client({ "client-id": clientId });
    await subscribe(b, sub);
    await send(p, topic, "fresh");
    expect(await bodiesUntil(b, "fresh")).toEqual([]);
  });

  it("a non-durable topic subscriber misses what was sent while it was away", async () => {
    const topic = `/topic/${unique("live")}`;
    const a = await client();
    await subscribe(a, { destination: topic, id: "t" });
    a.close();
    const p = await client();
    await send(p, topic, "missed");
    const b = await client();
    await subscribe(b, { destination: topic, id: "t" });
    await send(p, topic, "seen");
    expect(await bodiesUntil(b, "seen")).toEqual([]);
  });

  it("transactions: SENDs to a dotted queue appear on COMMIT, ABORT drops them", async () => {
    const q = `/queue/${unique("tx")}`;
    const c = await client();
    await subscribe(c, { destination: q, id: "s" });
    c.send("BEGIN", { transaction: "t1" });
    c.send("SEND", { destination: q, transaction: "t1" }, "dropped");
    c.send("ABORT", { transaction: "t1" });
    c.send("BEGIN", { transaction: "t2" });
    c.send("SEND", { destination: q, transaction: "t2" }, "kept");
    c.send("COMMIT", { transaction: "t2", receipt: "c" });
    const frames = [await c.next(), await c.next()];
    expect(frames.filter((f) => f.command === "MESSAGE").map((f) => f.body.toString())).toEqual(["kept"]);
    expect(frames.some((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "c")).toBe(true);
  });

  it("client ack is cumulative on a dotted queue: acking the second settles both", async () => {
    const q = `/queue/${unique("cumul")}`;
    const c = await client();
    await subscribe(c, { destination: q, id: "s", ack: "client" });
    await send(c, q, "one");
    await send(c, q, "two");
    const [m1, m2] = [await c.next(), await c.next()];
    expect([m1.body.toString(), m2.body.toString()]).toEqual(["one", "two"]);
    c.send("ACK", { id: m2.headers["ack"]!, receipt: "a" });
    expect((await receiptFor(c, "a")).command).toBe("RECEIPT");
    c.close();
    const d = await client();
    await subscribe(d, { destination: q, id: "s2" });
    await send(d, q, "three");
    expect((await d.next()).body.toString()).toBe("three");
  });

  it("virtual topics: a SEND to /topic/VirtualTopic.X reaches each existing /queue/Consumer.<name>.VirtualTopic.X, kept while away", async () => {
    const name = unique("orders");
    const topic = `/topic/VirtualTopic.${name}`;
    const qa = `/queue/Consumer.A.VirtualTopic.${name}`;
    const qb = `/queue/Consumer.B.VirtualTopic.${name}`;
    const c = await client();
    await send(c, topic, "early"); // before any consumer queue: kept by none
    await subscribe(c, { destination: qa, id: "a" });
    await subscribe(c, { destination: qb, id: "b" });
    await subscribe(c, { destination: topic, id: "t" });
    c.send("UNSUBSCRIBE", { id: "b", receipt: "unsub-b" });
    expect((await receiptFor(c, "unsub-b")).command).toBe("RECEIPT");
    await send(c, topic, "v1");
    const got = [await c.next(), await c.next()].sort((x, y) => x.headers["subscription"]!.localeCompare(y.headers["subscription"]!));
    // the queue's copy names the queue, and the topic as where it was sent (ActiveMQ's header)
    expect(got.map((m) => [m.headers["subscription"], m.body.toString(), m.headers["destination"]])).toEqual([
      ["a", "v1", qa],
      ["t", "v1", topic],
    ]);
    expect(got[0]!.headers["original-destination"]).toBe(topic);
    await subscribe(c, { destination: qb, id: "b2" });
    const kept = await c.next();
    expect([kept.headers["subscription"], kept.body.toString()]).toEqual(["b2", "v1"]);
  });
});

describe("composite destinations, ActiveMQ conventions", () => {
  it("a SEND to /queue/a,/queue/b or /queue/a,/topic/b reaches every member, each copy naming its member and the composite", async () => {
    const [a, b] = [unique("ca"), unique("cb")];
    const sub = await client();
    await subscribe(sub, { destination: `/queue/${a}`, id: "qa" });
    await subscribe(sub, { destination: `/queue/${b}`, id: "qb" });
    await subscribe(sub, { destination: `/topic/${b}`, id: "tb" });
    const c = await client();
    await send(c, `/queue/${a},/queue/${b}`, "one");
    await send(c, `/queue/${a},/topic/${b}`, "two");
    const got: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const m = await sub.next();
      got.push([m.headers["subscription"]!, m.body.toString(), m.headers["destination"]!, m.headers["original-destination"]!]);
    }
    got.sort((x, y) => (x[1]! + x[0]!).localeCompare(y[1]! + y[0]!));
    // ActiveMQ names the composite by its first member and the others' kinds: /queue/a,queue://b
    expect(got).toEqual([
      ["qa", "one", `/queue/${a}`, `/queue/${a},queue://${b}`],
      ["qb", "one", `/queue/${b}`, `/queue/${a},queue://${b}`],
      ["qa", "two", `/queue/${a}`, `/queue/${a},topic://${b}`],
      ["tb", "two", `/topic/${b}`, `/queue/${a},topic://${b}`],
    ]);
  });

  it("a SUBSCRIBE to a composite consumes the members of its first member's kind only", async () => {
    const [qc, qd, qe, tf, tg, qh] = ["qc", "qd", "qe", "tf", "tg", "qh"].map(unique);
    const queues = await client();
    await subscribe(queues, { destination: `/queue/${qc},/queue/${qd}`, id: "s1" });
    const mixed = await client();
    await subscribe(mixed, { destination: `/queue/${qe},/topic/${tf}`, id: "s2" });
    const topicFirst = await client();
    await subscribe(topicFirst, { destination: `/topic/${tg},/queue/${qh}`, id: "s3" });
    const c = await client();
    await send(c, `/queue/${qc}`, "to-c");
    await send(c, `/queue/${qd}`, "to-d");
    const both = [await queues.next(), await queues.next()].map((m) => [
      m.headers["subscription"],
      m.body.toString(),
      m.headers["destination"],
    ]);
    expect(both.sort()).toEqual([
      ["s1", "to-c", `/queue/${qc}`],
      ["s1", "to-d", `/queue/${qd}`],
    ]);
    // the member of the other kind is not consumed: only what went to the own kind arrives
    await send(c, `/topic/${tf}`, "to-f");
    await send(c, `/queue/${qe}`, "to-e");
    await send(c, `/queue/${qe}`, "end");
    expect(await bodiesUntil(mixed, "end")).toEqual(["to-e"]);
    await send(c, `/queue/${qh}`, "to-h");
    await send(c, `/topic/${tg}`, "to-g");
    await send(c, `/topic/${tg}`, "end");
    expect(await bodiesUntil(topicFirst, "end")).toEqual(["to-g"]);
    // to-h stayed in its queue
    const h = await client();
    await subscribe(h, { destination: `/queue/${qh}`, id: "h" });
    expect((await h.next()).body.toString()).toBe("to-h");
  });

  it("client acks on a composite of queues settle each message in its own queue", async () => {
    const [qc, qd] = [unique("qc"), unique("qd")];
    const sub = await client();
    await subscribe(sub, { destination: `/queue/${qc},/queue/${qd}`, id: "s", ack: "client-individual" });
    // sent after the SUBSCRIBE: ActiveMQ 5.17 does not always dispatch what a composite's queues
    // held before its consumer came (seen on the broker), Warren does
    const c = await client();
    await send(c, `/queue/${qc}`, "to-c");
    await send(c, `/queue/${qd}`, "to-d");
    const got: string[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await sub.next();
      got.push(m.body.toString());
      sub.send("ACK", { id: m.headers["ack"]!, receipt: `ack-${i}` });
      expect((await receiptFor(sub, `ack-${i}`)).command).toBe("RECEIPT");
    }
    expect(got.sort()).toEqual(["to-c", "to-d"]);
    sub.send("DISCONNECT", { receipt: "bye" });
    expect((await receiptFor(sub, "bye")).command).toBe("RECEIPT");
    // both are gone from their queues: a later subscriber on each gets only what is sent after
    for (const q of [qc, qd]) {
      await send(c, `/queue/${q}`, "end");
      const later = await client();
      await subscribe(later, { destination: `/queue/${q}`, id: "later" });
      expect(await bodiesUntil(later, "end")).toEqual([]);
    }
  });
});

describe("stomp.py, ActiveMQ conventions", () => {
  it("a Python script's durable wildcard subscription by client-id collects messages while away, then is removed", async () => {
    const script = join(dirname(fileURLToPath(import.meta.url)), "python", "activemq.py");
    const suffix = randomBytes(3).toString("hex");
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        "/usr/bin/python3",
        ["-u", script, target.host, String(target.port), suffix],
        { timeout: 30_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(JSON.parse(out.trim())).toEqual({
      subscribed: true,
      published: true,
      received: true,
      bodies: [
        ["away-1", `/topic/pyamq.${suffix}.eu.fr`],
        ["away-2", `/topic/pyamq.${suffix}.us`],
      ],
      removed: true,
      errors: [],
    });
  });
});

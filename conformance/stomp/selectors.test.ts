// JMS selectors on STOMP SUBSCRIBE (the `selector` header, ActiveMQ's STOMP): apps written for
// ActiveMQ 5.17 get the same messages from Warren. The first block runs against ActiveMQ
// (WARREN_CONFORMANCE_STOMP_ACTIVEMQ) or an embedded Warren; the last runs against RabbitMQ
// (WARREN_CONFORMANCE_STOMP) or an embedded Warren and says what each does with the header.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { RawStomp } from "./raw-client.js";
import type { StompFrame } from "../../protocols/stomp/frame-parser.js";
import { type StompBrokerUnderTest, type StompConvention, useStompBroker } from "./target.js";

const open: RawStomp[] = [];
const unique = (s: string) => `conf.sel.${s}.${randomBytes(4).toString("hex")}`;

afterAll(() => {
  for (const c of open) c.close();
});

async function client(target: StompBrokerUnderTest): Promise<{ c: RawStomp; server: string }> {
  const r = await RawStomp.connected(target.port, {}, target.host);
  expect(r.connected.command).toBe("CONNECTED");
  open.push(r.c);
  return { c: r.c, server: r.connected.headers["server"] ?? "" };
}

function receiptFor(c: RawStomp, receipt: string): Promise<StompFrame> {
  return c.take((f) => f.command !== "MESSAGE" && f.headers["receipt-id"] === receipt, `RECEIPT ${receipt}`);
}

async function subscribe(c: RawStomp, headers: Record<string, string>): Promise<void> {
  c.send("SUBSCRIBE", { ...headers, receipt: `sub-${headers["id"]}` });
  const r = await receiptFor(c, `sub-${headers["id"]}`);
  expect(r.command, r.headers["message"]).toBe("RECEIPT");
}

/** SENDs each [body, headers] with a receipt, in order. */
async function sendAll(c: RawStomp, destination: string, messages: [string, Record<string, string>][]): Promise<void> {
  for (const [body, headers] of messages) {
    const receipt = `send-${randomBytes(3).toString("hex")}`;
    c.send("SEND", { destination, ...headers, receipt }, body);
    expect((await receiptFor(c, receipt)).command).toBe("RECEIPT");
  }
}

/** MESSAGE bodies until `marker` (excluded), in arrival order. */
async function bodiesUntil(c: RawStomp, marker: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const f = await c.next();
    expect(f.command, f.headers["message"]).toBe("MESSAGE");
    const b = f.body.toString();
    if (b === marker) return bodies;
    bodies.push(b);
  }
}

const colored = (bodies: string[]): [string, Record<string, string>][] => bodies.map((b) => [b, { color: b.replace(/\d+$/, "") }]);

describe("STOMP selectors, ActiveMQ conventions", () => {
  let target: StompBrokerUnderTest;
  beforeAll(async () => {
    target = await useStompBroker("activemq");
  });
  afterAll(() => target.close());

  it("a selector consumer on a queue gets its messages; the others wait, in order, for a plain consumer", async () => {
    const q = `/queue/${unique("q")}`;
    const { c: p } = await client(target);
    const { c: red } = await client(target);
    await subscribe(red, { destination: q, id: "red", selector: "color = 'red'" });
    await sendAll(p, q, colored(["red1", "blue1", "red2", "green1", "blue2", "red3", "red99"]));
    expect(await bodiesUntil(red, "red99")).toEqual(["red1", "red2", "red3"]);
    const { c: plain } = await client(target);
    await subscribe(plain, { destination: q, id: "plain" });
    await sendAll(p, q, [["end", {}]]);
    expect(await bodiesUntil(plain, "end")).toEqual(["blue1", "green1", "blue2"]);
  });

  it("consumers with different selectors on one queue each get theirs", async () => {
    const q = `/queue/${unique("two")}`;
    const { c: p } = await client(target);
    const { c: red } = await client(target);
    const { c: blue } = await client(target);
    await subscribe(red, { destination: q, id: "r", selector: "color = 'red'" });
    await subscribe(blue, { destination: q, id: "b", selector: "color IN ('blue', 'navy')" });
    await sendAll(p, q, colored(["red1", "blue1", "navy1", "red2", "green1", "blue2", "red9", "blue9"]));
    expect(await bodiesUntil(red, "red9")).toEqual(["red1", "red2"]);
    expect(await bodiesUntil(blue, "blue9")).toEqual(["blue1", "navy1", "blue2"]);
  });

  it("a topic subscriber with a selector gets only what it selects; one without gets everything", async () => {
    const t = `/topic/${unique("t")}`;
    const { c: red } = await client(target);
    const { c: all } = await client(target);
    await subscribe(red, { destination: t, id: "red", selector: "color = 'red'" });
    await subscribe(all, { destination: t, id: "all" });
    const { c: p } = await client(target);
    await sendAll(p, t, colored(["blue1", "red1", "blue2", "red2", "red9"]));
    expect(await bodiesUntil(red, "red9")).toEqual(["red1", "red2"]);
    expect(await bodiesUntil(all, "red9")).toEqual(["blue1", "red1", "blue2", "red2"]);
  });

  // STOMP headers are text: ActiveMQ converts them to the number (or boolean) they are compared with.
  const cases: [string, string[]][] = [
    ["n > 10", ["m0"]],
    ["n = 20", ["m0"]],
    ["n BETWEEN 1 AND 10", ["m1"]],
    ["10 < n", ["m0"]],
    ["20 < n", []],
    ["n + 1 = 21", []],
    ["s LIKE 'a%'", ["m0", "m1"]],
    ["s LIKE 'a\\_c' ESCAPE '\\'", ["m1"]],
    ["s NOT IN ('abc')", ["m1"]],
    ["s IS NULL", ["m2", "m3"]],
    ["missing = 1 OR s = 'abc'", ["m0"]],
    ["NOT (missing = 1)", []],
    ["missing = missing", ["m0", "m1", "m2", "m3"]],
    ["b = TRUE", ["m0"]],
    ["5 / 2 = 2.5", ["m0", "m1", "m2", "m3"]],
    ["JMSType = 't1'", ["m2"]],
    ["JMSCorrelationID = 'c1'", ["m2"]],
    ["JMSPriority = 7", ["m2"]],
    ["JMSPriority = 4", ["m0", "m1", "m3"]],
    ["JMSDeliveryMode = 'NON_PERSISTENT'", ["m0", "m1", "m2", "m3"]],
    ["JMSXGroupID = 'g1'", ["m2"]],
    ["JMSXDeliveryCount = 1 AND JMSRedelivered = FALSE", ["m0", "m1", "m2", "m3"]],
  ];
  for (const [selector, expected] of cases) {
    it(`selector ${selector} selects ${JSON.stringify(expected)}`, async () => {
      const q = `/queue/${unique("h")}`;
      const { c } = await client(target);
      await sendAll(c, q, [
        ["m0", { s: "abc", n: "20", b: "true" }],
        ["m1", { s: "a_c", n: "5" }],
        ["m2", { type: "t1", "correlation-id": "c1", priority: "7", JMSXGroupID: "g1" }],
        ["m3", {}],
        ["end", { end: "yes" }],
      ]);
      await subscribe(c, { destination: q, id: "s", selector: `(${selector}) OR end = 'yes'` });
      expect((await bodiesUntil(c, "end")).sort()).toEqual(expected);
    });
  }

  it("an invalid selector is refused with an ERROR that names it; nothing is subscribed", async () => {
    const q = `/queue/${unique("bad")}`;
    const { c } = await client(target);
    c.send("SUBSCRIBE", { destination: q, id: "bad", selector: "color = ", receipt: "sub-bad" });
    const e = await receiptFor(c, "sub-bad");
    expect(e.command).toBe("ERROR");
    expect(e.headers["message"]).toContain("color = ");
    const { c: p } = await client(target);
    await sendAll(p, q, [["after", {}]]);
    const { c: plain } = await client(target);
    await subscribe(plain, { destination: q, id: "plain" });
    expect((await plain.next()).body.toString()).toBe("after");
  });

  it("an empty selector header is refused as invalid", async () => {
    const { c } = await client(target);
    c.send("SUBSCRIBE", { destination: `/queue/${unique("empty")}`, id: "e", selector: "", receipt: "sub-e" });
    expect((await receiptFor(c, "sub-e")).command).toBe("ERROR");
  });
});

describe("STOMP selectors, RabbitMQ conventions", () => {
  let target: StompBrokerUnderTest;
  beforeAll(async () => {
    target = await useStompBroker("rabbitmq" satisfies StompConvention);
  });
  afterAll(() => target.close());

  it("RabbitMQ 3.10 ignores the selector header (even an invalid one); Warren applies it", async () => {
    const q = `/queue/${unique("rmq")}`;
    const { c, server } = await client(target);
    const rabbit = server.startsWith("RabbitMQ");
    await subscribe(c, { destination: q, id: "red", selector: "color = 'red'" });
    await sendAll(c, q, colored(["blue1", "red1", "red9"]));
    expect(await bodiesUntil(c, "red9")).toEqual(rabbit ? ["blue1", "red1"] : ["red1"]);
    c.send("SUBSCRIBE", { destination: `/queue/${unique("rmq2")}`, id: "bad", selector: "not valid (", receipt: "sub-bad" });
    expect((await receiptFor(c, "sub-bad")).command).toBe(rabbit ? "RECEIPT" : "ERROR");
  });
});

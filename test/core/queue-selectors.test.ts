import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError } from "../../src/core/errors.js";
import { type FieldTable, Message } from "../../src/core/message.js";
import type { ConsumeOptions, Subscription } from "../../src/core/consumer.js";
import { type Queue, SELECTOR_SCAN_WINDOW } from "../../src/core/queue.js";
import { compileSelector, Selector } from "../../src/core/selectors/index.js";
import { FakeConsumer, ok } from "./fake-consumer.js";

function setup(args: FieldTable = {}) {
  const v = new VirtualHost("/");
  ok(v.declareQueue("q", { args }, null));
  const q = v.queues.get("q")!;
  /** Publishes "<color><n>" bodies with a color header (and a priority when asked). */
  const publish = (...bodies: string[]) => {
    for (const b of bodies) {
      const color = b.replace(/\d+$/, "");
      const priority = /^p(\d)/.exec(b);
      ok(
        v.publish(
          "",
          "q",
          new Message("", "q", Buffer.from(b), { headers: { color }, ...(priority ? { priority: Number(priority[1]) } : {}) }),
        ),
      );
    }
  };
  return { v, q, publish };
}

function selector(text: string): Selector {
  const s = compileSelector(text);
  if (!(s instanceof Selector)) throw new Error(s.text);
  return s;
}

function consume(q: Queue, c: FakeConsumer, sel: string | null, o: Partial<ConsumeOptions> = {}): Subscription {
  const sub = ok(
    q.consume(c, {
      tag: `t${Math.random()}`,
      noAck: false,
      exclusive: false,
      priority: o.priority ?? 0,
      ...(sel === null ? {} : { selector: selector(sel) }),
      ...(o.discardUnselected ? { discardUnselected: true } : {}),
    }),
  );
  q.dispatch();
  return sub;
}

describe("queue dispatch with selectors", () => {
  it("a selector consumer gets only what it selects; the rest stay, in order, for a plain consumer", () => {
    const { q, publish } = setup();
    const red = new FakeConsumer();
    consume(q, red, "color = 'red'");
    publish("red1", "blue1", "red2", "green1", "blue2", "red3");
    expect(red.bodies).toEqual(["red1", "red2", "red3"]);
    expect(q.messageCount).toBe(3);
    const plain = new FakeConsumer();
    consume(q, plain, null);
    expect(plain.bodies).toEqual(["blue1", "green1", "blue2"]);
    expect(q.messageCount).toBe(0);
  });

  it("messages published before the selector consumer came are selected past the ones it skips", () => {
    const { q, publish } = setup();
    publish("blue1", "red1", "blue2", "red2");
    const red = new FakeConsumer();
    consume(q, red, "color = 'red'");
    expect(red.bodies).toEqual(["red1", "red2"]);
    expect(q.messageCount).toBe(2);
  });

  it("consumers with different selectors each get theirs, in order", () => {
    const { q, publish } = setup();
    const red = new FakeConsumer();
    const blue = new FakeConsumer();
    consume(q, red, "color = 'red'");
    consume(q, blue, "color IN ('blue', 'navy')");
    publish("red1", "blue1", "navy1", "red2", "green1", "blue2");
    expect(red.bodies).toEqual(["red1", "red2"]);
    expect(blue.bodies).toEqual(["blue1", "navy1", "blue2"]);
    expect(q.messageCount).toBe(1);
  });

  it("a consumer out of credit holds back only its own messages; the others flow past them", () => {
    const { q, publish } = setup();
    const red = new FakeConsumer(0);
    const blue = new FakeConsumer();
    const redSub = consume(q, red, "color = 'red'");
    consume(q, blue, "color = 'blue'");
    publish("red1", "red2", "blue1", "red3", "blue2");
    expect(red.bodies).toEqual([]);
    expect(blue.bodies).toEqual(["blue1", "blue2"]);
    red.credit = 2;
    redSub.resume();
    expect(red.bodies).toEqual(["red1", "red2"]);
    red.credit = 5;
    redSub.resume();
    expect(red.bodies).toEqual(["red1", "red2", "red3"]);
  });

  it("selector consumers share matching messages round-robin, as plain ones do", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    consume(q, a, "color = 'red'");
    consume(q, b, "color LIKE 'r%'");
    publish("red1", "red2", "red3", "red4");
    expect(a.bodies).toEqual(["red1", "red3"]);
    expect(b.bodies).toEqual(["red2", "red4"]);
  });

  it("a requeued message goes back to its place and is selected again", () => {
    const { q, publish } = setup();
    const red = new FakeConsumer(1);
    const sub = consume(q, red, "color = 'red'");
    publish("blue1", "red1", "red2");
    expect(red.bodies).toEqual(["red1"]);
    q.requeue(red.delivered[0]!);
    red.credit = 2;
    sub.resume();
    expect(red.bodies).toEqual(["red1", "red1", "red2"]);
    expect(red.delivered[1]!.redelivered).toBe(true);
    expect(q.messageCount).toBe(1);
  });

  it("JMSXDeliveryCount and JMSRedelivered see the entry's delivery state", () => {
    const { q, publish } = setup();
    const plain = new FakeConsumer(1);
    consume(q, plain, null);
    publish("red1", "red2");
    q.requeue(plain.delivered[0]!);
    const again = new FakeConsumer();
    consume(q, again, "JMSRedelivered AND JMSXDeliveryCount = 2");
    expect(again.bodies).toEqual(["red1"]);
  });

  it("once the selector consumer is gone the queue dispatches to plain consumers as before", () => {
    const { q, publish } = setup();
    const red = new FakeConsumer();
    const sub = consume(q, red, "color = 'red'");
    publish("blue1", "red1");
    sub.cancel();
    const plain = new FakeConsumer();
    consume(q, plain, null);
    publish("red2");
    expect(plain.bodies).toEqual(["blue1", "red2"]);
  });

  it("a priority queue keeps each level's order around passed-over messages", () => {
    const { q, publish } = setup({ "x-max-priority": 9 });
    publish("p1blue1", "p5blue2", "p1red1", "p5red2", "p5blue3", "p1red3");
    const red = new FakeConsumer();
    consume(q, red, "color LIKE 'p_red'");
    expect(red.bodies).toEqual(["p5red2", "p1red1", "p1red3"]);
    const plain = new FakeConsumer();
    consume(q, plain, null);
    expect(plain.bodies).toEqual(["p5blue2", "p5blue3", "p1blue1"]);
  });

  it("passes over at most SELECTOR_SCAN_WINDOW messages, as ActiveMQ looks only at the messages it paged in", () => {
    const { q, publish } = setup();
    for (let i = 0; i < SELECTOR_SCAN_WINDOW; i++) publish(`blue${i}`);
    const red = new FakeConsumer();
    consume(q, red, "color = 'red'");
    publish("red1");
    expect(red.bodies).toEqual([]);
    // a plain consumer takes one from the head: the window moves on
    const plain = new FakeConsumer(1);
    consume(q, plain, null);
    expect(plain.bodies).toEqual(["blue0"]);
    expect(red.bodies).toEqual(["red1"]);
    expect(q.messageCount).toBe(SELECTOR_SCAN_WINDOW - 1);
  });

  it("a topic subscriber's own queue drops what its selector does not match", () => {
    const { q, publish } = setup();
    const red = new FakeConsumer();
    consume(q, red, "color = 'red'", { discardUnselected: true });
    publish("blue1", "red1", "green1", "red2");
    expect(red.bodies).toEqual(["red1", "red2"]);
    expect(q.messageCount).toBe(0);
  });

  it("a no-local consumer does not get its own connection's messages; they stay for others", () => {
    const { v, q } = setup();
    const mine = new FakeConsumer();
    ok(q.consume(mine, { tag: "nl", noAck: false, exclusive: false, priority: 0, noLocal: true }));
    const publishFrom = (body: string, client: { id: number } | null) => {
      const m = new Message("", "q", Buffer.from(body), {});
      m.publisher = client;
      ok(v.publish("", "q", m));
    };
    publishFrom("own1", mine.client);
    publishFrom("other1", { id: 2 });
    publishFrom("anon1", null);
    expect(mine.bodies).toEqual(["other1", "anon1"]);
    expect(q.messageCount).toBe(1);
    const plain = new FakeConsumer();
    consume(q, plain, null);
    expect(plain.bodies).toEqual(["own1"]);
  });

  it("a stream queue refuses a selector", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("s", { durable: true, args: { "x-queue-type": "stream" } }, null));
    const r = v.queues
      .get("s")!
      .consume(new FakeConsumer(), { tag: "t", noAck: false, exclusive: false, priority: 0, prefetch: 10, selector: selector("a = 1") });
    expect(r).toBeInstanceOf(BrokerError);
    expect((r as BrokerError).text).toMatch(/selectors not supported by stream queues/);
  });
});

describe("a queue's own selector (x-jms-selector: an offline durable subscription's)", () => {
  it("keeps only what it selects: the rest is not routed to it at all", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("sub", { durable: true, args: { "x-jms-selector": "color = 'red'" } }, null));
    ok(v.declareQueue("all", { durable: true }, null));
    ok(v.bindQueue("sub", "amq.topic", "t", {}, null));
    ok(v.bindQueue("all", "amq.topic", "t", {}, null));
    const send = (color: string) =>
      ok(v.publish("amq.topic", "t", new Message("amq.topic", "t", Buffer.from(color), { headers: { color } })));
    expect(send("red").routed).toBe(2);
    expect(send("blue").routed).toBe(1);
    expect(send("red").routed).toBe(2);
    // the depth is what the subscriber will get, as ActiveMQ's offline subscription keeps it
    expect(v.queues.get("sub")!.messageCount).toBe(2);
    expect(v.queues.get("all")!.messageCount).toBe(3);
    const c = new FakeConsumer();
    ok(v.queues.get("sub")!.consume(c, { tag: "c", noAck: true, exclusive: false, priority: 0 }));
    v.queues.get("sub")!.dispatch();
    expect(c.bodies).toEqual(["red", "red"]);
  });

  it("a message only its queue would take and it does not select is unroutable", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("sub", { args: { "x-jms-selector": "n > 1" } }, null));
    const r = ok(v.publish("", "sub", new Message("", "sub", Buffer.from("x"), { headers: { n: 1 } })));
    expect([r.routed, r.refused]).toEqual([0, 0]);
    expect(v.queues.get("sub")!.messageCount).toBe(0);
  });
});

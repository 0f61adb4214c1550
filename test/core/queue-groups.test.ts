// ActiveMQ's message groups in the core queue: a grouped message (Message.group, set by the
// OpenWire and STOMP front-ends from JMSXGroupID) goes to its group's owner.
import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { Message, TypedField } from "../../src/core/message.js";
import type { Subscription } from "../../src/core/consumer.js";
import { GROUP_CACHE_SIZE, type Queue } from "../../src/core/queue.js";
import type { PageFile, Persistence } from "../../src/core/durability.js";
import { FakeConsumer as RecordingConsumer, ok } from "./fake-consumer.js";

class FakeConsumer extends RecordingConsumer {
  /** Bodies delivered, "*" marking the ones that assigned their group. */
  get got(): string[] {
    return this.delivered.map((e) => e.message.body.toString() + (e.groupFirst ? "*" : ""));
  }
}

/** A message "<group>-<n>" in group <group> (none for "-<n>"), as the front-ends mark it. */
function grouped(body: string, seq = 0): Message {
  const group = body.slice(0, body.indexOf("-"));
  const headers = group === "" ? undefined : { JMSXGroupID: group, JMSXGroupSeq: seq };
  const m = new Message("", "q", Buffer.from(body), headers === undefined ? {} : { headers });
  if (group !== "") {
    m.group = group;
    m.groupSeq = seq;
  }
  return m;
}

function setup(persistence: Persistence | null = null) {
  const v = new VirtualHost("/");
  if (persistence !== null) v.persistence = persistence;
  ok(v.declareQueue("q", {}, null));
  const q = v.queues.get("q")!;
  const publish = (...bodies: string[]) => {
    for (const b of bodies) ok(v.publish("", "q", grouped(b)));
  };
  return { v, q, publish };
}

function consume(q: Queue, c: FakeConsumer, tag: string): Subscription {
  const sub = ok(q.consume(c, { tag, noAck: false, exclusive: false, priority: 0 }));
  q.dispatch();
  return sub;
}

describe("message groups (JMSXGroupID)", () => {
  it("each group sticks to the consumer its first message went to, whatever the interleaving", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    consume(q, a, "a");
    consume(q, b, "b");
    publish("g1-0", "g1-1", "g2-0", "g2-1", "g1-2", "g3-0", "g2-2", "g3-1");
    expect(a.got).toEqual(["g1-0*", "g1-1", "g1-2", "g3-0*", "g3-1"]);
    expect(b.got).toEqual(["g2-0*", "g2-1", "g2-2"]);
  });

  it("messages without a group still go round-robin beside the groups", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    consume(q, a, "a");
    consume(q, b, "b");
    publish("g1-0", "-0", "g1-1", "-1", "g1-2", "-2");
    expect(a.got).toEqual(["g1-0*", "g1-1", "-1", "g1-2"]);
    expect(b.got).toEqual(["-0", "-2"]);
  });

  it("a group's message waits for its owner's credit while other messages go on", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(1);
    const b = new FakeConsumer();
    const subA = consume(q, a, "a");
    consume(q, b, "b");
    publish("g1-0", "g1-1", "-0", "g1-2");
    expect(a.got).toEqual(["g1-0*"]);
    expect(b.got).toEqual(["-0"]);
    expect(q.messageCount).toBe(2);
    a.credit = 5;
    subA.resume();
    expect(a.got).toEqual(["g1-0*", "g1-1", "g1-2"]);
  });

  it("a consumer leaving frees its groups: its unacked messages go to another, which owns the group from then on", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    const subA = consume(q, a, "a");
    consume(q, b, "b");
    publish("g1-0", "g2-0", "g1-1");
    expect(a.got).toEqual(["g1-0*", "g1-1"]);
    q.cancel(subA);
    for (const e of a.delivered) q.requeue(e);
    q.dispatch();
    publish("g1-2");
    expect(b.got).toEqual(["g2-0*", "g1-0*", "g1-1", "g1-2"]);
    expect(b.delivered[1]!.redelivered).toBe(true);
  });

  it("a quorum queue's redelivery (its message rewritten with x-delivery-count) stays in its group", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { durable: true, args: { "x-queue-type": "quorum" } }, null));
    const q = v.queues.get("q")!;
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    const subA = consume(q, a, "a");
    consume(q, b, "b");
    ok(v.publish("", "q", grouped("g1-0")));
    ok(v.publish("", "q", grouped("-0")));
    q.cancel(subA);
    q.requeue(a.delivered[0]!);
    q.dispatch();
    ok(v.publish("", "q", grouped("-1")));
    ok(v.publish("", "q", grouped("g1-1")));
    expect(b.got).toEqual(["-0", "g1-0*", "-1", "g1-1"]);
    expect(b.delivered[1]!.message.group).toBe("g1");
  });

  it("the queue remembers the owners of 1024 groups (ActiveMQ's LRU group map): the least recently used is forgotten", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    consume(q, a, "a");
    consume(q, b, "b");
    expect(GROUP_CACHE_SIZE).toBe(1024);
    for (let i = 0; i < 1024; i++) publish(`g${i}-0`);
    // the map is full; g0 is used again, so g1 is now the least recently used
    publish("g0-1");
    // a new group makes room by forgetting g1, whose next message is assigned anew
    publish("g1024-0", "g1-1", "g0-2");
    const got = [...a.got, ...b.got];
    expect(got).toContain("g1024-0*");
    expect(got).toContain("g1-1*");
    expect(got).toContain("g0-1");
    expect(got).toContain("g0-2");
  });

  it("JMSXGroupSeq -1 closes the group once its owner got it; the next message assigns the group again", () => {
    const { v, q } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    consume(q, a, "a");
    consume(q, b, "b");
    ok(v.publish("", "q", grouped("g1-0")));
    ok(v.publish("", "q", grouped("g1-1", -1)));
    ok(v.publish("", "q", grouped("-0")));
    ok(v.publish("", "q", grouped("g1-2")));
    // the plain message went to b (round-robin), the reopened group to the next in turn, a, anew
    expect(a.got).toEqual(["g1-0*", "g1-1", "g1-2*"]);
    expect(b.got).toEqual(["-0"]);
  });

  it("JMSXGroupSeq 1 assigns the group again, even while it has an owner", () => {
    const { v, q } = setup();
    const a = new FakeConsumer();
    const b = new FakeConsumer();
    consume(q, a, "a");
    consume(q, b, "b");
    ok(v.publish("", "q", grouped("g1-0")));
    ok(v.publish("", "q", grouped("g1-1", 1)));
    ok(v.publish("", "q", grouped("g1-2")));
    expect(a.got).toEqual(["g1-0*"]);
    expect(b.got).toEqual(["g1-1*", "g1-2"]);
  });

  it("a grouped message paged out to disk keeps its group when read back", () => {
    // a page file that keeps only what the disk would: a message with its neutral properties
    const pages = new Map<number, Message>();
    let next = 0;
    const pageFile: PageFile = {
      write: (m) => {
        pages.set(next, new Message(m.exchange, m.routingKey, m.body, m.properties));
        return next++;
      },
      read: (p) => pages.get(p)!,
      release: (p) => void pages.delete(p),
      close: () => pages.clear(),
    };
    const persistence = {
      openPageFile: () => pageFile,
      paging: { persistentBytes: 1 << 20, transientBytes: 1 << 20, maxEntries: 2 },
    } as unknown as Persistence;
    const { q, publish } = setup(persistence);
    const a = new FakeConsumer(0);
    const b = new FakeConsumer(0);
    const subA = consume(q, a, "a");
    const subB = consume(q, b, "b");
    publish("g1-0", "g2-0", "g1-1", "g1-2", "g2-1", "g2-2");
    expect(q.pagedOutCount).toBe(4);
    a.credit = b.credit = Infinity;
    subA.resume();
    subB.resume();
    expect(a.got).toEqual(["g1-0*", "g1-1", "g1-2"]);
    expect(b.got).toEqual(["g2-0*", "g2-1", "g2-2"]);
  });

  it("a group's sequence may be any header type the front-end stored", () => {
    const m = new Message("", "q", Buffer.alloc(0), { headers: { JMSXGroupID: "g", JMSXGroupSeq: new TypedField("l", -1) } });
    m.restoreGroup();
    expect([m.group, m.groupSeq]).toEqual(["g", -1]);
    const s = new Message("", "q", Buffer.alloc(0), { headers: { JMSXGroupID: "g", JMSXGroupSeq: "1" } });
    s.restoreGroup();
    expect([s.group, s.groupSeq]).toEqual(["g", 1]);
  });
});

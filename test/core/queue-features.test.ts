import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError } from "../../src/core/errors.js";
import { type FieldTable, Message, type MessageProperties, TypedField } from "../../src/core/message.js";
import type { ClientRef, Consumer, Subscription } from "../../src/core/consumer.js";
import type { QueueEntry } from "../../src/core/queue-entry.js";
import { ManualClock } from "../../src/core/clock.js";
import { isDeadLetterCycle } from "../../src/core/dead-letter.js";

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

class FakeConsumer implements Consumer {
  readonly delivered: QueueEntry[] = [];
  constructor(
    readonly client: ClientRef,
    public credit = Infinity,
  ) {}
  hasCredit(): boolean {
    return this.credit > 0;
  }
  deliver(entry: QueueEntry): void {
    this.credit--;
    this.delivered.push(entry);
  }
  cancelledByBroker(): void {}
  get bodies(): string[] {
    return this.delivered.map((e) => e.message.body.toString());
  }
}

const client: ClientRef = { id: 1 };
const msg = (body: string, props: MessageProperties = {}, rk = "q") => new Message("", rk, Buffer.from(body), props);

function world(args: FieldTable = {}) {
  const clock = new ManualClock();
  const v = new VirtualHost("/", undefined, clock);
  ok(v.declareExchange("dlx", { type: "fanout" }));
  ok(v.declareQueue("dead", {}, null));
  ok(v.bindQueue("dead", "dlx", "", {}, null));
  ok(v.declareQueue("q", { args }, null));
  const q = v.queues.get("q")!;
  const dead = v.queues.get("dead")!;
  const drain = (name: string) => {
    const out: Message[] = [];
    for (let e = v.queues.get(name)!.get(true); e !== null; e = v.queues.get(name)!.get(true)) out.push(e.message);
    return out;
  };
  return { clock, v, q, dead, drain };
}

describe("message TTL", () => {
  it("x-message-ttl expires ready messages at the head when the sweep timer fires, dead-lettering them as expired", () => {
    const { clock, v, q, drain } = world({ "x-message-ttl": 1000, "x-dead-letter-exchange": "dlx" });
    ok(v.publish("", "q", msg("a")));
    clock.advance(500);
    ok(v.publish("", "q", msg("b")));
    expect(q.messageCount).toBe(2);
    clock.advance(500);
    expect(q.messageCount).toBe(1);
    clock.advance(499);
    expect(q.messageCount).toBe(1);
    clock.advance(1);
    expect(q.messageCount).toBe(0);
    const dead = drain("dead");
    expect(dead.map((m) => m.body.toString())).toEqual(["a", "b"]);
    const death = (dead[0]!.properties.headers!["x-death"] as FieldTable[])[0]!;
    expect(death["reason"]).toBe("expired");
    expect(death["queue"]).toBe("q");
    expect(death["count"]).toEqual(new TypedField("l", 1));
    expect((death["time"] as Date).getTime()).toBe(1_700_000_001_000);
  });

  it("keeps one sweep timer per queue however many messages carry a TTL", () => {
    const { clock, v } = world({ "x-message-ttl": 1000 });
    const before = clock.pendingTimers;
    for (let i = 0; i < 100; i++) ok(v.publish("", "q", msg(String(i))));
    expect(clock.pendingTimers - before).toBe(1);
  });

  it("x-message-ttl 0 delivers to a consumer that can take the message now, else expires it", () => {
    const { v, q, drain } = world({ "x-message-ttl": 0, "x-dead-letter-exchange": "dlx" });
    ok(v.publish("", "q", msg("nobody")));
    expect(q.messageCount).toBe(0);
    const c = new FakeConsumer(client, 1);
    ok(q.consume(c, { tag: "c", noAck: true, exclusive: false, priority: 0 }));
    ok(v.publish("", "q", msg("taken")));
    ok(v.publish("", "q", msg("no credit")));
    expect(c.bodies).toEqual(["taken"]);
    expect(drain("dead").map((m) => m.body.toString())).toEqual(["nobody", "no credit"]);
  });

  it("a TTL-0 message requeued in the same instant expires instead of being delivered again", () => {
    for (const [args, props] of [
      [{ "x-message-ttl": 0 }, {}],
      [{}, { expiration: "0" }],
    ] as const) {
      const { v, q, drain } = world({ ...args, "x-dead-letter-exchange": "dlx" });
      const c = new FakeConsumer(client);
      ok(q.consume(c, { tag: "c", noAck: false, exclusive: false, priority: 0 }));
      ok(v.publish("", "q", msg("once", props)));
      expect(c.bodies).toEqual(["once"]);
      // the clock has not moved: the message is not past its expiry, but it was ready only once
      q.requeue(c.delivered[0]!);
      q.dispatch();
      expect(c.bodies).toEqual(["once"]);
      expect(q.messageCount).toBe(0);
      const dead = drain("dead");
      expect(dead.map((m) => m.body.toString())).toEqual(["once"]);
      expect((dead[0]!.properties.headers!["x-death"] as FieldTable[])[0]!["reason"]).toBe("expired");
    }
  });

  it("a per-message expiration shorter than the queue's wins; expiry happens only at the head", () => {
    const { clock, v, q } = world({ "x-message-ttl": 10_000 });
    ok(v.publish("", "q", msg("long")));
    ok(v.publish("", "q", msg("short", { expiration: "100" })));
    clock.advance(200);
    // "short" is expired but behind "long": RabbitMQ keeps it until it reaches the head
    expect(q.messageCount).toBe(2);
    expect(q.get(true)!.message.body.toString()).toBe("long");
    expect(q.get(true)).toBeNull();
  });

  it("the dead-letter drops expiration and keeps it as original-expiration", () => {
    const { clock, v, drain } = world({ "x-dead-letter-exchange": "dlx" });
    ok(v.publish("", "q", msg("m", { expiration: "50" })));
    clock.advance(50);
    const [m] = drain("dead");
    expect(m!.properties.expiration).toBeUndefined();
    expect((m!.properties.headers!["x-death"] as FieldTable[])[0]!["original-expiration"]).toBe("50");
  });
});

describe("queue TTL (x-expires)", () => {
  it("deletes the queue after it was unused for x-expires; a consumer or a redeclare keeps it", () => {
    const { clock, v, q } = world({ "x-expires": 1000 });
    clock.advance(900);
    ok(v.declareQueue("q", { args: { "x-expires": 1000 } }, null));
    clock.advance(900);
    expect(v.queues.has("q")).toBe(true);
    const sub = ok(q.consume(new FakeConsumer(client), { tag: "c", noAck: true, exclusive: false, priority: 0 }));
    clock.advance(5000);
    expect(v.queues.has("q")).toBe(true);
    sub.cancel();
    clock.advance(999);
    expect(v.queues.has("q")).toBe(true);
    clock.advance(1);
    expect(v.queues.has("q")).toBe(false);
  });

  it("a passive declare renews the lease as RabbitMQ's does; binding and publishing do not", () => {
    const { clock, v } = world({ "x-expires": 1000 });
    clock.advance(900);
    ok(v.declareQueue("q", { passive: true }, null));
    clock.advance(900);
    expect(v.queues.has("q")).toBe(true);
    ok(v.bindQueue("q", "amq.fanout", "", {}, null));
    ok(v.publish("", "q", msg("x")));
    clock.advance(100);
    expect(v.queues.has("q")).toBe(false);
  });
});

describe("length limits", () => {
  it("drop-head discards the oldest and dead-letters them as maxlen", () => {
    const { v, q, drain } = world({ "x-max-length": 2, "x-dead-letter-exchange": "dlx" });
    for (const b of ["1", "2", "3", "4"]) ok(v.publish("", "q", msg(b)));
    expect(drain("q").map((m) => m.body.toString())).toEqual(["3", "4"]);
    const dead = drain("dead");
    expect(dead.map((m) => m.body.toString())).toEqual(["1", "2"]);
    expect(dead[0]!.properties.headers!["x-first-death-reason"]).toBe("maxlen");
    expect(q.messageCount).toBe(0);
  });

  it("x-max-length-bytes counts body bytes of ready messages", () => {
    const { v, drain } = world({ "x-max-length-bytes": 5 });
    for (const b of ["aaa", "bb", "c"]) ok(v.publish("", "q", msg(b)));
    expect(drain("q").map((m) => m.body.toString())).toEqual(["bb", "c"]);
  });

  it("reject-publish refuses the newcomer; reject-publish-dlx dead-letters it too", () => {
    const a = world({ "x-max-length": 1, "x-overflow": "reject-publish", "x-dead-letter-exchange": "dlx" });
    ok(a.v.publish("", "q", msg("1")));
    expect(ok(a.v.publish("", "q", msg("2"))).refused).toBe(1);
    expect(a.drain("dead")).toEqual([]);
    const b = world({ "x-max-length": 1, "x-overflow": "reject-publish-dlx", "x-dead-letter-exchange": "dlx" });
    ok(b.v.publish("", "q", msg("1")));
    expect(ok(b.v.publish("", "q", msg("2"))).refused).toBe(1);
    expect(b.drain("dead").map((m) => m.body.toString())).toEqual(["2"]);
    expect(b.drain("q").map((m) => m.body.toString())).toEqual(["1"]);
  });

  it("applySettings with a lower max-length trims at once (the policy layer's entry point)", () => {
    const { v, q, drain } = world({});
    for (const b of ["1", "2", "3"]) ok(v.publish("", "q", msg(b)));
    q.applySettings({ ...q.settings, maxLength: 1, deadLetterExchange: "dlx" });
    expect(q.settings.maxLength).toBe(1);
    expect(drain("q").map((m) => m.body.toString())).toEqual(["3"]);
    expect(drain("dead").map((m) => m.body.toString())).toEqual(["1", "2"]);
  });
});

describe("dead-lettering", () => {
  it("a rejected message gets x-death (count, reason, queue, time, exchange, routing-keys) and x-first-death-*", () => {
    const { v, q, drain } = world({ "x-dead-letter-exchange": "dlx" });
    ok(v.publish("", "q", msg("m", { headers: { CC: ["elsewhere"] } })));
    q.discard(q.get(false)!);
    const [m] = drain("dead");
    expect(m!.exchange).toBe("dlx");
    expect(m!.routingKey).toBe("q");
    const h = m!.properties.headers!;
    expect(Object.keys(h)).toEqual(["CC", "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"]);
    const d = (h["x-death"] as FieldTable[])[0]!;
    expect(Object.keys(d)).toEqual(["count", "reason", "queue", "time", "exchange", "routing-keys"]);
    expect(d["routing-keys"]).toEqual(["q", "elsewhere"]);
    expect(d["exchange"]).toBe("");
    expect(h["x-first-death-reason"]).toBe("rejected");
  });

  it("x-dead-letter-routing-key replaces the routing keys and drops CC", () => {
    const { v, q } = world({ "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dead" });
    ok(v.publish("", "q", msg("m", { headers: { CC: ["x"] } })));
    q.discard(q.get(false)!);
    const m = v.queues.get("dead")!.get(true)!.message;
    expect(m.routingKey).toBe("dead");
    expect(m.properties.headers!["CC"]).toBeUndefined();
  });

  it("a second death in the same queue for the same reason raises count and moves that entry first", () => {
    const { v, q } = world({ "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "q2" });
    ok(v.declareQueue("q2", { args: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "q" } }, null));
    const q2 = v.queues.get("q2")!;
    ok(v.publish("", "q", msg("m")));
    q.discard(q.get(false)!);
    q2.discard(q2.get(false)!);
    q.discard(q.get(false)!);
    const deaths = q2.get(true)!.message.properties.headers!["x-death"] as FieldTable[];
    expect(deaths.map((d) => [d["queue"], d["count"]])).toEqual([
      ["q", new TypedField("l", 2)],
      ["q2", new TypedField("l", 1)],
    ]);
    // entries after the first death are sorted by key, as RabbitMQ's sort_field_table leaves them
    expect(Object.keys(deaths[0]!)).toEqual(["count", "exchange", "queue", "reason", "routing-keys", "time"]);
  });

  it("a fully automatic cycle (expired back into the same queue) is dropped; one with a reject in it is not", () => {
    const { clock, v, q } = world({ "x-dead-letter-exchange": "", "x-message-ttl": 10 });
    // q dead-letters to itself through the default exchange with its own name
    ok(v.publish("", "q", msg("loop")));
    clock.advance(10);
    expect(q.messageCount).toBe(0);
    expect(isDeadLetterCycle("q", [{ queue: "q", reason: "expired" }])).toBe(true);
    expect(
      isDeadLetterCycle("q", [
        { queue: "q2", reason: "rejected" },
        { queue: "q", reason: "expired" },
      ]),
    ).toBe(false);
    expect(isDeadLetterCycle("q", [{ queue: "q2", reason: "expired" }])).toBe(false);
  });
});

describe("priorities", () => {
  it("x-max-priority delivers higher priorities first, FIFO within one, capping at the maximum", () => {
    const { v, drain } = world({ "x-max-priority": 5 });
    ok(v.publish("", "q", msg("p0")));
    ok(v.publish("", "q", msg("p9", { priority: 9 })));
    ok(v.publish("", "q", msg("p5", { priority: 5 })));
    ok(v.publish("", "q", msg("p3", { priority: 3 })));
    ok(v.publish("", "q", msg("p0b")));
    expect(drain("q").map((m) => m.body.toString())).toEqual(["p9", "p5", "p3", "p0", "p0b"]);
  });
});

describe("single active consumer", () => {
  it("only the first consumer receives; when it goes, the next one takes over", () => {
    const { v, q } = world({ "x-single-active-consumer": true });
    const a = new FakeConsumer(client);
    const b = new FakeConsumer(client);
    const sa = ok(q.consume(a, { tag: "a", noAck: false, exclusive: false, priority: 0 }));
    ok(q.consume(b, { tag: "b", noAck: false, exclusive: false, priority: 10 }));
    ok(v.publish("", "q", msg("1")));
    ok(v.publish("", "q", msg("2")));
    expect(a.bodies).toEqual(["1", "2"]);
    expect(b.bodies).toEqual([]);
    q.requeue(a.delivered[1]!);
    sa.cancel();
    expect(b.bodies).toEqual(["2"]);
  });
});

describe("quorum delivery limit", () => {
  it("counts returns in x-delivery-count and dead-letters past x-delivery-limit as delivery_limit", () => {
    const { v, q, drain } = world({});
    ok(
      v.declareQueue(
        "qq",
        { durable: true, args: { "x-queue-type": "quorum", "x-delivery-limit": 1, "x-dead-letter-exchange": "dlx" } },
        null,
      ),
    );
    const qq = v.queues.get("qq")!;
    void q;
    ok(v.publish("", "qq", msg("m", {}, "qq")));
    const e1 = qq.get(false)!;
    expect(e1.message.properties.headers!["x-delivery-count"]).toEqual(new TypedField("l", 0));
    qq.requeue(e1);
    const e2 = qq.get(false)!;
    expect(e2.message.properties.headers!["x-delivery-count"]).toEqual(new TypedField("l", 1));
    qq.requeue(e2);
    expect(qq.get(false)).toBeNull();
    const [dead] = drain("dead");
    expect(dead!.properties.headers!["x-first-death-reason"]).toBe("delivery_limit");
  });
});

describe("routing extras", () => {
  it("an exchange with an alternate exchange sends what it cannot route there", () => {
    const { v, drain } = world({});
    ok(v.declareExchange("main", { type: "direct", args: { "alternate-exchange": "dlx" } }));
    expect(ok(v.publish("main", "nomatch", msg("m"))).routed).toBe(1);
    expect(drain("dead").map((m) => m.body.toString())).toEqual(["m"]);
    // settable by the policy layer
    v.exchanges.get("main")!.alternateExchange = null;
    expect(ok(v.publish("main", "nomatch", msg("m"))).routed).toBe(0);
  });

  it("CC and BCC route to more keys; BCC is removed before delivery", () => {
    const { v, drain } = world({});
    ok(v.declareQueue("a", {}, null));
    ok(v.declareQueue("b", {}, null));
    expect(ok(v.publish("", "q", msg("m", { headers: { CC: ["a"], BCC: ["b"] } }))).routed).toBe(3);
    for (const name of ["q", "a", "b"]) {
      const [m] = drain(name);
      expect(m!.properties.headers!["CC"]).toEqual(["a"]);
      expect(m!.properties.headers!["BCC"]).toBeUndefined();
    }
  });
});

describe("expiry without a dead-letter exchange", () => {
  it("moves a message to the queue its publisher's codec names (declared if missing), and drops the others", () => {
    const { clock, v, drain } = world({ "x-message-ttl": 1000 });
    const codec = {
      format: "test",
      decode: () => ({}),
      expired: (m: Message) => ({
        message: new Message("", "kept.expired", Buffer.from(`moved ${m.body.toString()}`), {}),
        queue: "kept.expired",
      }),
    };
    const kept = new Message("", "q", Buffer.from("a"), null, { codec, bytes: Buffer.alloc(0) });
    ok(v.publish("", "q", kept));
    ok(v.publish("", "q", msg("b")));
    clock.advance(1000);
    expect(drain("q")).toEqual([]);
    expect(drain("kept.expired").map((m) => m.body.toString())).toEqual(["moved a"]);
    expect(v.queues.get("kept.expired")!.durable).toBe(true);
  });
});

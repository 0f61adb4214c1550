import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError, ReplyCode } from "../../src/core/errors.js";
import { type FieldTable, Message, TypedField } from "../../src/core/message.js";
import type { ClientRef, ConsumeOptions, Consumer, Subscription } from "../../src/core/consumer.js";
import type { QueueEntry } from "../../src/core/queue-entry.js";
import type { Queue } from "../../src/core/queue.js";

function ok<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r;
}

function refused(r: unknown, code: number, text?: string): BrokerError {
  expect(r).toBeInstanceOf(BrokerError);
  const e = r as BrokerError;
  expect(e.code).toBe(code);
  if (text !== undefined) expect(e.text).toBe(text);
  return e;
}

/** A front-end's consumer with a prefetch-like credit that each delivery uses up. */
class FakeConsumer implements Consumer {
  readonly delivered: QueueEntry[] = [];
  readonly cancelled: Subscription[] = [];
  onDeliver: ((entry: QueueEntry, sub: Subscription) => void) | null = null;

  constructor(
    readonly client: ClientRef,
    public credit = Infinity,
  ) {}

  hasCredit(): boolean {
    return this.credit > 0;
  }
  deliver(entry: QueueEntry, sub: Subscription): void {
    this.credit--;
    this.delivered.push(entry);
    this.onDeliver?.(entry, sub);
  }
  cancelledByBroker(sub: Subscription): void {
    this.cancelled.push(sub);
  }
  get bodies(): string[] {
    return this.delivered.map((e) => e.message.body.toString());
  }
}

const c1: ClientRef = { id: 1 };
const c2: ClientRef = { id: 2 };

const msg = (body: string | number) => new Message("", "q", Buffer.from(String(body)), null);

function setup(name = "q", args: FieldTable = {}) {
  const v = new VirtualHost("/");
  ok(v.declareQueue(name, { args }, null));
  const q = v.queues.get(name)!;
  const publish = (...bodies: (string | number)[]) => {
    for (const b of bodies) ok(v.publish("", name, msg(b)));
  };
  return { v, q, publish };
}

const opts = (o: Partial<ConsumeOptions> = {}): ConsumeOptions => ({
  tag: o.tag ?? "ctag",
  noAck: o.noAck ?? false,
  exclusive: o.exclusive ?? false,
  priority: o.priority ?? 0,
});

function consume(q: Queue, consumer: FakeConsumer, o: Partial<ConsumeOptions> = {}): Subscription {
  const sub = ok(q.consume(consumer, opts(o)));
  q.dispatch();
  return sub;
}

describe("queue declare", () => {
  it("an empty name gets a server-generated amq.gen- name, different each time", () => {
    const v = new VirtualHost("/");
    const a = ok(v.declareQueue("", { exclusive: true }, c1));
    const b = ok(v.declareQueue("", { exclusive: true }, c1));
    expect(a.queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(b.queue).not.toBe(a.queue);
    expect(v.queues.has(a.queue)).toBe(true);
    expect(a).toMatchObject({ messageCount: 0, consumerCount: 0 });
  });

  it("a client-chosen name starting amq. is refused (403), even when the queue exists", () => {
    const v = new VirtualHost("/");
    refused(
      v.declareQueue("amq.mine", {}, null),
      ReplyCode.ACCESS_REFUSED,
      "ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'",
    );
    const gen = ok(v.declareQueue("", {}, c1)).queue;
    refused(v.declareQueue(gen, {}, c1), ReplyCode.ACCESS_REFUSED);
    // passive declare of a server-named queue is allowed
    expect(ok(v.declareQueue(gen, { passive: true }, c1)).queue).toBe(gen);
  });

  it("passive declare answers the ready message count and the consumer count", () => {
    const { v, q, publish } = setup();
    publish(1, 2, 3);
    consume(q, new FakeConsumer(c1, 1));
    expect(ok(v.declareQueue("q", { passive: true }, null))).toEqual({ queue: "q", messageCount: 2, consumerCount: 1 });
    expect(ok(v.declareQueue("q", {}, null))).toEqual({ queue: "q", messageCount: 2, consumerCount: 1 });
  });

  it("passive declare of a missing queue is 404 with RabbitMQ's text", () => {
    const v = new VirtualHost("/");
    refused(v.declareQueue("q", { passive: true }, null), ReplyCode.NOT_FOUND, "NOT_FOUND - no queue 'q' in vhost '/'");
    expect(v.queues.has("q")).toBe(false);
  });

  it("redeclaring with another durable or auto-delete flag is inequivalent (406)", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { durable: false }, null));
    refused(
      v.declareQueue("q", { durable: true }, null),
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost '/': received 'true' but current is 'false'",
    );
    refused(
      v.declareQueue("q", { autoDelete: true }, null),
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue 'q' in vhost '/': received 'true' but current is 'false'",
    );
  });

  it("redeclaring with another x- argument value is inequivalent, printing the values as RabbitMQ does", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-message-ttl": 1000 } }, null));
    const base = "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received";
    refused(v.declareQueue("q", { args: { "x-message-ttl": 2000 } }, null), 406, `${base} '2000' but current is '1000'`);
    refused(
      v.declareQueue("q", { args: { "x-message-ttl": new TypedField("l", 2000) } }, null),
      406,
      `${base} '2000' but current is '1000'`,
    );
    refused(v.declareQueue("q", {}, null), 406, `${base} none but current is the value '1000' of type 'signedint'`);
    ok(v.declareQueue("r", {}, null));
    refused(
      v.declareQueue("r", { args: { "x-dead-letter-exchange": "dlx" } }, null),
      406,
      "PRECONDITION_FAILED - inequivalent arg 'x-dead-letter-exchange' for queue 'r' in vhost '/': received the value 'dlx' of type 'longstr' but current is none",
    );
  });

  it("an x- argument of another integer width with the same value is equivalent", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-max-length": 10 } }, null));
    ok(v.declareQueue("q", { args: { "x-max-length": new TypedField("l", 10) } }, null));
    ok(v.declareQueue("q", { args: { "x-max-length": new TypedField("b", 10) } }, null));
  });

  it("x-queue-type classic is equivalent to no x-queue-type", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", {}, null));
    ok(v.declareQueue("q", { args: { "x-queue-type": "classic" } }, null));
    ok(v.declareQueue("r", { args: { "x-queue-type": "classic" } }, null));
    ok(v.declareQueue("r", {}, null));
  });

  it("differences in arguments RabbitMQ does not compare are ignored", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-custom": 1 } }, null));
    ok(v.declareQueue("q", { args: { "x-custom": 2 } }, null));
  });
});

describe("queue arguments", () => {
  const invalid = (args: FieldTable, arg: string, why: string) => {
    const v = new VirtualHost("/");
    refused(
      v.declareQueue("q", { args }, null),
      ReplyCode.PRECONDITION_FAILED,
      `PRECONDITION_FAILED - invalid arg '${arg}' for queue 'q' in vhost '/': ${why}`,
    );
    expect(v.queues.has("q")).toBe(false);
  };

  it("x-message-ttl must be an integer", () => {
    invalid({ "x-message-ttl": "1000" }, "x-message-ttl", '"expected integer, got longstr"');
    invalid({ "x-message-ttl": 1.5 }, "x-message-ttl", '"expected integer, got double"');
  });

  it("x-message-ttl must not be negative", () => {
    invalid({ "x-message-ttl": -1 }, "x-message-ttl", "{value_negative,-1}");
  });

  it("x-message-ttl of zero is allowed", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-message-ttl": 0 } }, null));
    expect(v.queues.get("q")!.options.parsedArgs.messageTtl).toBe(0);
  });

  it("x-expires must not be zero", () => {
    invalid({ "x-expires": 0 }, "x-expires", "{value_zero,0}");
  });

  it("x-max-priority must not exceed 255", () => {
    invalid({ "x-max-priority": 256 }, "x-max-priority", "{max_value_exceeded,256}");
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-max-priority": 255 } }, null));
    expect(v.queues.get("q")!.options.parsedArgs.maxPriority).toBe(255);
  });

  it("x-max-length must not be negative", () => {
    invalid({ "x-max-length": -5 }, "x-max-length", "{value_negative,-5}");
  });

  it("x-single-active-consumer must be a boolean", () => {
    invalid({ "x-single-active-consumer": "true" }, "x-single-active-consumer", "{unacceptable_type,longstr}");
  });

  it("integers of any AMQP width are accepted", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-message-ttl": new TypedField("l", 60000), "x-max-length": new TypedField("B", 7) } }, null));
    expect(v.queues.get("q")!.options.parsedArgs).toMatchObject({ messageTtl: 60000, maxLength: 7 });
  });

  it("unknown x- arguments are ignored", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { args: { "x-whatever": "yes", other: 1 } }, null));
    expect(v.queues.has("q")).toBe(true);
  });
});

describe("exclusive queues", () => {
  const text =
    "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'q' in vhost '/'. " +
    "It could be originally declared on another connection or the exclusive property value " +
    "does not match that of the original declaration.";

  it("another connection cannot declare, use, bind, purge or delete it (405)", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { exclusive: true }, c1));
    refused(v.declareQueue("q", { exclusive: true }, c2), ReplyCode.RESOURCE_LOCKED, text);
    refused(v.declareQueue("q", { passive: true }, c2), ReplyCode.RESOURCE_LOCKED, text);
    refused(v.queue("q", c2), ReplyCode.RESOURCE_LOCKED, text);
    refused(v.bindQueue("q", "amq.direct", "k", {}, c2), ReplyCode.RESOURCE_LOCKED, text);
    refused(v.purgeQueue("q", c2), ReplyCode.RESOURCE_LOCKED, text);
    refused(v.deleteQueue("q", {}, c2), ReplyCode.RESOURCE_LOCKED, text);
    expect(v.queues.has("q")).toBe(true);
  });

  it("its owner can use it, but not redeclare it as non-exclusive (405)", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { exclusive: true }, c1));
    ok(v.declareQueue("q", { exclusive: true }, c1));
    ok(v.queue("q", c1));
    refused(v.declareQueue("q", {}, c1), ReplyCode.RESOURCE_LOCKED, text);
  });

  it("a shared queue cannot be redeclared as exclusive (405)", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", {}, c1));
    refused(v.declareQueue("q", { exclusive: true }, c1), ReplyCode.RESOURCE_LOCKED, text);
  });

  it("anyone may publish to it through an exchange", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { exclusive: true }, c1));
    expect(ok(v.publish("", "q", msg(1))).routed).toBe(1);
  });

  it("is never durable, even when declared durable", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { exclusive: true, durable: true }, c1));
    expect(v.queues.get("q")!.durable).toBe(false);
    ok(v.declareQueue("q", { exclusive: true, durable: true }, c1));
  });

  it("goes when its connection closes, cancelling its consumers; other queues stay", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { exclusive: true }, c1));
    ok(v.declareQueue("other", { exclusive: true }, c2));
    ok(v.declareQueue("shared", {}, c1));
    const consumer = new FakeConsumer(c2);
    const sub = consume(v.queues.get("q")!, consumer);
    const deleted: string[] = [];
    v.onQueueEvent((_e, q) => deleted.push(q.name));
    v.clientClosed(c1);
    expect([...v.queues.keys()].sort()).toEqual(["other", "shared"]);
    expect(deleted).toEqual(["q"]);
    expect(consumer.cancelled).toEqual([sub]);
    expect(sub.active).toBe(false);
  });
});

describe("auto-delete queues", () => {
  it("stay until a first consumer has come and gone", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { autoDelete: true }, null));
    const q = v.queues.get("q")!;
    expect(v.queues.has("q")).toBe(true);
    const a = consume(q, new FakeConsumer(c1), { tag: "a" });
    const b = consume(q, new FakeConsumer(c1), { tag: "b" });
    a.cancel();
    expect(v.queues.has("q")).toBe(true);
    b.cancel();
    expect(v.queues.has("q")).toBe(false);
    expect(q.deleted).toBe(true);
  });

  it("a basic.get does not count as a consumer", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("q", { autoDelete: true }, null));
    ok(v.publish("", "q", msg(1)));
    expect(v.queues.get("q")!.get(true)).not.toBeNull();
    expect(v.queues.has("q")).toBe(true);
  });

  it("a queue without auto-delete stays when its last consumer cancels", () => {
    const { v, q } = setup();
    consume(q, new FakeConsumer(c1)).cancel();
    expect(v.queues.has("q")).toBe(true);
  });
});

describe("purge and delete", () => {
  it("purge drops the ready messages, answers how many, and leaves unacked ones", () => {
    const { v, q, publish } = setup();
    publish(1, 2, 3);
    const held = q.get(false)!;
    expect(ok(v.purgeQueue("q", null))).toBe(2);
    expect(q.messageCount).toBe(0);
    expect(q.unackedMessageCount).toBe(1);
    q.requeue(held);
    expect(q.messageCount).toBe(1);
  });

  it("purge of a missing queue is 404", () => {
    const v = new VirtualHost("/");
    refused(v.purgeQueue("q", null), ReplyCode.NOT_FOUND, "NOT_FOUND - no queue 'q' in vhost '/'");
  });

  it("delete answers the number of ready messages it dropped", () => {
    const { v, publish } = setup();
    publish(1, 2, 3);
    expect(ok(v.deleteQueue("q", {}, null))).toBe(3);
    expect(v.queues.has("q")).toBe(false);
  });

  it("delete of a missing queue answers zero", () => {
    const v = new VirtualHost("/");
    expect(v.deleteQueue("nope", {}, null)).toBe(0);
  });

  it("delete if-unused refuses a queue with consumers (406)", () => {
    const { v, q } = setup();
    consume(q, new FakeConsumer(c1));
    refused(
      v.deleteQueue("q", { ifUnused: true }, null),
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - queue 'q' in vhost '/' in use",
    );
    expect(v.queues.has("q")).toBe(true);
  });

  it("delete if-empty refuses a queue with ready messages (406)", () => {
    const { v, publish } = setup();
    publish(1);
    refused(
      v.deleteQueue("q", { ifEmpty: true }, null),
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - queue 'q' in vhost '/' not empty",
    );
    expect(v.queues.has("q")).toBe(true);
  });

  it("delete if-unused and if-empty succeed on an unused, empty queue", () => {
    const { v } = setup();
    expect(v.deleteQueue("q", { ifUnused: true, ifEmpty: true }, null)).toBe(0);
    expect(v.queues.has("q")).toBe(false);
  });

  it("delete cancels every consumer through cancelledByBroker", () => {
    const { v, q } = setup();
    const a = new FakeConsumer(c1);
    const b = new FakeConsumer(c2);
    const sa = consume(q, a, { tag: "a" });
    const sb = consume(q, b, { tag: "b" });
    ok(v.deleteQueue("q", {}, null));
    expect(a.cancelled).toEqual([sa]);
    expect(b.cancelled).toEqual([sb]);
    expect([sa.active, sb.active]).toEqual([false, false]);
    expect(q.consumerCount).toBe(0);
  });

  it("an entry requeued after its queue was deleted is dropped", () => {
    const { v, q, publish } = setup();
    publish(1);
    const held = q.get(false)!;
    ok(v.deleteQueue("q", {}, null));
    q.requeue(held);
    expect(q.messageCount).toBe(0);
  });
});

describe("consumers", () => {
  it("messages go round-robin across consumers", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1);
    const b = new FakeConsumer(c1);
    const c = new FakeConsumer(c2);
    consume(q, a, { tag: "a" });
    consume(q, b, { tag: "b" });
    consume(q, c, { tag: "c" });
    publish(1, 2, 3, 4, 5, 6, 7);
    expect([a.bodies, b.bodies, c.bodies]).toEqual([
      ["1", "4", "7"],
      ["2", "5"],
      ["3", "6"],
    ]);
  });

  it("a consumer gets the backlog when it subscribes", () => {
    const { q, publish } = setup();
    publish(1, 2, 3);
    const a = new FakeConsumer(c1);
    consume(q, a);
    expect(a.bodies).toEqual(["1", "2", "3"]);
    expect(q.messageCount).toBe(0);
  });

  it("nothing is delivered while the consumer has no credit, and resume delivers once it has", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1, 0);
    const sub = consume(q, a);
    publish(1, 2, 3);
    expect(a.delivered).toEqual([]);
    expect(q.messageCount).toBe(3);
    a.credit = 2;
    expect(a.delivered).toEqual([]); // credit alone does not deliver
    sub.resume();
    expect(a.bodies).toEqual(["1", "2"]);
    expect(q.messageCount).toBe(1);
  });

  it("a consumer out of credit is skipped and the others take the messages", () => {
    const { q, publish } = setup();
    const slow = new FakeConsumer(c1, 1);
    const fast = new FakeConsumer(c1);
    consume(q, slow, { tag: "slow" });
    consume(q, fast, { tag: "fast" });
    publish(1, 2, 3, 4);
    expect(slow.bodies).toEqual(["1"]);
    expect(fast.bodies).toEqual(["2", "3", "4"]);
  });

  it("a cancelled consumer gets nothing more and resume on it does nothing", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1);
    const b = new FakeConsumer(c1);
    const sa = consume(q, a, { tag: "a" });
    consume(q, b, { tag: "b" });
    sa.cancel();
    publish(1, 2);
    expect(a.delivered).toEqual([]);
    expect(b.bodies).toEqual(["1", "2"]);
    expect(q.consumerCount).toBe(1);
    sa.resume();
    expect(a.delivered).toEqual([]);
  });

  it("an exclusive consumer is refused while others consume, and others are refused while it does (403)", () => {
    const { q } = setup();
    const text = "ACCESS_REFUSED - queue 'q' in vhost '/' in exclusive use";
    const shared = consume(q, new FakeConsumer(c1), { tag: "shared" });
    refused(q.consume(new FakeConsumer(c2), opts({ tag: "ex", exclusive: true })), ReplyCode.ACCESS_REFUSED, text);
    shared.cancel();
    const ex = consume(q, new FakeConsumer(c2), { tag: "ex", exclusive: true });
    refused(q.consume(new FakeConsumer(c1), opts({ tag: "other" })), ReplyCode.ACCESS_REFUSED, text);
    refused(q.consume(new FakeConsumer(c2), opts({ tag: "ex2", exclusive: true })), ReplyCode.ACCESS_REFUSED, text);
    ex.cancel();
    ok(q.consume(new FakeConsumer(c1), opts({ tag: "after" })));
  });

  it("higher-priority consumers get messages first, round-robin among equal priorities", () => {
    const { q, publish } = setup();
    const low = new FakeConsumer(c1);
    const hi1 = new FakeConsumer(c1, 2);
    const hi2 = new FakeConsumer(c1, 2);
    consume(q, low, { tag: "low", priority: 0 });
    consume(q, hi1, { tag: "hi1", priority: 10 });
    consume(q, hi2, { tag: "hi2", priority: 10 });
    publish(1, 2, 3, 4, 5, 6);
    expect(hi1.bodies).toEqual(["1", "3"]);
    expect(hi2.bodies).toEqual(["2", "4"]);
    // the high-priority consumers are out of credit: the low one takes the rest
    expect(low.bodies).toEqual(["5", "6"]);
  });

  it("a consumer with negative priority gets messages only when the default-priority ones cannot take them", () => {
    const { q, publish } = setup();
    const backup = new FakeConsumer(c1);
    const main = new FakeConsumer(c1, 1);
    consume(q, backup, { tag: "backup", priority: -1 });
    consume(q, main, { tag: "main" });
    publish(1, 2);
    expect(main.bodies).toEqual(["1"]);
    expect(backup.bodies).toEqual(["2"]);
  });

  it("ack, discard and requeue each settle one unacked message", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1);
    const sub = consume(q, a);
    publish(1, 2, 3);
    expect([q.unackedMessageCount, sub.unacked]).toEqual([3, 3]);
    q.ack(a.delivered[0]!);
    expect([q.unackedMessageCount, sub.unacked]).toEqual([2, 2]);
    q.discard(a.delivered[1]!);
    expect([q.unackedMessageCount, sub.unacked]).toEqual([1, 1]);
    q.requeue(a.delivered[2]!);
    expect([q.unackedMessageCount, sub.unacked, q.messageCount]).toEqual([0, 0, 1]);
    expect(a.delivered[2]!.holder).toBeNull();
  });

  it("a no-ack consumer leaves nothing unacked", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1);
    const sub = consume(q, a, { noAck: true });
    publish(1, 2);
    expect(a.bodies).toEqual(["1", "2"]);
    expect([q.unackedMessageCount, sub.unacked]).toEqual([0, 0]);
    expect(a.delivered[0]!.holder).toBeNull();
  });

  it("a requeued message returns to its original position flagged redelivered", () => {
    const { q, publish } = setup();
    publish(1, 2, 3, 4, 5);
    const e1 = q.get(false)!;
    const e2 = q.get(false)!;
    const e3 = q.get(false)!;
    publish(6);
    q.requeue(e2);
    q.requeue(e1);
    expect(q.messageCount).toBe(5);
    const order: QueueEntry[] = [];
    for (let e = q.get(true); e !== null; e = q.get(true)) order.push(e);
    expect(order.map((e) => e.message.body.toString())).toEqual(["1", "2", "4", "5", "6"]);
    expect(order.map((e) => e.redelivered)).toEqual([true, true, false, false, false]);
    expect(order[0]!.deliveryCount).toBe(2);
    expect(e3.redelivered).toBe(false);
  });

  it("a message requeued by one consumer goes to a consumer with credit on the next dispatch", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1, 1);
    const sub = consume(q, a);
    publish(1, 2);
    expect(a.bodies).toEqual(["1"]);
    q.requeue(a.delivered[0]!);
    a.credit = 1;
    sub.resume();
    expect(a.bodies).toEqual(["1", "1"]);
    expect(a.delivered[1]!.redelivered).toBe(true);
    expect(q.get(true)!.message.body.toString()).toBe("2");
  });

  it("a consumer that settles and resumes inside deliver gets every message in order", () => {
    const { q, publish } = setup();
    const a = new FakeConsumer(c1, 1);
    a.onDeliver = (entry, sub) => {
      q.ack(entry);
      a.credit++;
      sub.resume();
    };
    consume(q, a);
    const n = 2000;
    publish(...Array.from({ length: n }, (_, i) => i));
    expect(a.delivered.length).toBe(n);
    expect(a.bodies).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(q.unackedMessageCount).toBe(0);
  });
});

describe("basic.get", () => {
  it("answers null on an empty queue", () => {
    const { q } = setup();
    expect(q.get(false)).toBeNull();
    expect(q.get(true)).toBeNull();
  });

  it("takes the head message; without no-ack it stays unacked until acked", () => {
    const { q, publish } = setup();
    publish(1, 2);
    const e = q.get(false)!;
    expect(e.message.body.toString()).toBe("1");
    expect(e.deliveryCount).toBe(1);
    expect([q.messageCount, q.unackedMessageCount]).toEqual([1, 1]);
    q.ack(e);
    expect(q.unackedMessageCount).toBe(0);
    expect(q.get(true)!.message.body.toString()).toBe("2");
    expect(q.unackedMessageCount).toBe(0);
  });
});

describe("Queue.browse", () => {
  it("lists ready messages in delivery order, up to a limit, and leaves them ready", () => {
    const { q, publish } = setup();
    publish("a", "b", "c");
    expect(q.browse(2).map((e) => e.message.body.toString())).toEqual(["a", "b"]);
    expect(q.browse(10).map((e) => e.message.body.toString())).toEqual(["a", "b", "c"]);
    expect(q.messageCount).toBe(3);
  });

  it("lists a priority queue's highest level first", () => {
    const v = new VirtualHost("/");
    ok(v.declareQueue("p", { args: { "x-max-priority": 9 } }, null));
    const q = v.queues.get("p")!;
    for (const [body, priority] of [
      ["low", 1],
      ["high", 8],
    ] as const) {
      const m = new Message("", "p", Buffer.from(body), { priority });
      ok(v.publish("", "p", m));
    }
    expect(q.browse(10).map((e) => e.message.body.toString())).toEqual(["high", "low"]);
    // a paced browse goes level by level too, highest first
    const cursor = q.browseCursor();
    const seen: string[] = [];
    for (let more = true; more; ) {
      const batch: QueueEntry[] = [];
      more = q.browseNext(cursor, 1, batch);
      seen.push(...batch.map((e) => e.message.body.toString()));
    }
    expect(seen).toEqual(["high", "low"]);
  });
});

describe("JMS exclusive consumers (jmsExclusive)", () => {
  it("the first gets every message while the others wait, without being refused; the next takes over when it goes", () => {
    const { q, publish } = setup();
    const plain = new FakeConsumer(c1);
    const first = new FakeConsumer(c1, 2);
    const second = new FakeConsumer(c2);
    consume(q, plain, { tag: "plain" });
    const a = ok(q.consume(first, { ...opts({ tag: "a" }), jmsExclusive: true }));
    ok(q.consume(second, { ...opts({ tag: "b" }), jmsExclusive: true }));
    publish(1, 2, 3);
    q.dispatch();
    // the active one is full after two; the third waits for it rather than going elsewhere
    expect(first.bodies).toEqual(["1", "2"]);
    expect(plain.bodies).toEqual([]);
    expect(second.bodies).toEqual([]);
    q.cancel(a);
    q.dispatch();
    expect(second.bodies).toEqual(["3"]);
    expect(plain.bodies).toEqual([]);
  });
});

// Queues: declare (server-named, passive, equivalence), exclusive and auto-delete lifetimes,
// purge and delete with their counts and conditions, and queue argument validation, each refusal
// with RabbitMQ's exact reply code and text.

import { describe, expect, it } from "vitest";
import { conformanceSuite, consumeInto, eventually, expectFailure, expectQueueGone, unique } from "./helpers.js";

const suite = conformanceSuite();

const lockedText = (q: string) =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
  "It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.";

describe("queue declare", () => {
  it("an empty name gets a server-generated amq.gen- name", async () => {
    const { ch } = await suite.channel();
    const a = await ch.assertQueue("", { exclusive: true });
    const b = await ch.assertQueue("", { exclusive: true });
    expect(a.queue).toMatch(/^amq\.gen-[A-Za-z0-9_-]{22}$/);
    expect(b.queue).toMatch(/^amq\.gen-/);
    expect(a.queue).not.toBe(b.queue);
    expect(a).toMatchObject({ messageCount: 0, consumerCount: 0 });
  });

  it("declare-ok and passive declare report message and consumer counts", async () => {
    const { conn, ch } = await suite.confirmChannel();
    const q = suite.queueName("counts");
    await ch.assertQueue(q, { durable: false });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 3, consumerCount: 0 });
    for (let i = 0; i < 2; i++) {
      const c = await conn.createChannel();
      await c.prefetch(1);
      const { inbox } = await consumeInto(c, q);
      await inbox.next(5_000, "a delivery");
    }
    // Each consumer holds one unacked message; only ready messages are counted.
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 1, consumerCount: 2 });
    expect(await ch.assertQueue(q, { durable: false })).toEqual({ queue: q, messageCount: 1, consumerCount: 2 });
  });

  it("passive declare of a missing queue is refused with 404", async () => {
    const { ch } = await suite.channel();
    const q = unique("missing");
    await expectFailure(ch.checkQueue(q), 404, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  it("a queue named amq.* is refused with 403", async () => {
    const { ch } = await suite.channel();
    const q = `amq.${unique("q")}`;
    await expectFailure(ch.assertQueue(q), 403, `ACCESS_REFUSED - queue name '${q}' contains reserved prefix 'amq.*'`);
  });

  it("redeclaring with another durable flag is refused with 406 inequivalent arg 'durable'", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("ineq-d");
    await ch.assertQueue(q, { durable: false });
    await expectFailure(
      ch.assertQueue(q, { durable: true }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'durable' for queue '${q}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  it("redeclaring with another auto_delete flag is refused with 406 inequivalent arg 'auto_delete'", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("ineq-ad");
    await ch.assertQueue(q, { durable: false });
    await expectFailure(
      ch.assertQueue(q, { durable: false, autoDelete: true }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '${q}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  it("redeclaring with another x-max-length is refused with 406 inequivalent arg", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("ineq-args");
    await ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 10 } });
    await expectFailure(
      ch.assertQueue(q, { durable: false, arguments: { "x-max-length": 20 } }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue '${q}' in vhost '/': received '20' but current is '10'`,
    );
  });

  it("redeclaring a shared queue as exclusive is refused with 405 RESOURCE_LOCKED", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("ineq-x");
    await ch.assertQueue(q, { durable: false });
    await expectFailure(ch.assertQueue(q, { durable: false, exclusive: true }), 405, lockedText(q));
  });

  it("an exclusive queue is never durable: redeclaring it with durable=true succeeds", async () => {
    const { ch } = await suite.channel();
    const q = unique("excl-durable");
    await ch.assertQueue(q, { exclusive: true, durable: true });
    await expect(ch.assertQueue(q, { exclusive: true, durable: false })).resolves.toMatchObject({ queue: q });
    await expect(ch.assertQueue(q, { exclusive: true, durable: true })).resolves.toMatchObject({ queue: q });
  });

  it("unknown arguments (x- or not) are accepted", async () => {
    const { ch } = await suite.channel();
    await expect(ch.assertQueue("", { exclusive: true, arguments: { "x-unknown-thing": 1, plain: "value" } })).resolves.toMatchObject({
      messageCount: 0,
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ["x-message-ttl: 0", { "x-message-ttl": 0 }],
    ["x-message-ttl as a short", { "x-message-ttl": { "!": "short", value: 5 } }],
    ["x-message-ttl as an unsigned int", { "x-message-ttl": { "!": "uint32", value: 5 } }],
    ["x-max-length: 0", { "x-max-length": 0 }],
    ["x-expires: 1000", { "x-expires": 1000 }],
    ["x-max-priority: 10", { "x-max-priority": 10 }],
    ["x-overflow: reject-publish", { "x-overflow": "reject-publish" }],
    ["x-dead-letter-exchange with routing key", { "x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "rk" }],
  ])("a valid argument is accepted (%s)", async (_label, args) => {
    const { ch } = await suite.channel();
    await expect(ch.assertQueue("", { exclusive: true, arguments: args })).resolves.toMatchObject({ messageCount: 0 });
  });

  // [label, arguments, the part of the reply text after "invalid arg '<arg>' for queue '<q>' in vhost '/': "]
  it.each<[string, string, unknown, string]>([
    ["a string x-message-ttl", "x-message-ttl", "abc", '"expected integer, got longstr"'],
    ["a negative x-message-ttl", "x-message-ttl", -1, "{value_negative,-1}"],
    ["a fractional x-message-ttl", "x-message-ttl", 1.5, '"expected integer, got double"'],
    ["a boolean x-message-ttl", "x-message-ttl", true, '"expected integer, got bool"'],
    ["a void x-message-ttl", "x-message-ttl", null, '"expected integer, got void"'],
    ["a table x-message-ttl", "x-message-ttl", { a: 1 }, '"expected integer, got table"'],
    ["an array x-message-ttl", "x-message-ttl", [1], '"expected integer, got array"'],
    ["a too large x-message-ttl", "x-message-ttl", 2 ** 40, "{value_too_large,1099511627776}"],
    ["a string x-max-length", "x-max-length", "abc", '"expected integer, got longstr"'],
    ["a negative x-max-length", "x-max-length", -1, "{value_negative,-1}"],
    ["a negative x-max-length-bytes", "x-max-length-bytes", -5, "{value_negative,-5}"],
    ["a string x-expires", "x-expires", "10", '"expected integer, got longstr"'],
    ["a zero x-expires", "x-expires", 0, "{value_zero,0}"],
    ["a negative x-expires", "x-expires", -5, "{value_negative,-5}"],
    ["an x-max-priority above 255", "x-max-priority", 300, "{max_value_exceeded,300}"],
    ["a negative x-max-priority", "x-max-priority", -1, "{value_negative,-1}"],
    ["an unknown x-overflow", "x-overflow", "foo", "invalid_overflow"],
    ["a numeric x-overflow", "x-overflow", 1, "{unacceptable_type,byte}"],
    ["an unknown x-queue-type", "x-queue-type", "foo", "\"unsupported queue type 'foo'\""],
    ["an unknown x-queue-mode", "x-queue-mode", "foo", "\"unsupported queue mode 'foo'\""],
    ["a string x-single-active-consumer", "x-single-active-consumer", "yes", "{unacceptable_type,longstr}"],
  ])("%s is refused with 406", async (_label, arg, value, detail) => {
    const { ch } = await suite.channel();
    const q = unique("args");
    await expectFailure(
      ch.assertQueue(q, { exclusive: true, arguments: { [arg]: value } }),
      406,
      `PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${detail}`,
    );
  });

  it("x-dead-letter-routing-key without x-dead-letter-exchange is refused with 406", async () => {
    const { ch } = await suite.channel();
    const q = unique("args");
    await expectFailure(
      ch.assertQueue(q, { exclusive: true, arguments: { "x-dead-letter-routing-key": "rk" } }),
      406,
      `PRECONDITION_FAILED - invalid arg 'x-dead-letter-routing-key' for queue '${q}' in vhost '/': routing_key_but_no_dlx_defined`,
    );
  });

  it("a numeric x-dead-letter-exchange is refused with 406 invalid type", async () => {
    const { ch } = await suite.channel();
    const q = unique("args");
    await expectFailure(
      ch.assertQueue(q, { exclusive: true, arguments: { "x-dead-letter-exchange": 5 } }),
      406,
      `PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue '${q}' in vhost '/'`,
    );
  });
});

describe("exclusive queues", () => {
  it("are locked to their connection: declare, passive declare, consume, get, bind, purge and delete from another connection get 405", async () => {
    const { ch } = await suite.channel();
    const q = unique("excl");
    await ch.assertQueue(q, { exclusive: true });
    const other = await suite.connect();
    const fresh = async () => {
      const c = await other.createChannel();
      c.on("error", () => undefined);
      return c;
    };
    const text = lockedText(q);
    await expectFailure((await fresh()).assertQueue(q, { exclusive: true }), 405, text);
    await expectFailure((await fresh()).checkQueue(q), 405, text);
    await expectFailure(
      (await fresh()).consume(q, () => undefined),
      405,
      text,
    );
    await expectFailure((await fresh()).get(q), 405, text);
    await expectFailure((await fresh()).bindQueue(q, "amq.direct", q), 405, text);
    await expectFailure((await fresh()).purgeQueue(q), 405, text);
    await expectFailure((await fresh()).deleteQueue(q), 405, text);
  });

  it("are usable from any channel of the owning connection", async () => {
    const { conn, ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const ch2 = await conn.createConfirmChannel();
    ch2.sendToQueue(q, Buffer.from("same connection"));
    await ch2.waitForConfirms();
    const m = await ch2.get(q, { noAck: true });
    expect(m && m.content.toString()).toBe("same connection");
  });

  it("are deleted when the owning connection closes", async () => {
    const conn = await suite.connect();
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await conn.close();
    await expectQueueGone(await suite.connect(), q);
  });

  it("survive the declaring channel closing", async () => {
    const { conn } = await suite.channel();
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.close();
    const ch2 = await conn.createChannel();
    await expect(ch2.checkQueue(q)).resolves.toMatchObject({ queue: q });
  });
});

describe("auto-delete queues", () => {
  it("are deleted when the last consumer cancels", async () => {
    const { conn, ch } = await suite.channel();
    const q = suite.queueName("autodel");
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    const a = await consumeInto(ch, q);
    const b = await consumeInto(ch, q);
    await ch.cancel(a.consumerTag);
    expect(await ch.checkQueue(q)).toMatchObject({ consumerCount: 1 });
    await ch.cancel(b.consumerTag);
    await expectQueueGone(conn, q);
  });

  it("are deleted when the last consumer's channel closes", async () => {
    const { conn, ch } = await suite.channel();
    const q = suite.queueName("autodel2");
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    const consumerCh = await conn.createChannel();
    await consumerCh.consume(q, () => undefined);
    await consumerCh.close();
    await expectQueueGone(conn, q);
  });

  it("are kept while they never had a consumer", async () => {
    const { ch } = await suite.confirmChannel();
    const q = suite.queueName("autodel3");
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    ch.sendToQueue(q, Buffer.from("x"));
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 1, consumerCount: 0 });
  });
});

describe("purge and delete", () => {
  it("purge removes ready messages and returns how many", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await ch.waitForConfirms();
    expect(await ch.purgeQueue(q)).toEqual({ messageCount: 5 });
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 0 });
    expect(await ch.purgeQueue(q)).toEqual({ messageCount: 0 });
  });

  it("purge leaves unacked messages alone; they come back when the channel closes", async () => {
    const { conn, ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await ch.waitForConfirms();
    const holder = await conn.createChannel();
    const held = await holder.get(q, { noAck: false });
    expect(held).not.toBe(false);
    expect(await ch.purgeQueue(q)).toEqual({ messageCount: 2 });
    await holder.close();
    await eventually(async () => expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1 }));
  });

  it("purge of a missing queue is refused with 404", async () => {
    const { ch } = await suite.channel();
    const q = unique("missing");
    await expectFailure(ch.purgeQueue(q), 404, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  it("delete returns the number of messages the queue held", async () => {
    const { ch } = await suite.confirmChannel();
    const q = suite.queueName("del");
    await ch.assertQueue(q, { durable: false });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from(String(i)));
    await ch.waitForConfirms();
    expect(await ch.deleteQueue(q)).toEqual({ messageCount: 4 });
    await expectFailure(ch.checkQueue(q), 404, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  it("deleting a missing queue succeeds with a message count of 0", async () => {
    const { ch } = await suite.channel();
    expect(await ch.deleteQueue(unique("never"))).toEqual({ messageCount: 0 });
  });

  it("delete if-unused of a queue with a consumer is refused with 406 in use", async () => {
    const { ch } = await suite.channel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.consume(q, () => undefined);
    await expectFailure(ch.deleteQueue(q, { ifUnused: true }), 406, `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`);
  });

  it("delete if-empty of a queue with messages is refused with 406 not empty", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from("x"));
    await ch.waitForConfirms();
    await expectFailure(ch.deleteQueue(q, { ifEmpty: true }), 406, `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`);
  });

  it("delete if-unused and if-empty of an idle empty queue deletes it", async () => {
    const { ch } = await suite.channel();
    const q = suite.queueName("idle");
    await ch.assertQueue(q, { durable: false });
    expect(await ch.deleteQueue(q, { ifUnused: true, ifEmpty: true })).toEqual({ messageCount: 0 });
    await expectFailure(ch.checkQueue(q), 404, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  it("deleting a queue removes its bindings", async () => {
    const { ch } = await suite.confirmChannel();
    const x = suite.exchangeName("delq");
    await ch.assertExchange(x, "fanout", { durable: false });
    const q = suite.queueName("delq");
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, x, "");
    await ch.deleteQueue(q);
    await ch.assertQueue(q, { durable: false });
    ch.publish(x, "", Buffer.from("after"));
    ch.sendToQueue(q, Buffer.from("direct"));
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1 });
  });
});

describe("the empty queue name (the channel's last declared queue)", () => {
  it("queue.bind with an empty queue name binds the last declared queue, and an empty key means its name", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    await ch.bindQueue("", "amq.direct", "");
    ch.publish("amq.direct", q, Buffer.from("by-name"));
    ch.publish("amq.direct", "", Buffer.from("by-empty-key"));
    await ch.bindQueue("", "amq.direct", "explicit");
    ch.publish("amq.direct", "explicit", Buffer.from("by-explicit-key"));
    await ch.waitForConfirms();
    const got = [];
    for (let m = await ch.get(q, { noAck: true }); m !== false; m = await ch.get(q, { noAck: true })) got.push(m.content.toString());
    expect(got).toEqual(["by-name", "by-explicit-key"]);
    // queue.unbind takes the same shortcut: the binding keyed by the queue's name goes
    await ch.unbindQueue("", "amq.direct", "");
    ch.publish("amq.direct", q, Buffer.from("unbound"));
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 0 });
  });

  it("without a previously declared queue, an empty name is refused with 404 (a passive declare looks for '')", async () => {
    const conn = await suite.connect();
    const cases: [string, (ch: import("amqplib").Channel) => Promise<unknown>][] = [
      ["queue.bind", (ch) => ch.bindQueue("", "amq.direct", "")],
      ["queue.unbind", (ch) => ch.unbindQueue("", "amq.direct", "")],
      ["queue.purge", (ch) => ch.purgeQueue("")],
      ["queue.delete", (ch) => ch.deleteQueue("")],
      ["basic.get", (ch) => ch.get("")],
      ["basic.consume", (ch) => ch.consume("", () => undefined)],
    ];
    for (const [, op] of cases) {
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      await expectFailure(op(ch), 404, "NOT_FOUND - no previously declared queue");
    }
    const ch = await conn.createChannel();
    ch.on("error", () => undefined);
    await expectFailure(ch.checkQueue(""), 404, "NOT_FOUND - no queue '' in vhost '/'");
  });
});

describe("names with line breaks", () => {
  it("declare, bind and delete strip \\n and \\r from exchange and queue names; publish, get and purge do not", async () => {
    const { ch } = await suite.confirmChannel();
    const x = suite.exchangeName("crlf-x");
    const q = suite.queueName("crlf-q");
    await ch.assertExchange(`${x}\n`, "direct", { durable: false, autoDelete: false });
    await ch.checkExchange(x);
    expect((await ch.assertQueue(`${q}\r\n`, { durable: false })).queue).toBe(q);
    expect((await ch.checkQueue(`${q}\n`)).queue).toBe(q);
    await ch.bindQueue(`${q}\n`, `${x}\r`, "k");
    ch.publish(x, "k", Buffer.from("routed"));
    await ch.waitForConfirms();
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 1 });
    const { ch: other } = await suite.channel();
    await expectFailure(other.purgeQueue(`${q}\n`), 404, `NOT_FOUND - no queue '${q}\n' in vhost '/'`);
    expect((await ch.deleteQueue(`${q}\r`)).messageCount).toBe(1);
    await ch.deleteExchange(`${x}\n`);
    await expectFailure(ch.checkExchange(x), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });
});

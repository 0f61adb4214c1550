// Exchanges: predeclared ones, the four types' routing, exchange-to-exchange bindings, internal and
// auto-delete exchanges, and every refusal with RabbitMQ's exact reply code and text.

import { describe, expect, it } from "vitest";
import type { Channel, ConfirmChannel } from "amqplib";
import { conformanceSuite, drain, expectFailure, failureOf, Inbox, nextError, unique } from "./helpers.js";

const suite = conformanceSuite();

/** A confirm channel: publishing then waitForConfirms proves the broker routed everything. */
async function confirmChannel(): Promise<ConfirmChannel> {
  const conn = await suite.connect();
  const ch = await conn.createConfirmChannel();
  ch.on("error", () => undefined);
  return ch;
}

async function exclusiveQueue(ch: Channel): Promise<string> {
  return (await ch.assertQueue("", { exclusive: true })).queue;
}

describe("predeclared exchanges", () => {
  it.each(["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"])("%s exists (passive declare succeeds)", async (name) => {
    const { ch } = await suite.channel();
    await expect(ch.checkExchange(name)).resolves.toBeDefined();
  });

  it("routes through amq.direct, amq.fanout, amq.topic, amq.headers and amq.match by their types", async () => {
    const ch = await confirmChannel();
    const q = await exclusiveQueue(ch);
    const key = unique("k");
    await ch.bindQueue(q, "amq.direct", key);
    await ch.bindQueue(q, "amq.fanout", "");
    await ch.bindQueue(q, "amq.topic", `${key}.*`);
    await ch.bindQueue(q, "amq.headers", "", { "x-match": "all", conf: key });
    await ch.bindQueue(q, "amq.match", "", { "x-match": "any", conf2: key });
    ch.publish("amq.direct", key, Buffer.from("direct"));
    ch.publish("amq.fanout", "anything", Buffer.from("fanout"));
    ch.publish("amq.topic", `${key}.x`, Buffer.from("topic"));
    ch.publish("amq.headers", "", Buffer.from("headers"), { headers: { conf: key } });
    ch.publish("amq.match", "", Buffer.from("match"), { headers: { conf2: key } });
    await ch.waitForConfirms();
    // Unbind from amq.fanout before anything else can reach this queue through it.
    await ch.unbindQueue(q, "amq.fanout", "");
    const got = await drain(ch, q);
    // Other users of a shared broker may publish to amq.fanout too; ours must all be there.
    for (const b of ["direct", "fanout", "topic", "headers", "match"]) expect(got).toContain(b);
  });

  it("redeclaring amq.direct with its own properties succeeds", async () => {
    const { ch } = await suite.channel();
    await expect(ch.assertExchange("amq.direct", "direct", { durable: true })).resolves.toEqual({ exchange: "amq.direct" });
  });

  it("the default exchange routes by queue name", async () => {
    const ch = await confirmChannel();
    const q = await exclusiveQueue(ch);
    ch.publish("", q, Buffer.from("via default"));
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual(["via default"]);
  });

  it("declaring the default exchange is refused with 403", async () => {
    const { ch } = await suite.channel();
    await expectFailure(ch.assertExchange("", "direct"), 403, "ACCESS_REFUSED - operation not permitted on the default exchange");
  });

  it("binding a queue to the default exchange is refused with 403", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await expectFailure(ch.bindQueue(q, "", "k"), 403, "ACCESS_REFUSED - operation not permitted on the default exchange");
  });

  it("unbinding a queue from the default exchange is refused with 403", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    await expectFailure(ch.unbindQueue(q, "", q), 403, "ACCESS_REFUSED - operation not permitted on the default exchange");
  });

  it("deleting a predeclared exchange is refused with 403", async () => {
    const { ch } = await suite.channel();
    await expectFailure(
      ch.deleteExchange("amq.direct"),
      403,
      "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
    );
  });

  it("declaring an exchange named amq.* is refused with 403", async () => {
    const { ch } = await suite.channel();
    const name = `amq.${unique("x")}`;
    await expectFailure(
      ch.assertExchange(name, "direct"),
      403,
      `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`,
    );
  });
});

describe("direct exchange", () => {
  it("delivers only to queues bound with exactly the routing key, once per queue", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("direct");
    await ch.assertExchange(x, "direct", { durable: false });
    const q1 = await exclusiveQueue(ch);
    const q2 = await exclusiveQueue(ch);
    await ch.bindQueue(q1, x, "red");
    await ch.bindQueue(q1, x, "green");
    await ch.bindQueue(q2, x, "red");
    ch.publish(x, "red", Buffer.from("r"));
    ch.publish(x, "green", Buffer.from("g"));
    ch.publish(x, "blue", Buffer.from("b"));
    ch.publish(x, "Red", Buffer.from("R"));
    await ch.waitForConfirms();
    expect(await drain(ch, q1)).toEqual(["r", "g"]);
    expect(await drain(ch, q2)).toEqual(["r"]);
  });

  it("binding the same queue twice with the same key still delivers one copy", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("direct2");
    await ch.assertExchange(x, "direct", { durable: false });
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, "k");
    await ch.bindQueue(q, x, "k");
    ch.publish(x, "k", Buffer.from("once"));
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual(["once"]);
  });

  it("unbind stops delivery for that key only", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("direct3");
    await ch.assertExchange(x, "direct", { durable: false });
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, "a");
    await ch.bindQueue(q, x, "b");
    await ch.unbindQueue(q, x, "a");
    ch.publish(x, "a", Buffer.from("a"));
    ch.publish(x, "b", Buffer.from("b"));
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual(["b"]);
  });
});

describe("fanout exchange", () => {
  it("delivers to every bound queue whatever the routing key", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("fanout");
    await ch.assertExchange(x, "fanout", { durable: false });
    const qs = [await exclusiveQueue(ch), await exclusiveQueue(ch), await exclusiveQueue(ch)];
    await ch.bindQueue(qs[0]!, x, "");
    await ch.bindQueue(qs[1]!, x, "ignored");
    await ch.bindQueue(qs[2]!, x, "also.ignored");
    ch.publish(x, "", Buffer.from("1"));
    ch.publish(x, "whatever.key", Buffer.from("2"));
    await ch.waitForConfirms();
    for (const q of qs) expect(await drain(ch, q)).toEqual(["1", "2"]);
  });
});

describe("topic exchange", () => {
  // Which binding patterns each routing key must match (RabbitMQ 3.10 semantics: words split on
  // ".", "*" is exactly one word (possibly empty), "#" is zero or more words, "" is zero words).
  const patterns = ["a.*.c", "a.#", "#", "*", "#.c", "a.#.c", "a..c", "*.b.*", "", "a.*", "#.b.#"];
  const expected: Record<string, string[]> = {
    "a.b.c": ["a.*.c", "a.#", "#", "#.c", "a.#.c", "*.b.*", "#.b.#"],
    a: ["a.#", "#", "*"],
    "a.b": ["a.#", "#", "a.*", "#.b.#"],
    "a.c": ["a.#", "#", "#.c", "a.#.c", "a.*"],
    "a..c": ["a.*.c", "a.#", "#", "#.c", "a.#.c", "a..c"],
    c: ["#", "*", "#.c"],
    "": ["#", ""],
    "a.b.b.c": ["a.#", "#", "#.c", "a.#.c", "#.b.#"],
    "x.b.y": ["#", "*.b.*", "#.b.#"],
    b: ["#", "*", "#.b.#"],
    "a.": ["a.#", "#", "a.*"],
  };

  it("matches *, #, empty words and zero-word # exactly as RabbitMQ does", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("topic");
    await ch.assertExchange(x, "topic", { durable: false });
    const queueFor = new Map<string, string>();
    for (const p of patterns) {
      const q = await exclusiveQueue(ch);
      await ch.bindQueue(q, x, p);
      queueFor.set(p, q);
    }
    for (const key of Object.keys(expected)) ch.publish(x, key, Buffer.from(key));
    await ch.waitForConfirms();
    const actual: Record<string, string[]> = Object.fromEntries(Object.keys(expected).map((k) => [k, [] as string[]]));
    for (const p of patterns) for (const key of await drain(ch, queueFor.get(p)!)) actual[key]!.push(p);
    const sorted = (r: Record<string, string[]>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, [...v].sort()]));
    expect(sorted(actual)).toEqual(sorted(expected));
  });

  it("a queue matched by several patterns gets one copy", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("topic2");
    await ch.assertExchange(x, "topic", { durable: false });
    const q = await exclusiveQueue(ch);
    for (const p of ["#", "a.*", "a.b", "*.b"]) await ch.bindQueue(q, x, p);
    ch.publish(x, "a.b", Buffer.from("once"));
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual(["once"]);
  });
});

describe("headers exchange", () => {
  it("x-match all/any/all-with-x/any-with-x and void values (presence) route as RabbitMQ does", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("headers");
    await ch.assertExchange(x, "headers", { durable: false });
    const bindings: Record<string, Record<string, unknown>> = {
      all: { "x-match": "all", color: "red", size: 1 },
      any: { "x-match": "any", color: "red", size: 1 },
      default: { color: "red", size: 1 }, // no x-match means all
      allWithX: { "x-match": "all-with-x", color: "red", "x-tag": "t" },
      anyWithX: { "x-match": "any-with-x", "x-tag": "t" },
      allIgnoresX: { "x-match": "all", color: "red", "x-tag": "t" },
      anyIgnoresX: { "x-match": "any", "x-tag": "t" },
      presence: { "x-match": "all", color: null },
      empty: {},
    };
    const queueFor = new Map<string, string>();
    for (const [name, args] of Object.entries(bindings)) {
      const q = await exclusiveQueue(ch);
      await ch.bindQueue(q, x, "", args);
      queueFor.set(name, q);
    }
    const messages: Record<string, Record<string, unknown> | undefined> = {
      m1: { color: "red", size: 1 },
      m2: { color: "red" },
      m3: { color: "blue", size: 1 },
      m4: { color: "red", "x-tag": "t" },
      m5: { "x-tag": "t" },
      m6: { color: "green" },
      m7: {},
      m8: undefined,
      m9: { color: "red", size: 2 },
    };
    for (const [id, headers] of Object.entries(messages)) ch.publish(x, "ignored", Buffer.from(id), headers ? { headers } : {});
    await ch.waitForConfirms();
    const actual: Record<string, string[]> = {};
    for (const name of Object.keys(bindings)) actual[name] = await drain(ch, queueFor.get(name)!);
    expect(actual).toEqual({
      all: ["m1"],
      any: ["m1", "m2", "m3", "m4", "m9"],
      default: ["m1"],
      allWithX: ["m4"],
      anyWithX: ["m4", "m5"],
      allIgnoresX: ["m1", "m2", "m4", "m9"],
      anyIgnoresX: [],
      presence: ["m1", "m2", "m3", "m4", "m6", "m9"],
      empty: ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"],
    });
  });

  it("header values must match in type-insensitive equality for numbers of different widths", async () => {
    // RabbitMQ compares header values with Erlang term equality after decoding, so a binding's
    // signed byte 1 matches a message's signed long 1.
    const ch = await confirmChannel();
    const x = suite.exchangeName("headers2");
    await ch.assertExchange(x, "headers", { durable: false });
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, "", { "x-match": "all", n: 1 });
    ch.publish(x, "", Buffer.from("long"), { headers: { n: { "!": "long", value: 1 } } });
    ch.publish(x, "", Buffer.from("string"), { headers: { n: "1" } });
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual(["long"]);
  });
});

describe("headers exchange binding validation", () => {
  it("x-match must be all, any, all-with-x or any-with-x: another string or another type is refused with 406", async () => {
    const conn = await suite.connect();
    const setup = await conn.createChannel();
    const q = await exclusiveQueue(setup);
    const wordText = (printed: string) =>
      `PRECONDITION_FAILED - Invalid x-match field value ${printed}; expected all, any, all-with-x, or any-with-x`;
    const typeText = (type: string, printed: string) =>
      `PRECONDITION_FAILED - Invalid x-match field type ${type} (value ${printed}); expected longstr`;
    const cases: [unknown, string][] = [
      ["foo", wordText('<<"foo">>')],
      ["ALL", wordText('<<"ALL">>')],
      ["", wordText("<<>>")],
      [1, typeText("byte", "1")],
      [-3, typeText("byte", "-3")],
      [1.5, typeText("double", "1.5")],
      [true, typeText("bool", "true")],
      [null, typeText("void", "undefined")],
      [Buffer.from("all"), typeText("binary", '<<"all">>')],
      [Buffer.from([1, 2, 250]), typeText("binary", "<<1,2,250>>")],
      [["a", 1], typeText("array", '[{longstr,<<"a">>},{byte,1}]')],
    ];
    for (const [value, text] of cases) {
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      await expectFailure(ch.bindQueue(q, "amq.headers", "", { "x-match": value, h: "1" }), 406, text);
    }
    // the same for an exchange-to-exchange binding from a headers exchange, and for amq.match
    const ch = await conn.createChannel();
    ch.on("error", () => undefined);
    await expectFailure(ch.bindExchange("amq.fanout", "amq.headers", "", { "x-match": "foo" }), 406, wordText('<<"foo">>'));
    const ch2 = await conn.createChannel();
    ch2.on("error", () => undefined);
    await expectFailure(ch2.bindQueue(q, "amq.match", "", { "x-match": 5 }), 406, typeText("byte", "5"));
    // the four words bind; other exchange types do not look at x-match
    const ok = await conn.createChannel();
    for (const word of ["all", "any", "all-with-x", "any-with-x"]) await ok.bindQueue(q, "amq.headers", "", { "x-match": word, h: "1" });
    await ok.bindQueue(q, "amq.direct", "k", { "x-match": "foo" });
  });
});

describe("exchange-to-exchange bindings", () => {
  it("messages flow from a source exchange through bound destination exchanges", async () => {
    const ch = await confirmChannel();
    const src = suite.exchangeName("e2e-src");
    const mid = suite.exchangeName("e2e-mid");
    const dst = suite.exchangeName("e2e-dst");
    await ch.assertExchange(src, "topic", { durable: false });
    await ch.assertExchange(mid, "direct", { durable: false });
    await ch.assertExchange(dst, "fanout", { durable: false });
    await ch.bindExchange(mid, src, "orders.*");
    await ch.bindExchange(dst, mid, "orders.new");
    const qMid = await exclusiveQueue(ch);
    const qDst = await exclusiveQueue(ch);
    await ch.bindQueue(qMid, mid, "orders.paid");
    await ch.bindQueue(qDst, dst, "");
    ch.publish(src, "orders.new", Buffer.from("new"));
    ch.publish(src, "orders.paid", Buffer.from("paid"));
    ch.publish(src, "users.new", Buffer.from("user"));
    await ch.waitForConfirms();
    expect(await drain(ch, qMid)).toEqual(["paid"]);
    expect(await drain(ch, qDst)).toEqual(["new"]);

    await ch.unbindExchange(dst, mid, "orders.new");
    ch.publish(src, "orders.new", Buffer.from("after unbind"));
    await ch.waitForConfirms();
    expect(await drain(ch, qDst)).toEqual([]);
  });

  it("a cycle of exchange bindings delivers each message once per queue", async () => {
    const ch = await confirmChannel();
    const a = suite.exchangeName("cycle-a");
    const b = suite.exchangeName("cycle-b");
    await ch.assertExchange(a, "fanout", { durable: false });
    await ch.assertExchange(b, "fanout", { durable: false });
    await ch.bindExchange(b, a, "");
    await ch.bindExchange(a, b, "");
    const qa = await exclusiveQueue(ch);
    const qb = await exclusiveQueue(ch);
    await ch.bindQueue(qa, a, "");
    await ch.bindQueue(qb, b, "");
    ch.publish(a, "", Buffer.from("x"));
    await ch.waitForConfirms();
    expect(await drain(ch, qa)).toEqual(["x"]);
    expect(await drain(ch, qb)).toEqual(["x"]);
  });

  it("binding from a missing source exchange is refused with 404", async () => {
    const { ch } = await suite.channel();
    const dst = suite.exchangeName("e2e-dst2");
    await ch.assertExchange(dst, "fanout", { durable: false });
    const missing = unique("missing");
    await expectFailure(ch.bindExchange(dst, missing, ""), 404, `NOT_FOUND - no exchange '${missing}' in vhost '/'`);
  });

  it("an exchange that is only a binding destination is not 'in use' for delete if-unused", async () => {
    const { ch } = await suite.channel();
    const src = suite.exchangeName("iu-src");
    const dst = suite.exchangeName("iu-dst");
    await ch.assertExchange(src, "fanout", { durable: false });
    await ch.assertExchange(dst, "fanout", { durable: false });
    await ch.bindExchange(dst, src, "");
    await ch.deleteExchange(dst, { ifUnused: true });
    const missing = ch.checkExchange(dst);
    await expectFailure(missing, 404, `NOT_FOUND - no exchange '${dst}' in vhost '/'`);
  });
});

describe("internal exchanges", () => {
  it("publishing to an internal exchange closes the channel with 403", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("internal");
    await ch.assertExchange(x, "fanout", { durable: false, internal: true });
    const err = nextError(ch);
    ch.publish(x, "", Buffer.from("nope"));
    const f = failureOf(await err);
    expect(f).toEqual({ code: 403, text: `ACCESS_REFUSED - cannot publish to internal exchange '${x}' in vhost '/'` });
  });

  it("an internal exchange still receives messages through an exchange-to-exchange binding", async () => {
    const ch = await confirmChannel();
    const front = suite.exchangeName("front");
    const inner = suite.exchangeName("inner");
    await ch.assertExchange(front, "direct", { durable: false });
    await ch.assertExchange(inner, "fanout", { durable: false, internal: true });
    await ch.bindExchange(inner, front, "k");
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, inner, "");
    ch.publish(front, "k", Buffer.from("through"));
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual(["through"]);
  });
});

describe("auto-delete exchanges", () => {
  it("is deleted when its last queue binding is removed", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("autodel");
    await ch.assertExchange(x, "direct", { durable: false, autoDelete: true });
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, "a");
    await ch.bindQueue(q, x, "b");
    await ch.unbindQueue(q, x, "a");
    await ch.checkExchange(x); // one binding left: still there
    await ch.unbindQueue(q, x, "b");
    await expectFailure(ch.checkExchange(x), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it("is deleted when the last bound queue is deleted", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("autodel2");
    await ch.assertExchange(x, "fanout", { durable: false, autoDelete: true });
    const q = suite.queueName("autodel2-q");
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, x, "");
    await ch.deleteQueue(q);
    await expectFailure(ch.checkExchange(x), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it("is deleted when its last exchange-to-exchange binding (as source) is removed", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("autodel3");
    const dst = suite.exchangeName("autodel3-dst");
    await ch.assertExchange(x, "fanout", { durable: false, autoDelete: true });
    await ch.assertExchange(dst, "fanout", { durable: false });
    await ch.bindExchange(dst, x, "");
    await ch.unbindExchange(dst, x, "");
    await expectFailure(ch.checkExchange(x), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it("survives as long as it never had a binding", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("autodel4");
    await ch.assertExchange(x, "fanout", { durable: false, autoDelete: true });
    await expect(ch.checkExchange(x)).resolves.toBeDefined();
  });
});

describe("exchange declare, delete and refusals", () => {
  it("redeclaring with another type is refused with 406 inequivalent arg 'type'", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("ineq");
    await ch.assertExchange(x, "direct", { durable: false });
    await expectFailure(
      ch.assertExchange(x, "fanout", { durable: false }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${x}' in vhost '/': received 'fanout' but current is 'direct'`,
    );
  });

  it("redeclaring with another durable flag is refused with 406 inequivalent arg 'durable'", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("ineq-d");
    await ch.assertExchange(x, "direct", { durable: false });
    await expectFailure(
      ch.assertExchange(x, "direct", { durable: true }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  it("redeclaring with another auto_delete flag is refused with 406 inequivalent arg 'auto_delete'", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("ineq-ad");
    await ch.assertExchange(x, "direct", { durable: false });
    await expectFailure(
      ch.assertExchange(x, "direct", { durable: false, autoDelete: true }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'auto_delete' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  it("redeclaring with another internal flag is refused with 406 inequivalent arg 'internal'", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("ineq-i");
    await ch.assertExchange(x, "direct", { durable: false });
    await expectFailure(
      ch.assertExchange(x, "direct", { durable: false, internal: true }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'internal' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`,
    );
  });

  it("redeclaring with another alternate-exchange argument is refused with 406", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("ineq-ae");
    await ch.assertExchange(x, "direct", { durable: false, alternateExchange: "ae-one" });
    await expectFailure(
      ch.assertExchange(x, "direct", { durable: false, alternateExchange: "ae-two" }),
      406,
      `PRECONDITION_FAILED - inequivalent arg 'alternate-exchange' for exchange '${x}' in vhost '/': received 'ae-two' but current is 'ae-one'`,
    );
  });

  it("redeclaring with identical properties succeeds", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("same");
    await ch.assertExchange(x, "topic", { durable: false, autoDelete: false });
    await expect(ch.assertExchange(x, "topic", { durable: false, autoDelete: false })).resolves.toEqual({ exchange: x });
  });

  it("passive declare of a missing exchange is refused with 404", async () => {
    const { ch } = await suite.channel();
    const x = unique("nope");
    await expectFailure(ch.checkExchange(x), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it("an unknown exchange type closes the connection with 503 COMMAND_INVALID", async () => {
    const conn = await suite.connect();
    const ch = await conn.createChannel();
    ch.on("error", () => undefined);
    const connErr = nextError(conn);
    const x = unique("badtype");
    ch.assertExchange(x, "no-such-type").catch(() => undefined);
    expect(failureOf(await connErr)).toEqual({ code: 503, text: "COMMAND_INVALID - unknown exchange type 'no-such-type'" });
  });

  it("delete if-unused of an exchange with a queue binding is refused with 406", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("inuse");
    await ch.assertExchange(x, "direct", { durable: false });
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, "k");
    await expectFailure(ch.deleteExchange(x, { ifUnused: true }), 406, `PRECONDITION_FAILED - exchange '${x}' in vhost '/' in use`);
  });

  it("delete if-unused of an exchange without bindings deletes it", async () => {
    const { ch } = await suite.channel();
    const x = suite.exchangeName("unused");
    await ch.assertExchange(x, "direct", { durable: false });
    await ch.deleteExchange(x, { ifUnused: true });
    await expectFailure(ch.checkExchange(x), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it("deleting a missing exchange succeeds (delete-ok)", async () => {
    const { ch } = await suite.channel();
    await expect(ch.deleteExchange(unique("never"))).resolves.toEqual({});
  });

  it("deleting an exchange removes its bindings", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("delbind");
    await ch.assertExchange(x, "fanout", { durable: false });
    const q = await exclusiveQueue(ch);
    await ch.bindQueue(q, x, "");
    await ch.deleteExchange(x);
    await ch.assertExchange(x, "fanout", { durable: false });
    ch.publish(x, "", Buffer.from("after"));
    await ch.waitForConfirms();
    expect(await drain(ch, q)).toEqual([]);
  });

  it("binding to a missing exchange is refused with 404", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    const x = unique("missing");
    await expectFailure(ch.bindQueue(q, x, "k"), 404, `NOT_FOUND - no exchange '${x}' in vhost '/'`);
  });

  it("binding a missing queue is refused with 404", async () => {
    const { ch } = await suite.channel();
    const q = unique("missingq");
    await expectFailure(ch.bindQueue(q, "amq.direct", "k"), 404, `NOT_FOUND - no queue '${q}' in vhost '/'`);
  });

  it("unbinding a missing queue, from a missing exchange, or a binding that does not exist answers unbind-ok", async () => {
    const { ch } = await suite.channel();
    const q = await exclusiveQueue(ch);
    const x = suite.exchangeName("unbind");
    await ch.assertExchange(x, "direct", { durable: false, autoDelete: false });
    await ch.unbindQueue(unique("missingq"), x, "k");
    await ch.unbindQueue(q, unique("missingx"), "k");
    await ch.unbindQueue(unique("missingq"), unique("missingx"), "k");
    await ch.unbindQueue(q, x, "never-bound");
    await ch.unbindExchange(unique("missingx"), x, "k");
    await ch.unbindExchange(x, unique("missingx"), "k");
    await ch.unbindExchange("amq.fanout", x, "never-bound");
    // the channel is still open: a binding made now routes
    await ch.bindQueue(q, x, "k");
    ch.publish(x, "k", Buffer.from("routed"));
    await ch.checkQueue(q);
    expect(await drain(ch, q)).toEqual(["routed"]);
  });

  it("another connection's exclusive queue: unbinding an existing binding gets 405, a missing one unbind-ok", async () => {
    const { ch: owner } = await suite.channel();
    const q = await exclusiveQueue(owner);
    await owner.bindQueue(q, "amq.direct", "k");
    const { ch } = await suite.channel();
    await ch.unbindQueue(q, "amq.direct", "never-bound");
    await expectFailure(
      ch.unbindQueue(q, "amq.direct", "k"),
      405,
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  });
});

describe("publishing", () => {
  it("publishing to a missing exchange closes the channel with 404", async () => {
    const { ch } = await suite.channel();
    const x = unique("nowhere");
    const err = nextError(ch);
    ch.publish(x, "k", Buffer.from("lost"));
    expect(failureOf(await err)).toEqual({ code: 404, text: `NOT_FOUND - no exchange '${x}' in vhost '/'` });
  });

  it("a mandatory unroutable message comes back as basic.return 312 NO_ROUTE before its confirm", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("mand");
    await ch.assertExchange(x, "direct", { durable: false });
    const returns = new Inbox<{
      replyCode: number;
      replyText: string;
      exchange: string;
      routingKey: string;
      body: string;
      seenBeforeConfirm: boolean;
    }>();
    let confirmed = false;
    ch.on("return", (m: { fields: { replyCode: number; replyText: string; exchange: string; routingKey: string }; content: Buffer }) =>
      returns.push({
        replyCode: m.fields.replyCode,
        replyText: m.fields.replyText,
        exchange: m.fields.exchange,
        routingKey: m.fields.routingKey,
        body: m.content.toString(),
        seenBeforeConfirm: !confirmed,
      }),
    );
    await new Promise<void>((resolve, reject) =>
      ch.publish(x, "nobody", Buffer.from("bounce"), { mandatory: true }, (err) => {
        confirmed = true;
        if (err) reject(err);
        else resolve();
      }),
    );
    expect(await returns.next(2_000, "basic.return")).toEqual({
      replyCode: 312,
      replyText: "NO_ROUTE",
      exchange: x,
      routingKey: "nobody",
      body: "bounce",
      seenBeforeConfirm: true,
    });
  });

  it("an unroutable message without mandatory is dropped silently and still confirmed", async () => {
    const ch = await confirmChannel();
    const x = suite.exchangeName("drop");
    await ch.assertExchange(x, "direct", { durable: false });
    const returns = new Inbox<unknown>();
    ch.on("return", returns.push);
    ch.publish(x, "nobody", Buffer.from("dropped"));
    await ch.waitForConfirms();
    expect(returns.pending).toBe(0);
  });

  it("a mandatory message routed to a queue is not returned", async () => {
    const ch = await confirmChannel();
    const q = await exclusiveQueue(ch);
    const returns = new Inbox<unknown>();
    ch.on("return", returns.push);
    ch.publish("", q, Buffer.from("ok"), { mandatory: true });
    await ch.waitForConfirms();
    expect(returns.pending).toBe(0);
    expect(await drain(ch, q)).toEqual(["ok"]);
  });
});

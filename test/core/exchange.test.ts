import { describe, expect, it } from "vitest";
import { VirtualHost } from "../../src/core/vhost.js";
import { BrokerError, ReplyCode } from "../../src/core/errors.js";
import { type FieldTable, Message, TypedField } from "../../src/core/message.js";

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

const msg = (headers?: FieldTable) => new Message("", "", Buffer.from("body"), headers === undefined ? null : { headers });

/** A vhost with the named (non-durable) queues declared. */
function vhostWith(...queues: string[]): VirtualHost {
  const v = new VirtualHost("/");
  for (const q of queues) ok(v.declareQueue(q, {}, null));
  return v;
}

const depth = (v: VirtualHost, q: string) => v.queues.get(q)!.messageCount;
const depths = (v: VirtualHost, ...qs: string[]) => qs.map((q) => depth(v, q));

describe("default exchange", () => {
  it("routes a message to the queue named by the routing key", () => {
    const v = vhostWith("q1", "q2");
    expect(ok(v.publish("", "q1", msg()))).toEqual({ routed: 1, refused: 0, persisted: 0, backlogged: null });
    expect(depths(v, "q1", "q2")).toEqual([1, 0]);
  });

  it("reports a message for a queue that does not exist as unroutable", () => {
    const v = vhostWith("q1");
    expect(ok(v.publish("", "nope", msg()))).toEqual({ routed: 0, refused: 0, persisted: 0, backlogged: null });
  });

  it("refuses to be declared, deleted or bound (403)", () => {
    const v = vhostWith("q");
    const text = "ACCESS_REFUSED - operation not permitted on the default exchange";
    refused(v.declareExchange("", { type: "direct" }), ReplyCode.ACCESS_REFUSED, text);
    refused(v.deleteExchange("", false), ReplyCode.ACCESS_REFUSED, text);
    refused(v.bindQueue("q", "", "q", {}, null), ReplyCode.ACCESS_REFUSED, text);
    refused(v.bindExchange("amq.direct", "", "k", {}), ReplyCode.ACCESS_REFUSED, text);
  });
});

describe("predeclared exchanges", () => {
  it("every vhost has amq.direct, amq.fanout, amq.topic, amq.headers and amq.match, durable", () => {
    const v = new VirtualHost("/");
    const want: Record<string, string> = {
      "amq.direct": "direct",
      "amq.fanout": "fanout",
      "amq.topic": "topic",
      "amq.headers": "headers",
      "amq.match": "headers",
    };
    for (const [name, type] of Object.entries(want)) {
      const x = ok(v.declareExchange(name, { type: "ignored", passive: true }));
      expect([x.type, x.durable, x.autoDelete, x.internal]).toEqual([type, true, false, false]);
    }
  });

  it("redeclaring amq.direct as durable direct succeeds", () => {
    const v = new VirtualHost("/");
    expect(ok(v.declareExchange("amq.direct", { type: "direct", durable: true })).name).toBe("amq.direct");
  });

  it("redeclaring amq.direct as non-durable is inequivalent (406)", () => {
    const v = new VirtualHost("/");
    refused(
      v.declareExchange("amq.direct", { type: "direct", durable: false }),
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'amq.direct' in vhost '/': received 'false' but current is 'true'",
    );
  });

  it("a new exchange name starting amq. is refused (403)", () => {
    const v = new VirtualHost("/");
    refused(
      v.declareExchange("amq.mine", { type: "direct" }),
      ReplyCode.ACCESS_REFUSED,
      "ACCESS_REFUSED - exchange name 'amq.mine' contains reserved prefix 'amq.*'",
    );
    expect(v.exchanges.has("amq.mine")).toBe(false);
  });

  it("system exchanges cannot be deleted (403), even one that does not exist", () => {
    const v = new VirtualHost("/");
    refused(
      v.deleteExchange("amq.direct", false),
      ReplyCode.ACCESS_REFUSED,
      "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
    );
    // RabbitMQ checks the name before looking the exchange up
    refused(v.deleteExchange("amq.nothing", false), ReplyCode.ACCESS_REFUSED);
    expect(v.exchanges.has("amq.direct")).toBe(true);
  });
});

describe("exchange declare and delete", () => {
  it("redeclaring with another type is inequivalent with RabbitMQ's exact text (406)", () => {
    const v = new VirtualHost("/");
    ok(v.declareExchange("x", { type: "direct" }));
    refused(
      v.declareExchange("x", { type: "fanout" }),
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': received 'fanout' but current is 'direct'",
    );
  });

  it("redeclaring with other durable, auto-delete or internal flags is inequivalent (406)", () => {
    const v = new VirtualHost("/");
    ok(v.declareExchange("x", { type: "topic", durable: true }));
    const e = (d: object, arg: string, received: string, current: string) =>
      refused(
        v.declareExchange("x", { type: "topic", durable: true, ...d }),
        ReplyCode.PRECONDITION_FAILED,
        `PRECONDITION_FAILED - inequivalent arg '${arg}' for exchange 'x' in vhost '/': received '${received}' but current is '${current}'`,
      );
    e({ durable: false }, "durable", "false", "true");
    e({ autoDelete: true }, "auto_delete", "true", "false");
    e({ internal: true }, "internal", "true", "false");
  });

  it("redeclaring with identical properties answers the same exchange", () => {
    const v = new VirtualHost("/");
    const x = ok(v.declareExchange("x", { type: "headers", durable: true }));
    expect(ok(v.declareExchange("x", { type: "headers", durable: true }))).toBe(x);
  });

  it("passive declare of a missing exchange is 404 with RabbitMQ's text", () => {
    const v = new VirtualHost("/");
    refused(v.declareExchange("x", { type: "direct", passive: true }), ReplyCode.NOT_FOUND, "NOT_FOUND - no exchange 'x' in vhost '/'");
    expect(v.exchanges.has("x")).toBe(false);
  });

  it("passive declare of an existing exchange ignores type and flags", () => {
    const v = new VirtualHost("/");
    const x = ok(v.declareExchange("x", { type: "fanout", durable: true }));
    expect(ok(v.declareExchange("x", { type: "direct", passive: true }))).toBe(x);
  });

  it("an unknown exchange type is a connection-level 503 COMMAND_INVALID", () => {
    const v = new VirtualHost("/");
    const e = refused(
      v.declareExchange("x", { type: "x-unknown" }),
      ReplyCode.COMMAND_INVALID,
      "COMMAND_INVALID - unknown exchange type 'x-unknown'",
    );
    expect(e.isConnectionError).toBe(true);
    expect(v.exchanges.has("x")).toBe(false);
  });

  it("delete if-unused refuses an exchange that still has bindings (406) and deletes an unbound one", () => {
    const v = vhostWith("q");
    ok(v.declareExchange("x", { type: "direct" }));
    ok(v.declareExchange("y", { type: "direct" }));
    expect(v.bindQueue("q", "x", "k", {}, null)).toBeNull();
    refused(v.deleteExchange("x", true), ReplyCode.PRECONDITION_FAILED, "PRECONDITION_FAILED - exchange 'x' in vhost '/' in use");
    expect(v.exchanges.has("x")).toBe(true);
    expect(v.deleteExchange("y", true)).toBeNull();
    expect(v.exchanges.has("y")).toBe(false);
  });

  it("deleting an exchange removes its bindings from the queues they point at", () => {
    const v = vhostWith("q");
    ok(v.declareExchange("x", { type: "fanout" }));
    expect(v.bindQueue("q", "x", "", {}, null)).toBeNull();
    expect(v.deleteExchange("x", false)).toBeNull();
    expect(v.queues.get("q")!.boundBy.size).toBe(0);
    expect([...v.allBindings()]).toEqual([]);
    // a new exchange of the same name starts with no bindings
    ok(v.declareExchange("x", { type: "fanout" }));
    expect(ok(v.publish("x", "", msg())).routed).toBe(0);
  });

  it("deleting a missing exchange answers 404 for callers that care (the AMQP channel treats it as ok)", () => {
    const v = new VirtualHost("/");
    refused(v.deleteExchange("nope", false), ReplyCode.NOT_FOUND, "NOT_FOUND - no exchange 'nope' in vhost '/'");
  });

  it("publishing to a missing exchange is 404", () => {
    const v = new VirtualHost("/");
    refused(v.publish("nope", "k", msg()), ReplyCode.NOT_FOUND, "NOT_FOUND - no exchange 'nope' in vhost '/'");
  });
});

describe("direct, fanout and topic routing", () => {
  it("a direct exchange delivers to every queue bound with exactly the routing key", () => {
    const v = vhostWith("a", "b", "c");
    ok(v.declareExchange("x", { type: "direct" }));
    v.bindQueue("a", "x", "red", {}, null);
    v.bindQueue("b", "x", "red", {}, null);
    v.bindQueue("c", "x", "green", {}, null);
    expect(ok(v.publish("x", "red", msg())).routed).toBe(2);
    expect(ok(v.publish("x", "blue", msg())).routed).toBe(0);
    expect(ok(v.publish("x", "red.x", msg())).routed).toBe(0);
    expect(depths(v, "a", "b", "c")).toEqual([1, 1, 0]);
  });

  it("a fanout exchange delivers to every bound queue whatever the routing key", () => {
    const v = vhostWith("a", "b");
    v.bindQueue("a", "amq.fanout", "ignored", {}, null);
    v.bindQueue("b", "amq.fanout", "", {}, null);
    expect(ok(v.publish("amq.fanout", "anything", msg())).routed).toBe(2);
    expect(depths(v, "a", "b")).toEqual([1, 1]);
  });

  it("a topic exchange delivers by pattern", () => {
    const v = vhostWith("usd", "nyse", "all");
    v.bindQueue("usd", "amq.topic", "stock.usd.*", {}, null);
    v.bindQueue("nyse", "amq.topic", "*.*.nyse", {}, null);
    v.bindQueue("all", "amq.topic", "#", {}, null);
    ok(v.publish("amq.topic", "stock.usd.nyse", msg()));
    ok(v.publish("amq.topic", "stock.eur.nyse", msg()));
    ok(v.publish("amq.topic", "stock.usd", msg()));
    expect(depths(v, "usd", "nyse", "all")).toEqual([1, 2, 3]);
  });

  it("a queue bound twice with matching keys gets one copy", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.topic", "a.*", {}, null);
    v.bindQueue("q", "amq.topic", "#", {}, null);
    v.bindQueue("q", "amq.direct", "k", {}, null);
    v.bindQueue("q", "amq.direct", "k", { extra: 1 }, null); // another binding: same key, other args
    expect(ok(v.publish("amq.topic", "a.b", msg())).routed).toBe(1);
    expect(ok(v.publish("amq.direct", "k", msg())).routed).toBe(1);
    expect(depth(v, "q")).toBe(2);
  });

  it("binding the same queue, key and arguments twice is one binding", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.direct", "k", {}, null);
    v.bindQueue("q", "amq.direct", "k", {}, null);
    expect(v.exchanges.get("amq.direct")!.bindings.size).toBe(1);
    v.unbindQueue("q", "amq.direct", "k", {}, null);
    expect(ok(v.publish("amq.direct", "k", msg())).routed).toBe(0);
  });

  it("unbinding with other arguments leaves the binding in place", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.direct", "k", { a: 1 }, null);
    v.unbindQueue("q", "amq.direct", "k", { a: 2 }, null);
    expect(ok(v.publish("amq.direct", "k", msg())).routed).toBe(1);
    v.unbindQueue("q", "amq.direct", "k", { a: 1 }, null);
    expect(ok(v.publish("amq.direct", "k", msg())).routed).toBe(0);
  });

  it("unbinding one of two topic bindings of the same queue keeps the other matching", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.topic", "a.*", {}, null);
    v.bindQueue("q", "amq.topic", "a.*", { other: true }, null);
    v.unbindQueue("q", "amq.topic", "a.*", {}, null);
    expect(ok(v.publish("amq.topic", "a.b", msg())).routed).toBe(1);
  });

  it("unbinding # keeps a #.# binding of the same queue matching", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.topic", "#", {}, null);
    v.bindQueue("q", "amq.topic", "#.#", {}, null);
    v.unbindQueue("q", "amq.topic", "#", {}, null);
    expect(ok(v.publish("amq.topic", "a.b", msg())).routed).toBe(1);
    v.unbindQueue("q", "amq.topic", "#.#", {}, null);
    expect(ok(v.publish("amq.topic", "a.b", msg())).routed).toBe(0);
  });

  it("deleting a queue removes its bindings", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.topic", "#", {}, null);
    v.bindQueue("q", "amq.fanout", "", {}, null);
    ok(v.deleteQueue("q", {}, null));
    ok(v.declareQueue("q", {}, null));
    expect(ok(v.publish("amq.topic", "a", msg())).routed).toBe(0);
    expect(ok(v.publish("amq.fanout", "", msg())).routed).toBe(0);
    expect([...v.allBindings()]).toEqual([]);
  });

  it("binding to a missing queue or exchange is 404", () => {
    const v = vhostWith("q");
    refused(v.bindQueue("nope", "amq.direct", "k", {}, null), ReplyCode.NOT_FOUND, "NOT_FOUND - no queue 'nope' in vhost '/'");
    refused(v.bindQueue("q", "nope", "k", {}, null), ReplyCode.NOT_FOUND, "NOT_FOUND - no exchange 'nope' in vhost '/'");
  });
});

describe("headers exchange", () => {
  /** Binds queue `q` of a fresh vhost to amq.headers with `args`; answers whether `headers` reach it. */
  const reaches = (args: FieldTable, headers?: FieldTable): boolean => {
    const v = vhostWith("q");
    expect(v.bindQueue("q", "amq.headers", "", args, null)).toBeNull();
    return ok(v.publish("amq.headers", "ignored", msg(headers))).routed === 1;
  };

  it("x-match all needs every bound header present and equal", () => {
    const args = { "x-match": "all", a: "1", b: 2 };
    expect(reaches(args, { a: "1", b: 2 })).toBe(true);
    expect(reaches(args, { a: "1", b: 2, c: "extra" })).toBe(true);
    expect(reaches(args, { a: "1" })).toBe(false);
    expect(reaches(args, { a: "1", b: 3 })).toBe(false);
    expect(reaches(args)).toBe(false);
  });

  it("x-match defaults to all", () => {
    expect(reaches({ a: "1", b: "2" }, { a: "1", b: "2" })).toBe(true);
    expect(reaches({ a: "1", b: "2" }, { a: "1" })).toBe(false);
  });

  it("x-match any needs one bound header present and equal", () => {
    const args = { "x-match": "any", a: "1", b: "2" };
    expect(reaches(args, { a: "1" })).toBe(true);
    expect(reaches(args, { b: "2", a: "no" })).toBe(true);
    expect(reaches(args, { a: "no", b: "no" })).toBe(false);
    expect(reaches(args, {})).toBe(false);
  });

  it("with no header arguments, all matches every message and any matches none", () => {
    expect(reaches({ "x-match": "all" }, { a: 1 })).toBe(true);
    expect(reaches({ "x-match": "all" })).toBe(true);
    expect(reaches({ "x-match": "any" }, { a: 1 })).toBe(false);
  });

  it("all and any ignore x- prefixed arguments; all-with-x and any-with-x compare them", () => {
    expect(reaches({ "x-match": "all", a: "1", "x-id": "7" }, { a: "1" })).toBe(true);
    expect(reaches({ "x-match": "all-with-x", a: "1", "x-id": "7" }, { a: "1" })).toBe(false);
    expect(reaches({ "x-match": "all-with-x", a: "1", "x-id": "7" }, { a: "1", "x-id": "7" })).toBe(true);
    expect(reaches({ "x-match": "any", "x-id": "7" }, { "x-id": "7" })).toBe(false);
    expect(reaches({ "x-match": "any-with-x", "x-id": "7" }, { "x-id": "7" })).toBe(true);
    expect(reaches({ "x-match": "any-with-x", "x-id": "7", a: "1" }, { "x-id": "8", a: "1" })).toBe(true);
    expect(reaches({ "x-match": "any-with-x", "x-id": "7" }, { "x-id": "8" })).toBe(false);
  });

  it("a void argument matches the header's presence with any value", () => {
    expect(reaches({ "x-match": "all", a: null }, { a: "anything" })).toBe(true);
    expect(reaches({ "x-match": "all", a: null }, { a: null })).toBe(true);
    expect(reaches({ "x-match": "all", a: null }, { b: "x" })).toBe(false);
    expect(reaches({ "x-match": "any", a: null, b: "2" }, { a: 0 })).toBe(true);
  });

  it("numbers compare by value across integer and float types", () => {
    expect(reaches({ n: 1 }, { n: new TypedField("b", 1) })).toBe(true);
    expect(reaches({ n: new TypedField("l", 5n) }, { n: 5 })).toBe(true);
    expect(reaches({ n: new TypedField("s", 5) }, { n: new TypedField("u", 5) })).toBe(true);
    expect(reaches({ n: 1 }, { n: new TypedField("d", 1.0) })).toBe(true);
    expect(reaches({ n: 1 }, { n: new TypedField("f", 1.5) })).toBe(false);
    expect(reaches({ n: 1 }, { n: 2 })).toBe(false);
  });

  it("a string does not equal a number, and a binary header equals the same text", () => {
    expect(reaches({ n: "1" }, { n: 1 })).toBe(false);
    expect(reaches({ s: "abc" }, { s: Buffer.from("abc") })).toBe(true);
    expect(reaches({ b: true }, { b: true })).toBe(true);
    expect(reaches({ b: true }, { b: false })).toBe(false);
  });

  it("amq.match routes by headers too", () => {
    const v = vhostWith("q");
    v.bindQueue("q", "amq.match", "", { "x-match": "any", a: "1" }, null);
    expect(ok(v.publish("amq.match", "", msg({ a: "1" }))).routed).toBe(1);
  });
});

describe("exchange-to-exchange bindings", () => {
  it("a message follows a chain of exchanges to the queues at the end", () => {
    const v = vhostWith("q");
    ok(v.declareExchange("x1", { type: "topic" }));
    ok(v.declareExchange("x2", { type: "direct" }));
    expect(v.bindExchange("x2", "x1", "a.*", {})).toBeNull();
    v.bindQueue("q", "x2", "a.b", {}, null);
    expect(ok(v.publish("x1", "a.b", msg())).routed).toBe(1);
    expect(ok(v.publish("x1", "a.c", msg())).routed).toBe(0); // passes x1, stops at x2
    expect(ok(v.publish("x1", "b.b", msg())).routed).toBe(0);
    expect(depth(v, "q")).toBe(1);
  });

  it("a cycle of exchanges delivers each message once to each queue", () => {
    const v = vhostWith("q1", "q2");
    ok(v.declareExchange("x1", { type: "fanout" }));
    ok(v.declareExchange("x2", { type: "fanout" }));
    v.bindExchange("x2", "x1", "", {});
    v.bindExchange("x1", "x2", "", {});
    v.bindExchange("x1", "x1", "", {}); // to itself
    v.bindQueue("q1", "x1", "", {}, null);
    v.bindQueue("q2", "x2", "", {}, null);
    v.bindQueue("q1", "x2", "", {}, null);
    expect(ok(v.publish("x1", "", msg())).routed).toBe(2);
    expect(ok(v.publish("x2", "", msg())).routed).toBe(2);
    expect(depths(v, "q1", "q2")).toEqual([2, 2]);
  });

  it("an internal exchange refuses publishes (403) but carries messages bound from another exchange", () => {
    const v = vhostWith("q");
    ok(v.declareExchange("inner", { type: "fanout", internal: true }));
    v.bindQueue("q", "inner", "", {}, null);
    refused(
      v.publish("inner", "", msg()),
      ReplyCode.ACCESS_REFUSED,
      "ACCESS_REFUSED - cannot publish to internal exchange 'inner' in vhost '/'",
    );
    v.bindExchange("inner", "amq.fanout", "", {});
    expect(ok(v.publish("amq.fanout", "", msg())).routed).toBe(1);
  });

  it("deleting an exchange removes the bindings where it is the destination", () => {
    const v = vhostWith("q");
    ok(v.declareExchange("x2", { type: "fanout" }));
    v.bindExchange("x2", "amq.fanout", "", {});
    v.bindQueue("q", "x2", "", {}, null);
    expect(v.deleteExchange("x2", false)).toBeNull();
    expect(v.exchanges.get("amq.fanout")!.bindings.size).toBe(0);
    expect(ok(v.publish("amq.fanout", "", msg())).routed).toBe(0);
  });

  it("binding from or to a missing exchange is 404", () => {
    const v = new VirtualHost("/");
    refused(v.bindExchange("nope", "amq.direct", "", {}), ReplyCode.NOT_FOUND, "NOT_FOUND - no exchange 'nope' in vhost '/'");
    refused(v.bindExchange("amq.direct", "nope", "", {}), ReplyCode.NOT_FOUND, "NOT_FOUND - no exchange 'nope' in vhost '/'");
  });
});

describe("auto-delete exchanges", () => {
  it("stay while they have never had a binding", () => {
    const v = new VirtualHost("/");
    ok(v.declareExchange("x", { type: "fanout", autoDelete: true }));
    expect(v.exchanges.has("x")).toBe(true);
  });

  it("go when their last queue binding is unbound, not before", () => {
    const v = vhostWith("q1", "q2");
    ok(v.declareExchange("x", { type: "fanout", autoDelete: true }));
    v.bindQueue("q1", "x", "", {}, null);
    v.bindQueue("q2", "x", "", {}, null);
    v.unbindQueue("q1", "x", "", {}, null);
    expect(v.exchanges.has("x")).toBe(true);
    v.unbindQueue("q2", "x", "", {}, null);
    expect(v.exchanges.has("x")).toBe(false);
  });

  it("go when the last queue bound to them is deleted", () => {
    const v = vhostWith("q");
    ok(v.declareExchange("x", { type: "direct", autoDelete: true }));
    v.bindQueue("q", "x", "k", {}, null);
    ok(v.deleteQueue("q", {}, null));
    expect(v.exchanges.has("x")).toBe(false);
  });

  it("go when the exchange they were bound to is deleted, cascading along the chain", () => {
    const v = new VirtualHost("/");
    ok(v.declareExchange("src", { type: "fanout", autoDelete: true }));
    ok(v.declareExchange("dst", { type: "fanout" }));
    v.bindExchange("dst", "src", "", {});
    expect(v.deleteExchange("dst", false)).toBeNull();
    expect(v.exchanges.has("src")).toBe(false);
  });
});

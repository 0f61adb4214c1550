import { describe, expect, it } from "vitest";
import { Message, TypedField } from "../../src/core/index.js";
import { parseAddress } from "../../protocols/amqp10/addresses.js";
import { AmqpMap, Sym, Writer, writeBinary, writeDescriptor, writeMap } from "../../protocols/amqp10/codec/primitives.js";
import { Descriptor, writeHeader, writeProperties } from "../../protocols/amqp10/codec/types.generated.js";
import { coreMessage, coreProperties, parseMessage, writeMessage } from "../../protocols/amqp10/message.js";

describe("AMQP 1.0 addresses", () => {
  it.each([
    ["/queue/q", { kind: "queue", name: "q", declare: true }],
    ["/amq/queue/q", { kind: "queue", name: "q", declare: false }],
    ["/queues/q", { kind: "queue", name: "q", declare: false }],
    ["queue://q", { kind: "queue", name: "q", declare: true }],
    ["q", { kind: "queue", name: "q", declare: true }],
    ["/queue/a%2Fb", { kind: "queue", name: "a/b", declare: true }],
    ["/exchange/x/k.1", { kind: "exchange", exchange: "x", key: "k.1" }],
    ["/exchange/x", { kind: "exchange", exchange: "x", key: null }],
    ["/exchanges/amq.topic/a.b", { kind: "exchange", exchange: "amq.topic", key: "a.b" }],
    ["/topic/a.b", { kind: "exchange", exchange: "amq.topic", key: "a.b" }],
    ["topic://t", { kind: "exchange", exchange: "amq.topic", key: "t" }],
  ])("%s", (address, expected) => {
    expect(parseAddress(address)).toEqual(expected);
  });

  it.each(["/queue/", "/queue/a/b", "/exchange/", "/nope/x", "", "queue://"])("%s is not an address", (address) => {
    expect(parseAddress(address)).toHaveProperty("description");
  });
});

/** header (durable, priority 6, ttl 5000), properties, application-properties, one data section. */
function sample(deliveryAnnotations = false): Buffer {
  const w = new Writer();
  writeHeader(w, { durable: true, priority: 6, ttl: 5000 });
  if (deliveryAnnotations) {
    writeDescriptor(w, Descriptor.deliveryAnnotations);
    writeMap(w, new AmqpMap([[new Sym("x-opt-hop"), 1]]));
  }
  writeProperties(w, {
    messageId: "m1",
    correlationId: "c1",
    replyTo: "/queue/replies",
    contentType: "text/plain",
    creationTime: 1_700_000_000_123,
    subject: "s",
  });
  writeDescriptor(w, Descriptor.applicationProperties);
  writeMap(
    w,
    new AmqpMap([
      ["color", "red"],
      ["n", 5],
      ["big", 1n << 40n],
      [new Sym("sym"), new Sym("v")],
    ]),
  );
  writeDescriptor(w, Descriptor.data);
  writeBinary(w, Buffer.from("payload"));
  return w.take();
}

describe("AMQP 1.0 message mapping", () => {
  it("maps header, properties and application-properties onto the core's properties (RabbitMQ 4's mapping)", () => {
    const m = parseMessage(sample());
    expect(m.body.toString()).toBe("payload");
    expect(m.bodyKind).toBe("data");
    expect(coreProperties(m)).toEqual({
      deliveryMode: 2,
      priority: 6,
      expiration: "5000",
      messageId: "m1",
      correlationId: "c1",
      replyTo: "replies",
      contentType: "text/plain",
      timestamp: 1_700_000_000,
      headers: { color: "red", n: 5, big: new TypedField("l", 1n << 40n), sym: "v" },
    });
  });

  it("keeps the body a view of the received bytes and re-sends the sections byte for byte", () => {
    const bytes = sample();
    const msg = coreMessage("", "q", parseMessage(bytes));
    expect(msg.body.buffer).toBe(bytes.buffer);
    expect(msg.expirationMs).toBe(5000);
    expect(msg.priority).toBe(6);
    const w = new Writer();
    writeMessage(w, msg, false);
    expect(w.take().equals(bytes)).toBe(true);
  });

  it("after failed deliveries rewrites only the header: delivery-count raised, first-acquirer false", () => {
    const bytes = sample();
    const msg = coreMessage("", "q", parseMessage(bytes));
    const w = new Writer();
    writeMessage(w, msg, true, 2);
    const out = w.take();
    const m = parseMessage(out);
    expect(m.header).toMatchObject({ durable: true, priority: 6, ttl: 5000, firstAcquirer: false, deliveryCount: 2 });
    // everything after the header is the publisher's bytes
    const hw = new Writer();
    writeHeader(hw, { durable: true, priority: 6, ttl: 5000 });
    const rest = bytes.subarray(hw.take().length);
    expect(out.subarray(out.length - rest.length).equals(rest)).toBe(true);
    // a converted message carries the count in its header too
    const w2 = new Writer();
    writeMessage(w2, new Message("", "q", Buffer.from("x"), {}), true, 3);
    expect(parseMessage(w2.take()).header).toMatchObject({ firstAcquirer: false, deliveryCount: 3 });
  });

  it("drops delivery annotations (one hop only) from what it keeps", () => {
    const m = parseMessage(sample(true));
    expect(m.bytes.equals(sample())).toBe(true);
    expect(m.body.toString()).toBe("payload");
  });

  it("converts a message from another protocol: header, annotations, properties, headers, data", () => {
    const msg = new Message("amq.topic", "a.b", Buffer.from("hi"), {
      deliveryMode: 2,
      priority: 1,
      expiration: "100",
      messageId: "x",
      replyTo: "rq",
      headers: { h: "v", n: new TypedField("l", 7n), nested: { no: 1 } },
      timestamp: 10,
    });
    const w = new Writer();
    writeMessage(w, msg, true);
    const m = parseMessage(w.take());
    expect(m.header).toMatchObject({ durable: true, priority: 1, ttl: 100, firstAcquirer: false });
    expect(m.messageAnnotations?.get("x-exchange")).toBe("amq.topic");
    expect(m.messageAnnotations?.get("x-routing-key")).toBe("a.b");
    expect(m.properties).toMatchObject({ messageId: "x", replyTo: "/queue/rq", subject: "a.b", creationTime: 10_000 });
    expect(m.applicationProperties?.entries).toEqual([
      ["h", "v"],
      ["n", 7n],
    ]);
    expect(m.body.toString()).toBe("hi");
  });

  it("refuses sections out of order and a message without a body", () => {
    const w = new Writer();
    writeDescriptor(w, Descriptor.data);
    writeBinary(w, Buffer.from("b"));
    writeHeader(w, {});
    expect(() => parseMessage(w.take())).toThrow(/out of order/);
    const h = new Writer();
    writeHeader(h, {});
    expect(() => parseMessage(h.take())).toThrow(/body/);
  });
});

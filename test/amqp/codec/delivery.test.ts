import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeContent, encodeDelivery, encodeGetOk, encodeReturn } from "../../../protocols/amqp/codec/delivery.js";
import { type Frame, FrameReader, decodeContentHeader } from "../../../protocols/amqp/codec/frames.js";
import { type AmqpMethod, decodeMethod } from "../../../protocols/amqp/codec/methods.js";
import { EMPTY_PROPERTIES_PAYLOAD, encodeProperties } from "../../../protocols/amqp/codec/properties.js";
import { amqplibDefs, bytes, u16, u32 } from "./helpers.js";

interface Decoded {
  method: AmqpMethod;
  channels: number[];
  classId: number;
  bodySize: number;
  properties: Buffer;
  bodyFrameSizes: number[];
  body: Buffer;
}

/** Reads an encoded delivery back with our own frame reader and decoders. */
function readDelivery(buf: Buffer, frameMax: number): Decoded {
  const reader = new FrameReader(frameMax === 0 ? 0xffffffff : frameMax);
  reader.push(buf);
  const frames: Frame[] = [];
  let f: Frame | null;
  while ((f = reader.next()) !== null) frames.push(f);
  expect(reader.buffered).toBe(0);
  const [method, header, ...bodies] = frames;
  expect(method!.type).toBe(1);
  expect(header!.type).toBe(2);
  for (const b of bodies) expect(b.type).toBe(3);
  const h = decodeContentHeader(header!.buffer, header!.start, header!.end);
  return {
    method: decodeMethod(method!.buffer, method!.start, method!.end),
    channels: frames.map((x) => x.channel),
    classId: h.classId,
    bodySize: h.bodySize,
    properties: Buffer.from(h.properties),
    bodyFrameSizes: bodies.map((b) => b.payload.length),
    body: Buffer.concat(bodies.map((b) => b.payload)),
  };
}

const props = encodeProperties({ contentType: "application/json", deliveryMode: 2, headers: { "x-a": "b" } });

describe("encodeDelivery", () => {
  it("writes basic.deliver, the content header and the body in one buffer", () => {
    const body = Buffer.from("0123456789abcdef");
    const buf = encodeDelivery(7, "amq.ctag-1", 42, true, "amq.direct", "orders.é", props, body, 131072);
    const d = readDelivery(buf, 131072);
    expect(d.method).toEqual({
      kind: "basic.deliver",
      consumerTag: "amq.ctag-1",
      deliveryTag: 42,
      redelivered: true,
      exchange: "amq.direct",
      routingKey: "orders.é",
    });
    expect(d.channels).toEqual([7, 7, 7]);
    expect(d.classId).toBe(60);
    expect(d.bodySize).toBe(16);
    expect(d.properties.equals(props)).toBe(true);
    expect(d.body.equals(body)).toBe(true);
  });

  it("writes exactly the bytes amqplib would for the same frames", () => {
    const body = Buffer.from("hello, world");
    const fields = { consumerTag: "ctag", deliveryTag: 2 ** 33 + 7, redelivered: false, exchange: "ex", routingKey: "rk" };
    const properties = { contentType: "text/plain", headers: { a: "b" }, timestamp: 1700000000 };
    const expected = Buffer.concat([
      amqplibDefs.encodeMethod(0x3c003c, 3, fields),
      amqplibDefs.encodeProperties(60, 3, body.length, properties),
      bytes(3, u16(3), u32(body.length), body, 0xce),
    ]);
    const ours = encodeDelivery(3, "ctag", 2 ** 33 + 7, false, "ex", "rk", encodeProperties(properties), body, 131072);
    expect(ours.equals(expected)).toBe(true);
  });

  it("writes the delivery tag as a uint64 in two halves", () => {
    const buf = encodeDelivery(1, "", Number.MAX_SAFE_INTEGER, false, "", "", EMPTY_PROPERTIES_PAYLOAD, Buffer.alloc(1), 4096);
    expect(buf.readBigUInt64BE(7 + 4 + 1)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    expect(() => encodeDelivery(1, "", -1, false, "", "", EMPTY_PROPERTIES_PAYLOAD, Buffer.alloc(1), 4096)).toThrow(RangeError);
    expect(() => encodeDelivery(1, "", 1.5, false, "", "", EMPTY_PROPERTIES_PAYLOAD, Buffer.alloc(1), 4096)).toThrow(RangeError);
  });

  it("splits the body at frame-max minus 8 and sends no body frame for an empty body", () => {
    const frameMax = 4096;
    const sizes = (n: number) =>
      readDelivery(encodeDelivery(1, "t", 1, false, "", "q", props, Buffer.alloc(n, 1), frameMax), frameMax).bodyFrameSizes;
    expect(sizes(0)).toEqual([]);
    expect(sizes(1)).toEqual([1]);
    expect(sizes(4088)).toEqual([4088]);
    expect(sizes(4089)).toEqual([4088, 1]);
    expect(sizes(10000)).toEqual([4088, 4088, 1824]);
    expect(readDelivery(encodeDelivery(1, "t", 1, false, "", "q", props, Buffer.alloc(10000), 0), 0).bodyFrameSizes).toEqual([10000]);
  });

  it("round-trips random deliveries under any frame-max", () => {
    const name = fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        name,
        fc.maxSafeNat(),
        fc.boolean(),
        name,
        name,
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 9, max: 1024 }),
        (channel, tag, deliveryTag, redelivered, exchange, routingKey, body, frameMax) => {
          const buf = encodeDelivery(channel, tag, deliveryTag, redelivered, exchange, routingKey, props, Buffer.from(body), frameMax);
          const d = readDelivery(buf, Math.max(frameMax, 4096));
          expect(d.method).toEqual({ kind: "basic.deliver", consumerTag: tag, deliveryTag, redelivered, exchange, routingKey });
          expect(d.body.equals(Buffer.from(body))).toBe(true);
          expect(d.bodySize).toBe(body.length);
          for (const size of d.bodyFrameSizes) expect(size).toBeLessThanOrEqual(frameMax - 8);
          expect(new Set(d.channels)).toEqual(new Set([channel]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a short string over 255 bytes with RangeError rather than writing a broken frame", () => {
    expect(() => encodeDelivery(1, "t", 1, false, "", "k".repeat(256), props, Buffer.alloc(0), 4096)).toThrow(RangeError);
  });
});

describe("encodeGetOk and encodeReturn", () => {
  it("basic.get-ok carries the message count and matches amqplib's bytes", () => {
    const body = Buffer.from("body");
    const buf = encodeGetOk(2, 9, true, "ex", "rk", 123456, props, body, 4096);
    const d = readDelivery(buf, 4096);
    expect(d.method).toEqual({
      kind: "basic.get-ok",
      deliveryTag: 9,
      redelivered: true,
      exchange: "ex",
      routingKey: "rk",
      messageCount: 123456,
    });
    expect(d.body.equals(body)).toBe(true);
    const expected = Buffer.concat([
      amqplibDefs.encodeMethod(0x3c0047, 2, { deliveryTag: 9, redelivered: true, exchange: "ex", routingKey: "rk", messageCount: 123456 }),
      amqplibDefs.encodeProperties(60, 2, body.length, { contentType: "application/json", deliveryMode: 2, headers: { "x-a": "b" } }),
      bytes(3, u16(2), u32(body.length), body, 0xce),
    ]);
    expect(buf.equals(expected)).toBe(true);
  });

  it("basic.return carries the reply code and text and matches amqplib's bytes", () => {
    const body = Buffer.alloc(0);
    const buf = encodeReturn(5, 312, "NO_ROUTE", "amq.topic", "a.b", EMPTY_PROPERTIES_PAYLOAD, body, 4096);
    const d = readDelivery(buf, 4096);
    expect(d.method).toEqual({ kind: "basic.return", replyCode: 312, replyText: "NO_ROUTE", exchange: "amq.topic", routingKey: "a.b" });
    expect(d.bodyFrameSizes).toEqual([]);
    const expected = Buffer.concat([
      amqplibDefs.encodeMethod(0x3c0032, 5, { replyCode: 312, replyText: "NO_ROUTE", exchange: "amq.topic", routingKey: "a.b" }),
      amqplibDefs.encodeProperties(60, 5, 0, {}),
    ]);
    expect(buf.equals(expected)).toBe(true);
  });

  it('cuts a reply text over 255 bytes as RabbitMQ does: 252 bytes and "..."', () => {
    const d = readDelivery(encodeReturn(1, 312, "x".repeat(300), "", "", EMPTY_PROPERTIES_PAYLOAD, Buffer.alloc(0), 4096), 4096);
    expect((d.method as { replyText: string }).replyText).toBe(`${"x".repeat(252)}...`);
  });

  it("encodeContent writes just the header and body frames", () => {
    const buf = encodeContent(4, props, Buffer.alloc(5000, 2), 4096);
    expect(buf[0]).toBe(2);
    const reader = new FrameReader(4096);
    reader.push(buf);
    const types: number[] = [];
    let f: Frame | null;
    while ((f = reader.next()) !== null) types.push(f.type);
    expect(types).toEqual([2, 3, 3]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Message, type FieldTable, type MessageProperties } from "../../../src/core/message.js";
import { CodecError } from "../../../protocols/amqp/codec/errors.js";
import {
  BASIC_PROPERTY_FLAGS,
  EMPTY_PROPERTIES_PAYLOAD,
  amqpPropertiesCodec,
  decodeProperties,
  encodeProperties,
} from "../../../protocols/amqp/codec/properties.js";
import { AMQPView, amqplibDefs, bytes, camel, canonAmqpClient, canonAmqplib, canonOurs, spec, u32 } from "./helpers.js";

const decode = (b: Buffer): MessageProperties => decodeProperties(b, 0, b.length);

const shortstr = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 255);
const headerValue = fc.oneof(shortstr, fc.integer(), fc.boolean(), fc.constant(null), fc.array(shortstr, { maxLength: 3 }));
const headers = fc.dictionary(
  shortstr.filter((k) => k !== "__proto__"),
  headerValue,
  { maxKeys: 4 },
) as fc.Arbitrary<FieldTable>;

const properties: fc.Arbitrary<MessageProperties> = fc.record(
  {
    contentType: shortstr,
    contentEncoding: shortstr,
    headers,
    deliveryMode: fc.integer({ min: 0, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    correlationId: shortstr,
    replyTo: shortstr,
    expiration: shortstr,
    messageId: shortstr,
    timestamp: fc.maxSafeNat(),
    type: shortstr,
    userId: shortstr,
    appId: shortstr,
    clusterId: shortstr,
  },
  { requiredKeys: [] },
);

describe("basic properties", () => {
  it("lists the 14 properties in spec order with the spec's flag bits", () => {
    const basic = spec.classes.find((c) => c.name === "basic")!;
    expect(Object.entries(BASIC_PROPERTY_FLAGS)).toEqual(basic.properties!.map((p) => [camel(p.name), 1 << p.flag]));
    expect(BASIC_PROPERTY_FLAGS.contentType).toBe(0x8000);
    expect(BASIC_PROPERTY_FLAGS.clusterId).toBe(0x0004);
  });

  it("round-trips any set of properties", () => {
    fc.assert(
      fc.property(properties, (p) => {
        expect(decode(encodeProperties(p))).toEqual(p);
      }),
      { numRuns: 1000 },
    );
  });

  it("re-encodes decoded bytes byte for byte", () => {
    fc.assert(
      fc.property(properties, (p) => {
        const wire = encodeProperties(p);
        expect(encodeProperties(decode(wire)).equals(wire)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("encodes no properties as the two zero flag octets", () => {
    expect(encodeProperties({})).toEqual(Buffer.from([0, 0]));
    expect(encodeProperties({ contentType: undefined })).toBe(EMPTY_PROPERTIES_PAYLOAD);
    expect(decode(Buffer.from([0, 0]))).toEqual({});
  });

  it("encodes a known message as the spec lays it out", () => {
    const wire = encodeProperties({ contentType: "text/plain", deliveryMode: 2, timestamp: 1700000000 });
    expect(wire).toEqual(bytes(0x90, 0x40, 10, "text/plain", 2, u32(0), u32(1700000000)));
  });

  it("round-trips any 64-bit timestamp exactly: a number up to 2^53, a bigint beyond", () => {
    for (const t of [0, 1700000000, Number.MAX_SAFE_INTEGER]) {
      expect(decode(encodeProperties({ timestamp: t }))).toEqual({ timestamp: t });
    }
    for (const t of [2n ** 53n, 2n ** 60n + 7n, 2n ** 64n - 1n]) {
      const wire = encodeProperties({ timestamp: t });
      expect(wire.readBigUInt64BE(2)).toBe(t);
      expect(decode(wire)).toEqual({ timestamp: t });
      expect(encodeProperties(decode(wire)).equals(wire)).toBe(true);
    }
  });

  it("decodes lazily through the codec the core calls", () => {
    const wire = encodeProperties({ contentType: "application/json", headers: { a: "b" } });
    const message = new Message("x", "k", Buffer.alloc(0), null, { codec: amqpPropertiesCodec, bytes: wire });
    expect(amqpPropertiesCodec.format).toBe("amqp-0-9-1");
    expect(message.properties).toEqual({ contentType: "application/json", headers: { a: "b" } });
  });

  it("answers truncated, overlong and unknown-flag property lists with CodecError", () => {
    const wire = encodeProperties({ contentType: "a", headers: { k: 1 }, messageId: "m", timestamp: 5 });
    for (let cut = 0; cut < wire.length; cut++) {
      expect(() => decode(wire.subarray(0, cut)), `cut at ${cut}`).toThrow(CodecError);
    }
    expect(() => decode(bytes(wire, 0))).toThrow(CodecError);
    expect(() => decode(Buffer.from([0x00, 0x01]))).toThrow(CodecError); // continuation flag: no 15th property in basic
    expect(() => decode(Buffer.from([0x00, 0x02]))).toThrow(CodecError);
  });

  it("refuses a range that ends past the buffer instead of reading absent octets", () => {
    const flagsOnly = Buffer.from([0x80, 0x00]); // content-type flagged, its octets absent
    expect(() => decodeProperties(flagsOnly, 0, 8)).toThrow(CodecError);
  });

  it("throws nothing but CodecError for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (raw) => {
        try {
          decode(Buffer.from(raw));
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 20000 },
    );
  });
});

describe("basic properties: interoperability", () => {
  /** amqplib's encodeProperties returns a whole content header frame; the flags start at 19. */
  const amqplibEncode = (p: MessageProperties): Buffer => {
    const frame = amqplibDefs.encodeProperties(60, 1, 0, p as Record<string, unknown>);
    return frame.subarray(19, frame.length - 1);
  };
  const amqplibDecode = (b: Buffer): Record<string, unknown> =>
    Object.fromEntries(Object.entries(amqplibDefs.decode(60, b)).filter(([, v]) => v !== undefined));

  const canonProps = (p: Record<string, unknown>, canonHeaders: (h: never) => unknown) =>
    p["headers"] === undefined ? p : { ...p, headers: canonHeaders(p["headers"] as never) };

  it("amqplib encodes the same bytes and decodes ours to the same values", () => {
    fc.assert(
      fc.property(properties, (p) => {
        // amqplib picks b/s/I for small integers; compare bytes only when headers hold no numbers
        const wire = encodeProperties(p);
        const hasNumbers = JSON.stringify(p.headers ?? {}).match(/:-?\d/) !== null;
        if (!hasNumbers) expect(amqplibEncode(p).equals(wire)).toBe(true);
        expect(canonProps(amqplibDecode(wire), canonAmqplib)).toEqual(canonProps(p as Record<string, unknown>, canonOurs));
      }),
      { numRuns: 500 },
    );
  });

  it("what amqplib encodes decodes with ours to the same values", () => {
    fc.assert(
      fc.property(properties, (p) => {
        const wire = amqplibEncode(p);
        expect(canonProps(decode(wire) as Record<string, unknown>, canonOurs)).toEqual(canonProps(amqplibDecode(wire), canonAmqplib));
      }),
      { numRuns: 500 },
    );
  });

  // amqp-client writes a property only when it is truthy and has no cluster-id; its timestamp is a Date
  const truthy = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 255);
  const clientProperties = fc.record(
    {
      contentType: truthy,
      contentEncoding: truthy,
      headers,
      deliveryMode: fc.integer({ min: 1, max: 255 }),
      priority: fc.integer({ min: 1, max: 255 }),
      correlationId: truthy,
      replyTo: truthy,
      expiration: truthy,
      messageId: truthy,
      timestamp: fc.integer({ min: 1, max: 2 ** 40 }),
      type: truthy,
      userId: truthy,
      appId: truthy,
    },
    { requiredKeys: [] },
  );
  const toClient = (p: MessageProperties) => ({
    ...p,
    timestamp: p.timestamp === undefined ? undefined : new Date(Number(p.timestamp) * 1000),
  });
  const fromClient = (p: Record<string, unknown>) => {
    const out: Record<string, unknown> = { ...p };
    if (p["timestamp"] instanceof Date) out["timestamp"] = p["timestamp"].getTime() / 1000;
    if (p["headers"] !== undefined) out["headers"] = canonAmqpClient(p["headers"]);
    return out;
  };

  it("our encoding decodes with amqp-client to the same values, and theirs with ours", () => {
    fc.assert(
      fc.property(clientProperties, (p) => {
        const wire = encodeProperties(p);
        const view = new AMQPView(new Uint8Array(wire).buffer);
        const [theirs, length] = view.getProperties(0);
        expect(length).toBe(wire.length);
        expect(fromClient(theirs as Record<string, unknown>)).toEqual(canonProps(p as Record<string, unknown>, canonOurs));

        const scratch = new Uint8Array(1 << 16);
        const n = new AMQPView(scratch.buffer).setProperties(0, toClient(p));
        const clientWire = Buffer.from(scratch.subarray(0, n));
        expect(canonProps(decode(clientWire) as Record<string, unknown>, canonOurs)).toEqual(
          canonProps(p as Record<string, unknown>, canonOurs),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe("basic properties: limits", () => {
  it("a timestamp past 2^53 is a bigint (RabbitMQ accepts any 64-bit value), 2^53 - 1 still a number", () => {
    expect(decode(bytes(0x00, 0x40, u32(0x200000), u32(0)))).toEqual({ timestamp: 2n ** 53n });
    expect(decode(bytes(0x00, 0x40, u32(0x1fffff), u32(0xffffffff)))).toEqual({ timestamp: Number.MAX_SAFE_INTEGER });
  });
});

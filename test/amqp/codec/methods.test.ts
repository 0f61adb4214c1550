import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldTable } from "../../../src/core/message.js";
import { CodecError } from "../../../protocols/amqp/codec/errors.js";
import {
  type AmqpMethod,
  CLASS_ID,
  METHOD_IDS,
  METHOD_INFO,
  type MethodKind,
  REPLY_CODE,
  REPLY_CODE_INFO,
  decodeMethod,
  encodeMethodFrame,
  isHardError,
  methodInfoById,
} from "../../../protocols/amqp/codec/methods.js";
import { type SpecField, amqplibDefs, amqplibMethods, bytes, camel, canonAmqplib, canonOurs, spec, specMethods, u16 } from "./helpers.js";

const typeOf = (f: SpecField): string => spec.domains[f.domain]!;

/** Decodes a whole method frame as the connection would: payload between header and frame-end. */
const decodeFrame = (frame: Buffer): AmqpMethod => decodeMethod(frame, 7, frame.length - 1);

/** A table every library encodes identically: no numbers (amqplib picks b/s/I by magnitude). */
const SAMPLE_TABLE: FieldTable = { "x-match": "all", flag: true, nested: { list: ["a", "b", null], bin: Buffer.from([0, 255]) } };

/** Values that exercise each type: multi-byte UTF-8, high bits, both halves of a uint64. */
function sampleValue(f: SpecField, i: number, bits: "all" | "none" | "alternate"): unknown {
  switch (typeOf(f)) {
    case "bit":
      return bits === "all" ? true : bits === "none" ? false : i % 2 === 0;
    case "octet":
      return 200 + (i % 50);
    case "short":
      return 0xbeef - i;
    case "long":
      return 0xdeadbeef - i;
    case "longlong":
      return 2 ** 53 - 1 - i * 2 ** 33;
    case "shortstr":
      return `${f.name}-héllo-✓-${i}`;
    case "longstr":
      return f.binary ? Buffer.from([0, 1, 254, 255, i]) : `${f.name}-text`;
    case "table":
      return SAMPLE_TABLE;
    default:
      throw new Error(typeOf(f));
  }
}

function sampleMethod(kind: string, fields: SpecField[], bits: "all" | "none" | "alternate"): AmqpMethod {
  const m: Record<string, unknown> = { kind };
  fields.forEach((f, i) => (m[camel(f.name)] = sampleValue(f, i, bits)));
  return m as unknown as AmqpMethod;
}

const shortstr = fc.string({ unit: "grapheme", maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255);
const table = fc.dictionary(shortstr, fc.oneof(shortstr, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 });

function fieldArbitrary(f: SpecField): fc.Arbitrary<unknown> {
  switch (typeOf(f)) {
    case "bit":
      return fc.boolean();
    case "octet":
      return fc.integer({ min: 0, max: 255 });
    case "short":
      return fc.integer({ min: 0, max: 65535 });
    case "long":
      return fc.integer({ min: 0, max: 0xffffffff });
    case "longlong":
      return fc.maxSafeNat();
    case "shortstr":
      return shortstr;
    case "longstr":
      return f.binary ? fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) : fc.string();
    case "table":
      return table;
    default:
      throw new Error(typeOf(f));
  }
}

describe("methods: every method in the spec table", () => {
  const all = specMethods();

  it("covers the 66 methods of AMQP 0-9-1 with RabbitMQ's extensions", () => {
    expect(all).toHaveLength(66);
    expect(Object.keys(METHOD_INFO)).toHaveLength(66);
    for (const kind of [
      "confirm.select",
      "basic.nack",
      "exchange.bind",
      "exchange.unbind",
      "connection.blocked",
      "connection.unblocked",
      "connection.update-secret",
    ]) {
      expect(METHOD_INFO[kind as MethodKind], kind).toBeDefined();
    }
  });

  for (const { kind, method } of all) {
    it(`${kind} round-trips through encode and decode`, () => {
      for (const bits of ["all", "none", "alternate"] as const) {
        const m = sampleMethod(kind, method.fields, bits);
        const frame = encodeMethodFrame(513, m);
        expect(frame[0]).toBe(1);
        expect(frame.readUInt16BE(1)).toBe(513);
        expect(frame.readUInt32BE(3)).toBe(frame.length - 8);
        expect(frame[frame.length - 1]).toBe(0xce);
        expect(frame.readUInt16BE(7)).toBe(METHOD_IDS[kind as MethodKind][0]);
        expect(frame.readUInt16BE(9)).toBe(METHOD_IDS[kind as MethodKind][1]);
        expect(decodeFrame(frame)).toEqual(m);
      }
    });
  }

  it("round-trips random field values of every method", () => {
    const arbitraries = all.map(({ kind, method }) =>
      fc.record(Object.fromEntries([["kind", fc.constant(kind)], ...method.fields.map((f) => [camel(f.name), fieldArbitrary(f)])])),
    );
    fc.assert(
      fc.property(fc.oneof(...arbitraries), fc.integer({ min: 0, max: 65535 }), (m, channel) => {
        const frame = encodeMethodFrame(channel, m as unknown as AmqpMethod);
        expect(decodeFrame(frame)).toEqual(m);
      }),
      { numRuns: 3000 },
    );
  });

  it("decodes from any offset inside a larger buffer", () => {
    const frame = encodeMethodFrame(1, { kind: "basic.ack", deliveryTag: 42, multiple: true });
    const padded = Buffer.concat([Buffer.from([9, 9, 9]), frame, Buffer.from([9])]);
    expect(decodeMethod(padded, 3 + 7, 3 + frame.length - 1)).toEqual({ kind: "basic.ack", deliveryTag: 42, multiple: true });
  });

  it("packs consecutive bits into octets, low bit first (§4.2.5.2)", () => {
    const frame = encodeMethodFrame(1, {
      kind: "queue.declare",
      reserved1: 0,
      queue: "q",
      passive: true,
      durable: false,
      exclusive: true,
      autoDelete: false,
      nowait: true,
      arguments: {},
    });
    // ids(4) reserved-1(2) "q"(2) → the bit octet
    expect(frame[7 + 8]).toBe(0b10101);
  });

  it('cuts a reply-text over 255 bytes as RabbitMQ 3.10 does: its first 252 bytes, even mid-character, and "..."', () => {
    const text = "NOT_FOUND - no queue 'a" + "é".repeat(200) + "'";
    const frame = encodeMethodFrame(0, { kind: "connection.close", replyCode: 404, replyText: text, classId: 50, methodId: 10 });
    // header 7, class/method 4, reply-code 2, then the shortstr
    expect(frame[13]).toBe(255);
    const sent = frame.subarray(14, 14 + 255);
    expect(sent).toEqual(Buffer.concat([Buffer.from(text).subarray(0, 252), Buffer.from("...")]));
    expect(sent[251]).toBe(0xc3); // the lead byte of a cut "é", as RabbitMQ sends it
    // exactly 255 bytes go out whole
    const whole = "x".repeat(255);
    const f2 = encodeMethodFrame(0, { kind: "connection.close", replyCode: 404, replyText: whole, classId: 0, methodId: 0 });
    expect(f2.subarray(14, 14 + 255).toString()).toBe(whole);
  });

  it("refuses other short strings over 255 bytes", () => {
    expect(() => encodeMethodFrame(1, { kind: "basic.consume-ok", consumerTag: "x".repeat(256) })).toThrow(RangeError);
  });
});

describe("methods: agreement with amqplib (generated from RabbitMQ's table independently)", () => {
  const ours = specMethods();
  const theirs = amqplibMethods();

  it("has the same methods, ids, field types, names and defaults", () => {
    expect(theirs).toHaveLength(ours.length);
    for (const info of theirs) {
      const mine = methodInfoById(info.classId, info.methodId);
      expect(mine, info.name).toBeDefined();
      const entry = ours.find((o) => o.kind === mine!.kind)!;
      expect(
        entry.method.fields.map((f) => typeOf(f)),
        info.name,
      ).toEqual(info.args.map((a) => a.type));
      expect(
        entry.method.fields.map((f) => camel(f.rabbitmqName ?? f.name)),
        info.name,
      ).toEqual(info.args.map((a) => a.name));
      entry.method.fields.forEach((f, i) => {
        if (f.default !== undefined && info.args[i]!.default !== undefined)
          expect(f.default, `${info.name} ${f.name}`).toEqual(info.args[i]!.default);
      });
    }
  });

  /** Our method as amqplib's field object: RabbitMQ's names for the reserved fields. */
  function asAmqplibFields(kind: string, m: AmqpMethod): Record<string, unknown> {
    const fields = ours.find((o) => o.kind === kind)!.method.fields;
    return Object.fromEntries(
      fields.map((f) => [camel(f.rabbitmqName ?? f.name), (m as unknown as Record<string, unknown>)[camel(f.name)]]),
    );
  }

  for (const { kind, method } of ours) {
    it(`${kind}: amqplib encodes the same bytes and decodes ours to the same values`, () => {
      const [classId, methodId] = METHOD_IDS[kind as MethodKind];
      const id = (classId << 16) | methodId;
      for (const bits of ["all", "none", "alternate"] as const) {
        const m = sampleMethod(kind, method.fields, bits);
        const frame = encodeMethodFrame(7, m);
        expect(amqplibDefs.encodeMethod(id, 7, asAmqplibFields(kind, m)).equals(frame)).toBe(true);
        const decoded = amqplibDefs.decode(id, frame.subarray(11, frame.length - 1));
        const expected = asAmqplibFields(kind, m);
        for (const [name, value] of Object.entries(expected)) {
          const got = decoded[name];
          if (Buffer.isBuffer(value) || (value !== null && typeof value === "object")) {
            expect(canonAmqplib(got), `${kind} ${name}`).toEqual(canonOurs(value as FieldTable));
          } else {
            expect(got, `${kind} ${name}`).toEqual(value);
          }
        }
      }
    });
  }
});

describe("methods: tables derived from the spec", () => {
  it("flags synchronous methods, their responses and content", () => {
    expect(METHOD_INFO["basic.get"].responses).toEqual(["basic.get-ok", "basic.get-empty"]);
    expect(METHOD_INFO["queue.declare"]).toMatchObject({
      synchronous: true,
      content: false,
      responses: ["queue.declare-ok"],
      hasNowait: true,
    });
    expect(METHOD_INFO["basic.publish"]).toMatchObject({ synchronous: false, content: true, responses: [] });
    const content = Object.values(METHOD_INFO)
      .filter((i) => i.content)
      .map((i) => i.kind);
    expect(content.sort()).toEqual(["basic.deliver", "basic.get-ok", "basic.publish", "basic.return"]);
    for (const info of Object.values(METHOD_INFO)) {
      expect(info.synchronous).toBe(info.responses.length > 0);
      expect(METHOD_IDS[info.kind]).toEqual([info.classId, info.methodId]);
    }
  });

  it("knows the reply codes and which are hard errors", () => {
    expect(REPLY_CODE.NOT_FOUND).toBe(404);
    expect(REPLY_CODE.FRAME_ERROR).toBe(501);
    expect(REPLY_CODE_INFO[406]).toEqual({ name: "PRECONDITION_FAILED", kind: "soft" });
    expect(isHardError(406)).toBe(false);
    expect(isHardError(320)).toBe(true);
    expect(isHardError(504)).toBe(true);
    expect(isHardError(999)).toBe(true);
    expect(CLASS_ID.confirm).toBe(85);
  });

  it("methods.ts is what the generator makes from the spec table today", () => {
    const generator = fileURLToPath(new URL("../../../protocols/amqp/spec/generate.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [generator, "--check"], { stdio: "pipe" })).not.toThrow();
  });
});

describe("methods: malformed payloads", () => {
  const outcome = (payload: Buffer): number | string => {
    try {
      decodeMethod(payload, 0, payload.length);
      return "accepted";
    } catch (err) {
      return err instanceof CodecError ? err.replyCode : `not a CodecError: ${String(err)}`;
    }
  };
  const payloadOf = (m: AmqpMethod) => {
    const frame = encodeMethodFrame(1, m);
    return Buffer.from(frame.subarray(7, frame.length - 1));
  };

  it("answers every truncation of every method with 501", () => {
    for (const { kind, method } of specMethods()) {
      const payload = payloadOf(sampleMethod(kind, method.fields, "alternate"));
      for (let cut = 0; cut < payload.length; cut++) {
        expect(outcome(payload.subarray(0, cut)), `${kind} cut at ${cut}`).toBe(501);
      }
    }
  });

  it("answers trailing bytes with 501", () => {
    expect(outcome(bytes(payloadOf({ kind: "basic.ack", deliveryTag: 1, multiple: false }), 0))).toBe(501);
    expect(outcome(bytes(payloadOf({ kind: "tx.select" }), 0))).toBe(501);
  });

  it("names the method and quotes its fields as RabbitMQ does when they cannot be decoded", () => {
    const truncated = bytes(u16(60), u16(40), u16(0), 5, "ab");
    let error: unknown;
    try {
      decodeMethod(truncated, 0, truncated.length);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toMatchObject({ replyCode: 501, text: "FRAME_ERROR - cannot decode <<0,0,5,97,98>>", classId: 60, methodId: 40 });
    const badUtf8 = bytes(u16(20), u16(10), 2, 0xc3, 0x28);
    expect(() => decodeMethod(badUtf8, 0, badUtf8.length)).toThrow(expect.objectContaining({ replyCode: 502, classId: 20, methodId: 10 }));
  });

  it("answers unknown classes and methods with 540", () => {
    expect(outcome(bytes(u16(60), u16(99)))).toBe(540);
    expect(outcome(bytes(u16(77), u16(10)))).toBe(540);
  });

  it("answers a short string that is not UTF-8 with 502", () => {
    expect(outcome(bytes(u16(20), u16(10), 2, 0xc3, 0x28))).toBe(502); // channel.open
    expect(outcome(bytes(u16(20), u16(10), 2, 0xc3, 0xa9))).toBe("accepted");
  });

  it("never reads outside [start, end) of the buffer it is given", () => {
    const payload = payloadOf({ kind: "basic.consume-ok", consumerTag: "abc" });
    const buf = Buffer.concat([payload, Buffer.from("zzzz")]);
    expect(() => decodeMethod(buf, 0, payload.length - 1)).toThrow(CodecError);
    expect(() => decodeMethod(buf, 0, buf.length + 5)).toThrow(CodecError);
  });

  it("throws nothing but CodecError for random bytes behind real method ids", () => {
    const ids = Object.values(METHOD_IDS);
    fc.assert(
      fc.property(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 48 }), ([c, m], body) => {
        const result = outcome(bytes(u16(c), u16(m), Buffer.from(body)));
        expect(typeof result === "number" || result === "accepted", String(result)).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it("throws nothing but CodecError for mutated valid methods", () => {
    const samples = specMethods().map(({ kind, method }) => payloadOf(sampleMethod(kind, method.fields, "alternate")));
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        (payload, edits) => {
          const mutated = Buffer.from(payload);
          for (const [at, value] of edits) mutated[4 + (at % Math.max(1, mutated.length - 4))] = value;
          const result = outcome(mutated);
          expect(typeof result === "number" || result === "accepted", String(result)).toBe(true);
        },
      ),
      { numRuns: 20000 },
    );
  });

  it("throws nothing but CodecError for random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const result = outcome(Buffer.from(raw));
        expect(typeof result === "number" || result === "accepted", String(result)).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });
});

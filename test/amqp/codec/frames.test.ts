import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, describeFrame, erlangBinary } from "../../../protocols/amqp/codec/errors.js";
import { encodeContent, encodeDelivery } from "../../../protocols/amqp/codec/delivery.js";
import {
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  type Frame,
  FrameReader,
  HEARTBEAT_FRAME,
  PROTOCOL_HEADER,
  checkProtocolHeader,
  decodeContentHeader,
  identifyProtocolHeader,
} from "../../../protocols/amqp/codec/frames.js";
import { decodeMethod, encodeMethodFrame } from "../../../protocols/amqp/codec/methods.js";
import { EMPTY_PROPERTIES_PAYLOAD, encodeProperties } from "../../../protocols/amqp/codec/properties.js";
import { bytes, spec, u16, u32 } from "./helpers.js";

interface SeenFrame {
  type: number;
  channel: number;
  payload: string;
}

const seen = (f: Frame): SeenFrame => ({ type: f.type, channel: f.channel, payload: f.payload.toString("hex") });

/** The frames in a byte string, found the obvious way, as the reference for the resumable reader. */
function referenceFrames(stream: Buffer): SeenFrame[] {
  const out: SeenFrame[] = [];
  for (let p = 0; p < stream.length; ) {
    const size = stream.readUInt32BE(p + 3);
    out.push({ type: stream[p]!, channel: stream.readUInt16BE(p + 1), payload: stream.subarray(p + 7, p + 7 + size).toString("hex") });
    p += size + 8;
  }
  return out;
}

function readAll(reader: FrameReader, chunks: Buffer[]): SeenFrame[] {
  const out: SeenFrame[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    let f: Frame | null;
    while ((f = reader.next()) !== null) out.push(seen(f));
  }
  return out;
}

const FRAME_MAX = 4096;

const fixture = Buffer.concat([
  encodeMethodFrame(1, {
    kind: "basic.publish",
    reserved1: 0,
    exchange: "amq.topic",
    routingKey: "a.b.c",
    mandatory: true,
    immediate: false,
  }),
  encodeContent(1, encodeProperties({ contentType: "text/plain", headers: { k: "v" } }), Buffer.alloc(10000, 7), FRAME_MAX),
  HEARTBEAT_FRAME,
  encodeMethodFrame(0, { kind: "connection.close-ok" }),
  encodeDelivery(2, "ctag", 2 ** 40 + 5, true, "ex", "rk", EMPTY_PROPERTIES_PAYLOAD, Buffer.from("hello"), FRAME_MAX),
  encodeContent(3, EMPTY_PROPERTIES_PAYLOAD, Buffer.alloc(0), FRAME_MAX),
  encodeMethodFrame(65535, { kind: "basic.ack", deliveryTag: 1, multiple: false }),
]);
const expected = referenceFrames(fixture);

describe("FrameReader", () => {
  it("reads the fixture pushed whole, returning views of the chunk", () => {
    const reader = new FrameReader(FRAME_MAX);
    reader.push(fixture);
    const frames: Frame[] = [];
    let f: Frame | null;
    while ((f = reader.next()) !== null) frames.push(f);
    expect(frames.map(seen)).toEqual(expected);
    expect(expected.length).toBe(12);
    for (const frame of frames) {
      expect(frame.buffer).toBe(fixture);
      expect(frame.payload.buffer).toBe(fixture.buffer);
    }
    expect(reader.buffered).toBe(0);
  });

  it("reads the fixture fed one byte at a time", () => {
    const chunks = [...fixture].map((b) => Buffer.from([b]));
    expect(readAll(new FrameReader(FRAME_MAX), chunks)).toEqual(expected);
  });

  it("reads the fixture split at every offset", () => {
    for (let at = 0; at <= fixture.length; at++) {
      const frames = readAll(new FrameReader(FRAME_MAX), [fixture.subarray(0, at), fixture.subarray(at)]);
      expect(frames, `split at ${at}`).toEqual(expected);
    }
  });

  it("reads the fixture in any chunking", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: fixture.length - 1 }), { maxLength: 30 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), fixture.length];
        const chunks = points.slice(1).map((end, i) => fixture.subarray(points[i], end));
        expect(readAll(new FrameReader(FRAME_MAX), chunks)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("copies only the frames that span chunks", () => {
    const a = encodeMethodFrame(1, { kind: "basic.ack", deliveryTag: 1, multiple: false });
    const b = encodeMethodFrame(1, { kind: "basic.ack", deliveryTag: 2, multiple: false });
    const chunk1 = Buffer.concat([a, b.subarray(0, 5)]);
    const chunk2 = b.subarray(5);
    const reader = new FrameReader(FRAME_MAX);
    reader.push(chunk1);
    const first = reader.next()!;
    expect(first.buffer).toBe(chunk1);
    expect(reader.next()).toBeNull();
    reader.push(chunk2);
    const second = reader.next()!;
    expect(second.buffer).not.toBe(chunk1);
    expect(second.buffer).not.toBe(chunk2);
    expect(second.buffer.length).toBe(b.length); // exactly one frame's worth, not the backlog
    expect(decodeMethod(second.buffer, second.start, second.end)).toEqual({ kind: "basic.ack", deliveryTag: 2, multiple: false });
  });

  it("yields nothing for a truncated frame until its last byte arrives", () => {
    const frame = encodeMethodFrame(4, { kind: "basic.consume-ok", consumerTag: "tag" });
    for (let cut = 0; cut < frame.length; cut++) {
      const reader = new FrameReader(FRAME_MAX);
      reader.push(frame.subarray(0, cut));
      expect(reader.next(), `cut at ${cut}`).toBeNull();
      expect(reader.buffered).toBe(cut);
      reader.push(frame.subarray(cut));
      expect(seen(reader.next()!)).toEqual(referenceFrames(frame)[0]);
      expect(reader.next()).toBeNull();
    }
  });

  it("keeps unread bytes when pushed again before being drained", () => {
    const reader = new FrameReader(FRAME_MAX);
    const [a, b] = [HEARTBEAT_FRAME, encodeMethodFrame(0, { kind: "connection.close-ok" })];
    reader.push(Buffer.concat([a, b.subarray(0, 3)]));
    reader.push(b.subarray(3));
    expect([reader.next(), reader.next(), reader.next()].map((f) => f && f.type)).toEqual([FRAME_HEARTBEAT, FRAME_METHOD, null]);
  });

  it("calls a handler object per frame with drain()", () => {
    const reader = new FrameReader(FRAME_MAX);
    const got: SeenFrame[] = [];
    reader.push(fixture);
    reader.drain({ onFrame: (f) => got.push(seen(f)) });
    expect(got).toEqual(expected);
  });

  describe("errors (all 501 FRAME_ERROR, in RabbitMQ's words)", () => {
    const failure = (chunks: Buffer[], max = FRAME_MAX): { code: number; text: string; afterBytes: number } | null => {
      const reader = new FrameReader(max);
      let fed = 0;
      try {
        for (const c of chunks) {
          reader.push(c);
          fed += c.length;
          while (reader.next() !== null);
        }
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        return { code: err.replyCode, text: err.text, afterBytes: fed };
      }
      return null;
    };
    const oneByOne = (b: Buffer) => [...b].map((x) => Buffer.from([x]));

    it("refuses a payload larger than frame-max as soon as the header is read", () => {
      const header = bytes(FRAME_BODY, u16(1), u32(FRAME_MAX + 1));
      const expected = {
        code: 501,
        text: `FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,${FRAME_MAX + 1},${FRAME_MAX - 8}}`,
        afterBytes: 7,
      };
      expect(failure([header])).toEqual(expected);
      expect(failure(oneByOne(header))).toEqual(expected);
    });

    it("lets frames up to 8 bytes over frame-max through, as RabbitMQ does for clients that miscount", () => {
      const fits = bytes(FRAME_BODY, u16(1), u32(FRAME_MAX - 8), Buffer.alloc(FRAME_MAX - 8), FRAME_END);
      expect(failure([fits])).toBeNull();
      const fudged = bytes(FRAME_BODY, u16(1), u32(FRAME_MAX), Buffer.alloc(FRAME_MAX), FRAME_END);
      expect(failure([fudged])).toBeNull();
    });

    it("reports what RabbitMQ reports for the conformance suite's oversized frame", () => {
      const header = bytes(FRAME_BODY, u16(1), u32(140000));
      expect(failure([header], 131072)?.text).toBe("FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,140000,131064}");
    });

    it("applies a new frame-max from setMaxFrameSize", () => {
      const reader = new FrameReader(FRAME_MAX);
      reader.setMaxFrameSize(FRAME_MIN_SIZE * 4);
      reader.push(bytes(FRAME_BODY, u16(1), u32(10000), Buffer.alloc(10000), FRAME_END));
      expect(reader.next()!.payload.length).toBe(10000);
      expect(() => new FrameReader(7)).toThrow(RangeError);
    });

    it("refuses a bad frame-end octet once the frame is complete", () => {
      const bad = bytes(FRAME_METHOD, u16(1), u32(11), u16(60), u16(10), u32(0), u16(1), 0, 0x00);
      const expected = {
        code: 501,
        text: "FRAME_ERROR - type 1, all octets = <<0,60,0,10,0,0,0,0,0,1,0>>: {invalid_frame_end_marker,0}",
        afterBytes: bad.length,
      };
      expect(failure([bad])).toEqual(expected);
      expect(failure(oneByOne(bad))).toEqual(expected);
    });

    it("refuses an unknown frame type once the frame is complete", () => {
      expect(failure([bytes(7, u16(0), u32(4), Buffer.alloc(4), FRAME_END)])).toEqual({
        code: 501,
        text: "FRAME_ERROR - type 7, all octets = <<0,0,0,0>>: unknown_frame",
        afterBytes: 12,
      });
      for (const type of [0, 4, 9, 65, 206]) {
        expect(failure([bytes(type, u16(0), u32(0), FRAME_END)])?.code, `type ${type}`).toBe(501);
      }
      // RabbitMQ's frame types are the spec's: 1 method, 2 header, 3 body, 8 heartbeat
      expect(spec.frameTypes).toEqual({ method: FRAME_METHOD, header: FRAME_HEADER, body: FRAME_BODY, heartbeat: FRAME_HEARTBEAT });
      expect(spec.frameEnd).toBe(FRAME_END);
    });

    it("refuses frames no AMQP frame can be: short method or header payloads, heartbeats with a payload", () => {
      expect(failure([bytes(FRAME_METHOD, u16(1), u32(3), 0, 60, 0, FRAME_END)])?.text).toBe(
        "FRAME_ERROR - type 1, all octets = <<0,60,0>>: unknown_frame",
      );
      expect(failure([bytes(FRAME_HEADER, u16(1), u32(11), Buffer.alloc(11), FRAME_END)])?.code).toBe(501);
      expect(failure([bytes(FRAME_HEARTBEAT, u16(0), u32(2), "hi", FRAME_END)])?.text).toBe(
        'FRAME_ERROR - type 8, all octets = <<"hi">>: unknown_frame',
      );
      expect(failure([bytes(FRAME_HEADER, u16(1), u32(12), Buffer.alloc(12), FRAME_END)])).toBeNull();
      expect(failure([bytes(FRAME_BODY, u16(1), u32(0), FRAME_END)])).toBeNull();
    });

    it("throws nothing but CodecError for random byte streams", () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (chunks) => {
          failure(
            chunks.map((c) => Buffer.from(c)),
            64,
          );
        }),
        { numRuns: 5000 },
      );
    });
  });
});

describe("protocol header", () => {
  const header = (...version: number[]) => bytes("AMQP", version);

  it("recognises 0-9-1 and the headers clients send for other versions", () => {
    expect(PROTOCOL_HEADER).toEqual(header(0, 0, 9, 1));
    expect(identifyProtocolHeader(header(0, 0, 9, 1))).toBe("amqp-0-9-1");
    expect(identifyProtocolHeader(header(1, 1, 0, 9))).toBe("amqp-0-9");
    expect(identifyProtocolHeader(header(1, 1, 8, 0))).toBe("amqp-0-8");
    expect(identifyProtocolHeader(header(1, 1, 9, 1))).toBe("amqp-0-8");
    expect(identifyProtocolHeader(header(0, 1, 0, 0))).toBe("amqp-1.0");
    expect(identifyProtocolHeader(header(3, 1, 0, 0))).toBe("amqp-1.0");
    expect(identifyProtocolHeader(header(0, 0, 9, 2))).toBe("amqp-other");
    expect(identifyProtocolHeader(bytes("GET / HT"))).toBe("not-amqp");
    expect(identifyProtocolHeader(bytes(0, 0, 0, header(0, 0, 9, 1)), 3)).toBe("amqp-0-9-1");
  });

  it("accepts the headers RabbitMQ speaks 0-9-1 to and nothing else", () => {
    expect(checkProtocolHeader(header(0, 0, 9, 1))).toBe(true);
    expect(checkProtocolHeader(header(1, 1, 0, 9))).toBe(true);
    expect(checkProtocolHeader(header(1, 1, 8, 0))).toBe(false);
    expect(checkProtocolHeader(header(0, 1, 0, 0))).toBe(false);
    expect(checkProtocolHeader(bytes("amqp", 0, 0, 9, 1))).toBe(false);
  });

  it("is a heartbeat frame: type 8, channel 0, empty payload", () => {
    expect(referenceFrames(HEARTBEAT_FRAME)).toEqual([{ type: 8, channel: 0, payload: "" }]);
  });
});

describe("content header", () => {
  it("decodes class, body size and the property bytes", () => {
    const props = encodeProperties({ contentType: "a/b", priority: 3 });
    const content = encodeContent(9, props, Buffer.alloc(300), FRAME_MAX);
    const h = decodeContentHeader(content.subarray(7, 7 + content.readUInt32BE(3)));
    expect(h.classId).toBe(60);
    expect(h.weight).toBe(0);
    expect(h.bodySize).toBe(300);
    expect(h.properties.equals(props)).toBe(true);
  });

  it("returns the shared empty property bytes when there are none", () => {
    const payload = bytes(u16(60), u16(0), u32(0), u32(5), 0, 0);
    expect(decodeContentHeader(payload).properties).toBe(EMPTY_PROPERTIES_PAYLOAD);
    expect(decodeContentHeader(bytes(9, payload), 1).bodySize).toBe(5);
  });

  it("decodes body sizes past 32 bits and refuses those past 2^53", () => {
    expect(decodeContentHeader(bytes(u16(60), u16(0), u32(1), u32(2), 0, 0)).bodySize).toBe(2 ** 32 + 2);
    expect(() => decodeContentHeader(bytes(u16(60), u16(0), u32(0x200000), u32(0), 0, 0))).toThrow(CodecError);
  });

  it("refuses a header shorter than its fixed part with 501", () => {
    const short = bytes(u16(60), u16(0), u32(0), u32(5), 0);
    expect(() => decodeContentHeader(short)).toThrow(expect.objectContaining({ replyCode: 501 }));
    expect(() => decodeContentHeader(short.subarray(0, 11))).toThrow(expect.objectContaining({ replyCode: 501 }));
    expect(decodeContentHeader(short.subarray(0, 12)).properties).toBe(EMPTY_PROPERTIES_PAYLOAD);
  });
});

describe("error texts", () => {
  it("quote bytes as Erlang prints binaries", () => {
    expect(erlangBinary(Buffer.alloc(0))).toBe("<<>>");
    expect(erlangBinary(Buffer.from([0, 60, 255]))).toBe("<<0,60,255>>");
    expect(erlangBinary(Buffer.from('say "hi"\n'))).toBe('<<"say \\"hi\\"\\n">>');
    expect(erlangBinary(Buffer.from("abc"), "w")).toBe("<<97,98,99>>");
    // every byte up to what a 255-byte reply text can show, then nothing more (RabbitMQ prints all)
    expect(erlangBinary(Buffer.alloc(100), "w")).toBe(`<<${Array(100).fill(0).join(",")}>>`);
    expect(erlangBinary(Buffer.alloc(300), "w")).toBe(`<<${Array(255).fill(0).join(",")},...>>`);
    // printable as a whole decides the form, also past the quoting limit
    expect(erlangBinary(Buffer.alloc(300, 0x61))).toBe(`<<"${"a".repeat(255)}...">>`);
  });

  it("describe a frame by its first 16 octets", () => {
    expect(describeFrame(2, Buffer.alloc(3))).toBe("type 2, all octets = <<0,0,0>>");
    expect(describeFrame(3, Buffer.alloc(17, 1))).toBe(`type 3, first 16 octets = <<${Array(16).fill(1).join(",")}>>`);
    expect(describeFrame(8, Buffer.alloc(0))).toBe("type 8, all octets = <<>>");
  });
});

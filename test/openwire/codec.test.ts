import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type ConnectionInfo,
  type ConsumerInfo,
  DataType,
  decodeBody,
  encodeBody,
  makeActiveMQTextMessage,
  makeMessageDispatch,
  makeMessageId,
  makeProducerId,
  makeActiveMQQueue,
  type DataStructure,
  type MessageDispatch,
  type WireFormatInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { DecodeError, decodeModifiedUtf8, Reader, Writer } from "../../protocols/openwire/codec/primitives.js";
import { negotiate, ourWireFormatInfo } from "../../protocols/openwire/wire-format.js";
import { readPrimitiveMap } from "../../protocols/openwire/primitive-map.js";

// Frames ActiveMQ 5.17's Java client sent to Warren (captured through a proxy, size prefix first):
// its WireFormatInfo, then (captured when Warren offered loose encoding without the marshal cache) its
// ConnectionInfo and the advisory ConsumerInfo, marshalled loose and uncached.
const CLIENT_WIRE_FORMAT = Buffer.from(
  "00000164014163746976654d510000000c01000001520000000e0011537461636b5472616365456e61626c65640101000f506c6174666f726d44657461696c730900044a617661000c4361636865456e61626c656401010004486f73740900093132372e302e302e3100115463704e6f44656c6179456e61626c65640101001253697a6550726566697844697361626c656401000009436163686553697a650500000400000c50726f76696465724e616d650900084163746976654d5100145469676874456e636f64696e67456e61626c65640101000c4d61784672616d6553697a65067fffffffffffffff00154d6178496e61637469766974794475726174696f6e06000000000000753000204d6178496e61637469766974794475726174696f6e496e6974616c44656c617906000000000000271000134d61784672616d6553697a65456e61626c65640101000f50726f766964657256657273696f6e090006352e31372e32",
  "hex",
);
const CLIENT_CONNECTION_INFO = Buffer.from(
  "0000005f030000000101017801001d49443a766d2d33363733392d313739363630343639373937382d313a3101001d49443a766d2d33363733392d313739363630343639373937382d303a310100056775657374010005677565737400000101000000",
  "hex",
);
const CLIENT_CONSUMER_INFO = Buffer.from(
  "0000008b050000000201017a01001d49443a766d2d33363733392d313739363630343639373937382d313a31ffffffffffffffff00000000000000010001650100374163746976654d512e41647669736f72792e54656d7051756575652c4163746976654d512e41647669736f72792e54656d70546f706963000003e8000000000100000001000000000000000000",
  "hex",
);

/** Decodes one size-prefixed frame at `version`; the whole frame must be used. */
function decodeFrame(frame: Buffer, version = 12, stackTraces = true): DataStructure {
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const r = new Reader(frame, 5, frame.length, version, stackTraces);
  const d = decodeBody(frame[4]!, r);
  expect(r.pos).toBe(frame.length);
  return d;
}

function encodeFrame(d: DataStructure, version = 12, stackTraces = true): Buffer {
  const w = new Writer(16);
  w.version = version;
  w.stackTraces = stackTraces;
  w.int(0);
  w.byte(d.dataType);
  encodeBody(w, d);
  w.buf.writeInt32BE(w.pos - 4, 0);
  return w.take(0);
}

describe("OpenWire codec (loose encoding) against the Java client's bytes", () => {
  it("reads the client's WireFormatInfo: magic, version 12, and its options, which negotiate with ours", () => {
    const info = decodeFrame(CLIENT_WIRE_FORMAT) as WireFormatInfo;
    expect(info.dataType).toBe(DataType.WireFormatInfo);
    expect(info.magic.toString("latin1")).toBe("ActiveMQ");
    expect(info.version).toBe(12);
    const props = readPrimitiveMap(new Reader(info.marshalledProperties!, 0, info.marshalledProperties!.length, 12, false));
    expect(props.get("TightEncodingEnabled")).toBe(true);
    expect(props.get("CacheEnabled")).toBe(true);
    expect(props.get("MaxInactivityDuration")).toEqual({ long: 30000 });
    expect(props.get("MaxFrameSize")).toEqual({ long: 2 ** 63 - 1 });
    expect(props.get("ProviderVersion")).toBe("5.17.2");
    // the AND of both sides: the client gets tight encoding and the cache where Warren offers them
    const offer = { maxInactivityMs: 30000, maxFrameSize: 1 << 20, tightEncoding: true, cache: true };
    expect(negotiate(info, { ...offer, tightEncoding: false, cache: false })).toMatchObject({ tightEncoding: false, cache: false });
    expect(negotiate(info, { ...offer, cache: false })).toMatchObject({ tightEncoding: true, cache: false });
    const w = negotiate(info, offer);
    expect(w).toMatchObject({
      version: 12,
      tightEncoding: true,
      cache: true,
      cacheSize: 1024,
      stackTraces: true,
      sizePrefixDisabled: false,
      maxInactivityMs: 30000,
    });
    // and ours round-trips, saying what it offers
    const ours = decodeFrame(encodeFrame(ourWireFormatInfo(offer))) as WireFormatInfo;
    const mine = readPrimitiveMap(new Reader(ours.marshalledProperties!, 0, ours.marshalledProperties!.length, 12, false));
    expect(mine.get("TightEncodingEnabled")).toBe(true);
    expect(mine.get("CacheEnabled")).toBe(true);
    expect(mine.get("SizePrefixDisabled")).toBe(false);
    const plain = decodeFrame(encodeFrame(ourWireFormatInfo({ ...offer, tightEncoding: false, cache: false }))) as WireFormatInfo;
    const loose = readPrimitiveMap(new Reader(plain.marshalledProperties!, 0, plain.marshalledProperties!.length, 12, false));
    expect(loose.get("TightEncodingEnabled")).toBe(false);
    expect(loose.get("CacheEnabled")).toBe(false);
  });

  it("reads the client's loose ConnectionInfo and writes exactly the same bytes back", () => {
    const info = decodeFrame(CLIENT_CONNECTION_INFO) as ConnectionInfo;
    expect(info).toMatchObject({
      dataType: DataType.ConnectionInfo,
      commandId: 1,
      responseRequired: true,
      userName: "guest",
      password: "guest",
      clientId: "ID:vm-36739-1796604697978-0:1",
      connectionId: { dataType: DataType.ConnectionId, value: "ID:vm-36739-1796604697978-1:1" },
      manageable: true,
      faultTolerant: false,
    });
    expect(encodeFrame(info).equals(CLIENT_CONNECTION_INFO)).toBe(true);
  });

  it("reads the client's advisory ConsumerInfo (a composite topic, prefetch 1000) and writes it back unchanged", () => {
    const info = decodeFrame(CLIENT_CONSUMER_INFO) as ConsumerInfo;
    expect(info.consumerId).toMatchObject({ sessionId: -1, value: 1 });
    expect(info.destination).toEqual({
      dataType: DataType.ActiveMQTopic,
      physicalName: "ActiveMQ.Advisory.TempQueue,ActiveMQ.Advisory.TempTopic",
    });
    expect(info.prefetchSize).toBe(1000);
    expect(info.dispatchAsync).toBe(true);
    expect(encodeFrame(info).equals(CLIENT_CONSUMER_INFO)).toBe(true);
  });

  it("leaves out fields newer than the negotiated version, in both directions", () => {
    const info = decodeFrame(CLIENT_CONNECTION_INFO) as ConnectionInfo;
    // clientIp came in version 8, faultTolerant and failoverReconnect in 6: a version 5 peer has none
    const v5 = encodeFrame(info, 5);
    expect(v5.length).toBe(CLIENT_CONNECTION_INFO.length - 3);
    expect(decodeFrame(v5, 5)).toMatchObject({ userName: "guest", faultTolerant: false, clientIp: null });
  });

  it("round-trips a dispatch of a text message with a message id, at every version", () => {
    const m = makeActiveMQTextMessage({
      destination: makeActiveMQQueue({ physicalName: "q" }),
      messageId: makeMessageId({
        producerId: makeProducerId({ connectionId: "ID:c", sessionId: 1, value: 2 }),
        producerSequenceId: 3,
        brokerSequenceId: 9,
      }),
      content: Buffer.from([0, 0, 0, 2, 0x68, 0x69]),
      priority: 4,
      timestamp: 1_796_604_697_978,
    });
    for (let v = 1; v <= 12; v++) {
      const d = makeMessageDispatch({ consumerId: null, destination: m.destination, message: m, redeliveryCounter: 1 });
      const back = decodeFrame(encodeFrame(d, v), v) as MessageDispatch;
      expect(back.message).toMatchObject({ dataType: DataType.ActiveMQTextMessage, priority: 4, timestamp: 1_796_604_697_978 });
      expect(back.message!.messageId).toMatchObject({ producerSequenceId: 3, brokerSequenceId: 9 });
    }
  });

  it("refuses a nested structure of the wrong type and truncated input with a DecodeError", () => {
    // a ConnectionInfo whose connectionId claims to be a topic (101)
    const wrong = Buffer.from(CLIENT_CONNECTION_INFO);
    wrong[11] = 101;
    expect(() => decodeFrame(wrong)).toThrow(DecodeError);
    const cut = CLIENT_CONNECTION_INFO.subarray(0, 40);
    expect(() => decodeBody(cut[4]!, new Reader(cut, 5, cut.length, 12, true))).toThrow(DecodeError);
    expect(() => decodeBody(0x7f, new Reader(cut, 5, cut.length, 12, true))).toThrow(/unknown data structure type 127/);
  });

  it("reads Java's modified UTF-8 (NUL as two bytes, surrogates as three each)", () => {
    expect(decodeModifiedUtf8(Buffer.from([0x61, 0xc0, 0x80, 0x62]))).toBe("a\u0000b");
    expect(decodeModifiedUtf8(Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]))).toBe("\u{1f600}");
    const w = new Writer(8);
    w.utf("a\u0000\u{1f600}");
    expect(w.take(0).toString("hex")).toBe("0009" + "61c080eda0bdedb880");
  });
});

describe("OpenWire spec table", () => {
  it("commands.generated.ts is what the generator makes from openwire.json today", () => {
    const generator = fileURLToPath(new URL("../../protocols/openwire/spec/generate.mjs", import.meta.url));
    expect(() => execFileSync(process.execPath, [generator, "--check"], { stdio: "pipe" })).not.toThrow();
  });
});

describe("OpenWire frame reader", () => {
  it("gives the same frames whatever the split of the input into reads", async () => {
    const { FrameReader } = await import("../../protocols/openwire/frame-reader.js");
    const input = Buffer.concat([CLIENT_WIRE_FORMAT, CLIENT_CONNECTION_INFO, CLIENT_CONSUMER_INFO]);
    for (const step of [1, 2, 3, 5, 7, 64, 1000]) {
      const r = new FrameReader(1 << 20);
      const frames: Buffer[] = [];
      for (let i = 0; i < input.length; i += step) {
        r.push(input.subarray(i, i + step));
        for (let f = r.next(); f !== null; f = r.next()) frames.push(Buffer.from(f));
      }
      expect(frames.map((f) => f[0])).toEqual([DataType.WireFormatInfo, DataType.ConnectionInfo, DataType.ConsumerInfo]);
      expect(frames[1]!.equals(CLIENT_CONNECTION_INFO.subarray(4))).toBe(true);
    }
  });

  it("gives each frame's bounds in the chunk holding it, whatever the split", async () => {
    const { FrameReader } = await import("../../protocols/openwire/frame-reader.js");
    const input = Buffer.concat([CLIENT_WIRE_FORMAT, CLIENT_CONNECTION_INFO, CLIENT_CONSUMER_INFO, CLIENT_CONNECTION_INFO]);
    const expected = [CLIENT_WIRE_FORMAT, CLIENT_CONNECTION_INFO, CLIENT_CONSUMER_INFO, CLIENT_CONNECTION_INFO].map((f) => f.subarray(4));
    for (const step of [1, 3, 4, 5, 9, 64, 1000, input.length]) {
      const r = new FrameReader(1 << 20);
      const frames: Buffer[] = [];
      for (let i = 0; i < input.length; i += step) {
        r.push(input.subarray(i, i + step));
        for (let b = r.advance(); b !== null; b = r.advance()) frames.push(Buffer.from(b.subarray(r.start, r.end)));
      }
      expect(frames.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(frames[i]!.equals(expected[i]!)).toBe(true);
    }
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DataType,
  type DataStructure,
  decodeBody,
  encodeBody,
  looseToTightBody,
  tightToLooseBody,
  makeActiveMQTextMessage,
  makeActiveMQQueue,
  makeBrokerId,
  makeBrokerInfo,
  makeConsumerId,
  makeDataArrayResponse,
  makeMessageDispatch,
  makeProducerId,
  tightDecodeBody,
  tightEncodeBody,
  tightWriteKept,
} from "../../protocols/openwire/codec/commands.generated.js";
import { DecodeError, MarshalCache, Reader, TightReader, TightWriter, Writer } from "../../protocols/openwire/codec/primitives.js";
import { tightFrameOf } from "./raw.js";

interface Field {
  name: string;
  kind: string;
  of?: string;
  since?: number;
}
interface TypeSpec {
  name: string;
  dataType?: number;
  extends?: string;
  fields: Field[];
}
const spec = JSON.parse(readFileSync(new URL("../../protocols/openwire/spec/openwire.json", import.meta.url), "utf8")) as {
  types: TypeSpec[];
};
const byName = new Map(spec.types.map((t) => [t.name, t]));
const concrete = spec.types.filter((t) => t.dataType !== undefined);
function fieldsOf(t: TypeSpec): Field[] {
  return [...(t.extends === undefined ? [] : fieldsOf(byName.get(t.extends)!)), ...t.fields];
}
function descends(t: TypeSpec, ancestor: string): boolean {
  for (let x: TypeSpec | undefined = t; x !== undefined; x = x.extends === undefined ? undefined : byName.get(x.extends))
    if (x.name === ancestor) return true;
  return false;
}

// values that take each of a tight long's four sizes, strings ASCII and not, empty and null
const LONGS = [0, 1, 65535, 65536, 4294967295, 4294967296, 2 ** 40 + 3, -1];
const STRINGS = ["queue://orders", "", "héllo wörld ✓", "nul\u0000inside", "😀"];

/** A structure of type `t` with every field set (nested ones `depth` deep), the choices turned by `seed`. */
function sample(t: TypeSpec, seed: number, depth: number): DataStructure {
  const o: Record<string, unknown> = { dataType: t.dataType };
  let i = seed;
  for (const f of fieldsOf(t)) {
    i++;
    switch (f.kind) {
      case "boolean":
        o[f.name] = i % 2 === 0;
        break;
      case "byte":
        o[f.name] = (i % 250) - 120;
        break;
      case "short":
        o[f.name] = 300 + i;
        break;
      case "int":
        o[f.name] = 70000 + i;
        break;
      case "long":
        o[f.name] = LONGS[i % LONGS.length];
        break;
      case "string":
        o[f.name] = i % 7 === 6 ? null : STRINGS[i % STRINGS.length];
        break;
      case "bytes":
        o[f.name] = i % 5 === 4 ? null : Buffer.from([i & 0xff, 0, 255, 10]);
        break;
      case "magic":
        o[f.name] = Buffer.from("ActiveMQ");
        break;
      case "throwable":
        o[f.name] = {
          className: "javax.jms.JMSException",
          message: "nope",
          stack: [{ className: "a.B", method: "c", file: null, line: 12 }],
          cause: { className: "java.lang.Error", message: null, stack: [], cause: null },
        };
        break;
      case "cached":
      case "nested": {
        const cs = concrete.filter((c) => f.of === "DataStructure" || descends(c, f.of!));
        o[f.name] = depth <= 0 || i % 4 === 3 ? null : sample(cs[i % cs.length]!, i, depth - 1);
        break;
      }
      case "array": {
        const cs = concrete.filter((c) => f.of === "DataStructure" || descends(c, f.of!));
        o[f.name] = depth <= 0 ? null : [sample(cs[i % cs.length]!, i, depth - 1), sample(cs[(i + 1) % cs.length]!, i + 1, depth - 1)];
        break;
      }
      default:
        throw new Error(`kind ${f.kind}`);
    }
  }
  return o as unknown as DataStructure;
}

/** A size-prefixed tight frame, as ActiveMQ writes one: size, type, boolean stream, data. */
function tightFrame(d: DataStructure, version = 12, stackTraces = true, cache: MarshalCache | null = null): Buffer {
  return tightFrameOf(d, version, cache, stackTraces);
}

function readTight(frame: Buffer, version = 12, stackTraces = true, cache: MarshalCache | null = null): DataStructure {
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const r = new TightReader(frame, 5, frame.length, version, stackTraces);
  r.cache = cache;
  r.booleanStream();
  const d = tightDecodeBody(frame[4]!, r);
  expect(r.pos).toBe(frame.length);
  return d;
}

function looseRoundTrip(d: DataStructure, version = 12, caches: [MarshalCache, MarshalCache] | null = null): DataStructure {
  const w = new Writer(16);
  w.version = version;
  w.stackTraces = true;
  w.cache = caches?.[0] ?? null;
  encodeBody(w, d);
  const r = new Reader(w.buf, 0, w.pos, version, true);
  r.cache = caches?.[1] ?? null;
  const back = decodeBody(d.dataType, r);
  expect(r.pos).toBe(w.pos);
  return back;
}

const fixtures = JSON.parse(readFileSync(new URL("fixtures/tight-frames.json", import.meta.url), "utf8")) as {
  frames: { dir: string; type: number; hex: string }[];
};

describe("OpenWire tight encoding against ActiveMQ 5.17's bytes", () => {
  it("has frames of both directions to check", () => {
    expect(fixtures.frames.filter((f) => f.dir === "client").length).toBeGreaterThan(5);
    expect(fixtures.frames.filter((f) => f.dir === "broker").length).toBeGreaterThan(3);
  });
  for (const f of fixtures.frames) {
    it(`${f.dir}'s ${Object.entries(DataType).find(([, v]) => v === f.type)?.[0]}: read whole, written back byte for byte, the same as loose`, () => {
      const frame = Buffer.from(f.hex, "hex");
      const d = readTight(frame);
      expect(tightFrame(d).toString("hex")).toBe(f.hex);
      expect(looseRoundTrip(d)).toEqual(d);
    });
  }

  it("reads the client's text message: the JMS headers and content where loose encoding has them", () => {
    const f = fixtures.frames.find((x) => x.type === DataType.ActiveMQTextMessage)!;
    const m = readTight(Buffer.from(f.hex, "hex")) as ReturnType<typeof makeActiveMQTextMessage>;
    expect(m.destination).toEqual({ dataType: DataType.ActiveMQQueue, physicalName: "capC.q" });
    expect(m.correlationId).toBe("corr-1");
    expect(m.type).toBe("my-type");
    expect(m.priority).toBe(7);
    expect(m.persistent).toBe(true);
    expect(m.content).not.toBeNull();
  });
});

/** `d`'s loose body (no type octet). */
function looseBody(d: DataStructure, version = 12): Buffer {
  const w = new Writer(16);
  w.version = version;
  w.stackTraces = true;
  encodeBody(w, d);
  return w.take(0);
}

/** A frame made by transcoding a loose body to tight. */
function transcodedTight(dataType: number, loose: Buffer, version = 12): Buffer {
  const w = new TightWriter(16);
  w.version = version;
  w.stackTraces = true;
  w.resetBits();
  const r = new Reader(loose, 0, loose.length, version, true);
  looseToTightBody(dataType, r, w);
  expect(r.pos).toBe(loose.length);
  const size = 1 + w.booleanStreamSize() + w.pos;
  const out = Buffer.alloc(4 + size);
  out.writeInt32BE(size, 0);
  out[4] = dataType;
  w.buf.copy(out, w.writeBooleanStream(out, 5), 0, w.pos);
  return out;
}

/** A tight frame's body transcoded to loose. */
function transcodedLoose(frame: Buffer, version = 12): Buffer {
  const r = new TightReader(frame, 5, frame.length, version, true);
  r.booleanStream();
  const w = new Writer(16);
  w.version = version;
  w.stackTraces = true;
  tightToLooseBody(frame[4]!, r, w);
  expect(r.pos).toBe(frame.length);
  return w.take(0);
}

describe("OpenWire tight encoding round trips", () => {
  for (const t of concrete) {
    it(`${t.name} at versions 1, 6 and 12: tight gives back what it was given, as loose does`, () => {
      for (const version of [1, 6, 12]) {
        for (const seed of [0, 1, 2]) {
          const d = sample(t, seed, 2);
          // what this version carries: loose encoding's answer, checked against the Java client's bytes
          const expected = looseRoundTrip(d, version);
          expect(readTight(tightFrame(d, version), version)).toEqual(expected);
          // the transcoders give the octets the encoders do, both ways
          const loose = looseBody(d, version);
          const tight = tightFrame(d, version);
          expect(transcodedTight(d.dataType, loose, version).toString("hex")).toBe(tight.toString("hex"));
          expect(transcodedLoose(tight, version).toString("hex")).toBe(loose.toString("hex"));
        }
      }
    });
  }

  it("transcodes a long past 2^53 exactly (a number could not hold it)", () => {
    const m = makeActiveMQTextMessage({ arrival: 0x1234_5678_9abc });
    const loose = looseBody(m);
    const at = loose.indexOf(Buffer.from("0000123456789abc", "hex"));
    Buffer.from("7fffffffffffffff", "hex").copy(loose, at);
    const tight = transcodedTight(m.dataType, loose);
    expect(tight.includes(Buffer.from("7fffffffffffffff", "hex"))).toBe(true);
    expect(transcodedLoose(tight).equals(loose)).toBe(true);
  });

  it("writes a long in 0, 2, 4 or 8 octets, the shorter ones unsigned, as ActiveMQ's tightMarshalLong", () => {
    const sizes = LONGS.map((v) => {
      const w = new TightWriter(16);
      w.resetBits();
      w.tlong(v);
      const r = new TightReader(
        Buffer.concat([Buffer.from([1]), w.bits.subarray(0, 1), w.buf.subarray(0, w.pos)]),
        0,
        2 + w.pos,
        12,
        false,
      );
      r.booleanStream();
      expect(r.tlong()).toBe(v);
      return w.pos;
    });
    expect(sizes).toEqual([0, 2, 2, 4, 4, 8, 8, 8]);
  });

  it("writes the boolean stream's length in one, two or three octets", () => {
    const peers = (n: number) => Array.from({ length: n }, (_, i) => makeBrokerInfo({ brokerId: makeBrokerId({ value: `b${i}` }) }));
    // a BrokerInfo without peers has a few octets of booleans; with many, over 64 and over 256
    for (const [n, head] of [
      [0, 0x02],
      [40, 0xc0],
      [200, 0x80],
    ] as const) {
      const frame = tightFrame(makeBrokerInfo({ peerBrokerInfos: peers(n) }));
      expect(frame[5]).toBe(head);
      expect((readTight(frame) as ReturnType<typeof makeBrokerInfo>).peerBrokerInfos?.length ?? 0).toBe(n);
    }
  });

  it("marks a nested message (MarshallAware) with one more boolean, which must be false", () => {
    const m = makeActiveMQTextMessage({ producerId: makeProducerId({ connectionId: "c", value: 1, sessionId: 1 }) });
    const frame = tightFrame(makeMessageDispatch({ message: m }));
    expect((readTight(frame) as ReturnType<typeof makeMessageDispatch>).message).toEqual(m);
    const withArray = tightFrame(makeDataArrayResponse({ data: [m] }));
    expect(readTight(withArray)).toEqual(makeDataArrayResponse({ data: [m] }));
    // MessageDispatch's booleans: responseRequired, consumerId null, destination null, message
    // not null, then the cached-form flag: set, it is refused
    const bad = Buffer.from(frame);
    bad[6]! |= 1 << 4;
    expect(() => readTight(bad)).toThrow(DecodeError);
  });

  it("refuses a boolean stream shorter than the command's booleans, and truncated data", () => {
    const frame = tightFrame(makeMessageDispatch({ message: makeActiveMQTextMessage({}) }));
    const short = Buffer.from(frame);
    short[5] = 0;
    expect(() => readTight(short)).toThrow(DecodeError);
    const cut = frame.subarray(0, frame.length - 3);
    cut.writeInt32BE(cut.length - 4, 0);
    expect(() => readTight(cut)).toThrow(DecodeError);
  });
});

const cached = JSON.parse(readFileSync(new URL("fixtures/cached-frames.json", import.meta.url), "utf8")) as {
  connections: { encoding: "tight" | "loose"; frames: { dir: string; type: number; hex: string }[] }[];
};

describe("OpenWire marshal cache against ActiveMQ 5.17's bytes", () => {
  for (const { encoding, frames } of cached.connections) {
    it(`${encoding}: every frame of both directions read whole, cached fields resolved from earlier frames`, () => {
      const caches = { client: new MarshalCache(1024), broker: new MarshalCache(1024) };
      const read = frames.map((f) => {
        const b = Buffer.from(f.hex, "hex");
        const cache = caches[f.dir as "client" | "broker"];
        if (encoding === "tight") return readTight(b, 12, true, cache);
        const r = new Reader(b, 5, b.length, 12, true);
        r.cache = cache;
        const d = decodeBody(b[4]!, r);
        expect(r.pos).toBe(b.length);
        return d;
      });
      const of = <T>(type: number, dir: string) => read.filter((_, i) => frames[i]!.type === type && frames[i]!.dir === dir) as T[];
      // the queue consumer (the second ConsumerInfo; the first is the advisory one) and what names it
      const [, consumer] = of<{ consumerId: unknown; destination: unknown }>(DataType.ConsumerInfo, "client");
      const dispatches = of<{ consumerId: unknown; destination: unknown; message: { producerId: unknown } }>(
        DataType.MessageDispatch,
        "broker",
      );
      const acks = of<{ consumerId: unknown; destination: unknown }>(DataType.MessageAck, "client");
      const sends = of<{ producerId: unknown; destination: unknown }>(DataType.ActiveMQBytesMessage, "client");
      expect(consumer!.destination).toMatchObject({ physicalName: expect.stringMatching(/\.q$/) });
      for (const a of acks) expect(a).toMatchObject({ consumerId: consumer!.consumerId, destination: consumer!.destination });
      expect(dispatches).toHaveLength(2);
      for (const d of dispatches) expect(d.consumerId).toEqual(consumer!.consumerId);
      // the second message's producer id and destination are references to the first's
      expect(sends[0]!.producerId).toEqual(dispatches[0]!.message.producerId);
      expect(sends[0]!.destination).toEqual(consumer!.destination);
      // what Warren writes (new entries, references to the same objects) its reader resolves
      const ours: [MarshalCache, MarshalCache] = [new MarshalCache(1024), new MarshalCache(1024)];
      for (const d of read) {
        if (encoding === "tight") expect(readTight(tightFrame(d, 12, true, ours[0]), 12, true, ours[1])).toEqual(d);
        else expect(looseRoundTrip(d, 12, ours)).toEqual(d);
      }
    });
  }

  it("a reference to an index never filled reads as null, one out of range or to the wrong type is refused", () => {
    const c = new MarshalCache(4);
    expect(c.get(3)).toBeNull();
    expect(() => c.get(4)).toThrow(DecodeError);
    expect(() => c.set(-2, null)).toThrow(DecodeError);
    c.set(-1, makeBrokerId({ value: "ignored" })); // ActiveMQ's "not cached"
    // a MessageDispatch whose consumerId (cached) refers to index 0, which holds a BrokerId
    c.set(0, makeBrokerId({ value: "b" }));
    const w = new TightWriter(16);
    w.resetBits();
    w.int(0);
    w.bit(false); // responseRequired
    w.bit(false); // consumerId: not new
    w.short(0);
    const frame = Buffer.alloc(4 + 1 + w.booleanStreamSize() + w.pos + 4);
    frame.writeInt32BE(frame.length - 4, 0);
    frame[4] = DataType.MessageDispatch;
    w.buf.copy(frame, w.writeBooleanStream(frame, 5), 0, w.pos);
    expect(() => readTight(frame, 12, true, c)).toThrow(/cache index 0 holds a type/);
  });

  it("Warren's cache indexes go round; it refers to an object it sent only while its index holds it", () => {
    const c = new MarshalCache(3);
    const a = makeBrokerId({ value: "a" });
    expect(c.indexOf(a)).toBe(-1);
    expect(c.add(a)).toBe(0);
    expect(c.indexOf(a)).toBe(0);
    // an equal object is not the same one: it goes new
    expect(c.indexOf(makeBrokerId({ value: "a" }))).toBe(-1);
    expect([c.add(null), c.add(makeBrokerId({}))]).toEqual([1, 2]);
    expect(c.indexOf(a)).toBe(0);
    c.add(makeBrokerId({ value: "b" })); // index 0 again
    expect(c.indexOf(a)).toBe(-1);
  });

  it("a dispatch's consumer id and destination, kept, are references after the first; other cached fields go under -1, not stored", () => {
    const out = new MarshalCache(1024);
    const into = new MarshalCache(1024);
    const consumerId = makeConsumerId({ connectionId: "ID:c", sessionId: 1, value: 1 });
    const destination = makeActiveMQQueue({ physicalName: "q" });
    const dispatchHead = () => {
      const w = new TightWriter(16);
      w.cache = out;
      w.resetBits();
      w.int(0);
      w.bit(false);
      tightWriteKept(w, consumerId);
      tightWriteKept(w, destination);
      w.bit(false); // no message
      w.int(0);
      const frame = Buffer.alloc(5 + w.booleanStreamSize() + w.pos);
      frame.writeInt32BE(frame.length - 4, 0);
      frame[4] = DataType.MessageDispatch;
      w.buf.copy(frame, w.writeBooleanStream(frame, 5), 0, w.pos);
      return frame;
    };
    const first = dispatchHead();
    const second = dispatchHead();
    expect(second.length).toBeLessThan(first.length);
    expect(readTight(first, 12, true, into)).toEqual(makeMessageDispatch({ consumerId, destination }));
    expect(readTight(second, 12, true, into)).toEqual(makeMessageDispatch({ consumerId, destination }));
    // the generic writer refers to kept objects too; an equal object that was not kept goes as a
    // new entry under index -1 each time, which the reader does not store
    expect(tightFrame(makeMessageDispatch({ consumerId, destination }), 12, true, out).length).toBe(second.length);
    const plain = tightFrame(makeMessageDispatch({ consumerId: { ...consumerId }, destination: { ...destination } }), 12, true, out);
    expect(plain.length).toBe(first.length);
    expect(plain.includes(Buffer.from("ffff", "hex"))).toBe(true);
    const fresh = new MarshalCache(1024);
    expect(readTight(plain, 12, true, fresh)).toEqual(makeMessageDispatch({ consumerId, destination }));
    expect([...Array(1024).keys()].every((i) => fresh.get(i) === null)).toBe(true);
  });
});

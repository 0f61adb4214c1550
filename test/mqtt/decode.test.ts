import { describe, expect, it } from "vitest";
import fc from "fast-check";
import mqttPacket, { type Packet } from "mqtt-packet";
import { PacketFramer, type PacketSink } from "../../protocols/mqtt/decode.js";

type Seen = Record<string, unknown>;

/** A sink that records what the framer hands over, decoding the slow packets with mqtt-packet. */
class Recorder implements PacketSink {
  readonly seen: Seen[] = [];
  closed = false;
  fastPath = true;
  packetLimit = 1 << 20;
  fast = 0;
  constructor(readonly protocolVersion: number) {}
  onFastPublish(topic: string, payload: Buffer, qos: number, retain: boolean, packetId: number): void {
    this.fast++;
    this.seen.push({ cmd: "publish", topic, payload: payload.toString("hex"), qos, retain, messageId: qos > 0 ? packetId : undefined });
  }
  onFastAck(type: number, packetId: number): void {
    this.fast++;
    this.seen.push({ cmd: ["puback", "pubrec", "pubrel", "pubcomp"][type - 4], messageId: packetId });
  }
  onPingreq(): void {
    this.fast++;
    this.seen.push({ cmd: "pingreq" });
  }
  onOtherPacket(packet: Buffer): void {
    const parser = mqttPacket.parser({ protocolVersion: this.protocolVersion as 3 | 4 | 5 });
    parser.on("packet", (p: Packet) => this.seen.push(normalise(p)));
    parser.on("error", (e: Error) => this.seen.push({ error: e.message }));
    parser.parse(packet);
  }
  onTooLarge(size: number): void {
    this.seen.push({ tooLarge: size });
    this.closed = true;
  }
  onMalformed(why: string): void {
    this.seen.push({ malformed: why });
    this.closed = true;
  }
  /** Set: PUBLISH packets are held (a resource alarm). */
  holding = false;
  holdPublish(): boolean {
    return this.holding;
  }
}

/** The fields the fast path decodes, from mqtt-packet's object. */
function normalise(p: Packet): Seen {
  switch (p.cmd) {
    case "publish":
      return {
        cmd: "publish",
        topic: p.topic,
        payload: Buffer.from(p.payload).toString("hex"),
        qos: p.qos,
        retain: p.retain,
        messageId: p.qos > 0 ? p.messageId : undefined,
        ...(p.properties && Object.keys(p.properties).length > 0 && { properties: p.properties }),
      };
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
      return { cmd: p.cmd, messageId: p.messageId };
    default:
      return { cmd: p.cmd };
  }
}

/** What mqtt-packet alone makes of a stream. */
function reference(bytes: Buffer, version: number): Seen[] {
  const out: Seen[] = [];
  const parser = mqttPacket.parser({ protocolVersion: version as 3 | 4 | 5 });
  parser.on("packet", (p: Packet) => out.push(normalise(p)));
  parser.on("error", (e: Error) => out.push({ error: e.message }));
  parser.parse(bytes);
  return out;
}

const topic = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }));
const packetArb = (version: number): fc.Arbitrary<Packet> =>
  fc.oneof(
    fc
      .record({
        topic,
        qos: fc.constantFrom(0, 1, 2),
        retain: fc.boolean(),
        dup: fc.boolean(),
        id: fc.integer({ min: 1, max: 65535 }),
        payload: fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.constant(new Uint8Array(3000))),
        props:
          version === 5 ? fc.option(fc.record({ contentType: fc.string({ maxLength: 10 }) }), { nil: undefined }) : fc.constant(undefined),
      })
      .map(
        ({ topic, qos, retain, dup, id, payload, props }): Packet => ({
          cmd: "publish",
          topic,
          payload: Buffer.from(payload),
          qos: qos as 0 | 1 | 2,
          retain,
          dup: qos > 0 && dup,
          ...(qos > 0 && { messageId: id }),
          ...(props && { properties: props }),
        }),
      ),
    fc
      .record({ cmd: fc.constantFrom("puback", "pubrec", "pubrel", "pubcomp"), id: fc.integer({ min: 1, max: 65535 }) })
      .map(({ cmd, id }) => ({ cmd, messageId: id }) as Packet),
    fc.constant({ cmd: "pingreq" } as Packet),
    fc
      .record({ id: fc.integer({ min: 1, max: 65535 }), t: topic })
      .map(({ id, t }) => ({ cmd: "subscribe", messageId: id, subscriptions: [{ topic: t, qos: 1 }] }) as Packet),
  );

describe("PacketFramer (the MQTT hot path's decoder)", () => {
  for (const version of [3, 4, 5]) {
    it(`decodes what mqtt-packet decodes, fed in any split (level ${version})`, () => {
      fc.assert(
        fc.property(fc.array(packetArb(version), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (packets, cuts) => {
          const bytes = Buffer.concat(packets.map((p) => mqttPacket.generate(p, { protocolVersion: version as 3 | 4 | 5 })));
          const sink = new Recorder(version);
          const framer = new PacketFramer(sink);
          const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          let last = 0;
          for (const c of [...at, bytes.length]) {
            framer.push(bytes.subarray(last, c));
            last = c;
          }
          expect(sink.seen).toEqual(reference(bytes, version));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("holds a PUBLISH and everything after it until resumed, in any split", () => {
    fc.assert(
      fc.property(fc.array(packetArb(4), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (packets, cuts) => {
        const bytes = Buffer.concat(packets.map((p) => mqttPacket.generate(p)));
        const all = reference(bytes, 4);
        const firstPublish = all.findIndex((p) => p["cmd"] === "publish");
        const sink = new Recorder(4);
        sink.holding = true;
        const framer = new PacketFramer(sink);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let last = 0;
        for (const c of [...at, bytes.length]) {
          framer.push(bytes.subarray(last, c));
          last = c;
        }
        expect(sink.seen).toEqual(firstPublish === -1 ? all : all.slice(0, firstPublish));
        sink.holding = false;
        framer.resume();
        expect(sink.seen).toEqual(all);
      }),
      { numRuns: 300 },
    );
  });

  it("takes PUBLISH and acks on the fast path, byte by byte too", () => {
    const packets: Packet[] = [
      { cmd: "publish", topic: "a/b", payload: Buffer.from("hi"), qos: 1, retain: true, dup: false, messageId: 7 },
      { cmd: "puback", messageId: 9 },
      { cmd: "pubrel", messageId: 10 },
      { cmd: "pingreq" },
    ];
    const bytes = Buffer.concat(packets.map((p) => mqttPacket.generate(p)));
    const sink = new Recorder(4);
    const framer = new PacketFramer(sink);
    for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1));
    expect(sink.fast).toBe(4);
    expect(sink.seen).toEqual(reference(bytes, 4));
  });

  it("hands random bytes over without throwing, and never frames past a bad length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom(3, 4, 5), (raw, version) => {
        const sink = new Recorder(version);
        new PacketFramer(sink).push(Buffer.from(raw));
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses a five-byte remaining length and an oversize packet from the fixed header alone", () => {
    const sink = new Recorder(4);
    new PacketFramer(sink).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(sink.seen).toEqual([{ malformed: "remaining length longer than four bytes" }]);
    const small = new Recorder(4);
    small.packetLimit = 100;
    new PacketFramer(small).push(Buffer.from([0x30, 0xc8, 0x01]));
    expect(small.seen).toEqual([{ tooLarge: 200 }]);
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { encodePublish } from "../../protocols/mqtt/encode.js";

describe("encodePublish", () => {
  it("writes the same bytes as mqtt-packet's generate, for every level, QoS and size", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
        fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constant(new Uint8Array(20000))),
        fc.constantFrom(0, 1, 2),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 65535 }),
        fc.constantFrom(3, 4, 5),
        (topic, body, qos, retain, dup, id, version) => {
          const payload = Buffer.from(body);
          const q = qos as 0 | 1 | 2;
          const expected = mqttPacket.generate(
            { cmd: "publish", topic, payload, qos: q, retain, dup: q > 0 && dup, ...(q > 0 && { messageId: id }) },
            { protocolVersion: version as 3 | 4 | 5 },
          );
          const actual = encodePublish(topic, payload, q, retain, q > 0 && dup, id, version === 5);
          expect(actual.toString("hex")).toBe(expected.toString("hex"));
        },
      ),
    );
  });
});

describe("mqtt-packet's generate, for control packets", () => {
  it("runs without its 65,536-Buffer number cache (≈ 5 MB of heap every GC walks) once the front-end is loaded", async () => {
    await import("../../protocols/mqtt/connection.js");
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
    // and still encodes packet identifiers
    expect([...mqttPacket.generate({ cmd: "puback", messageId: 0x1234 })]).toEqual([0x40, 2, 0x12, 0x34]);
  });
});

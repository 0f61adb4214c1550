import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import type { RunningBroker } from "warren";
import { connectClient, nextMessages, RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker({ mqtt: { port: 0, maxPacketSize: 1024 } });
});
afterAll(() => broker.close());

const queueCount = () => {
  const v = broker.core.vhost("/");
  if (!("queues" in v)) throw new Error("no vhost");
  return v.queues.size;
};

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** CONNECT "MQTT" at the given level, clean session, keep-alive 0, client id "x". */
const connectAtLevel = (level: number) => hex(`10 0d 0004 4d515454 ${level.toString(16).padStart(2, "0")} 02 0000 0001 78`);

describe("MQTT bad input", () => {
  it("answers an unsupported protocol level with CONNACK 0x01 and closes", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    c.write(connectAtLevel(6));
    expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 1 });
    await c.closed;
  });

  it("answers a protocol name that does not match the level with CONNACK 0x01", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    // "MQIsdp" (3.1's name) with level 4
    c.write(hex("10 0f 0006 4d5149736470 04 02 0000 0001 78"));
    expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 1 });
    await c.closed;
  });

  it("closes a connection whose first packet is not CONNECT, without answering", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    c.send({ cmd: "publish", topic: "early", payload: Buffer.from("x"), qos: 0, dup: false, retain: false });
    await c.closed;
    expect(c.buffered).toHaveLength(0);
  });

  it("disconnects a v5 client publishing to a wildcard topic with 0x90", async () => {
    const [c] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "wild-pub" });
    c.send({ cmd: "publish", topic: "a/+/b", payload: Buffer.from("x"), qos: 0, dup: false, retain: false });
    expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x90 });
    await c.closed;
  });

  it("closes a 3.1.1 client publishing to a topic that is not UTF-8", async () => {
    const [c] = await RawClient.connected(broker.ports.mqtt!, { clientId: "utf8" });
    // PUBLISH QoS 0, topic of two bytes 0xff 0xfe, payload "x"
    c.write(hex("30 05 0002 fffe 78"));
    await c.closed;
  });

  it("disconnects a v5 client whose packet exceeds the maximum packet size with 0x95", async () => {
    const [c, ack] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "big" });
    expect(ack.properties?.maximumPacketSize).toBe(1024);
    c.send({ cmd: "publish", topic: "big", payload: Buffer.alloc(2000), qos: 0, dup: false, retain: false });
    expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x95 });
    await c.closed;
  });

  it("refuses an oversize packet from its fixed header, before its body arrives", async () => {
    const [c] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "big-header" });
    // PUBLISH announcing 2000 bytes (varint d0 0f), then only a few of them
    c.write(hex("30 d00f 0003 626967"));
    expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x95 });
    await c.closed;
  });

  it("disconnects a v5 client sending a malformed packet with 0x81", async () => {
    const [c] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "malformed" });
    // PUBREL must carry flags 0b0010 [MQTT-3.6.1-1]
    c.write(hex("60 02 0001"));
    expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x81 });
    await c.closed;
  });

  it("closes a 3.1.1 connection whose CONNECT has a password but no user name", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    // CONNECT flags 0x42: password, clean session; client id "x", password "pp"
    c.write(hex("10 11 0004 4d515454 04 42 0000 0001 78 0002 7070"));
    await c.closed;
    expect(c.buffered).toHaveLength(0);
  });

  it("closes a connection that sends a second CONNECT", async () => {
    const [c] = await RawClient.connected(broker.ports.mqtt!, { clientId: "twice" });
    c.write(connectAtLevel(4));
    await c.closed;
  });

  it("survives random bytes after a valid CONNECT while another client keeps working", async () => {
    const sub = await connectClient(broker, { clientId: "fuzz-witness" });
    await sub.subscribeAsync("fuzz/ok", { qos: 1 });
    const baseline = broker.connectionCount();
    const queuesBefore = queueCount();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const [c] = await RawClient.connected(broker.ports.mqtt!, { clientId: `fuzz-${n++}`, protocolVersion: n % 2 ? 5 : 4 });
        c.write(Buffer.from(bytes));
        c.close();
      }),
      { numRuns: 150 },
    );
    await vi.waitFor(() => expect(broker.connectionCount()).toBe(baseline), { timeout: 5000 });
    // nothing left behind: fuzzed clean sessions took their queues with them
    expect(queueCount()).toBe(queuesBefore);
    const got = nextMessages(sub, 1);
    const pub = await connectClient(broker, { clientId: "fuzz-pub" });
    await pub.publishAsync("fuzz/ok", "still here", { qos: 1 });
    expect((await got)[0]!.payload).toBe("still here");
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("survives structured but hostile packets (random types, flags and lengths)", async () => {
    const baseline = broker.connectionCount();
    let n = 0;
    const packet = fc
      .record({
        type: fc.integer({ min: 0, max: 15 }),
        flags: fc.integer({ min: 0, max: 15 }),
        body: fc.uint8Array({ maxLength: 60 }),
      })
      .map(({ type, flags, body }) => Buffer.concat([Buffer.from([(type << 4) | flags, body.length]), Buffer.from(body)]));
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 5 }), async (packets) => {
        const [c] = await RawClient.connected(broker.ports.mqtt!, { clientId: `hostile-${n++}`, protocolVersion: n % 2 ? 5 : 4 });
        c.write(Buffer.concat(packets));
        c.close();
      }),
      { numRuns: 150 },
    );
    await vi.waitFor(() => expect(broker.connectionCount()).toBe(baseline), { timeout: 5000 });
    const ok = await connectClient(broker, { clientId: "after-hostile" });
    await ok.endAsync();
  });
});

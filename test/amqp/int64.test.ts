import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { Message, TypedField } from "../../src/core/message.js";
import { VirtualHost } from "../../src/core/vhost.js";
import { amqpPropertiesCodec, encodeProperties } from "../../protocols/amqp/codec/properties.js";
import { headersFromProperties, propertiesFromSend } from "../../protocols/stomp/message-headers.js";
import { v5Properties } from "../../protocols/mqtt/message.js";
import { consumeOneRaw, RawConnection } from "../../conformance/amqp/raw/connection.js";
import { bodyFrame, headerFrame, M, Writer, writeBasicProperties, type RawProperties } from "../../conformance/amqp/raw/codec.js";

const BIG = 2n ** 60n + 7n;

/** A message as an AMQP publisher sent it: timestamp 2^60 + 7 and 64-bit headers, in its bytes. */
function amqpMessage(): Message {
  const bytes = encodeProperties({
    timestamp: BIG,
    headers: { big: new TypedField("l", BIG), min: new TypedField("l", -(2n ** 63n)), when: new TypedField("T", BIG) },
  });
  return new Message("", "q", Buffer.from("x"), null, { codec: amqpPropertiesCodec, bytes });
}

describe("64-bit integers converted for other protocols", () => {
  it("STOMP MESSAGE headers carry the exact digits of the timestamp and of l/T headers", () => {
    const out: [string, string][] = [];
    headersFromProperties(amqpMessage().properties, out);
    expect(Object.fromEntries(out)).toEqual({
      timestamp: String(BIG),
      big: String(BIG),
      min: String(-(2n ** 63n)),
      when: String(BIG),
    });
  });

  it("a STOMP SEND's timestamp header past 2^53 becomes the exact timestamp property", () => {
    expect(propertiesFromSend({ timestamp: String(BIG) }).timestamp).toBe(BIG);
    expect(propertiesFromSend({ timestamp: "1700000000" }).timestamp).toBe(1700000000);
    expect(propertiesFromSend({ timestamp: String(2n ** 64n) }).timestamp).toBeUndefined();
  });

  it("MQTT 5 user properties carry the exact digits of l/T headers", () => {
    const p = v5Properties(amqpMessage(), Date.now());
    expect(p?.userProperties).toEqual({ big: String(BIG), min: String(-(2n ** 63n)), when: String(BIG) });
  });
});

describe("64-bit integers in the store", () => {
  let dir = "";
  let broker: RunningBroker | null = null;
  afterEach(async () => {
    await broker?.close();
    broker = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a persistent message with timestamp 2^64 - 1 and l/T headers past 2^53 comes back exactly after a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-int64-"));
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" });
    const url = () => `amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`;
    const setup = await amqp.connect(url());
    const ch = await setup.createChannel();
    await ch.assertQueue("int64-durable", { durable: true });
    await setup.close();
    const props: RawProperties = {
      deliveryMode: 2,
      timestamp: 2n ** 64n - 1n,
      headers: { big: { type: "l", value: BIG }, when: { type: "T", value: BIG }, min: { type: "l", value: -(2n ** 63n) } },
    };
    const raw = await RawConnection.connect(url());
    await raw.openChannel(1);
    raw.sendMethod(1, [85, 10], new Writer().bits(false).done()); // confirm.select
    await raw.expectMethod([85, 11]);
    const { flags, bytes } = writeBasicProperties(props);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr("int64-durable").bits(false, false).done());
    raw.write(Buffer.concat([headerFrame(1, 1, flags, bytes), bodyFrame(1, Buffer.from("x"))]));
    await raw.expectMethod(M.basicAck);
    await raw.close();
    await broker.close();
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" });
    const again = await RawConnection.connect(url());
    await again.openChannel(1);
    const d = await consumeOneRaw(again, 1, "int64-durable");
    expect(d.properties).toEqual(props);
    await again.close();
  });

  it("a STOMP-published timestamp past 2^53, stored in Warren's own encoding, reaches an AMQP consumer exactly after a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-int64-"));
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" });
    const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
    const setup = await amqp.connect(url);
    const ch = await setup.createChannel();
    await ch.assertQueue("int64-stomp", { durable: true });
    await setup.close();
    const m = new Message("", "int64-stomp", Buffer.from("x"), propertiesFromSend({ timestamp: String(BIG), persistent: "true" }), null);
    const vhost = broker.core.vhost("/");
    if (!(vhost instanceof VirtualHost)) throw new Error("no vhost /");
    vhost.publish("", "int64-stomp", m);
    await broker.close();
    broker = await startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" });
    const raw = await RawConnection.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    await raw.openChannel(1);
    const d = await consumeOneRaw(raw, 1, "int64-stomp");
    expect(d.properties.timestamp).toBe(BIG);
    await raw.close();
  });
});

// MQTT 3.1.1 scenarios with mqtt.js that hold for RabbitMQ 3.10's MQTT plugin and for Warren.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import amqp from "amqplib";
import { type MqttBrokerUnderTest, mqttCapabilities, useMqttBroker } from "./target.js";

let target: MqttBrokerUnderTest;
beforeAll(async () => {
  target = await useMqttBroker();
});
afterAll(() => target.close());

/** Names unique to this run: an external broker may be shared. */
const run = randomBytes(4).toString("hex");
const id = (name: string) => `conf-${name}-${run}`;
const topic = (name: string) => `conf/${run}/${name}`;

function connect(clientId: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(target.mqttUrl, { clientId, reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

function next(client: MqttClient, n: number): Promise<{ topic: string; payload: string; retain: boolean; qos: number }[]> {
  return new Promise((resolve) => {
    const got: { topic: string; payload: string; retain: boolean; qos: number }[] = [];
    const on = (t: string, p: Buffer, packet: { retain: boolean; qos: number }) => {
      got.push({ topic: t, payload: p.toString(), retain: packet.retain, qos: packet.qos });
      if (got.length === n) {
        client.off("message", on);
        resolve(got);
      }
    };
    client.on("message", on);
  });
}

describe("MQTT conformance", () => {
  it("publishes and subscribes at QoS 0 and 1 with + and # wildcards", async () => {
    const sub = await connect(id("sub"));
    await sub.subscribeAsync(`${topic("w")}/+/x`, { qos: 1 });
    await sub.subscribeAsync(`${topic("h")}/#`, { qos: 0 });
    const got = next(sub, 2);
    const pub = await connect(id("pub"));
    await pub.publishAsync(`${topic("w")}/a/x`, "one", { qos: 1 });
    await pub.publishAsync(`${topic("w")}/a/y`, "skipped", { qos: 1 });
    await pub.publishAsync(`${topic("h")}/a/b`, "two", { qos: 0 });
    const ms = await got;
    expect(ms.map((m) => [m.payload, m.qos])).toEqual([
      ["one", 1],
      ["two", 0],
    ]);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("delivers a retained message to a later subscriber, flagged retained, until cleared", async () => {
    const pub = await connect(id("rpub"));
    await pub.publishAsync(topic("r"), "kept", { qos: 1, retain: true });
    const sub = await connect(id("rsub"));
    const got = next(sub, 1);
    await sub.subscribeAsync(topic("r"), { qos: 1 });
    expect((await got)[0]).toMatchObject({ payload: "kept", retain: true });
    await pub.publishAsync(topic("r"), "", { qos: 1, retain: true });
    await sub.endAsync();
    const late = await connect(id("rlate"));
    const first = next(late, 1);
    await late.subscribeAsync(topic("r"), { qos: 1 });
    await pub.publishAsync(topic("r"), "marker", { qos: 1 });
    expect((await first)[0]).toMatchObject({ payload: "marker", retain: false });
    await Promise.all([late.endAsync(), pub.endAsync()]);
  });

  it("publishes a will when a client vanishes, not when it disconnects", async () => {
    const watcher = await connect(id("watch"));
    await watcher.subscribeAsync(`${topic("will")}/+`, { qos: 1 });
    const got = next(watcher, 2);
    const polite = await connect(id("polite"), {
      will: { topic: `${topic("will")}/polite`, payload: Buffer.from("no"), qos: 1, retain: false },
    });
    await polite.endAsync();
    const rude = await connect(id("rude"), {
      will: { topic: `${topic("will")}/rude`, payload: Buffer.from("yes"), qos: 1, retain: false },
    });
    rude.stream.destroy();
    const pub = await connect(id("wpub"));
    // the will may race the marker; what matters is that the polite will never comes
    const ms = await new Promise<{ payload: string }[]>((resolve) => {
      void got.then(resolve);
      void pub.publishAsync(`${topic("will")}/marker`, "marker", { qos: 1 });
    });
    expect(ms.map((m) => m.payload).sort()).toEqual(["marker", "yes"]);
    await Promise.all([watcher.endAsync(), pub.endAsync()]);
    rude.end(true);
  });

  it("queues QoS 1 messages for a persistent session while it is away", async () => {
    const first = await connect(id("persist"), { clean: false });
    await first.subscribeAsync(topic("p"), { qos: 1 });
    await first.endAsync();
    const pub = await connect(id("ppub"));
    await pub.publishAsync(topic("p"), "while away", { qos: 1 });
    await pub.endAsync();
    const again = mqtt.connect(target.mqttUrl, { clientId: id("persist"), clean: false, reconnectPeriod: 0 });
    const got = next(again, 1);
    const connack = await new Promise<mqtt.IConnackPacket>((resolve) => again.once("connect", resolve));
    expect(connack.sessionPresent).toBe(true);
    expect((await got)[0]!.payload).toBe("while away");
    await again.endAsync();
    // leave nothing behind on a shared broker
    const cleanup = await connect(id("persist"), { clean: true });
    await cleanup.endAsync();
  });

  it("closes the first connection when a second one takes its client id", async () => {
    const first = await connect(id("twin"));
    const closed = new Promise<void>((resolve) => first.once("close", () => resolve()));
    const second = await connect(id("twin"));
    await closed;
    expect(second.connected).toBe(true);
    await second.endAsync();
    first.end(true);
  });
});

describe("MQTT raw protocol", () => {
  /** Writes bytes on a fresh connection and collects everything the broker sends until it closes. */
  const exchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const u = new URL(target.mqttUrl);
      const s = tcpConnect(Number(u.port || 1883), u.hostname, () => s.write(Buffer.from(bytes.replace(/\s+/g, ""), "hex")));
      let got = Buffer.alloc(0);
      s.on("data", (d: Buffer) => (got = Buffer.concat([got, d])));
      s.once("close", () => resolve(got.toString("hex")));
      // mosquitto closes with unread bytes left, so the kernel answers RST: closed all the same
      s.once("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? resolve(got.toString("hex")) : reject(e)));
    });

  it("refuses an empty client id with clean session 0 with CONNACK 0x02 [MQTT-3.1.3-8]", async () => {
    // CONNECT "MQTT" level 4, flags 0, keep-alive 0, zero-length client id
    expect(await exchange("10 0c 0004 4d515454 04 00 0000 0000")).toBe("20020002");
  });

  it("closes a connection whose first packet is not CONNECT without a reply [MQTT-3.1.0-1]", async () => {
    expect(await exchange("30 05 0003 616263 78")).toBe("");
  });
});

// mosquitto has no AMQP side: a capability of the target (see target.ts), not a skipped test
describe.runIf(mqttCapabilities().crossProtocol)("MQTT and AMQP on one broker", () => {
  const amqpUrl = () => {
    if (!target.amqpUrl) throw new Error("set WARREN_CONFORMANCE_AMQP to the same broker's AMQP URL");
    return target.amqpUrl;
  };

  it("routes an MQTT publish to an AMQP queue bound to amq.topic with the dotted key", async () => {
    const conn = await amqp.connect(amqpUrl());
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true });
    const key = topic("x").replaceAll("/", ".");
    await ch.bindQueue(queue, "amq.topic", key);
    const got = new Promise<amqp.ConsumeMessage>((resolve) => void ch.consume(queue, (m) => m && resolve(m), { noAck: true }));
    const pub = await connect(id("xpub"));
    await pub.publishAsync(topic("x"), "mqtt to amqp", { qos: 1 });
    const m = await got;
    expect(m.content.toString()).toBe("mqtt to amqp");
    expect(m.fields.routingKey).toBe(key);
    await pub.endAsync();
    await conn.close();
  });

  it("delivers an AMQP publish on amq.topic to an MQTT subscriber with / in the topic", async () => {
    const sub = await connect(id("xsub"));
    await sub.subscribeAsync(topic("y"), { qos: 1 });
    const got = next(sub, 1);
    const conn = await amqp.connect(amqpUrl());
    const ch = await conn.createChannel();
    ch.publish("amq.topic", topic("y").replaceAll("/", "."), Buffer.from("amqp to mqtt"));
    expect((await got)[0]).toMatchObject({ topic: topic("y"), payload: "amqp to mqtt" });
    await sub.endAsync();
    await conn.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt from "mqtt";
import amqp from "amqplib";
import WebSocket from "ws";
import type { RunningBroker } from "warren";
import { connectClient, nextMessages, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker();
});
afterAll(() => broker.close());

describe("MQTT over WebSocket", () => {
  it("connects on /ws with subprotocol mqtt and meets TCP clients", async () => {
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${broker.ports.webMqtt}/ws`, { clientId: "ws-sub", reconnectPeriod: 0 });
    await ws.subscribeAsync("ws/t", { qos: 1 });
    const got = nextMessages(ws, 1);
    const tcp = await connectClient(broker, { clientId: "tcp-pub" });
    await tcp.publishAsync("ws/t", "over websocket", { qos: 1 });
    expect((await got)[0]!.payload).toBe("over websocket");
    await Promise.all([ws.endAsync(), tcp.endAsync()]);
  });

  it("takes over a TCP session from a WebSocket connection", async () => {
    const tcp = await connectClient(broker, { clientId: "roamer" });
    const closed = new Promise<void>((r) => tcp.once("close", () => r()));
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${broker.ports.webMqtt}/ws`, { clientId: "roamer", reconnectPeriod: 0 });
    await closed;
    await ws.endAsync();
    tcp.end(true);
  });

  it("reassembles packets split across WebSocket frames, and closes on garbage", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${broker.ports.webMqtt}/ws`, ["mqtt"]);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    expect(ws.protocol).toBe("mqtt");
    const received: Buffer[] = [];
    ws.on("message", (d: Buffer) => received.push(d));
    const gotConnack = new Promise<void>((resolve) => ws.once("message", () => resolve()));
    // CONNECT for client "w", one byte per frame
    const connect = Buffer.from("100d00044d5154540402000000017" + "7", "hex");
    for (const b of connect) ws.send(Buffer.from([b]));
    await gotConnack;
    expect(received[0]!.toString("hex")).toBe("20020000");
    const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    ws.send(Buffer.from("f0ffffffff7f", "hex"));
    await closed;
  });

  it("refuses a WebSocket on another path", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${broker.ports.webMqtt}/other`, ["mqtt"]);
    const outcome = await new Promise<string>((resolve) => {
      ws.once("open", () => resolve("open"));
      ws.once("error", () => resolve("error"));
    });
    expect(outcome).toBe("error");
  });
});

describe("MQTT and AMQP in one core", () => {
  it("delivers an MQTT publish to an AMQP queue bound to amq.topic with the dotted key", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true });
    await ch.bindQueue(queue, "amq.topic", "a.b");
    const got = new Promise<amqp.ConsumeMessage>((resolve) => void ch.consume(queue, (m) => m && resolve(m), { noAck: true }));
    const pub = await connectClient(broker, { clientId: "x-pub", protocolVersion: 5 });
    await pub.publishAsync("a/b", "from mqtt", {
      qos: 1,
      properties: {
        contentType: "text/plain",
        userProperties: { site: "north" },
        correlationData: Buffer.from("c-1"),
        responseTopic: "reply/here",
      },
    });
    const m = await got;
    expect(m.content.toString()).toBe("from mqtt");
    expect(m.fields.routingKey).toBe("a.b");
    expect(m.properties.deliveryMode).toBe(2);
    expect(m.properties.contentType).toBe("text/plain");
    expect(m.properties.correlationId).toBe("c-1");
    expect(m.properties.replyTo).toBe("reply.here");
    expect(m.properties.headers).toMatchObject({ site: "north", "x-mqtt-publish-qos": 1 });
    await pub.endAsync();
    await conn.close();
  });

  it("delivers an AMQP publish to amq.topic to an MQTT subscriber of a/b", async () => {
    const sub = await connectClient(broker, { clientId: "x-sub", protocolVersion: 5 });
    await sub.subscribeAsync("a/+", { qos: 1 });
    const got = nextMessages(sub, 1);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    ch.publish("amq.topic", "a.b", Buffer.from("from amqp"), {
      contentType: "application/json",
      headers: { origin: "amqp" },
      correlationId: "k",
    });
    const [m] = await got;
    expect(m).toMatchObject({ topic: "a/b", payload: "from amqp" });
    expect(m!.packet.properties?.contentType).toBe("application/json");
    expect(m!.packet.properties?.userProperties).toMatchObject({ origin: "amqp" });
    expect(m!.packet.properties?.correlationData?.toString()).toBe("k");
    await sub.endAsync();
    await conn.close();
  });
});

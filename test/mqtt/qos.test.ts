import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IPublishPacket } from "mqtt-packet";
import type { RunningBroker } from "warren";
import { parseConf, settingsToOptions } from "../../src/server/config.js";
import { connectClient, nextMessages, RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker();
});
afterAll(() => broker.close());

describe("MQTT publish and subscribe", () => {
  for (const qos of [0, 1, 2] as const) {
    it(`delivers a QoS ${qos} publish to a QoS ${qos} subscriber`, async () => {
      const sub = await connectClient(broker, { clientId: `sub-q${qos}` });
      const granted = await sub.subscribeAsync(`q/${qos}`, { qos });
      expect(granted[0]!.qos).toBe(qos);
      const got = nextMessages(sub, 1);
      const pub = await connectClient(broker, { clientId: `pub-q${qos}` });
      await pub.publishAsync(`q/${qos}`, `hello ${qos}`, { qos });
      const [m] = await got;
      expect(m!.payload).toBe(`hello ${qos}`);
      expect(m!.packet.qos).toBe(qos);
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    });
  }

  it("delivers at the lower of the publish and subscription QoS", async () => {
    const sub = await connectClient(broker, { clientId: "sub-min" });
    await sub.subscribeAsync("min/a", { qos: 1 });
    await sub.subscribeAsync("min/b", { qos: 2 });
    const got = nextMessages(sub, 2);
    const pub = await connectClient(broker, { clientId: "pub-min" });
    await pub.publishAsync("min/a", "two-to-one", { qos: 2 });
    await pub.publishAsync("min/b", "zero", { qos: 0 });
    const ms = await got;
    expect(ms.map((m) => [m.topic, m.packet.qos])).toEqual([
      ["min/a", 1],
      ["min/b", 0],
    ]);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("matches + and # wildcards and keeps topic levels", async () => {
    const sub = await connectClient(broker, { clientId: "wild" });
    await sub.subscribeAsync(["w/+/temp", "w/house/#"], { qos: 0 });
    const got = nextMessages(sub, 3);
    const pub = await connectClient(broker, { clientId: "wild-pub" });
    pub.publish("w/kitchen/temp", "1");
    pub.publish("w/kitchen/humidity", "no");
    pub.publish("w/house/a/b", "2");
    pub.publish("w/house", "3");
    const ms = await got;
    expect(ms.map((m) => m.topic)).toEqual(["w/kitchen/temp", "w/house/a/b", "w/house"]);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("does not match $-topics with a leading wildcard", async () => {
    const wild = await connectClient(broker, { clientId: "dollar" });
    await wild.subscribeAsync(["#", "+/x"], { qos: 0 });
    const sys = await connectClient(broker, { clientId: "dollar-sys" });
    await sys.subscribeAsync("$SYS/#", { qos: 0 });
    const gotWild = nextMessages(wild, 1);
    const gotSys = nextMessages(sys, 1);
    const pub = await connectClient(broker, { clientId: "dollar-pub" });
    pub.publish("$SYS/x", "system");
    pub.publish("after", "marker");
    expect((await gotWild).map((m) => m.payload)).toEqual(["marker"]);
    expect((await gotSys).map((m) => m.topic)).toEqual(["$SYS/x"]);
    await Promise.all([wild.endAsync(), sys.endAsync(), pub.endAsync()]);
  });

  it("routes a resent QoS 2 publish only once before its PUBREL", async () => {
    const sub = await connectClient(broker, { clientId: "once-sub" });
    await sub.subscribeAsync("once", { qos: 2 });
    const got = nextMessages(sub, 2);
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { clientId: "once-raw" });
    const publish: IPublishPacket = {
      cmd: "publish",
      topic: "once",
      payload: Buffer.from("exactly"),
      qos: 2,
      messageId: 7,
      dup: false,
      retain: false,
    };
    raw.send(publish);
    expect(await raw.next()).toMatchObject({ cmd: "pubrec", messageId: 7 });
    raw.send({ ...publish, dup: true });
    expect(await raw.next()).toMatchObject({ cmd: "pubrec", messageId: 7 });
    raw.send({ cmd: "pubrel", messageId: 7 });
    expect(await raw.next()).toMatchObject({ cmd: "pubcomp", messageId: 7 });
    // the same packet id after PUBCOMP is a new message
    raw.send({ ...publish, payload: Buffer.from("next") });
    expect(await raw.next()).toMatchObject({ cmd: "pubrec", messageId: 7 });
    const ms = await got;
    expect(ms.map((m) => m.payload)).toEqual(["exactly", "next"]);
    raw.close();
    await sub.endAsync();
  });

  it("runs the QoS 2 flow towards a subscriber: PUBLISH, PUBREC, PUBREL, PUBCOMP", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { clientId: "q2-raw" });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "q2flow", qos: 2 }] });
    expect(await raw.next()).toMatchObject({ cmd: "suback", granted: [2] });
    const pub = await connectClient(broker, { clientId: "q2-pub" });
    await pub.publishAsync("q2flow", "x", { qos: 2 });
    const p = (await raw.next()) as IPublishPacket;
    expect(p).toMatchObject({ cmd: "publish", qos: 2 });
    raw.send({ cmd: "pubrec", messageId: p.messageId! });
    expect(await raw.next()).toMatchObject({ cmd: "pubrel", messageId: p.messageId });
    raw.send({ cmd: "pubcomp", messageId: p.messageId! });
    raw.send({ cmd: "pingreq" });
    expect((await raw.next()).cmd).toBe("pingresp");
    raw.close();
    await pub.endAsync();
  });

  it("keeps no more QoS 1 deliveries in flight than the v5 receive maximum", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, {
      protocolVersion: 5,
      clientId: "window",
      properties: { receiveMaximum: 2 },
    });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "win", qos: 1 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { clientId: "win-pub" });
    for (let i = 0; i < 5; i++) await pub.publishAsync("win", String(i), { qos: 1 });
    const a = (await raw.next()) as IPublishPacket;
    const b = (await raw.next()) as IPublishPacket;
    // a ping round trip proves nothing else was sent before it
    raw.send({ cmd: "pingreq" });
    expect((await raw.next()).cmd).toBe("pingresp");
    expect([a.payload.toString(), b.payload.toString()]).toEqual(["0", "1"]);
    raw.send({ cmd: "puback", messageId: a.messageId! });
    const c = (await raw.next()) as IPublishPacket;
    expect(c.payload.toString()).toBe("2");
    raw.close();
    await pub.endAsync();
  });

  it("keeps mqtt.prefetch QoS 1 deliveries in flight to a 3.1.1 subscriber (RabbitMQ's default 10)", async () => {
    // rabbitmq.conf's key, read as the CLI reads it; RabbitMQ applies it as the basic.qos of the
    // connection's channel (rabbit_mqtt_processor), so every subscriber of 3.1.1 gets that window
    const options = settingsToOptions(parseConf("mqtt.prefetch = 2\n", "rabbitmq.conf"));
    const own = await startMqttBroker({ mqtt: { ...(options.mqtt || {}), port: 0 } });
    try {
      const [raw] = await RawClient.connected(own.ports.mqtt!, { protocolVersion: 4, clientId: "prefetch" });
      raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "pf", qos: 1 }] });
      expect((await raw.next()).cmd).toBe("suback");
      const pub = await connectClient(own, { clientId: "pf-pub" });
      for (let i = 0; i < 5; i++) await pub.publishAsync("pf", String(i), { qos: 1 });
      const a = (await raw.next()) as IPublishPacket;
      const b = (await raw.next()) as IPublishPacket;
      raw.send({ cmd: "pingreq" });
      expect((await raw.next()).cmd).toBe("pingresp");
      expect([a.payload.toString(), b.payload.toString()]).toEqual(["0", "1"]);
      raw.send({ cmd: "puback", messageId: a.messageId! });
      expect(((await raw.next()) as IPublishPacket).payload.toString()).toBe("2");
      raw.close();
      await pub.endAsync();
    } finally {
      await own.close();
    }
    expect(settingsToOptions(parseConf("mqtt.prefetch = 0\n", "rabbitmq.conf")).mqtt).toEqual({ prefetch: 0 });
    expect(() => settingsToOptions(parseConf("mqtt.prefetch = -1\n", "rabbitmq.conf"))).toThrow(/mqtt.prefetch/);
  });

  it("sends retained QoS 1 messages within the receive maximum too", async () => {
    const pub = await connectClient(broker, { clientId: "rw-pub" });
    for (const t of ["rw/a", "rw/b", "rw/c"]) await pub.publishAsync(t, t, { qos: 1, retain: true });
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "rw", properties: { receiveMaximum: 1 } });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "rw/#", qos: 1 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const first = (await raw.next()) as IPublishPacket;
    raw.send({ cmd: "pingreq" });
    expect((await raw.next()).cmd).toBe("pingresp");
    raw.send({ cmd: "puback", messageId: first.messageId! });
    const second = (await raw.next()) as IPublishPacket;
    raw.send({ cmd: "puback", messageId: second.messageId! });
    const third = (await raw.next()) as IPublishPacket;
    expect([first, second, third].map((p) => [p.topic, p.retain])).toEqual([
      ["rw/a", true],
      ["rw/b", true],
      ["rw/c", true],
    ]);
    raw.close();
    for (const t of ["rw/a", "rw/b", "rw/c"]) await pub.publishAsync(t, "", { qos: 1, retain: true });
    await pub.endAsync();
  });

  it("answers UNSUBSCRIBE and stops delivering", async () => {
    const sub = await connectClient(broker, { clientId: "unsub" });
    await sub.subscribeAsync(["u/a", "u/b"], { qos: 1 });
    await sub.unsubscribeAsync("u/a");
    const got = nextMessages(sub, 1);
    const pub = await connectClient(broker, { clientId: "unsub-pub" });
    await pub.publishAsync("u/a", "gone", { qos: 1 });
    await pub.publishAsync("u/b", "kept", { qos: 1 });
    expect((await got)[0]!.payload).toBe("kept");
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("backs each subscription with a queue named like RabbitMQ's, bound to amq.topic", async () => {
    const sub = await connectClient(broker, { clientId: "named" });
    await sub.subscribeAsync("n/+/x", { qos: 1 });
    const vhost = broker.core.vhost("/");
    if (!("queues" in vhost)) throw new Error("no default vhost");
    const q = vhost.queues.get("mqtt-subscription-namedqos1");
    expect(q).toBeDefined();
    expect([...q!.boundBy].map((b) => [b.source.name, b.routingKey])).toContainEqual(["amq.topic", "n.*.x"]);
    await sub.endAsync();
    expect(vhost.queues.has("mqtt-subscription-namedqos1")).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import mqtt from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import type { RunningBroker } from "warren";
import { connectClient, nextMessages, RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker();
  broker.core.addVhost("other");
  broker.core.users.setPermission("guest", "other", { configure: ".*", write: ".*", read: ".*" });
});
afterAll(() => broker.close());

const v5 = { protocolVersion: 5 as const };
const queues = () => {
  const v = broker.core.vhost("/");
  if (!("queues" in v)) throw new Error("no vhost");
  return v.queues;
};

describe("MQTT 5 topic aliases towards the client", () => {
  it("sends a topic once with a new alias, then only the alias, up to the client's maximum", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "oa-raw", properties: { topicAliasMaximum: 2 } });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "oa/#", qos: 0 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { clientId: "oa-pub" });
    for (const t of ["oa/a", "oa/a", "oa/b", "oa/c"]) pub.publish(t, "x");
    const seen: [string, number | undefined][] = [];
    for (let i = 0; i < 4; i++) {
      const p = (await raw.next()) as IPublishPacket;
      seen.push([p.topic, p.properties?.topicAlias]);
    }
    expect(seen).toEqual([
      ["oa/a", 1],
      ["", 1],
      ["oa/b", 2],
      ["oa/c", undefined],
    ]);
    raw.close();
    await pub.endAsync();
  });

  it("is resolved by mqtt.js into full topics", async () => {
    const sub = await connectClient(broker, { ...v5, clientId: "oa-js", properties: { topicAliasMaximum: 5 } });
    await sub.subscribeAsync("oajs/t", { qos: 1 });
    const got = nextMessages(sub, 2);
    const pub = await connectClient(broker, { clientId: "oajs-pub" });
    await pub.publishAsync("oajs/t", "1", { qos: 1 });
    await pub.publishAsync("oajs/t", "2", { qos: 1 });
    expect((await got).map((m) => [m.topic, m.payload])).toEqual([
      ["oajs/t", "1"],
      ["oajs/t", "2"],
    ]);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });
});

describe("MQTT session lifecycle", () => {
  it("sends an unanswered PUBREL again when a persistent QoS 2 client reconnects [MQTT-4.4.0-1]", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { clientId: "rel", clean: false });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "rel/t", qos: 2 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { clientId: "rel-pub" });
    await pub.publishAsync("rel/t", "exactly once", { qos: 2 });
    const p = (await raw.next()) as IPublishPacket;
    raw.send({ cmd: "pubrec", messageId: p.messageId! });
    expect(await raw.next()).toMatchObject({ cmd: "pubrel", messageId: p.messageId });
    raw.close(); // no PUBCOMP
    await raw.closed;
    const [back] = await RawClient.connected(broker.ports.mqtt!, { clientId: "rel", clean: false });
    expect(await back.next()).toMatchObject({ cmd: "pubrel", messageId: p.messageId });
    back.send({ cmd: "pubcomp", messageId: p.messageId! });
    // the message itself is not sent again: a ping answered next proves it
    back.send({ cmd: "pingreq" });
    expect((await back.next()).cmd).toBe("pingresp");
    back.send({ cmd: "disconnect" });
    await pub.endAsync();
    await back.closed;
    const gone = await connectClient(broker, { clientId: "rel", clean: true });
    await gone.endAsync();
  });

  it("keeps QoS 2 publish state across a reconnect: a resent publish is not routed again", async () => {
    const sub = await connectClient(broker, { clientId: "in2-sub" });
    await sub.subscribeAsync("in2/t", { qos: 2 });
    const got = nextMessages(sub, 2);
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { clientId: "in2", clean: false });
    const publish: IPublishPacket = {
      cmd: "publish",
      topic: "in2/t",
      payload: Buffer.from("one"),
      qos: 2,
      messageId: 9,
      dup: false,
      retain: false,
    };
    raw.send(publish);
    expect((await raw.next()).cmd).toBe("pubrec");
    raw.close();
    await raw.closed;
    const [back] = await RawClient.connected(broker.ports.mqtt!, { clientId: "in2", clean: false });
    back.send({ ...publish, dup: true });
    expect((await back.next()).cmd).toBe("pubrec");
    back.send({ cmd: "pubrel", messageId: 9 });
    expect((await back.next()).cmd).toBe("pubcomp");
    back.send({ cmd: "publish", topic: "in2/t", payload: Buffer.from("marker"), qos: 0, dup: false, retain: false });
    expect((await got).map((m) => m.payload)).toEqual(["one", "marker"]);
    back.send({ cmd: "disconnect" });
    await back.closed;
    await sub.endAsync();
    await (await connectClient(broker, { clientId: "in2", clean: true })).endAsync();
  });

  it("ends a v5 session when its expiry interval passes", async () => {
    const c = await connectClient(broker, { ...v5, clientId: "expiring", clean: false, properties: { sessionExpiryInterval: 1 } });
    await c.subscribeAsync("expiring/t", { qos: 1 });
    await c.endAsync();
    expect(queues().has("mqtt-subscription-expiringqos1")).toBe(true);
    await vi.waitFor(() => expect(queues().has("mqtt-subscription-expiringqos1")).toBe(false), { timeout: 4000, interval: 100 });
  });

  it("delays a v5 will, and drops it when the client comes back in time", async () => {
    const watcher = await connectClient(broker, { clientId: "wd-watch" });
    await watcher.subscribeAsync("wd/#", { qos: 0 });
    const got = nextMessages(watcher, 2);
    const will = (topic: string, delay: number) => ({
      topic,
      payload: Buffer.from(topic),
      qos: 0 as const,
      retain: false,
      properties: { willDelayInterval: delay },
    });
    const back = await connectClient(broker, {
      ...v5,
      clientId: "wd-back",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will("wd/back", 1),
    });
    back.stream.destroy();
    const late = await connectClient(broker, {
      ...v5,
      clientId: "wd-late",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will("wd/late", 1),
    });
    const started = Date.now();
    late.stream.destroy();
    const again = await connectClient(broker, { ...v5, clientId: "wd-back", clean: false, properties: { sessionExpiryInterval: 60 } });
    const pub = await connectClient(broker, { clientId: "wd-pub" });
    pub.publish("wd/marker", "marker");
    const ms = await got;
    // "wd/back" never comes: its client was back within the delay
    expect(ms.map((m) => m.topic).sort()).toEqual(["wd/late", "wd/marker"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await Promise.all([watcher.endAsync(), again.endAsync(), pub.endAsync()]);
    back.end(true);
    late.end(true);
  });

  it("does not deliver a queued message whose expiry interval passed while the client was away", async () => {
    const first = await connectClient(broker, { ...v5, clientId: "exq", clean: false, properties: { sessionExpiryInterval: 60 } });
    await first.subscribeAsync("exq/t", { qos: 1 });
    await first.endAsync();
    const pub = await connectClient(broker, { ...v5, clientId: "exq-pub" });
    await pub.publishAsync("exq/t", "short-lived", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync("exq/t", "lasting", { qos: 1 });
    await new Promise((r) => setTimeout(r, 1100)); // the subject here is time passing, not synchronisation
    const again = mqtt.connect(`mqtt://127.0.0.1:${broker.ports.mqtt}`, {
      ...v5,
      clientId: "exq",
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 0 },
    });
    const got = nextMessages(again, 1);
    expect((await got)[0]!.payload).toBe("lasting");
    await Promise.all([again.endAsync(), pub.endAsync()]);
  });

  it("keeps retained messages per vhost", async () => {
    const pub = await connectClient(broker, { clientId: "rv-pub", username: "other:guest", password: "guest" });
    await pub.publishAsync("rv/t", "in other", { qos: 1, retain: true });
    const here = await connectClient(broker, { clientId: "rv-here" });
    const firstHere = nextMessages(here, 1);
    await here.subscribeAsync("rv/t", { qos: 1 });
    const marker = await connectClient(broker, { clientId: "rv-marker" });
    await marker.publishAsync("rv/t", "marker", { qos: 1 });
    expect((await firstHere)[0]!.payload).toBe("marker");
    const there = await connectClient(broker, { clientId: "rv-there", username: "other:guest", password: "guest" });
    const firstThere = nextMessages(there, 1);
    await there.subscribeAsync("rv/t", { qos: 1 });
    expect((await firstThere)[0]).toMatchObject({ payload: "in other" });
    await Promise.all([pub.endAsync(), here.endAsync(), marker.endAsync(), there.endAsync()]);
  });

  it("tells v5 clients the server is shutting down with DISCONNECT 0x8B", async () => {
    const b = await startMqttBroker({ amqp: false, webMqtt: false });
    const [raw] = await RawClient.connected(b.ports.mqtt!, { ...v5, clientId: "bye" });
    const closing = b.close();
    expect(await raw.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x8b });
    await closing;
  });
});

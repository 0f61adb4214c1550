import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import type { RunningBroker } from "warren";
import { connectClient, nextMessages, RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker();
});
afterAll(() => broker.close());

/** Connects with the message listener already attached: queued messages may follow CONNACK at once. */
function connectCollecting(
  clientId: string,
  n: number,
  extra: mqtt.IClientOptions = {},
): { client: MqttClient; messages: ReturnType<typeof nextMessages>; connack: Promise<mqtt.IConnackPacket> } {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { clientId, reconnectPeriod: 0, ...extra });
  const messages = nextMessages(client, n);
  const connack = new Promise<mqtt.IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return { client, messages, connack };
}

/** Proves nothing is waiting for a client: a marker published after the fact comes first. */
async function expectNothingBefore(client: MqttClient, topic: string): Promise<void> {
  const got = nextMessages(client, 1);
  await client.subscribeAsync(topic, { qos: 1 });
  const pub = await connectClient(broker, { clientId: `marker-${topic}` });
  await pub.publishAsync(topic, "marker", { qos: 1 });
  expect((await got)[0]!.payload).toBe("marker");
  await pub.endAsync();
}

describe("MQTT sessions", () => {
  it("keeps a persistent session's subscriptions and queues QoS 1 messages while it is away", async () => {
    const first = await connectClient(broker, { clientId: "persist", clean: false });
    await first.subscribeAsync("p/t", { qos: 1 });
    await first.endAsync();
    const pub = await connectClient(broker, { clientId: "persist-pub" });
    for (const n of ["1", "2", "3"]) await pub.publishAsync("p/t", n, { qos: 1 });
    await pub.endAsync();
    const again = connectCollecting("persist", 3, { clean: false });
    expect((await again.connack).sessionPresent).toBe(true);
    expect((await again.messages).map((m) => m.payload)).toEqual(["1", "2", "3"]);
    await again.client.endAsync();
    // clean session 1 discards it [MQTT-3.1.2-6]
    const clean = await connectClient(broker, { clientId: "persist", clean: true });
    const vhost = broker.core.vhost("/");
    if (!("queues" in vhost)) throw new Error("no vhost");
    expect(vhost.queues.has("mqtt-subscription-persistqos1")).toBe(false);
    await clean.endAsync();
  });

  it("forgets a clean session on disconnect", async () => {
    const first = await connectClient(broker, { clientId: "cleaner", clean: true });
    await first.subscribeAsync("c/t", { qos: 1 });
    await first.endAsync();
    const pub = await connectClient(broker, { clientId: "cleaner-pub" });
    await pub.publishAsync("c/t", "lost", { qos: 1 });
    await pub.endAsync();
    const again = connectCollecting("cleaner", 1, { clean: true });
    expect((await again.connack).sessionPresent).toBe(false);
    await expectNothingBefore(again.client, "c/t");
    await again.client.endAsync();
  });

  it("sends an unacknowledged QoS 1 message again with DUP after a persistent client reconnects", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { clientId: "dupper", clean: false });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "dup/t", qos: 1 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { clientId: "dup-pub" });
    await pub.publishAsync("dup/t", "again", { qos: 1 });
    const first = (await raw.next()) as IPublishPacket;
    expect(first).toMatchObject({ cmd: "publish", dup: false, qos: 1 });
    raw.close(); // no PUBACK
    await raw.closed;
    const [back, ack] = await RawClient.connected(broker.ports.mqtt!, { clientId: "dupper", clean: false });
    expect(ack.sessionPresent).toBe(true);
    const second = (await back.next()) as IPublishPacket;
    expect(second).toMatchObject({ cmd: "publish", dup: true, qos: 1 });
    expect(second.payload.toString()).toBe("again");
    back.send({ cmd: "puback", messageId: second.messageId! });
    back.send({ cmd: "disconnect" });
    await back.closed;
    await pub.endAsync();
  });

  it("keeps a v5 session only when the session expiry interval is above zero", async () => {
    const [a] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "exp0", clean: false });
    a.send({ cmd: "disconnect" });
    await a.closed;
    const [a2, ack0] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "exp0", clean: false });
    expect(ack0.sessionPresent).toBe(false);
    a2.close();
    const [b] = await RawClient.connected(broker.ports.mqtt!, {
      protocolVersion: 5,
      clientId: "exp60",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    b.send({ cmd: "disconnect" });
    await b.closed;
    const [b2, ack60] = await RawClient.connected(broker.ports.mqtt!, {
      protocolVersion: 5,
      clientId: "exp60",
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(ack60.sessionPresent).toBe(true);
    b2.close();
  });
});

describe("MQTT retained messages", () => {
  it("delivers the retained message to a new subscriber with the retain flag, and not after it is cleared", async () => {
    const pub = await connectClient(broker, { clientId: "ret-pub" });
    await pub.publishAsync("ret/a", "kept", { qos: 1, retain: true });
    await pub.publishAsync("ret/b", "other", { qos: 0, retain: true });
    const sub = await connectClient(broker, { clientId: "ret-sub" });
    const got = nextMessages(sub, 1);
    await sub.subscribeAsync("ret/a", { qos: 1 });
    const [m] = await got;
    expect(m).toMatchObject({ topic: "ret/a", payload: "kept" });
    expect(m!.packet.retain).toBe(true);
    // a live publish to a subscriber is not flagged retained [MQTT-3.3.1-9]
    const live = nextMessages(sub, 1);
    await pub.publishAsync("ret/a", "live", { qos: 1, retain: true });
    expect((await live)[0]!.packet.retain).toBe(false);
    // an empty retained publish clears it [MQTT-3.3.1-10]
    await pub.publishAsync("ret/a", "", { qos: 1, retain: true });
    await sub.endAsync();
    const late = await connectClient(broker, { clientId: "ret-late" });
    await expectNothingBefore(late, "ret/a");
    const wild = nextMessages(late, 1);
    await late.subscribeAsync("ret/+", { qos: 0 });
    expect((await wild)[0]).toMatchObject({ topic: "ret/b", payload: "other" });
    await Promise.all([late.endAsync(), pub.endAsync()]);
  });
});

describe("MQTT wills", () => {
  it("publishes the will when the connection drops without DISCONNECT", async () => {
    const watcher = await connectClient(broker, { clientId: "will-watch" });
    await watcher.subscribeAsync("will/+", { qos: 1 });
    const got = nextMessages(watcher, 1);
    const dying = await connectClient(broker, {
      clientId: "dying",
      will: { topic: "will/dying", payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    dying.stream.destroy();
    const [m] = await got;
    expect(m).toMatchObject({ topic: "will/dying", payload: "gone" });
    await watcher.endAsync();
    dying.end(true);
  });

  it("discards the will on a clean DISCONNECT", async () => {
    const watcher = await connectClient(broker, { clientId: "will-watch2" });
    await watcher.subscribeAsync("will2/+", { qos: 1 });
    const polite = await connectClient(broker, {
      clientId: "polite",
      will: { topic: "will2/polite", payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    await polite.endAsync();
    await expectNothingBefore(watcher, "will2/marker");
    await watcher.endAsync();
  });

  it("publishes the will of a session taken over", async () => {
    const watcher = await connectClient(broker, { clientId: "will-watch3" });
    await watcher.subscribeAsync("will3/#", { qos: 1 });
    const got = nextMessages(watcher, 1);
    const old = await connectClient(broker, {
      clientId: "taken",
      will: { topic: "will3/taken", payload: Buffer.from("bye"), qos: 0, retain: false },
    });
    const fresh = await connectClient(broker, { clientId: "taken" });
    expect((await got)[0]!.payload).toBe("bye");
    await Promise.all([watcher.endAsync(), fresh.endAsync()]);
    old.end(true);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IPublishPacket } from "mqtt-packet";
import type { RunningBroker } from "warren";
import { connectClient, nextMessages, RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker();
});
afterAll(() => broker.close());

const v5 = { protocolVersion: 5 as const };

describe("MQTT 5 features", () => {
  it("passes user properties, content type, correlation data and response topic from publisher to subscriber", async () => {
    const sub = await connectClient(broker, { ...v5, clientId: "props-sub" });
    await sub.subscribeAsync("props", { qos: 1 });
    const got = nextMessages(sub, 1);
    const pub = await connectClient(broker, { ...v5, clientId: "props-pub" });
    const properties = {
      userProperties: { a: "1", b: ["x", "y"] },
      contentType: "application/cbor",
      correlationData: Buffer.from([0, 1, 2]),
      responseTopic: "resp/props",
      payloadFormatIndicator: false,
    };
    await pub.publishAsync("props", "p", { qos: 1, properties });
    const p = (await got)[0]!.packet.properties!;
    expect(p.userProperties).toEqual({ a: "1", b: ["x", "y"] });
    expect(p.contentType).toBe("application/cbor");
    expect(p.correlationData).toEqual(Buffer.from([0, 1, 2]));
    expect(p.responseTopic).toBe("resp/props");
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  it("resolves topic aliases a client sets and then uses", async () => {
    const sub = await connectClient(broker, { ...v5, clientId: "alias-sub" });
    await sub.subscribeAsync("alias/t", { qos: 0 });
    const got = nextMessages(sub, 2);
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "alias-raw" });
    raw.send({
      cmd: "publish",
      topic: "alias/t",
      payload: Buffer.from("set"),
      qos: 0,
      dup: false,
      retain: false,
      properties: { topicAlias: 3 },
    });
    raw.send({ cmd: "publish", topic: "", payload: Buffer.from("used"), qos: 0, dup: false, retain: false, properties: { topicAlias: 3 } });
    expect((await got).map((m) => [m.topic, m.payload])).toEqual([
      ["alias/t", "set"],
      ["alias/t", "used"],
    ]);
    // an alias beyond the advertised maximum is refused [MQTT-3.3.2-9]
    raw.send({
      cmd: "publish",
      topic: "alias/t",
      payload: Buffer.from("no"),
      qos: 0,
      dup: false,
      retain: false,
      properties: { topicAlias: 1000 },
    });
    expect(await raw.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x94 });
    await sub.endAsync();
  });

  it("tags deliveries with the subscription identifiers that matched", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "subid" });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "sid/+", qos: 1 }], properties: { subscriptionIdentifier: 42 } });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { ...v5, clientId: "subid-pub" });
    await pub.publishAsync("sid/a", "x", { qos: 0 });
    const p = (await raw.next()) as IPublishPacket;
    expect(p.properties?.subscriptionIdentifier).toBe(42);
    raw.close();
    await pub.endAsync();
  });

  it("matches subscription options on the routed levels, so dotted topics behave as without them", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "dots" });
    // like RabbitMQ, "dot/a.b" is routed as dot.a.b and so reaches a subscriber of dot/a/b
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "dot/a/b", qos: 0 }], properties: { subscriptionIdentifier: 7 } });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { ...v5, clientId: "dots-pub" });
    await pub.publishAsync("dot/a.b", "dotted", { qos: 0 });
    const p = (await raw.next()) as IPublishPacket;
    expect(p.topic).toBe("dot/a.b");
    expect(p.properties?.subscriptionIdentifier).toBe(7);
    raw.close();
    await pub.endAsync();
  });

  it("does not echo a client's own publishes on a no-local subscription", async () => {
    const c = await connectClient(broker, { ...v5, clientId: "nolocal" });
    await c.subscribeAsync("nl/t", { qos: 1, nl: true });
    const got = nextMessages(c, 1);
    await c.publishAsync("nl/t", "mine", { qos: 1 });
    const other = await connectClient(broker, { ...v5, clientId: "nolocal-other" });
    await other.publishAsync("nl/t", "theirs", { qos: 1 });
    expect((await got)[0]!.payload).toBe("theirs");
    await Promise.all([c.endAsync(), other.endAsync()]);
  });

  it("shares a $share subscription's messages among its group", async () => {
    const a = await connectClient(broker, { ...v5, clientId: "share-a" });
    const b = await connectClient(broker, { ...v5, clientId: "share-b" });
    await a.subscribeAsync("$share/g/sh/t", { qos: 1 });
    await b.subscribeAsync("$share/g/sh/t", { qos: 1 });
    const seen: string[] = [];
    const all = new Promise<void>((resolve) => {
      const on = (_t: string, p: Buffer) => {
        seen.push(p.toString());
        if (seen.length === 4) resolve();
      };
      a.on("message", on);
      b.on("message", on);
    });
    const gotA = nextMessages(a, 1);
    const gotB = nextMessages(b, 1);
    const pub = await connectClient(broker, { ...v5, clientId: "share-pub" });
    for (const n of ["1", "2", "3", "4"]) await pub.publishAsync("sh/t", n, { qos: 1 });
    await all;
    await Promise.all([gotA, gotB]);
    expect(seen.sort()).toEqual(["1", "2", "3", "4"]);
    await Promise.all([a.endAsync(), b.endAsync(), pub.endAsync()]);
  });

  it("hands a leaving $share member's unacknowledged messages to the rest of the group at once", async () => {
    // the raw member takes a message and never acknowledges it
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "share-leaver" });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "$share/leave/lv/t", qos: 1 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const stayer = await connectClient(broker, { ...v5, clientId: "share-stayer" });
    await stayer.subscribeAsync("$share/leave/lv/t", { qos: 1 });
    const pub = await connectClient(broker, { ...v5, clientId: "share-leave-pub" });
    const got: string[] = [];
    const both = new Promise<void>((resolve) =>
      stayer.on("message", (_t, p: Buffer) => {
        got.push(p.toString());
        if (got.length === 2) resolve();
      }),
    );
    // round-robin: of two messages, one goes to each member
    await pub.publishAsync("lv/t", "m1", { qos: 1 });
    await pub.publishAsync("lv/t", "m2", { qos: 1 });
    const held = ((await raw.next()) as IPublishPacket).payload.toString();
    // nothing else is published: only the leaver's requeue can bring its message to the stayer
    raw.close();
    await both;
    expect(got.sort()).toEqual(["m1", "m2"]);
    expect(got).toContain(held);
    await Promise.all([stayer.endAsync(), pub.endAsync()]);
  });

  it("keeps the retain flag with retain-as-published and skips retained messages with retain handling 2", async () => {
    const pub = await connectClient(broker, { ...v5, clientId: "rap-pub" });
    await pub.publishAsync("rap/t", "stored", { qos: 1, retain: true });
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "rap" });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "rap/t", qos: 0, rap: true, rh: 2 }] });
    expect((await raw.next()).cmd).toBe("suback");
    await pub.publishAsync("rap/t", "live", { qos: 1, retain: true });
    const p = (await raw.next()) as IPublishPacket;
    expect(p.payload.toString()).toBe("live");
    expect(p.retain).toBe(true);
    raw.close();
    await pub.publishAsync("rap/t", "", { qos: 1, retain: true });
    await pub.endAsync();
  });

  it("counts down the message expiry interval and answers no-matching-subscribers", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "expiry-pub" });
    raw.send({ cmd: "publish", topic: "nobody/home", payload: Buffer.from("x"), qos: 1, messageId: 5, dup: false, retain: false });
    expect(await raw.next()).toMatchObject({ cmd: "puback", messageId: 5, reasonCode: 0x10 });
    const sub = await connectClient(broker, { ...v5, clientId: "expiry-sub" });
    await sub.subscribeAsync("exp/t", { qos: 1 });
    const got = nextMessages(sub, 1);
    raw.send({
      cmd: "publish",
      topic: "exp/t",
      payload: Buffer.from("x"),
      qos: 0,
      dup: false,
      retain: false,
      properties: { messageExpiryInterval: 60 },
    });
    const interval = (await got)[0]!.packet.properties?.messageExpiryInterval;
    expect(interval).toBeGreaterThan(0);
    expect(interval).toBeLessThanOrEqual(60);
    raw.close();
    await sub.endAsync();
  });

  it("drops publishes larger than the client's maximum packet size", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, {
      ...v5,
      clientId: "small",
      properties: { maximumPacketSize: 100, receiveMaximum: 1, topicAliasMaximum: 4 },
    });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "small/t", qos: 1 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const pub = await connectClient(broker, { ...v5, clientId: "small-pub" });
    await pub.publishAsync("small/t", "x".repeat(500), { qos: 1 });
    await pub.publishAsync("small/t", "fits", { qos: 1 });
    // the dropped one neither holds the only in-flight slot nor spent a topic alias
    const p = (await raw.next()) as IPublishPacket;
    expect(p.payload.toString()).toBe("fits");
    expect(p.topic).toBe("small/t");
    raw.close();
    await pub.endAsync();
  });

  it("announces its receive maximum and disconnects a client that goes over it with 0x93", async () => {
    const [raw, ack] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "flood" });
    const max = ack.properties!.receiveMaximum!;
    expect(max).toBe(1024);
    // QoS 2 publishes stay in flight until PUBREL: the one past the maximum is refused
    for (let id = 1; id <= max + 1; id++) {
      raw.send({ cmd: "publish", topic: "flood/t", payload: Buffer.from("x"), qos: 2, messageId: id, retain: false, dup: false });
    }
    let last = await raw.next();
    while (last.cmd === "pubrec") last = await raw.next();
    expect(last.cmd).toBe("disconnect");
    expect((last as { reasonCode?: number }).reasonCode).toBe(0x93);
    await raw.closed;
  });

  it("answers a request for response information with a topic prefix for the client", async () => {
    const [raw, ack] = await RawClient.connected(broker.ports.mqtt!, {
      ...v5,
      clientId: "asker",
      properties: { requestResponseInformation: true },
    });
    expect(ack.properties?.responseInformation).toBe("response/asker/");
    raw.close();
    const [plain, ack2] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "not-asking" });
    expect(ack2.properties?.responseInformation).toBeUndefined();
    plain.close();
  });

  it("refuses enhanced authentication with CONNACK 0x8C", async () => {
    const [raw, ack] = await RawClient.connected(broker.ports.mqtt!, {
      ...v5,
      clientId: "scram",
      properties: { authenticationMethod: "SCRAM-SHA-1" },
    });
    expect(ack.reasonCode).toBe(0x8c);
    await raw.closed;
  });

  it("answers UNSUBSCRIBE of an unknown filter with 0x11", async () => {
    const [raw] = await RawClient.connected(broker.ports.mqtt!, { ...v5, clientId: "unsub5" });
    raw.send({ cmd: "unsubscribe", messageId: 3, unsubscriptions: ["never/subscribed"] });
    expect(await raw.next()).toMatchObject({ cmd: "unsuback", messageId: 3, granted: [0x11] });
    raw.close();
  });

  it("publishes a will on DISCONNECT with reason 0x04", async () => {
    const watcher = await connectClient(broker, { ...v5, clientId: "w5-watch" });
    await watcher.subscribeAsync("w5/#", { qos: 0 });
    const got = nextMessages(watcher, 1);
    const [raw] = await RawClient.connected(broker.ports.mqtt!, {
      ...v5,
      clientId: "w5",
      will: { topic: "w5/x", payload: Buffer.from("asked"), qos: 0, retain: false, properties: { contentType: "text/plain" } },
    });
    raw.send({ cmd: "disconnect", reasonCode: 0x04 });
    const [m] = await got;
    expect(m!.payload).toBe("asked");
    expect(m!.packet.properties?.contentType).toBe("text/plain");
    await watcher.endAsync();
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect as tcpConnect, type Socket } from "node:net";
import amqplib from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import WebSocket from "ws";
import { networkInterfaces } from "node:os";
import { startBroker, type RunningBroker } from "warren";

function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, mqtt: { port: 0 }, stomp: { port: 0 }, webStomp: { port: 0 }, webMqtt: { port: 0 } });
  const users = broker.core.users;
  users.add("limited", "pw");
  users.setPermission("limited", "/", { configure: "^mqtt-subscription-", write: "^(w-|mqtt-subscription-|amq\\.topic)", read: "^r-" });
  users.add("novhost", "pw");
  users.add("topical", "pw");
  users.setPermission("topical", "/", { configure: ".*", write: ".*", read: ".*" });
  users.setTopicPermission("topical", "/", { exchange: "amq.topic", write: "^dev\\.{client_id}\\.", read: "^dev\\.{username}\\." });
  users.add("remote", "pw");
  users.setPermission("remote", "/", { configure: ".*", write: ".*", read: ".*" });
  broker.core.vhost("/");
});
afterAll(() => broker.close());

const mqttConnect = (opts: mqtt.IClientOptions) =>
  new Promise<{ client: MqttClient; error?: Error & { code?: number } }>((resolve) => {
    const client = mqtt.connect({ host: "127.0.0.1", port: broker.ports.mqtt!, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    client.once("connect", () => resolve({ client }));
    client.once("error", (error) => resolve({ client, error }));
  });
const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once("close", () => resolve()) : resolve()));

describe("MQTT permissions", () => {
  it("3.1.1: no access to the vhost is CONNACK 5, as RabbitMQ 3.10 answers", async () => {
    const { client, error } = await mqttConnect({ username: "novhost", password: "pw", protocolVersion: 4 });
    expect(error?.code).toBe(5);
    client.end(true);
  });

  it("5.0: no access to the vhost is CONNACK 0x87 not authorized", async () => {
    const { client, error } = await mqttConnect({ username: "novhost", password: "pw", protocolVersion: 5 });
    expect(error?.code).toBe(0x87);
    client.end(true);
  });

  it("3.1.1: a refused subscription closes the connection, as RabbitMQ 3.10 does", async () => {
    const { client } = await mqttConnect({ username: "topical", password: "pw", clientId: "c1", protocolVersion: 4 });
    const gone = closed(client);
    client.subscribe("dev/someone-else/x", { qos: 1 });
    await gone;
    client.end(true);
  });

  it("5.0: a refused filter gets SUBACK 0x87 beside granted ones; topic patterns expand {username}", async () => {
    const { client } = await mqttConnect({ username: "topical", password: "pw", clientId: "c2", protocolVersion: 5 });
    // mqtt.js rejects when any filter is refused; the SUBACK rides on the error
    const err = await client.subscribeAsync({ "dev/topical/#": { qos: 1 }, "dev/other/#": { qos: 1 } }).then(
      () => null,
      (e: { packet?: { granted: number[] } }) => e,
    );
    expect(err?.packet?.granted).toEqual([1, 0x87]);
    await client.endAsync();
  });

  it("topic write permission with {client_id}: allowed keys route, others are refused (v5 PUBACK 0x87, v3 close)", async () => {
    const { client: v5 } = await mqttConnect({ username: "topical", password: "pw", clientId: "dev1", protocolVersion: 5 });
    await v5.publishAsync("dev/dev1/temp", "ok", { qos: 1 });
    await expect(v5.publishAsync("dev/dev2/temp", "no", { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await v5.endAsync();
    const { client: v3 } = await mqttConnect({ username: "topical", password: "pw", clientId: "dev3", protocolVersion: 4 });
    const gone = closed(v3);
    v3.publish("dev/dev4/temp", "no", { qos: 1 });
    await gone;
    v3.end(true);
  });

  it("a will is checked against topic permissions when it goes out: a refused one is dropped", async () => {
    const amqp = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await amqp.createChannel();
    const { queue } = await ch.assertQueue("", { exclusive: true });
    await ch.bindQueue(queue, "amq.topic", "dev.#");
    const got: string[] = [];
    await ch.consume(queue, (m) => m && got.push(`${m.fields.routingKey} ${m.content.toString()}`), { noAck: true });
    const will = (clientId: string, topic: string) =>
      mqttConnect({
        username: "topical",
        password: "pw",
        clientId,
        protocolVersion: 4,
        will: { topic, payload: Buffer.from("gone"), qos: 0, retain: false },
      });
    const before = broker.connectionCount();
    const { client: refused } = await will("dev5", "dev/dev6/status");
    const { client: allowed } = await will("dev7", "dev/dev7/status");
    // abnormal ends (no DISCONNECT), one after the other: the refused will would arrive first
    refused.stream.destroy();
    await waitFor(() => broker.connectionCount() === before + 1, "the first MQTT connection to close");
    allowed.stream.destroy();
    await waitFor(() => got.length > 0, "the allowed will");
    await ch.checkQueue(queue); // a round trip after the delivery
    expect(got).toEqual(["dev.dev7.status gone"]);
    refused.end(true);
    allowed.end(true);
    await amqp.close();
  });

  it("without read on amq.topic a subscription is refused; without write a publish is", async () => {
    const { client } = await mqttConnect({ username: "limited", password: "pw", clientId: "l1", protocolVersion: 5 });
    // mqtt.js rejects when every filter is refused; the SUBACK rides on the error
    const err = await client.subscribeAsync("a/b", { qos: 0 }).then(
      () => null,
      (e: { packet?: { granted: number[] } }) => e,
    );
    expect(err?.packet?.granted).toEqual([0x87]);
    await client.publishAsync("a/b", "x", { qos: 1 }); // write on amq.topic is granted
    await client.endAsync();
  });
});

/** A raw STOMP client: send frames, read until an ERROR or RECEIPT. */
function stomp(port: number, login: string, host = "127.0.0.1"): Promise<{ socket: Socket; frames: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host, localAddress: host === "127.0.0.1" ? undefined : host });
    let buf = "";
    socket.on("data", (d) => (buf += d.toString()));
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:${login}\npasscode:${login === "guest" ? "guest" : "pw"}\n\n\0`);
      resolve({ socket, frames: () => buf, closed });
    });
  });
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("STOMP permissions", () => {
  it("SEND without write on the exchange is an ERROR with RabbitMQ's access_refused text", async () => {
    const c = await stomp(broker.ports.stomp!, "limited");
    c.socket.write("SEND\ndestination:/exchange/amq.direct/k\n\nhi\0");
    await c.closed;
    expect(c.frames()).toContain("ERROR\nmessage:access_refused");
    expect(c.frames()).toContain("ACCESS_REFUSED - access to exchange 'amq.direct' in vhost '/' refused for user 'limited'");
  });

  it("SEND to /queue/x needs configure on x (the queue is declared)", async () => {
    const c = await stomp(broker.ports.stomp!, "limited");
    c.socket.write("SEND\ndestination:/queue/orders\n\nhi\0");
    await c.closed;
    expect(c.frames()).toContain("ACCESS_REFUSED - access to queue 'orders' in vhost '/' refused for user 'limited'");
  });

  it("SUBSCRIBE to an existing queue needs read on it", async () => {
    const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createChannel();
    await ch.assertQueue("secret");
    const c = await stomp(broker.ports.stomp!, "limited");
    c.socket.write("SUBSCRIBE\ndestination:/amq/queue/secret\nid:1\n\n\0");
    await c.closed;
    expect(c.frames()).toContain("ACCESS_REFUSED - access to queue 'secret' in vhost '/' refused for user 'limited'");
    await conn.close();
  });

  it("SEND to /topic/ is checked against topic permissions", async () => {
    const c = await stomp(broker.ports.stomp!, "topical");
    c.socket.write("SEND\ndestination:/topic/dev.x.y\nreceipt:r1\n\nhi\0");
    await c.closed;
    expect(c.frames()).toContain(
      "ACCESS_REFUSED - access to topic 'dev.x.y' in exchange 'amq.topic' in vhost '/' refused for user 'topical'",
    );
  });
});

describe("loopback-only users (guest) on every protocol", () => {
  it("guest is refused from a non-loopback address over AMQP, MQTT, STOMP and both WebSockets; others are not", async () => {
    // guest from loopback is fine on every protocol
    await (await amqplib.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`)).close();
    const external = externalIPv4();
    // a machine with only a loopback interface can show only that half
    if (external === undefined) return;
    await expect(amqplib.connect(`amqp://guest:guest@${external}:${broker.ports.amqp}`)).rejects.toThrow(/ACCESS_REFUSED/);
    const ok = await amqplib.connect(`amqp://remote:pw@${external}:${broker.ports.amqp}`);
    await ok.close();

    const m = await new Promise<Error & { code?: number }>((resolve) => {
      const c = mqtt.connect({ host: external, port: broker.ports.mqtt!, username: "guest", password: "guest", reconnectPeriod: 0 });
      c.once("error", (e) => (c.end(true), resolve(e)));
    });
    expect(m.code).toBe(4);

    // RabbitMQ 3.10 answers a refused STOMP login with ERROR and leaves the connection open
    const s = await stomp(broker.ports.stomp!, "guest", external);
    await waitFor(() => s.frames().includes("ERROR\nmessage:Bad CONNECT"), "STOMP ERROR");
    s.socket.destroy();

    const ws = new WebSocket(`ws://${external}:${broker.ports.webStomp}/ws`, "v12.stomp");
    let wsText = "";
    ws.on("message", (d) => (wsText += d.toString()));
    await new Promise((r) => ws.once("open", r));
    ws.send("CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0");
    await waitFor(() => wsText.includes("ERROR\nmessage:Bad CONNECT"), "web-stomp ERROR");
    ws.close();

    const wm = await new Promise<Error & { code?: number }>((resolve) => {
      const c = mqtt.connect(`ws://${external}:${broker.ports.webMqtt}/ws`, { username: "guest", password: "guest", reconnectPeriod: 0 });
      c.once("error", (e) => (c.end(true), resolve(e)));
    });
    expect(wm.code).toBe(4);
  });
});

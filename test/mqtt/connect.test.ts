import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "warren";
import { connectClient, RawClient, startMqttBroker } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqttBroker();
  broker.core.users.add("alice", "secret");
  broker.core.addVhost("site");
  broker.core.users.setPermission("alice", "site", { configure: ".*", write: ".*", read: ".*" });
});
afterAll(() => broker.close());

describe("MQTT CONNECT", () => {
  it("accepts an MQTT 3.1.1 client and counts its connection", async () => {
    const c = await connectClient(broker, { protocolVersion: 4, clientId: "c311" });
    expect(c.connected).toBe(true);
    expect(broker.connectionCount()).toBeGreaterThanOrEqual(1);
    await c.endAsync();
  });

  it("accepts an MQTT 5 client and advertises its limits in CONNACK", async () => {
    const [c, ack] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "c5" });
    expect(ack.reasonCode).toBe(0);
    expect(ack.properties?.topicAliasMaximum).toBeGreaterThan(0);
    expect(ack.properties?.sharedSubscriptionAvailable).toBe(true);
    c.close();
  });

  it("accepts MQTT 3.1 (MQIsdp) with client ids past 3.1's 23 characters, as RabbitMQ 3.10 does", async () => {
    for (const clientId of ["short", "x".repeat(24), "y".repeat(1000)]) {
      const [a, ok] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 3, clientId });
      expect(ok.returnCode).toBe(0);
      a.close();
    }
  });

  it("assigns a client identifier to a v5 client that sent none", async () => {
    const [c, ack] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "" });
    expect(ack.reasonCode).toBe(0);
    expect(ack.properties?.assignedClientIdentifier).toMatch(/^warren-/);
    c.close();
  });

  it("refuses an empty client id with a persistent 3.1.1 session (return code 2)", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    // CONNECT "MQTT" level 4, flags 0 (clean session off), keep-alive 0, zero-length client id
    c.write(Buffer.from("100c00044d5154540400000000 00".replace(/ /g, ""), "hex"));
    const ack = await c.next();
    expect(ack).toMatchObject({ cmd: "connack", returnCode: 2 });
    await c.closed;
  });

  it("refuses bad credentials with 4 (3.1.1) and 0x86 (5)", async () => {
    const [a, v4] = await RawClient.connected(broker.ports.mqtt!, { clientId: "bad4", username: "guest", password: Buffer.from("nope") });
    expect(v4.returnCode).toBe(4);
    await a.closed;
    const [b, v5] = await RawClient.connected(broker.ports.mqtt!, {
      protocolVersion: 5,
      clientId: "bad5",
      username: "guest",
      password: Buffer.from("nope"),
    });
    expect(v5.reasonCode).toBe(0x86);
    await b.closed;
  });

  it("logs in as vhost:user and refuses a vhost the user may not open with 5 / 0x87", async () => {
    const ok = await connectClient(broker, { clientId: "alice1", username: "site:alice", password: "secret" });
    await ok.endAsync();
    const [c, refused] = await RawClient.connected(broker.ports.mqtt!, {
      clientId: "alice2",
      username: "alice",
      password: Buffer.from("secret"),
    });
    expect(refused.returnCode).toBe(5);
    await c.closed;
  });

  it("closes a client that sends nothing for 1.5 times its keep-alive", async () => {
    const [c, ack] = await RawClient.connected(broker.ports.mqtt!, { clientId: "sleepy", keepalive: 1 });
    expect(ack.returnCode).toBe(0);
    const started = Date.now();
    await c.closed;
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(waited).toBeLessThan(5000);
  });

  it("keeps a client that pings within its keep-alive", async () => {
    const [c] = await RawClient.connected(broker.ports.mqtt!, { clientId: "pinger", keepalive: 2 });
    for (let i = 0; i < 3; i++) {
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
      await new Promise((r) => setTimeout(r, 700)); // pacing the pings, not synchronising on the broker
    }
    expect(c.isClosed).toBe(false);
    c.close();
  });

  it("watches every client's keep-alive on one timer, not a timer per connection", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        RawClient.connected(broker.ports.mqtt!, { clientId: `kept-${i}`, keepalive: 60 }).then(([c]) => c),
      ),
    );
    // the sweeper is one unref'd timer; a timer per connection would show 20 (a little slack for other tests' timers)
    expect(timers() - before).toBeLessThan(5);
    for (const c of clients) c.close();
  });

  it("takes a session over: a second connection with the same client id closes the first", async () => {
    const first = await connectClient(broker, { clientId: "twin" });
    const firstClosed = new Promise<void>((r) => first.once("close", () => r()));
    const second = await connectClient(broker, { clientId: "twin" });
    await firstClosed;
    expect(second.connected).toBe(true);
    await second.endAsync();
    first.end(true);
  });

  it("tells a v5 client it was taken over with DISCONNECT 0x8E", async () => {
    const [first] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "twin5" });
    const [second] = await RawClient.connected(broker.ports.mqtt!, { protocolVersion: 5, clientId: "twin5" });
    const d = await first.next();
    expect(d.cmd).toBe("disconnect");
    expect((d as { reasonCode?: number }).reasonCode).toBe(0x8e);
    await first.closed;
    second.close();
  });

  it("closes a connection whose CONNECT is larger than 64 KiB before reading it", async () => {
    const c = await RawClient.open(broker.ports.mqtt!);
    // CONNECT announcing 100000 bytes (varint a0 8d 06)
    c.write(Buffer.from("10a08d0600044d5154540402", "hex"));
    await c.closed;
    expect(c.buffered).toHaveLength(0);
  });

  it("refuses anonymous clients when anonymous login is off", async () => {
    const b = await startMqttBroker({ mqtt: { port: 0, allowAnonymous: false }, amqp: false, webMqtt: false });
    try {
      const [c, ack] = await RawClient.connected(b.ports.mqtt!, { clientId: "anon" });
      expect(ack.returnCode).toBe(5);
      await c.closed;
    } finally {
      await b.close();
    }
  });
});

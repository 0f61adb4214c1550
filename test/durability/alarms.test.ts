import { afterEach, describe, expect, it } from "vitest";
import { once } from "node:events";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";
import { BrokerError, type VirtualHost } from "../../src/core/index.js";
import { RawClient } from "../mqtt/helpers.js";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

async function setup() {
  // manual checks only: the test decides when usage is sampled
  broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent", resourceCheckInterval: 3_600_000 });
  const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
  const pub = await amqp.connect(url);
  const con = await amqp.connect(url);
  const pch = await pub.createChannel();
  const cch = await con.createChannel();
  await cch.assertQueue("alarmed");
  return { pub, con, pch, cch };
}

describe("resource alarms", () => {
  it("a disk alarm blocks publishers (connection.blocked, socket not read) while consumers drain; unblocked when cleared", async () => {
    const { pub, con, pch, cch } = await setup();
    pch.sendToQueue("alarmed", Buffer.from("before"));
    const got: string[] = [];
    let arrived: (() => void) | null = null;
    await cch.consume(
      "alarmed",
      (m) => {
        got.push(m!.content.toString());
        arrived?.();
      },
      { noAck: true },
    );

    const blocked = once(pub, "blocked");
    broker!.resources.limits.diskFreeLimit = Number.MAX_SAFE_INTEGER;
    await broker!.resources.check();
    expect((await blocked)[0]).toBe("low on disk");

    // the publisher's socket is no longer read: its publish waits (as RabbitMQ's reader)
    pch.sendToQueue("alarmed", Buffer.from("during"));
    let answered = false;
    const pending = pch.checkQueue("alarmed").then(() => (answered = true));
    // the consumer's connection still works, round trip after round trip
    for (let i = 0; i < 5; i++) await cch.checkQueue("alarmed");
    expect(answered).toBe(false);
    expect(got).toEqual(["before"]);

    const unblocked = once(pub, "unblocked");
    const during = new Promise<void>((r) => (arrived = () => got.length === 2 && r()));
    broker!.resources.limits.diskFreeLimit = 0;
    await broker!.resources.check();
    await unblocked;
    await pending;
    await during;
    expect(answered).toBe(true);
    expect(got).toEqual(["before", "during"]);
    await pub.close();
    await con.close();
  });

  it("a memory alarm over a small high watermark blocks publishers with 'low on memory'", async () => {
    const { pub, con, pch } = await setup();
    // only a connection that has published is blocked when an alarm goes off (RabbitMQ's should_block)
    pch.sendToQueue("alarmed", Buffer.from("m"));
    await pch.checkQueue("alarmed");
    const blocked = once(pub, "blocked");
    broker!.resources.limits.memoryHighWatermarkBytes = 1;
    await broker!.resources.check();
    expect((await blocked)[0]).toBe("low on memory");
    const unblocked = once(pub, "unblocked");
    broker!.resources.limits.memoryHighWatermarkBytes = Number.MAX_SAFE_INTEGER;
    await broker!.resources.check();
    await unblocked;
    await pub.close();
    await con.close();
  });
});

describe("alarms on from start-up hold every publisher whenever it connects", () => {
  it("AMQP: a new connection is blocked at its first publish (not routed, not confirmed) and goes on when the alarm clears", async () => {
    broker = await startBroker({
      amqp: { port: 0 },
      logLevel: "silent",
      resourceCheckInterval: 3_600_000,
      diskFreeLimit: Number.MAX_SAFE_INTEGER,
    });
    expect(broker.core.alarms.blocked).toBe(true);
    const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
    const pub = await amqp.connect(url);
    const con = await amqp.connect(url);
    const events: string[] = [];
    pub.on("blocked", (reason: string) => events.push(`blocked ${reason}`));
    pub.on("unblocked", () => events.push("unblocked"));
    const pch = await pub.createConfirmChannel();
    const cch = await con.createChannel();
    await cch.assertQueue("held", { durable: true });
    // RabbitMQ tells a connection it is blocked when it publishes, not at open
    await cch.checkQueue("held");
    expect(events).toEqual([]);

    let confirmed = false;
    const blocked = once(pub, "blocked");
    pch.sendToQueue("held", Buffer.from("x"), { persistent: true }, () => (confirmed = true));
    await blocked;
    for (let i = 0; i < 5; i++) expect((await cch.checkQueue("held")).messageCount).toBe(0);
    expect(confirmed).toBe(false);

    const unblocked = once(pub, "unblocked");
    broker.resources.limits.diskFreeLimit = 0;
    await broker.resources.check();
    await unblocked;
    await pch.waitForConfirms();
    expect(confirmed).toBe(true);
    expect((await cch.checkQueue("held")).messageCount).toBe(1);
    expect(events).toEqual(["blocked low on disk", "unblocked"]);
    await pub.close();
    await con.close();
  });
});

describe("alarms on from start-up, MQTT and STOMP", () => {
  const alarmed = () =>
    startBroker({
      mqtt: { port: 0 },
      stomp: { port: 0 },
      logLevel: "silent",
      resourceCheckInterval: 3_600_000,
      diskFreeLimit: Number.MAX_SAFE_INTEGER,
    });
  const clear = async () => {
    broker!.resources.limits.diskFreeLimit = 0;
    await broker!.resources.check();
  };

  it("MQTT: a QoS 1 PUBLISH gets no PUBACK until the alarm clears; subscribers connect and subscribe meanwhile", async () => {
    broker = await alarmed();
    const port = broker.ports.mqtt!;
    const [sub] = await RawClient.connected(port, { clientId: "sub" });
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "t/x", qos: 1 }] });
    expect((await sub.next()).cmd).toBe("suback");
    const [pub] = await RawClient.connected(port, { clientId: "pub" });
    pub.send({ cmd: "publish", topic: "t/x", payload: Buffer.from("held"), qos: 1, messageId: 7, retain: false, dup: false });
    pub.send({ cmd: "pingreq" });
    // other connections are read and answered, round trip after round trip; the publisher is not
    for (let i = 0; i < 5; i++) {
      sub.send({ cmd: "pingreq" });
      expect((await sub.next()).cmd).toBe("pingresp");
    }
    expect(pub.buffered).toEqual([]);
    expect(sub.buffered).toEqual([]);

    await clear();
    const ack = await pub.next();
    expect(ack).toMatchObject({ cmd: "puback", messageId: 7 });
    expect((await pub.next()).cmd).toBe("pingresp");
    const delivered = await sub.next();
    expect(delivered).toMatchObject({ cmd: "publish", topic: "t/x" });
    pub.close();
    sub.close();
  });

  it("STOMP: as RabbitMQ, the SEND that meets the alarm is taken, then the socket is not read (no RECEIPT) until it clears", async () => {
    broker = await alarmed();
    const port = broker.ports.stomp!;
    const { c: other } = await RawStomp.connected(port);
    const { c } = await RawStomp.connected(port);
    c.send("SEND", { destination: "/queue/alarmed", receipt: "r1" }, "first");
    expect(await c.next()).toMatchObject({ command: "RECEIPT", headers: { "receipt-id": "r1" } });
    c.send("SEND", { destination: "/queue/alarmed", receipt: "r2" }, "second");
    for (let i = 0; i < 5; i++) {
      other.send("SUBSCRIBE", { id: `${i}`, destination: "/queue/other", receipt: `s${i}` });
      expect((await other.next()).command).toBe("RECEIPT");
    }
    const count = () => {
      const q = (broker!.core.vhost("/") as VirtualHost).queue("alarmed", null);
      return q instanceof BrokerError ? -1 : q.messageCount;
    };
    expect(count()).toBe(1);

    await clear();
    expect(await c.next()).toMatchObject({ command: "RECEIPT", headers: { "receipt-id": "r2" } });
    expect(count()).toBe(2);
    c.socket.destroy();
    other.socket.destroy();
  });
});

describe("the memory alarm clears once the broker is drained", () => {
  it("publish until blocked, drain every message, and the publisher gets connection.unblocked", async () => {
    broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent", resourceCheckInterval: 3_600_000 });
    const resources = broker.resources;
    resources.limits.collectIntervalMs = 0;
    resources.limits.memoryHighWatermarkBytes = Number.MAX_SAFE_INTEGER;
    await resources.check();
    // 24 MB above what the broker (and this test process) uses now
    resources.limits.memoryHighWatermarkBytes = resources.memoryUsed + 24_000_000;
    const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
    const pub = await amqp.connect(url);
    const con = await amqp.connect(url);
    const pch = await pub.createChannel();
    const cch = await con.createChannel();
    await cch.assertQueue("big");
    const blocked = once(pub, "blocked");
    const body = Buffer.alloc(64 * 1024, 7);
    let published = 0;
    while (!broker.core.alarms.isSet("memory")) {
      expect(published).toBeLessThan(2000);
      for (let i = 0; i < 16; i++) pch.sendToQueue("big", body);
      published += 16;
      await pch.checkQueue("big");
      await resources.check();
    }
    expect((await blocked)[0]).toBe("low on memory");

    let drained = 0;
    await new Promise<void>((resolve) => {
      void cch.consume(
        "big",
        () => {
          if (++drained === published) resolve();
        },
        { noAck: true },
      );
    });
    const unblocked = once(pub, "unblocked");
    for (let i = 0; i < 10 && broker.core.alarms.isSet("memory"); i++) await resources.check();
    expect(broker.core.alarms.isSet("memory")).toBe(false);
    await unblocked;
    await pub.close();
    await con.close();
  });
});

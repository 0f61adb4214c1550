import { afterEach, describe, expect, it } from "vitest";
import { once } from "node:events";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";

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
    await cch.consume("alarmed", (m) => {
      got.push(m!.content.toString());
      arrived?.();
    }, { noAck: true });

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
    broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent", resourceCheckInterval: 3_600_000, diskFreeLimit: Number.MAX_SAFE_INTEGER });
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

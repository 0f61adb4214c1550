import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import { type RunningBroker, startBroker } from "warren";

describe("configured AMQP limits", () => {
  let broker: RunningBroker;
  let url: string;

  beforeAll(async () => {
    broker = await startBroker({ amqp: { port: 0 }, maxMessageSize: 1000, logLevel: "silent" });
    url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
  });
  afterAll(() => broker.close());

  it("a body over max_message_size closes the channel with 406 and RabbitMQ's text, the connection survives", async () => {
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    const q = (await ch.assertQueue("", { exclusive: true })).queue;
    const closed = new Promise<Error>((resolve) => ch.once("error", resolve));
    ch.sendToQueue(q, Buffer.alloc(2000));
    const err = (await closed) as Error & { code?: number };
    expect(err.code).toBe(406);
    expect(err.message).toContain("PRECONDITION_FAILED - message size 2000 is larger than configured max size 1000");
    const ch2 = await conn.createChannel();
    ch2.sendToQueue(q, Buffer.alloc(1000));
    await expect.poll(async () => (await ch2.checkQueue(q)).messageCount).toBe(1);
    await conn.close();
  });
});

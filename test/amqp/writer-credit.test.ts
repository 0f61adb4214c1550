import { expect, it } from "vitest";
import amqp from "amqplib";
import { startBroker } from "warren";

it("a no-ack consumer gets a backlog larger than the writer's high-water mark in full", async () => {
  const broker = await startBroker({ amqp: { port: 0 } });
  try {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue("backlog", { exclusive: true });
    // ~3 MiB ready before anyone consumes: one dispatch gathers more than 1 MiB in a single turn
    for (let i = 0; i < 3000; i++) ch.sendToQueue("backlog", Buffer.alloc(1024, i % 256));
    await ch.waitForConfirms();
    let n = 0;
    await new Promise<void>((resolve) => {
      void ch.consume(
        "backlog",
        () => {
          if (++n === 3000) resolve();
        },
        { noAck: true },
      );
    });
    expect(n).toBe(3000);
    await conn.close();
  } finally {
    await broker.close();
  }
});

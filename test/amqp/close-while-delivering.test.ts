import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent" });
});
afterAll(() => broker.close());

describe("connection.close while deliveries are queued on the socket", () => {
  it("close-ok still reaches the client (it is not dropped with the queued deliveries), so close() resolves", async () => {
    const url = `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`;
    const setup = await amqp.connect(url);
    const sch = await setup.createConfirmChannel();
    await sch.assertQueue("backlog-close");
    const body = Buffer.alloc(1024);
    for (let i = 0; i < 20_000; i++) if (!sch.sendToQueue("backlog-close", body)) await new Promise((r) => sch.once("drain", r));
    await sch.waitForConfirms();
    for (let round = 0; round < 3; round++) {
      const conn = await amqp.connect(url);
      conn.on("error", () => undefined);
      const ch = await conn.createChannel();
      // no prefetch: the broker writes until the socket backs up, megabytes ahead of the client
      let first!: () => void;
      const started = new Promise<void>((r) => (first = r));
      await ch.consume("backlog-close", () => first(), { noAck: false });
      await started;
      const outcome = await Promise.race([
        conn.close().then(() => "closed"),
        new Promise((r) => setTimeout(() => r("no close-ok within 3 s"), 3000)),
      ]);
      expect(outcome).toBe("closed");
    }
    await setup.close();
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import amqp from "amqplib";
import { type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue("st", { durable: true, arguments: { "x-queue-type": "stream" } });
  for (let i = 0; i < 5; i++) ch.sendToQueue("st", Buffer.from(`m${i}`));
  await ch.waitForConfirms();
  await conn.close();
});
afterAll(() => broker.close());

async function subscribe(
  destination: string,
  headers: Record<string, string>,
  n: number,
): Promise<{ bodies: string[]; offsets: string[]; c: RawStomp }> {
  const { c } = await RawStomp.connected(broker.ports.stomp!, { login: "guest", passcode: "guest" });
  c.send("SUBSCRIBE", { destination, id: "s", ack: "client", ...headers });
  const bodies: string[] = [];
  const offsets: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = await c.next();
    expect(f.command).toBe("MESSAGE");
    bodies.push(f.body.toString());
    offsets.push(f.headers["x-stream-offset"]!);
  }
  return { bodies, offsets, c };
}

describe("STOMP subscriptions to a stream", () => {
  it("x-stream-offset first on /amq/queue/<stream> reads from the start, with the offset as a header", async () => {
    const { bodies, offsets, c } = await subscribe("/amq/queue/st", { "x-stream-offset": "first", "prefetch-count": "10" }, 5);
    expect(bodies).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(offsets).toEqual(["0", "1", "2", "3", "4"]);
    c.socket.destroy();
  });

  it("offset=<n> and last, as RabbitMQ's STOMP plugin spells them; /queue/ with x-queue-type", async () => {
    const a = await subscribe("/amq/queue/st", { "x-stream-offset": "offset=3", "prefetch-count": "10" }, 2);
    expect(a.bodies).toEqual(["m3", "m4"]);
    a.c.socket.destroy();
    const b = await subscribe("/queue/st", { "x-stream-offset": "last", "x-queue-type": "stream", "prefetch-count": "10" }, 1);
    expect(b.bodies).toEqual(["m4"]);
    b.c.socket.destroy();
  });

  it("without prefetch-count the subscription is refused with RabbitMQ's precondition_failed", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!, { login: "guest", passcode: "guest" });
    c.send("SUBSCRIBE", { destination: "/amq/queue/st", id: "s", ack: "client", "x-stream-offset": "first" });
    const f = await c.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("precondition_failed");
    c.socket.destroy();
  });
});

// JMS → AMQP 0-9-1: an amqplib consumer reads a message ActiveMQ's JMS client sent, its JMS headers
// as AMQP properties and its typed JMS properties as headers (docs/compatibility.md, "OpenWire").
// Warren only: ActiveMQ 5.17 speaks no AMQP 0-9-1, so this file always starts an embedded Warren,
// whatever --openwire names (the STOMP and MQTT halves, which ActiveMQ has, are in
// cross-protocol.test.ts and run against both).
import { randomUUID } from "node:crypto";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildJms, runJava } from "./java.js";

let broker: import("warren").RunningBroker;
beforeAll(async () => {
  const { startBroker } = await import("warren");
  broker = await startBroker({ openwire: { port: 0 }, amqp: { port: 0 }, logLevel: "silent" });
  await buildJms();
}, 120_000);
afterAll(() => broker?.close());

describe("a JMS producer → an AMQP 0-9-1 consumer (Warren only)", () => {
  it("JMS headers arrive as AMQP properties, JMS properties as headers", async () => {
    const q = `conf.${randomUUID().slice(0, 8)}.amqp`;
    const sent = await runJava<{ messageId: string; timestamp: number }>("Cross", `tcp://127.0.0.1:${broker.ports.openwire}`, "send", q);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
    try {
      const ch = await conn.createChannel();
      // queue://x is the durable queue x, as STOMP's /queue/x
      const ok = await ch.checkQueue(q);
      expect(ok.messageCount).toBe(1);
      const m = await ch.get(q, { noAck: true });
      if (m === false) throw new Error("the JMS message is not on the queue");
      expect(m.content.toString("utf8")).toBe("from jms");
      expect(m.fields).toMatchObject({ exchange: "", routingKey: q, redelivered: false });
      expect(m.properties).toMatchObject({
        contentType: "text/plain",
        deliveryMode: 2,
        priority: 6,
        correlationId: "corr-9",
        replyTo: `/queue/${q}.reply`,
        messageId: sent.messageId,
        timestamp: Math.floor(sent.timestamp / 1000),
        type: "order",
      });
      expect(m.properties.expiration).toBeUndefined();
      expect(m.properties.headers).toEqual({ str: "a string", int: 42, long: 2 ** 40, bool: true, double: 2.5 });
    } finally {
      await conn.close();
    }
  });
});

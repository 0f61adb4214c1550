// MessageAck on the broker side: a poison ack (the client's redelivery policy exhausted) moves a
// persistent message to ActiveMQ.DLQ with ActiveMQ's properties and drops a non-persistent one.
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import {
  DataType,
  type MessageDispatch,
  makeActiveMQQueue,
  makeConsumerId,
  makeConsumerInfo,
  makeMessageAck,
} from "../../protocols/openwire/codec/commands.generated.js";
import { openSession, type RawPeer, useOpenWireBroker } from "./raw.js";

const broker = useOpenWireBroker();

/** A raw OpenWire connection with one consumer (prefetch 10) on `queue`, registered. */
async function consumerOn(queue: string, connection: string): Promise<RawPeer> {
  const p = await openSession(broker().ports.openwire!, connection);
  p.send(
    makeConsumerInfo({
      commandId: 3,
      responseRequired: true,
      consumerId: makeConsumerId({ connectionId: connection, sessionId: 1, value: 1 }),
      destination: makeActiveMQQueue({ physicalName: queue }),
      prefetchSize: 10,
    }),
  );
  await p.answerTo(3);
  return p;
}

describe("OpenWire acks", () => {
  it("a poison ack dead-letters persistent messages to ActiveMQ.DLQ with the cause, and drops non-persistent ones", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    const p = await consumerOn("ow.poisoned", "ID:poison-1");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("ow.poisoned", { durable: true });
      await ch.assertQueue("ActiveMQ.DLQ", { durable: true });
      await ch.purgeQueue("ActiveMQ.DLQ");
      ch.sendToQueue("ow.poisoned", Buffer.from("kept"), { persistent: true, headers: { n: 1 }, expiration: "60000" });
      ch.sendToQueue("ow.poisoned", Buffer.from("dropped"), { persistent: false });
      const first = await p.next<MessageDispatch>(DataType.MessageDispatch);
      const second = await p.next<MessageDispatch>(DataType.MessageDispatch, p.received.indexOf(first) + 1);
      p.send(
        makeMessageAck({
          consumerId: first.consumerId,
          destination: first.destination,
          ackType: 1,
          firstMessageId: first.message!.messageId,
          lastMessageId: second.message!.messageId,
          messageCount: 2,
          poisonCause: { className: "java.lang.Throwable", message: "Delivery[7] exceeds redelivery policy limit", stack: [], cause: null },
        }),
      );
      let dead: amqp.GetMessage | false = false;
      for (let i = 0; i < 100 && dead === false; i++) {
        dead = await ch.get("ActiveMQ.DLQ", { noAck: true });
        if (dead === false) await new Promise((r) => setTimeout(r, 20));
      }
      expect(dead && dead.content.toString()).toBe("kept");
      expect(dead && dead.properties.headers).toMatchObject({
        n: 1,
        dlqDeliveryFailureCause: "java.lang.Throwable: Delivery[7] exceeds redelivery policy limit",
      });
      // no TTL in the DLQ; the original expiration is kept as a property
      expect(dead && dead.properties.expiration).toBeUndefined();
      expect(dead && typeof dead.properties.headers?.originalExpiration).toBe("number");
      expect((await ch.checkQueue("ActiveMQ.DLQ")).messageCount).toBe(0);
      expect((await ch.checkQueue("ow.poisoned")).messageCount).toBe(0);
    } finally {
      p.close();
      await conn.close();
    }
  });
});

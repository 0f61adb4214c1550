// openwire.dead_letter_strategy = individual: dead letters go to ActiveMQ.DLQ.Queue.<queue> (or
// ActiveMQ.DLQ.Topic.<topic>), as ActiveMQ's individualDeadLetterStrategy sends them.
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "warren";
import {
  DataType,
  type MessageDispatch,
  makeActiveMQBytesMessage,
  makeActiveMQQueue,
  makeConsumerId,
  makeConsumerInfo,
  makeMessageAck,
  makeMessageId,
  makeProducerId,
} from "../../protocols/openwire/codec/commands.generated.js";
import { openSession } from "./raw.js";

let broker: RunningBroker;
let conn: amqp.ChannelModel;
let ch: amqp.Channel;
beforeAll(async () => {
  broker = await startBroker({ openwire: { port: 0 }, amqp: { port: 0 }, logLevel: "silent", openwireDeadLetterStrategy: "individual" });
  conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  ch = await conn.createChannel();
});
afterAll(async () => {
  await conn?.close();
  await broker?.close();
});

async function getFrom(queue: string): Promise<amqp.GetMessage | false> {
  for (let i = 0; i < 100; i++) {
    const m = await ch.get(queue, { noAck: true });
    if (m !== false) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe("OpenWire's individual dead-letter strategy", () => {
  it("a poisoned persistent message goes to ActiveMQ.DLQ.Queue.<queue>", async () => {
    const p = await openSession(broker.ports.openwire!, "ID:idlq-1");
    try {
      await ch.assertQueue("idlq.orders", { durable: true });
      const consumerId = makeConsumerId({ connectionId: "ID:idlq-1", sessionId: 1, value: 1 });
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId,
          destination: makeActiveMQQueue({ physicalName: "idlq.orders" }),
          prefetchSize: 10,
        }),
      );
      await p.answerTo(3);
      ch.sendToQueue("idlq.orders", Buffer.from("bad"), { persistent: true });
      const d = await p.next<MessageDispatch>(DataType.MessageDispatch);
      p.send(
        makeMessageAck({
          consumerId,
          destination: d.destination,
          ackType: 1,
          firstMessageId: d.message!.messageId,
          lastMessageId: d.message!.messageId,
          messageCount: 1,
        }),
      );
      const dead = await getFrom("ActiveMQ.DLQ.Queue.idlq.orders");
      expect(dead && dead.content.toString()).toBe("bad");
      expect((await ch.assertQueue("ActiveMQ.DLQ", { durable: true })).messageCount).toBe(0);
    } finally {
      p.close();
    }
  });

  it("an expired persistent JMS message goes to ActiveMQ.DLQ.Queue.<queue>", async () => {
    const p = await openSession(broker.ports.openwire!, "ID:idlq-2");
    try {
      await ch.assertQueue("ActiveMQ.DLQ.Queue.idlq.expiring", { durable: true }); // to poll it
      const producerId = makeProducerId({ connectionId: "ID:idlq-2", sessionId: 1, value: 1 });
      const now = Date.now();
      p.send(
        makeActiveMQBytesMessage({
          commandId: 3,
          responseRequired: true,
          destination: makeActiveMQQueue({ physicalName: "idlq.expiring" }),
          producerId,
          messageId: makeMessageId({ producerId, producerSequenceId: 1 }),
          persistent: true,
          priority: 4,
          timestamp: now,
          expiration: now + 50,
          content: Buffer.from("stale"),
        }),
      );
      await p.answerTo(3);
      const dead = await getFrom("ActiveMQ.DLQ.Queue.idlq.expiring");
      expect(dead && dead.content.toString()).toBe("stale");
    } finally {
      p.close();
    }
  });
});

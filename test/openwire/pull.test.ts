// Prefetch 0: a consumer gets a message only for a MessagePull, and a pull that finds nothing
// ends with an empty dispatch (at once, after its timeout, or never for timeout 0).
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import {
  DataType,
  type MessageDispatch,
  makeActiveMQQueue,
  makeConsumerId,
  makeConsumerInfo,
  makeMessagePull,
} from "../../protocols/openwire/codec/commands.generated.js";
import { openSession, useOpenWireBroker } from "./raw.js";

const broker = useOpenWireBroker();

describe("OpenWire MessagePull (prefetch 0)", () => {
  it("delivers one message per pull and ends an empty pull with a message-less dispatch", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    const p = await openSession(broker().ports.openwire!, "ID:pull-1");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("ow.pulled", { durable: true });
      const consumerId = makeConsumerId({ connectionId: "ID:pull-1", sessionId: 1, value: 1 });
      const destination = makeActiveMQQueue({ physicalName: "ow.pulled" });
      p.send(makeConsumerInfo({ commandId: 3, responseRequired: true, consumerId, destination, prefetchSize: 0 }));
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      ch.sendToQueue("ow.pulled", Buffer.from("a"));
      ch.sendToQueue("ow.pulled", Buffer.from("b"));
      await ch.checkQueue("ow.pulled");
      const bodies = () =>
        p.received
          .filter((d): d is MessageDispatch => d.dataType === DataType.MessageDispatch)
          .map((d) => (d.message === null ? null : Buffer.from(d.message.content!).toString()));
      // nothing without a pull (an answered command proves the broker had its chance)
      p.send(
        makeConsumerInfo({
          commandId: 4,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:pull-1", sessionId: 1, value: 9 }),
          destination: makeActiveMQQueue({ physicalName: "ow.other" }),
          prefetchSize: 1,
        }),
      );
      await p.answerTo(4);
      expect(bodies()).toEqual([]);
      p.send(makeMessagePull({ consumerId, destination, timeout: -1 }));
      await p.next(DataType.MessageDispatch);
      expect(bodies()).toEqual(["a"]);
      p.send(makeMessagePull({ consumerId, destination, timeout: -1 }), makeMessagePull({ consumerId, destination, timeout: -1 }));
      for (let i = 0; i < 100 && bodies().length < 3; i++)
        await p.next(DataType.MessageDispatch, p.received.length, 50).catch(() => undefined);
      // "b", then the empty queue's answer at once
      expect(bodies()).toEqual(["a", "b", null]);
      // timeout 0 waits for the next message
      p.send(makeMessagePull({ consumerId, destination, timeout: 0 }));
      p.send(
        makeConsumerInfo({
          commandId: 5,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:pull-1", sessionId: 1, value: 10 }),
          destination: makeActiveMQQueue({ physicalName: "ow.other" }),
          prefetchSize: 1,
        }),
      );
      await p.answerTo(5);
      expect(bodies()).toEqual(["a", "b", null]);
      ch.sendToQueue("ow.pulled", Buffer.from("c"));
      for (let i = 0; i < 100 && bodies().length < 4; i++)
        await p.next(DataType.MessageDispatch, p.received.length, 50).catch(() => undefined);
      expect(bodies()).toEqual(["a", "b", null, "c"]);
    } finally {
      p.close();
      await conn.close();
    }
  });
});

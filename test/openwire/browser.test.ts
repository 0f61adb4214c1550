// Queue browsers (ConsumerInfo.browser): the queue's messages, left in place, then an empty dispatch.
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import {
  DataType,
  type MessageDispatch,
  makeActiveMQQueue,
  makeConsumerId,
  makeConsumerInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { openSession, useOpenWireBroker } from "./raw.js";

const broker = useOpenWireBroker();

describe("OpenWire queue browsers", () => {
  it("see the messages their selector picks, in order, end with a message-less dispatch, and consume nothing", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    const p = await openSession(broker().ports.openwire!, "ID:browse-1");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("ow.browsed", { durable: true });
      for (const [i, color] of ["red", "blue", "red"].entries()) {
        ch.sendToQueue("ow.browsed", Buffer.from(`${color}-${i}`), { headers: { color } });
      }
      await ch.checkQueue("ow.browsed"); // after the publishes
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:browse-1", sessionId: 1, value: 1 }),
          destination: makeActiveMQQueue({ physicalName: "ow.browsed" }),
          prefetchSize: 500,
          browser: true,
          selector: "color = 'red'",
        }),
      );
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      const ds = p.received.filter((d): d is MessageDispatch => d.dataType === DataType.MessageDispatch);
      expect(ds.map((d) => (d.message === null ? null : Buffer.from(d.message.content!).toString()))).toEqual(["red-0", "red-2", null]);
      expect((await ch.checkQueue("ow.browsed")).messageCount).toBe(3);
    } finally {
      p.close();
      await conn.close();
    }
  });
});

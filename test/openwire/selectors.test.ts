// A JMS consumer's selector and noLocal, on the core's selector engine: a queue consumer gets only
// what it selects and the rest stays queued for others (ActiveMQ's queue semantics).
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import {
  DataType,
  type MessageDispatch,
  makeActiveMQQueue,
  makeConnectionId,
  makeConnectionInfo,
  makeConsumerId,
  makeConsumerInfo,
  makeSessionId,
  makeSessionInfo,
  type Response,
} from "../../protocols/openwire/codec/commands.generated.js";
import { clientWireFormat, RawPeer, useOpenWireBroker } from "./raw.js";

const broker = useOpenWireBroker();

describe("OpenWire selectors", () => {
  it("a queue consumer with a selector gets only what it selects; the rest stays queued", async () => {
    const p = await RawPeer.open(broker().ports.openwire!);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("ow.selected", { durable: true });
      const sessionId = makeSessionId({ connectionId: "ID:sel-1", value: 1 });
      p.send(
        clientWireFormat({}),
        makeConnectionInfo({
          commandId: 1,
          responseRequired: true,
          connectionId: makeConnectionId({ value: "ID:sel-1" }),
          userName: "guest",
          password: "guest",
        }),
        makeSessionInfo({ commandId: 2, responseRequired: true, sessionId }),
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:sel-1", sessionId: 1, value: 1 }),
          destination: makeActiveMQQueue({ physicalName: "ow.selected" }),
          prefetchSize: 10,
          selector: "color = 'red' AND n > 1",
        }),
      );
      // the consumer is registered once its ConsumerInfo (command 3) is answered
      let at = 0;
      for (;;) {
        const r = await p.next<Response>(DataType.Response, at);
        at = p.received.indexOf(r) + 1;
        if (r.correlationId === 3) break;
      }
      const sent = [
        { color: "blue", n: 5 },
        { color: "red", n: 1 },
        { color: "red", n: 2 },
      ];
      for (const h of sent) ch.sendToQueue("ow.selected", Buffer.from(`${h.color}-${h.n}`), { headers: h });
      const d = await p.next<MessageDispatch>(DataType.MessageDispatch);
      expect(Buffer.from(d.message!.content ?? Buffer.alloc(0)).toString()).toContain("red-2");
      // the two it did not select wait, in order, for another consumer
      const q = await ch.checkQueue("ow.selected");
      expect(q.messageCount).toBe(2);
      const first = await ch.get("ow.selected", { noAck: true });
      expect(first && first.content.toString()).toBe("blue-5");
      expect(p.received.filter((x) => x.dataType === DataType.MessageDispatch && (x as MessageDispatch).message !== null)).toHaveLength(1);
    } finally {
      p.close();
      await conn.close();
    }
  });
});

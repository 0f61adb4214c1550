// Temporary queues and topics (DestinationInfo): owned by the connection that adds them, gone
// when it closes, announced on ActiveMQ.Advisory.TempQueue/TempTopic to advisory consumers.
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import {
  type ActiveMQMessage,
  DataType,
  type DestinationInfo,
  type ExceptionResponse,
  type MessageDispatch,
  makeActiveMQTempQueue,
  makeActiveMQTempTopic,
  makeActiveMQTopic,
  makeConnectionId,
  makeConsumerId,
  makeConsumerInfo,
  makeDestinationInfo,
  makeRemoveInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { openSession, type RawPeer, useOpenWireBroker } from "./raw.js";

const broker = useOpenWireBroker();

const ADVISORIES = "ActiveMQ.Advisory.TempQueue,ActiveMQ.Advisory.TempTopic";

/** What an advisory dispatch announces: add/remove, the destination's kind and name. */
function announced(d: MessageDispatch): { op: number; type: number; name: string | null; topic: string | null } {
  const info = (d.message as ActiveMQMessage).dataStructure as DestinationInfo;
  return {
    op: info.operationType,
    type: info.destination!.dataType,
    name: info.destination!.physicalName,
    topic: d.destination!.physicalName,
  };
}

async function advisoryWatcher(connection: string): Promise<RawPeer> {
  const p = await openSession(broker().ports.openwire!, connection);
  p.send(
    makeConsumerInfo({
      commandId: 3,
      responseRequired: true,
      consumerId: makeConsumerId({ connectionId: connection, sessionId: -1, value: 1 }),
      destination: makeActiveMQTopic({ physicalName: ADVISORIES }),
      prefetchSize: 1000,
    }),
  );
  await p.answerTo(3);
  return p;
}

function dispatches(p: RawPeer): MessageDispatch[] {
  return p.received.filter((d): d is MessageDispatch => d.dataType === DataType.MessageDispatch);
}

describe("OpenWire temporary destinations", () => {
  it("are announced to advisory consumers when added and when their connection closes, and replayed to new ones", async () => {
    const watcher = await advisoryWatcher("ID:watch-1");
    const owner = await openSession(broker().ports.openwire!, "ID:owner-1");
    const tq = makeActiveMQTempQueue({ physicalName: "ID:owner-1:1" });
    const tt = makeActiveMQTempTopic({ physicalName: "ID:owner-1:2" });
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    try {
      owner.send(
        makeDestinationInfo({
          commandId: 3,
          responseRequired: true,
          connectionId: makeConnectionId({ value: "ID:owner-1" }),
          destination: tq,
          operationType: 0,
        }),
        makeDestinationInfo({
          commandId: 4,
          responseRequired: true,
          connectionId: makeConnectionId({ value: "ID:owner-1" }),
          destination: tt,
          operationType: 0,
        }),
      );
      expect((await owner.answerTo(4)).dataType).toBe(DataType.Response);
      const first = await watcher.next<MessageDispatch>(DataType.MessageDispatch);
      await watcher.next(DataType.MessageDispatch, watcher.received.indexOf(first) + 1);
      expect(dispatches(watcher).map(announced)).toEqual([
        { op: 0, type: DataType.ActiveMQTempQueue, name: "ID:owner-1:1", topic: "ActiveMQ.Advisory.TempQueue" },
        { op: 0, type: DataType.ActiveMQTempTopic, name: "ID:owner-1:2", topic: "ActiveMQ.Advisory.TempTopic" },
      ]);
      // the temporary queue is a queue of the broker, exclusive to its connection, while that lives
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      await expect(ch.checkQueue("ID:owner-1:1")).rejects.toThrow(/RESOURCE_LOCKED/);
      // a later advisory consumer first hears of the temporary destinations that exist
      const late = await advisoryWatcher("ID:watch-2");
      const replayed = await late.next<MessageDispatch>(DataType.MessageDispatch);
      await late.next(DataType.MessageDispatch, late.received.indexOf(replayed) + 1);
      expect(dispatches(late).map((d) => announced(d).name)).toEqual(["ID:owner-1:1", "ID:owner-1:2"]);
      late.close();
      const before = dispatches(watcher).length;
      owner.close();
      for (let i = 0; i < 100 && dispatches(watcher).length < before + 2; i++) {
        await watcher.next(DataType.MessageDispatch, watcher.received.length, 50).catch(() => undefined);
      }
      expect(dispatches(watcher).slice(before).map(announced)).toEqual([
        { op: 1, type: DataType.ActiveMQTempQueue, name: "ID:owner-1:1", topic: "ActiveMQ.Advisory.TempQueue" },
        { op: 1, type: DataType.ActiveMQTempTopic, name: "ID:owner-1:2", topic: "ActiveMQ.Advisory.TempTopic" },
      ]);
      const ch2 = await conn.createChannel();
      ch2.on("error", () => undefined);
      await expect(ch2.checkQueue("ID:owner-1:1")).rejects.toThrow(/NOT_FOUND/);
    } finally {
      watcher.close();
      owner.close();
      await conn.close();
    }
  });

  it("a consumer from another connection is refused; a removed temporary queue takes no more messages", async () => {
    const owner = await openSession(broker().ports.openwire!, "ID:owner-2");
    const other = await openSession(broker().ports.openwire!, "ID:other-2");
    const tq = makeActiveMQTempQueue({ physicalName: "ID:owner-2:1" });
    try {
      owner.send(makeDestinationInfo({ commandId: 3, responseRequired: true, destination: tq, operationType: 0 }));
      await owner.answerTo(3);
      other.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:other-2", sessionId: 1, value: 1 }),
          destination: tq,
          prefetchSize: 10,
        }),
      );
      const refused = (await other.answerTo(3)) as ExceptionResponse;
      expect(refused.exception).toMatchObject({
        className: "javax.jms.InvalidDestinationException",
        message: "Cannot use a Temporary destination from another Connection",
      });
      // its owner may consume; with a consumer on it, it cannot be removed
      const consumerId = makeConsumerId({ connectionId: "ID:owner-2", sessionId: 1, value: 1 });
      owner.send(makeConsumerInfo({ commandId: 4, responseRequired: true, consumerId, destination: tq, prefetchSize: 10 }));
      expect((await owner.answerTo(4)).dataType).toBe(DataType.Response);
      owner.send(makeDestinationInfo({ commandId: 5, responseRequired: true, destination: tq, operationType: 1 }));
      expect(((await owner.answerTo(5)) as ExceptionResponse).exception?.message).toBe(
        "Destination still has an active subscription: temp-queue://ID:owner-2:1",
      );
      owner.send(
        makeRemoveInfo({ commandId: 6, responseRequired: true, objectId: consumerId }),
        makeDestinationInfo({ commandId: 7, responseRequired: true, destination: tq, operationType: 1 }),
      );
      expect((await owner.answerTo(7)).dataType).toBe(DataType.Response);
      owner.send(
        makeConsumerInfo({
          commandId: 8,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:owner-2", sessionId: 1, value: 2 }),
          destination: tq,
          prefetchSize: 10,
        }),
      );
      expect(((await owner.answerTo(8)) as ExceptionResponse).exception?.message).toBe(
        "Cannot use a Temporary destination that has been deleted",
      );
    } finally {
      owner.close();
      other.close();
    }
  });
});

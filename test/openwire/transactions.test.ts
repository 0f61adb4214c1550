// Local transactions (TransactionInfo): sends wait for the commit, acks too; a rollback drops the
// sends and leaves the deliveries unacknowledged; XA is refused.
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "warren";
import {
  DataType,
  type ExceptionResponse,
  type MessageDispatch,
  makeActiveMQQueue,
  makeActiveMQTextMessage,
  makeConnectionId,
  makeConsumerId,
  makeConsumerInfo,
  makeLocalTransactionId,
  makeMessageAck,
  makeMessageId,
  makeProducerId,
  makeRemoveInfo,
  makeTransactionInfo,
  makeXATransactionId,
} from "../../protocols/openwire/codec/commands.generated.js";
import { openSession, type RawPeer, startOpenWireBroker } from "./raw.js";

let broker: RunningBroker;
let amqpConn: amqp.ChannelModel;
let ch: amqp.Channel;
beforeAll(async () => {
  broker = await startOpenWireBroker();
  amqpConn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
  ch = await amqpConn.createChannel();
});
afterAll(async () => {
  await amqpConn?.close();
  await broker?.close();
});

const BEGIN = 0;
const COMMIT_ONE_PHASE = 2;
const ROLLBACK = 4;

function txOf(connection: string, n: number) {
  return makeLocalTransactionId({ connectionId: makeConnectionId({ value: connection }), value: n });
}

function tx(commandId: number, connection: string, n: number, type: number) {
  return makeTransactionInfo({
    commandId,
    responseRequired: true,
    connectionId: makeConnectionId({ value: connection }),
    transactionId: txOf(connection, n),
    type,
  });
}

function text(queue: string, connection: string, seq: number, body: string, transaction: number) {
  return makeActiveMQTextMessage({
    commandId: 100 + seq,
    destination: makeActiveMQQueue({ physicalName: queue }),
    messageId: makeMessageId({ producerId: makeProducerId({ connectionId: connection, sessionId: 1, value: 1 }), producerSequenceId: seq }),
    transactionId: txOf(connection, transaction),
    persistent: true,
    priority: 4,
    content: (() => {
      const b = Buffer.alloc(4 + body.length);
      b.writeInt32BE(body.length, 0);
      b.write(body, 4, "latin1");
      return b;
    })(),
  });
}

async function depth(queue: string): Promise<number> {
  return (await ch.checkQueue(queue)).messageCount;
}

describe("OpenWire local transactions", () => {
  it("messages sent in a transaction reach the queue at commit, and never after a rollback", async () => {
    await ch.assertQueue("ow.tx.sends", { durable: true });
    const p = await openSession(broker.ports.openwire!, "ID:tx-1");
    try {
      p.send(tx(3, "ID:tx-1", 1, BEGIN), text("ow.tx.sends", "ID:tx-1", 1, "a", 1), text("ow.tx.sends", "ID:tx-1", 2, "b", 1));
      await p.answerTo(3);
      // a command after the sends, answered, so both were handled
      p.send(tx(4, "ID:tx-1", 2, BEGIN));
      await p.answerTo(4);
      expect(await depth("ow.tx.sends")).toBe(0);
      p.send(tx(5, "ID:tx-1", 1, COMMIT_ONE_PHASE));
      expect((await p.answerTo(5)).dataType).toBe(DataType.Response);
      expect(await depth("ow.tx.sends")).toBe(2);
      p.send(text("ow.tx.sends", "ID:tx-1", 3, "c", 2), tx(6, "ID:tx-1", 2, ROLLBACK));
      expect((await p.answerTo(6)).dataType).toBe(DataType.Response);
      expect(await depth("ow.tx.sends")).toBe(2);
      const got = await ch.get("ow.tx.sends", { noAck: true });
      expect(got && got.content.toString()).toBe("a");
    } finally {
      p.close();
    }
  });

  it("an ack in a transaction settles at commit; after a rollback the delivery stays unacknowledged", async () => {
    await ch.assertQueue("ow.tx.acks", { durable: true });
    await ch.purgeQueue("ow.tx.acks");
    ch.sendToQueue("ow.tx.acks", Buffer.from("x"), { persistent: true });
    const round = async (connection: string, end: number): Promise<number> => {
      const p = await openSession(broker.ports.openwire!, connection);
      try {
        const consumerId = makeConsumerId({ connectionId: connection, sessionId: 1, value: 1 });
        p.send(
          makeConsumerInfo({
            commandId: 3,
            responseRequired: true,
            consumerId,
            destination: makeActiveMQQueue({ physicalName: "ow.tx.acks" }),
            prefetchSize: 10,
          }),
        );
        const d = await p.next<MessageDispatch>(DataType.MessageDispatch);
        p.send(
          tx(4, connection, 1, BEGIN),
          makeMessageAck({
            consumerId,
            destination: d.destination,
            transactionId: txOf(connection, 1),
            ackType: 2,
            firstMessageId: d.message!.messageId,
            lastMessageId: d.message!.messageId,
            messageCount: 1,
          }),
          tx(5, connection, 1, end),
        );
        expect((await p.answerTo(5)).dataType).toBe(DataType.Response);
        // the consumer goes (answered): what it still holds unacknowledged is back in the queue
        p.send(makeRemoveInfo({ commandId: 6, responseRequired: true, objectId: consumerId }));
        await p.answerTo(6);
        return await depth("ow.tx.acks");
      } finally {
        p.close();
      }
    };
    expect(await round("ID:tx-2", ROLLBACK)).toBe(1);
    expect(await round("ID:tx-3", COMMIT_ONE_PHASE)).toBe(0);
  });

  it("an XA transaction is refused with UnsupportedOperationException; the connection stays usable", async () => {
    const p = await openSession(broker.ports.openwire!, "ID:tx-xa");
    try {
      p.send(
        makeTransactionInfo({
          commandId: 3,
          responseRequired: true,
          connectionId: makeConnectionId({ value: "ID:tx-xa" }),
          transactionId: makeXATransactionId({ formatId: 1, globalTransactionId: Buffer.from("g"), branchQualifier: Buffer.from("b") }),
          type: BEGIN,
        }),
      );
      const r = (await p.answerTo(3)) as ExceptionResponse;
      expect(r.dataType).toBe(DataType.ExceptionResponse);
      expect(r.exception?.className).toBe("java.lang.UnsupportedOperationException");
      expect(r.exception?.message).toMatch(/XA transactions are not supported/);
      p.send(tx(4, "ID:tx-xa", 1, BEGIN));
      expect((await p.answerTo(4)).dataType).toBe(DataType.Response);
    } finally {
      p.close();
    }
  });
});

// Queue browsers (ConsumerInfo.browser): the queue's messages, left in place, then an empty dispatch.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { type Queue, startBroker } from "warren";
import { describe, expect, it } from "vitest";
import {
  DataType,
  type MessageDispatch,
  makeActiveMQQueue,
  makeConsumerId,
  makeConsumerInfo,
  makeMessageAck,
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

  it("see every message of a queue paged out to disk, in order, paced by prefetch and acks, leaving them paged out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-ow-browse-"));
    const paged = await startBroker({
      openwire: { port: 0 },
      amqp: { port: 0 },
      dataDir: dir,
      logLevel: "silent",
      pageOutBytes: 16 * 1024,
    });
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${paged.ports.amqp}`);
    const p = await openSession(paged.ports.openwire!, "ID:browse-paged");
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue("ow.deep", { durable: true });
      for (let i = 0; i < 500; i++)
        ch.sendToQueue("ow.deep", Buffer.concat([Buffer.from(`m${i}:`), Buffer.alloc(512)]), { persistent: true });
      await ch.waitForConfirms();
      const q = (paged.core.vhost("/") as { queues: Map<string, Queue> }).queues.get("ow.deep")!;
      expect(q.pagedOutCount).toBeGreaterThan(400);
      const before = q.pagedOutCount;
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:browse-paged", sessionId: 1, value: 1 }),
          destination: makeActiveMQQueue({ physicalName: "ow.deep" }),
          prefetchSize: 100,
          browser: true,
        }),
      );
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      const dispatches = () => p.received.filter((d): d is MessageDispatch => d.dataType === DataType.MessageDispatch);
      // one window, then as much more as each ack frees (the Java client acks as it enumerates)
      expect(dispatches().length).toBe(100);
      for (let acked = 0; dispatches().at(-1)!.message !== null; ) {
        const ds = dispatches();
        const last = ds.at(-1)!;
        p.send(
          makeMessageAck({
            consumerId: last.consumerId,
            destination: last.destination,
            ackType: 2,
            lastMessageId: last.message!.messageId,
            messageCount: ds.length - acked,
          }),
        );
        acked = ds.length;
        await p.next(DataType.MessageDispatch, p.received.indexOf(last) + 1);
        for (let i = 0; i < 100 && dispatches().length < Math.min(acked + 100, 501); i++) await new Promise((r) => setTimeout(r, 10));
        expect(dispatches().length).toBe(Math.min(acked + 100, 501));
      }
      const texts = dispatches().map((d) => (d.message === null ? null : Buffer.from(d.message.content!).toString().split(":")[0]));
      expect(texts).toEqual([...Array.from({ length: 500 }, (_, i) => `m${i}`), null]);
      expect(q.pagedOutCount).toBe(before);
      expect(q.messageCount).toBe(500);
    } finally {
      p.close();
      await conn.close();
      await paged.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ActiveMQ's destination features on the wire: composite destinations (a send goes to each
// member; a consumer consumes the members of its own kind).
import amqp from "amqplib";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker } from "warren";
import {
  type AnyActiveMQDestination,
  DataType,
  type MessageDispatch,
  makeActiveMQBytesMessage,
  makeActiveMQQueue,
  makeActiveMQTopic,
  makeConsumerId,
  makeConsumerInfo,
  makeMessageAck,
  makeMessageId,
  makeProducerId,
  makeRemoveInfo,
} from "../../protocols/openwire/codec/commands.generated.js";
import { frameOf, openSession, type RawPeer, useOpenWireBroker } from "./raw.js";

const broker = useOpenWireBroker();
let conn: amqp.ChannelModel;
let ch: amqp.Channel;
beforeAll(async () => {
  conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
  ch = await conn.createChannel();
});
afterAll(() => conn?.close());

let seq = 0;
/** A persistent BytesMessage `body` to `destination`, sent with responseRequired as command `commandId`. */
function send(p: RawPeer, connection: string, commandId: number, destination: AnyActiveMQDestination, body: string): void {
  p.send(
    makeActiveMQBytesMessage({
      commandId,
      responseRequired: true,
      destination,
      producerId: makeProducerId({ connectionId: connection, sessionId: 1, value: 1 }),
      messageId: makeMessageId({
        producerId: makeProducerId({ connectionId: connection, sessionId: 1, value: 1 }),
        producerSequenceId: ++seq,
      }),
      persistent: true,
      priority: 4,
      content: Buffer.from(body),
    }),
  );
}

/** Polls `queue` (AMQP basic.get, no-ack) until it has a message, or gives up after ~2 s. */
async function getFrom(queue: string): Promise<amqp.GetMessage | false> {
  for (let i = 0; i < 100; i++) {
    const m = await ch.get(queue, { noAck: true });
    if (m !== false) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe("OpenWire composite destinations", () => {
  it("a send to queue://a,queue://b,topic://t reaches both queues and the topic's subscribers", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:composite-send");
    try {
      const { queue: sub } = await ch.assertQueue("", { exclusive: true });
      await ch.bindQueue(sub, "amq.topic", "cs.t");
      send(p, "ID:composite-send", 3, makeActiveMQQueue({ physicalName: "cs.a, cs.b,topic://cs.t" }), "one");
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      for (const q of ["cs.a", "cs.b", sub]) {
        const m = await getFrom(q);
        expect(m && m.content.toString()).toBe("one");
        expect(m && m.fields.exchange).toBe(q === sub ? "amq.topic" : "");
      }
    } finally {
      p.close();
    }
  });

  it("each member's copy names the member as its destination and the composite as the original", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:composite-copy");
    try {
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:composite-copy", sessionId: 1, value: 1 }),
          destination: makeActiveMQQueue({ physicalName: "cc.b" }),
          prefetchSize: 10,
        }),
      );
      await p.answerTo(3);
      send(p, "ID:composite-copy", 4, makeActiveMQQueue({ physicalName: "cc.a,cc.b" }), "two");
      const d = await p.next<MessageDispatch>(DataType.MessageDispatch);
      expect(d.message!.destination).toMatchObject({ dataType: DataType.ActiveMQQueue, physicalName: "cc.b" });
      expect(d.message!.originalDestination).toMatchObject({ dataType: DataType.ActiveMQQueue, physicalName: "cc.a,cc.b" });
    } finally {
      p.close();
    }
  });

  it("a consumer on queue://a,queue://b gets and acknowledges both queues' messages", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:composite-consume");
    try {
      await ch.assertQueue("cq.a", { durable: true });
      await ch.assertQueue("cq.b", { durable: true });
      const consumerId = makeConsumerId({ connectionId: "ID:composite-consume", sessionId: 1, value: 1 });
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId,
          destination: makeActiveMQQueue({ physicalName: "cq.a,cq.b" }),
          prefetchSize: 10,
        }),
      );
      expect((await p.answerTo(3)).dataType).toBe(DataType.Response);
      ch.sendToQueue("cq.a", Buffer.from("to a"));
      ch.sendToQueue("cq.b", Buffer.from("to b"));
      const first = await p.next<MessageDispatch>(DataType.MessageDispatch);
      const second = await p.next<MessageDispatch>(DataType.MessageDispatch, p.received.indexOf(first) + 1);
      expect([first, second].map((d) => Buffer.from(d.message!.content!).toString()).sort()).toEqual(["to a", "to b"]);
      p.send(
        makeMessageAck({
          consumerId,
          destination: first.destination,
          ackType: 2,
          firstMessageId: first.message!.messageId,
          lastMessageId: second.message!.messageId,
          messageCount: 2,
        }),
        makeRemoveInfo({ commandId: 4, responseRequired: true, objectId: consumerId }),
      );
      await p.answerTo(4);
      // acked, not requeued when the consumer went
      expect((await ch.checkQueue("cq.a")).messageCount).toBe(0);
      expect((await ch.checkQueue("cq.b")).messageCount).toBe(0);
    } finally {
      p.close();
    }
  });

  it("a consumer on topic://a,topic://b gets both topics; one on queue://q,topic://t only the queue", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:composite-kinds");
    try {
      await ch.assertQueue("ck.q", { durable: true });
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:composite-kinds", sessionId: 1, value: 1 }),
          destination: makeActiveMQTopic({ physicalName: "ck.a,ck.b" }),
          prefetchSize: 10,
        }),
        makeConsumerInfo({
          commandId: 4,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:composite-kinds", sessionId: 1, value: 2 }),
          destination: makeActiveMQQueue({ physicalName: "ck.q,topic://ck.t" }),
          prefetchSize: 10,
        }),
      );
      await p.answerTo(4);
      for (const key of ["ck.a", "ck.b", "ck.t"]) ch.publish("amq.topic", key, Buffer.from(key));
      ch.sendToQueue("ck.q", Buffer.from("ck.q"));
      await ch.checkQueue("ck.q"); // after the publishes
      const got = async (n: number) => {
        for (let i = 0; i < 100 && p.received.filter((d) => d.dataType === DataType.MessageDispatch).length < n; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
        return p.received
          .filter((d): d is MessageDispatch => d.dataType === DataType.MessageDispatch)
          .map((d) => `${d.consumerId!.value}:${Buffer.from(d.message!.content!).toString()}`)
          .sort();
      };
      expect(await got(3)).toEqual(["1:ck.a", "1:ck.b", "2:ck.q"]);
      expect(await ch.checkQueue("ck.q")).toMatchObject({ messageCount: 0 });
    } finally {
      p.close();
    }
  });
});

describe("OpenWire sends naming their destinations", () => {
  it("every message reaches the queue it names when one connection alternates between look-alike names", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:lookalike-send");
    try {
      // the same length, different only inside the name, then a third one and back: what the
      // broker remembers of the last destination must never route a message to another one
      const names = ["la.x1y", "la.x2y", "la.x1y", "la.x1y", "la.x2y", "la.z1y", "la.x1y"];
      const frames = names.map((n, i) =>
        makeActiveMQBytesMessage({
          commandId: 10 + i,
          responseRequired: true,
          destination: makeActiveMQQueue({ physicalName: n }),
          producerId: makeProducerId({ connectionId: "ID:lookalike-send", sessionId: 1, value: 1 }),
          messageId: makeMessageId({
            producerId: makeProducerId({ connectionId: "ID:lookalike-send", sessionId: 1, value: 1 }),
            producerSequenceId: ++seq,
          }),
          persistent: true,
          priority: 4,
          content: Buffer.from(`${n}#${i}`),
        }),
      );
      // several frames in one write: read one after another from the same chunk; then the same
      // again in writes of 7 octets, so that frames (and their size prefixes) straddle reads
      p.send(...frames.slice(0, 4));
      for (let i = 0; i < 4; i++) expect((await p.answerTo(10 + i)).dataType).toBe(DataType.Response);
      const rest = Buffer.concat(frames.slice(4).map((f) => frameOf(f)));
      for (let i = 0; i < rest.length; i += 7) await new Promise<void>((done) => p.socket.write(rest.subarray(i, i + 7), () => done()));
      for (let i = 4; i < names.length; i++) expect((await p.answerTo(10 + i)).dataType).toBe(DataType.Response);
      for (const q of ["la.x1y", "la.x2y", "la.z1y"]) {
        const got: string[] = [];
        for (let m = await getFrom(q); m !== false; m = await ch.get(q, { noAck: true })) got.push(m.content.toString());
        expect(got).toEqual(names.flatMap((n, i) => (n === q ? [`${n}#${i}`] : [])));
      }
    } finally {
      p.close();
    }
  });
});

describe("OpenWire virtual topics", () => {
  it("Consumer.A.VirtualTopic.X gets what reaches topic VirtualTopic.X once it exists, named as its own", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:virtual-1");
    try {
      ch.publish("amq.topic", "VirtualTopic.vt1", Buffer.from("before")); // no consumer queue yet
      await ch.checkExchange("amq.topic"); // after the publish
      const consumerId = makeConsumerId({ connectionId: "ID:virtual-1", sessionId: 1, value: 1 });
      p.send(
        makeConsumerInfo({
          commandId: 3,
          responseRequired: true,
          consumerId,
          destination: makeActiveMQQueue({ physicalName: "Consumer.A.VirtualTopic.vt1" }),
          prefetchSize: 10,
        }),
        // a two-word consumer name is a plain queue
        makeConsumerInfo({
          commandId: 4,
          responseRequired: true,
          consumerId: makeConsumerId({ connectionId: "ID:virtual-1", sessionId: 1, value: 2 }),
          destination: makeActiveMQQueue({ physicalName: "Consumer.A.B.VirtualTopic.vt1" }),
          prefetchSize: 10,
        }),
      );
      await p.answerTo(4);
      ch.publish("amq.topic", "VirtualTopic.vt1", Buffer.from("after"), { persistent: true });
      const d = await p.next<MessageDispatch>(DataType.MessageDispatch);
      expect(Buffer.from(d.message!.content!).toString()).toBe("after");
      expect(d.consumerId!.value).toBe(1);
      expect(d.message!.destination).toMatchObject({ dataType: DataType.ActiveMQQueue, physicalName: "Consumer.A.VirtualTopic.vt1" });
      expect(d.message!.originalDestination).toMatchObject({ dataType: DataType.ActiveMQTopic, physicalName: "VirtualTopic.vt1" });
      expect(p.received.filter((r) => r.dataType === DataType.MessageDispatch)).toHaveLength(1);
    } finally {
      p.close();
    }
  });

  it("the consumer queue is durable and keeps the topic's messages while its consumers are away", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:virtual-2");
    try {
      send(p, "ID:virtual-2", 3, makeActiveMQQueue({ physicalName: "Consumer.B.VirtualTopic.vt2" }), "direct");
      await p.answerTo(3);
    } finally {
      p.close();
    }
    const sender = await openSession(broker().ports.openwire!, "ID:virtual-3");
    try {
      send(sender, "ID:virtual-3", 3, makeActiveMQTopic({ physicalName: "VirtualTopic.vt2" }), "via the topic");
      await sender.answerTo(3);
      const first = await getFrom("Consumer.B.VirtualTopic.vt2");
      expect(first && first.content.toString()).toBe("direct");
      const second = await getFrom("Consumer.B.VirtualTopic.vt2");
      expect(second && second.content.toString()).toBe("via the topic");
      expect(await ch.checkQueue("Consumer.B.VirtualTopic.vt2")).toMatchObject({ messageCount: 0 });
    } finally {
      sender.close();
    }
  });
});

describe("OpenWire virtual topics across a restart", () => {
  it("the consumer queue's binding to its topic is kept: it fills after a restart with no client touching it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "warren-vt-"));
    const start = () => startBroker({ openwire: { port: 0 }, amqp: { port: 0 }, logLevel: "silent", dataDir: dir });
    try {
      let b = await start();
      const p = await openSession(b.ports.openwire!, "ID:virtual-restart");
      send(p, "ID:virtual-restart", 3, makeActiveMQQueue({ physicalName: "Consumer.R.VirtualTopic.vtr" }), "first");
      await p.answerTo(3);
      p.close();
      await b.close();
      b = await start();
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.ports.amqp}`);
      try {
        const rch = await c.createChannel();
        rch.publish("amq.topic", "VirtualTopic.vtr", Buffer.from("after the restart"), { persistent: true });
        await rch.checkExchange("amq.topic"); // after the publish
        expect((await rch.checkQueue("Consumer.R.VirtualTopic.vtr")).messageCount).toBe(2);
      } finally {
        await c.close();
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

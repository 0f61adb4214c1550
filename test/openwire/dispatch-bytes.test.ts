// A message published over OpenWire reaches an OpenWire consumer of the same version as the bytes it
// was sent in, inside the MessageDispatch: only the command id, the response flag, the message id's
// broker sequence (the delivery tag acks name) and the redelivery counter differ.
import amqp from "amqplib";
import { describe, expect, it } from "vitest";
import {
  type AnyMessage,
  DataType,
  makeActiveMQBytesMessage,
  makeActiveMQMapMessage,
  makeActiveMQMessage,
  makeActiveMQObjectMessage,
  makeActiveMQQueue,
  makeActiveMQStreamMessage,
  makeActiveMQTextMessage,
  makeActiveMQTopic,
  makeBrokerId,
  makeConsumerId,
  makeConsumerInfo,
  makeMessageDispatch,
  makeMessageId,
  makeProducerId,
  type MessageDispatch,
} from "../../protocols/openwire/codec/commands.generated.js";
import { modifiedUtf8Length, Writer, writeModifiedUtf8 } from "../../protocols/openwire/codec/primitives.js";
import { writePrimitiveMap } from "../../protocols/openwire/primitive-map.js";
import { frameOf, OFFERS_TIGHT_AND_CACHE, openSession, RawPeer, tightFrameOf, useOpenWireBroker } from "./raw.js";

// tight and cached connections need a broker that offers them
const broker = useOpenWireBroker(OFFERS_TIGHT_AND_CACHE);

/** A marker `arrival` replaced on the wire by Long.MAX_VALUE, which a JS number cannot hold. */
const ARRIVAL_MARKER = 0x1234_5678_9abc;
const MARKER_BYTES = Buffer.from("000012345678" + "9abc", "hex");
const LONG_MAX = Buffer.from("7fffffffffffffff", "hex");

function withLongMax(frame: Buffer): Buffer {
  const at = frame.indexOf(MARKER_BYTES);
  if (at < 0) throw new Error("marker not found");
  const out = Buffer.from(frame);
  LONG_MAX.copy(out, at);
  return out;
}

function textContent(s: string): Buffer {
  const n = modifiedUtf8Length(s);
  const b = Buffer.alloc(4 + n);
  b.writeInt32BE(n, 0);
  writeModifiedUtf8(s, b, 4);
  return b;
}

function properties(): Buffer {
  const w = new Writer(64);
  writePrimitiveMap(
    w,
    new Map<string, import("../../protocols/openwire/primitive-map.js").PrimitiveValue>([
      ["s", "x"],
      ["i", { int: 7 }],
      ["l", { long: 1_700_000_000_000 }],
    ]),
  );
  return w.take(0);
}

const MAKERS = [
  makeActiveMQMessage,
  makeActiveMQBytesMessage,
  makeActiveMQMapMessage,
  makeActiveMQObjectMessage,
  makeActiveMQStreamMessage,
  makeActiveMQTextMessage,
] as const;

/** One message of each type Warren takes (not BlobMessage, which Warren refuses as unsupported), every kind of field set. */
function messages(queue: string): AnyMessage[] {
  return MAKERS.map((make, i) =>
    make({
      commandId: 10 + i,
      responseRequired: true,
      producerId: makeProducerId({ connectionId: "ID:bytes-p", sessionId: 1, value: 1 }),
      destination: makeActiveMQQueue({ physicalName: queue }),
      messageId: makeMessageId({
        textView: i % 2 === 0 ? null : `ID:bytes-p:1:1:${i + 1}`,
        producerId: makeProducerId({ connectionId: "ID:bytes-p", sessionId: 1, value: 1 }),
        producerSequenceId: i + 1,
        brokerSequenceId: 999,
      }),
      groupID: i === 2 ? "grp" : null,
      groupSequence: i === 2 ? 3 : 0,
      correlationId: `corr-${i}`,
      persistent: i % 2 === 1,
      priority: i % 10,
      replyTo: makeActiveMQTopic({ physicalName: "replies" }),
      timestamp: 1_700_000_000_000 + i,
      type: "kind",
      content: i === 5 ? textContent("héllo \u0000 \ud834\udd1e") : Buffer.from([0, 1, 2, 0xc0, 0xed, i]),
      marshalledProperties: properties(),
      redeliveryCounter: 5,
      brokerPath: [makeBrokerId({ value: "ID:elsewhere" })],
      arrival: ARRIVAL_MARKER,
      userID: null,
      brokerInTime: 11,
      brokerOutTime: 12,
    }),
  );
}

async function consumer(
  connection: string,
  queue: string,
  version = 12,
  tight = false,
  cached = false,
): Promise<{ peer: RawPeer; info: ReturnType<typeof makeConsumerInfo> }> {
  const port = broker().ports.openwire!;
  const peer = await openSession(port, connection, await RawPeer.open(port, version, tight, cached));
  const info = makeConsumerInfo({
    commandId: 3,
    responseRequired: true,
    consumerId: makeConsumerId({ connectionId: connection, sessionId: 1, value: 1 }),
    destination: makeActiveMQQueue({ physicalName: queue }),
    prefetchSize: 100,
  });
  peer.send(info);
  await peer.answerTo(3);
  return { peer, info };
}

async function dispatches(peer: RawPeer, n: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const at = peer.received.flatMap((d, j) => (d.dataType === DataType.MessageDispatch ? [j] : []));
    if (at.length >= n) return at;
    await peer.next(DataType.MessageDispatch, at.length === 0 ? 0 : at[at.length - 1]! + 1, 5000);
  }
  throw new Error("dispatches missing");
}

describe("OpenWire deliveries from the published bytes", () => {
  it("every message type comes back byte for byte (a long past 2^53 included), only the per-delivery fields changed", async () => {
    const { peer: c, info } = await consumer("ID:bytes-c", "ow.bytes");
    const p = await openSession(broker().ports.openwire!, "ID:bytes-p");
    try {
      const sent = messages("ow.bytes");
      p.socket.write(Buffer.concat(sent.map((m) => withLongMax(frameOf(m)))));
      for (const m of sent) {
        const a = await p.answerTo(m.commandId);
        expect(a.dataType === DataType.ExceptionResponse ? a.exception : null, `message type ${m.dataType}`).toBeNull();
      }
      const at = await dispatches(c, sent.length);
      sent.forEach((m, i) => {
        m.commandId = 0;
        m.responseRequired = false;
        m.messageId!.brokerSequenceId = i + 1;
        m.redeliveryCounter = 0;
        // the grouped one's delivery gives its group to the consumer, and says so
        if (m.groupID !== null) m.jmsxGroupFirstForConsumer = true;
        const expected = withLongMax(
          frameOf(makeMessageDispatch({ consumerId: info.consumerId, destination: info.destination, message: m, redeliveryCounter: 0 })),
        );
        expect(c.frames[at[i]!]!.equals(expected.subarray(4)), `message type ${m.dataType}`).toBe(true);
      });
    } finally {
      c.close();
      p.close();
    }
  });

  it("a consumer on another OpenWire version gets the message re-encoded for its version", async () => {
    const { peer: c } = await consumer("ID:bytes-v6", "ow.bytes.v6", 6);
    const p = await openSession(broker().ports.openwire!, "ID:bytes-p12");
    try {
      const [m] = messages("ow.bytes.v6").slice(5, 6);
      p.send(m!);
      const d = await c.next<MessageDispatch>(DataType.MessageDispatch);
      expect(d.message).toMatchObject({
        dataType: DataType.ActiveMQTextMessage,
        correlationId: "corr-5",
        type: "kind",
        content: m!.content,
        marshalledProperties: m!.marshalledProperties,
        redeliveryCounter: 0,
        messageId: { textView: null, producerSequenceId: 6, brokerSequenceId: 1 },
      });
    } finally {
      c.close();
      p.close();
    }
  });

  it("the redelivery counter and the broker sequence are patched per delivery: after a reconnect, 1 then 2", async () => {
    const p = await openSession(broker().ports.openwire!, "ID:redeliver-p");
    const [m] = messages("ow.bytes.again").slice(1, 2); // a persistent BytesMessage
    p.send(m!);
    await p.answerTo(m!.commandId);
    p.close();
    for (const [round, expected] of [
      [1, 0],
      [2, 1],
      [3, 2],
    ] as const) {
      const { peer: c } = await consumer(`ID:redeliver-c${round}`, "ow.bytes.again");
      const d = await c.next<MessageDispatch>(DataType.MessageDispatch);
      expect({ dispatch: d.redeliveryCounter, message: d.message!.redeliveryCounter, tag: d.message!.messageId!.brokerSequenceId }).toEqual(
        {
          dispatch: expected,
          message: expected,
          tag: 1,
        },
      );
      c.close(); // no ack: the message goes back to the queue
      await new Promise<void>((r) => c.socket.once("close", () => r()));
    }
  });

  // each wire format: tight or loose, with the marshal cache or without
  for (const [from, to] of [
    ["tight", "loose"],
    ["loose", "tight"],
    ["tight", "tight"],
    ["tight+cache", "loose"],
    ["loose+cache", "tight+cache"],
    ["loose", "loose+cache"],
  ] as const) {
    it(`every message type sent ${from} reaches a ${to} consumer as it was sent, only the per-delivery fields changed`, async () => {
      const queue = `ow.bytes.${from}.${to}`;
      const { peer: c, info } = await consumer(`ID:${from}-${to}-c`, queue, 12, to.startsWith("tight"), to.endsWith("cache"));
      const port = broker().ports.openwire!;
      const p = await openSession(
        port,
        `ID:${from}-${to}-p`,
        await RawPeer.open(port, 12, from.startsWith("tight"), from.endsWith("cache")),
      );
      try {
        // no long past 2^53 here: a tight message is decoded, and a JS number cannot hold one
        const sent = messages(queue).map((m) => ({ ...m, arrival: 1_700_000_000_000 }));
        p.send(...sent);
        for (const m of sent) {
          const a = await p.answerTo(m.commandId);
          expect(a.dataType === DataType.ExceptionResponse ? a.exception : null, `message type ${m.dataType}`).toBeNull();
        }
        const at = await dispatches(c, sent.length);
        sent.forEach((m, i) => {
          m.commandId = 0;
          m.responseRequired = false;
          m.messageId!.brokerSequenceId = i + 1;
          m.redeliveryCounter = 0;
          if (m.groupID !== null) m.jmsxGroupFirstForConsumer = true;
          const expected = makeMessageDispatch({
            consumerId: info.consumerId,
            destination: info.destination,
            message: m,
            redeliveryCounter: 0,
          });
          expect(c.received[at[i]!], `message type ${m.dataType}`).toEqual(expected);
          // a loose consumer gets the loose bytes a loose sender's message would have
          if (to === "loose") expect(c.frames[at[i]!]!.equals(frameOf(expected).subarray(4)), `message type ${m.dataType}`).toBe(true);
          // a tight one the octets Warren's tight encoder gives the same dispatch
          if (to === "tight") expect(c.frames[at[i]!]!.equals(tightFrameOf(expected).subarray(4)), `message type ${m.dataType}`).toBe(true);
        });
      } finally {
        c.close();
        p.close();
      }
    });
  }

  it("a text reaches AMQP as UTF-8: NULs and characters outside the BMP converted from modified UTF-8, short or long", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    const p = await openSession(broker().ports.openwire!, "ID:utf-p");
    const texts = ["plain", "a\u0000b", "clef \ud834\udd1e", "é".repeat(40), `${"x".repeat(80)}\u0000`, `${"y".repeat(80)}\u{1f600}`];
    try {
      const ch = await conn.createChannel();
      for (let i = 0; i < texts.length; i++) {
        p.send(
          makeActiveMQTextMessage({
            commandId: 20 + i,
            responseRequired: true,
            destination: makeActiveMQQueue({ physicalName: "ow.utf" }),
            messageId: makeMessageId({
              producerId: makeProducerId({ connectionId: "ID:utf-p", sessionId: 1, value: 1 }),
              producerSequenceId: i + 1,
            }),
            content: textContent(texts[i]!),
          }),
        );
        expect((await p.answerTo(20 + i)).dataType).toBe(DataType.Response);
      }
      for (const t of texts) {
        const got = await ch.get("ow.utf", { noAck: true });
        expect(got && got.content.equals(Buffer.from(t, "utf8"))).toBe(true);
      }
    } finally {
      p.close();
      await conn.close();
    }
  });

  it("a JMS property named CC is only a property: no sender-selected distribution, as ActiveMQ has none", async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker().ports.amqp}`);
    const p = await openSession(broker().ports.openwire!, "ID:cc-p");
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue("ow.cc.other", { durable: true });
      const w = new Writer(64);
      // a List property (ActiveMQ takes one through setObjectProperty), the form CC has in AMQP
      writePrimitiveMap(w, new Map([["CC", ["ow.cc.other"]]]));
      const m = makeActiveMQTextMessage({
        commandId: 5,
        responseRequired: true,
        destination: makeActiveMQQueue({ physicalName: "ow.cc.to" }),
        messageId: makeMessageId({
          producerId: makeProducerId({ connectionId: "ID:cc-p", sessionId: 1, value: 1 }),
          producerSequenceId: 1,
        }),
        content: textContent("hello"),
        marshalledProperties: w.take(0),
      });
      p.send(m);
      expect((await p.answerTo(5)).dataType).toBe(DataType.Response);
      const got = await ch.get("ow.cc.to", { noAck: true });
      expect(got && got.content.toString()).toBe("hello");
      expect(got && got.properties.headers).toMatchObject({ CC: ["ow.cc.other"] });
      expect((await ch.checkQueue("ow.cc.other")).messageCount).toBe(0);
    } finally {
      p.close();
      await conn.close();
    }
  });
});

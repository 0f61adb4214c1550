// JMS headers and properties ↔ the core's neutral properties, as docs/compatibility.md's table says.
import { describe, expect, it } from "vitest";
import { Message, TypedField } from "warren";
import {
  DataType,
  makeActiveMQBytesMessage,
  makeActiveMQMapMessage,
  makeActiveMQMessage,
  makeActiveMQObjectMessage,
  makeActiveMQQueue,
  makeActiveMQStreamMessage,
  makeActiveMQTextMessage,
  makeActiveMQTopic,
  makeMessageId,
  makeProducerId,
  type ActiveMQTextMessage,
  type ActiveMQBytesMessage,
} from "../../protocols/openwire/codec/commands.generated.js";
import { Reader, Writer } from "../../protocols/openwire/codec/primitives.js";
import { dispatchMessage, JMS_MSG_TYPE, propertiesOf } from "../../protocols/openwire/message.js";
import { readPrimitiveMap, writePrimitiveMap } from "../../protocols/openwire/primitive-map.js";

function props(entries: [string, import("../../protocols/openwire/primitive-map.js").PrimitiveValue][]): Buffer {
  const w = new Writer(64);
  writePrimitiveMap(w, new Map(entries));
  return w.take(0);
}

describe("JMS message → neutral properties", () => {
  it("maps the JMS headers and keeps each property's Java type", () => {
    const m = makeActiveMQTextMessage({
      destination: makeActiveMQQueue({ physicalName: "q" }),
      messageId: makeMessageId({
        producerId: makeProducerId({ connectionId: "ID:host-1-2-1:1", sessionId: 1, value: 1 }),
        producerSequenceId: 5,
      }),
      correlationId: "c-1",
      replyTo: makeActiveMQTopic({ physicalName: "replies" }),
      type: "t",
      persistent: true,
      priority: 7,
      timestamp: 1_700_000_000_500,
      expiration: 1_700_000_060_500,
      groupID: "g",
      groupSequence: 3,
      marshalledProperties: props([
        ["s", "x"],
        ["i", { int: 42 }],
        ["l", { long: 2 ** 40 }],
        ["b", { byte: -3 }],
        ["sh", { short: 300 }],
        ["f", { float: 1.5 }],
        ["d", 2.5],
        ["bool", true],
      ]),
    });
    expect(propertiesOf(m)).toEqual({
      contentType: "text/plain",
      messageId: "ID:host-1-2-1:1:1:1:5",
      correlationId: "c-1",
      replyTo: "/topic/replies",
      type: "t",
      deliveryMode: 2,
      priority: 7,
      timestamp: 1_700_000_000,
      expiration: "60000",
      headers: {
        s: "x",
        i: 42,
        l: new TypedField("l", 2 ** 40),
        b: new TypedField("b", -3),
        sh: new TypedField("s", 300),
        f: new TypedField("f", 1.5),
        d: new TypedField("d", 2.5),
        bool: true,
        JMSXGroupID: "g",
        JMSXGroupSeq: 3,
      },
    });
  });
});

describe("a message from another protocol → the JMS message a consumer gets", () => {
  it("text/* content becomes a TextMessage with the headers back as typed properties", () => {
    const msg = new Message("", "orders", Buffer.from("héllo"), {
      contentType: "text/plain",
      deliveryMode: 2,
      priority: 6,
      correlationId: "c",
      replyTo: "/queue/back",
      timestamp: 1_700_000_000,
      expiration: "1000",
      headers: { n: 7, big: new TypedField("l", 5), flag: false, s: "v" },
    });
    const m = dispatchMessage(msg, 12, 0) as ActiveMQTextMessage;
    expect(m.dataType).toBe(DataType.ActiveMQTextMessage);
    expect(m.content!.readInt32BE(0)).toBe(6);
    expect(m.content!.subarray(4).toString("utf8")).toBe("héllo");
    expect(m).toMatchObject({
      persistent: true,
      priority: 6,
      correlationId: "c",
      timestamp: 1_700_000_000_000,
      expiration: 1_700_000_001_000,
      destination: { dataType: DataType.ActiveMQQueue, physicalName: "orders" },
      replyTo: { dataType: DataType.ActiveMQQueue, physicalName: "back" },
    });
    expect(m.messageId!.brokerSequenceId).toBe(12);
    const p = readPrimitiveMap(new Reader(m.marshalledProperties!, 0, m.marshalledProperties!.length, 12, false));
    expect(Object.fromEntries(p)).toEqual({ n: { int: 7 }, big: { long: 5 }, flag: false, s: "v" });
  });

  it("anything else becomes a BytesMessage; amq.topic is a topic destination", () => {
    const msg = new Message("amq.topic", "a.b", Buffer.from([1, 2]), {});
    const m = dispatchMessage(msg, 1, 1) as ActiveMQBytesMessage;
    expect(m.dataType).toBe(DataType.ActiveMQBytesMessage);
    expect([...m.content!]).toEqual([1, 2]);
    expect(m.destination).toEqual({ dataType: DataType.ActiveMQTopic, physicalName: "a.b" });
    expect(m.redeliveryCounter).toBe(1);
  });

  it("Map, Object, Stream and plain Messages keep their JMS type through the neutral properties (a restart)", () => {
    const types = [
      makeActiveMQMapMessage({ content: Buffer.from([1]) }),
      makeActiveMQObjectMessage({ content: Buffer.from([2]) }),
      makeActiveMQStreamMessage({ content: Buffer.from([3]) }),
      makeActiveMQMessage({ marshalledProperties: props([["kind", "plain"]]) }),
      makeActiveMQBytesMessage({ content: Buffer.from([4]) }),
    ];
    const back = types.map((t) => {
      const p = propertiesOf(t);
      // what the store keeps: the body and the neutral properties, no OpenWire bytes
      const m = dispatchMessage(new Message("", "q", t.content ?? Buffer.alloc(0), p), 1, 0);
      const props =
        m.marshalledProperties === null
          ? new Map()
          : readPrimitiveMap(new Reader(m.marshalledProperties, 0, m.marshalledProperties.length, 12, false));
      return [p.headers?.[JMS_MSG_TYPE] ?? null, m.dataType, m.content === null ? null : [...m.content], Object.fromEntries(props)];
    });
    expect(back).toEqual([
      [new TypedField("b", 2), DataType.ActiveMQMapMessage, [1], {}],
      [new TypedField("b", 1), DataType.ActiveMQObjectMessage, [2], {}],
      [new TypedField("b", 4), DataType.ActiveMQStreamMessage, [3], {}],
      [new TypedField("b", 0), DataType.ActiveMQMessage, null, { kind: "plain" }],
      [null, DataType.ActiveMQBytesMessage, [4], {}],
    ]);
  });
});

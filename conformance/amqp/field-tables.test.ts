// Field tables and message properties through the broker: every field type RabbitMQ carries
// (t b B s u I i l f d D S x A T F V) published by amqplib and by pika, read back byte-exact by a
// raw consumer and as each client decodes it; and all basic properties across clients.

import { describe, expect, it } from "vitest";
import { conformanceSuite, consumeInto, runPython, startPython } from "./helpers.js";
import { consumeOneRaw } from "./raw/connection.js";
import { bodyFrame, headerFrame, M, Writer, writeBasicProperties, type RawProperties, type Typed, type TypedTable } from "./raw/codec.js";

const suite = conformanceSuite();

/** Every field type, in amqplib's typed-value notation. */
const AMQPLIB_HEADERS = {
  bool: true,
  byte: { "!": "byte", value: -5 },
  ubyte: { "!": "unsignedbyte", value: 200 },
  short: { "!": "short", value: -300 },
  ushort: { "!": "unsignedshort", value: 60000 },
  int: { "!": "int", value: -70000 },
  uint: { "!": "unsignedint", value: 4000000000 },
  long: { "!": "long", value: -(2 ** 40) },
  float: { "!": "float", value: 1.5 },
  double: { "!": "double", value: 2.25 },
  decimal: { "!": "decimal", value: { places: 2, digits: 12345 } },
  string: "héllo wörld",
  bytes: Buffer.from([0, 1, 254, 255]),
  array: [1, "two", true, null],
  timestamp: { "!": "timestamp", value: 1700000000 },
  table: { nested: "yes", deeper: { n: 7 } },
  void: null,
};

/** What those headers must look like on the wire after passing through the broker. */
const EXPECTED_WIRE: TypedTable = {
  bool: { type: "t", value: true },
  byte: { type: "b", value: -5 },
  ubyte: { type: "B", value: 200 },
  short: { type: "s", value: -300 },
  ushort: { type: "u", value: 60000 },
  int: { type: "I", value: -70000 },
  uint: { type: "i", value: 4000000000 },
  long: { type: "l", value: -(2n ** 40n) },
  float: { type: "f", value: 1.5 },
  double: { type: "d", value: 2.25 },
  decimal: { type: "D", value: { scale: 2, digits: 12345 } },
  string: { type: "S", value: "héllo wörld" },
  bytes: { type: "x", value: Buffer.from([0, 1, 254, 255]) },
  array: {
    type: "A",
    value: [
      { type: "b", value: 1 },
      { type: "S", value: "two" },
      { type: "t", value: true },
      { type: "V", value: null },
    ],
  },
  timestamp: { type: "T", value: 1700000000n },
  table: {
    type: "F",
    value: { nested: { type: "S", value: "yes" }, deeper: { type: "F", value: { n: { type: "b", value: 7 } } } },
  },
  void: { type: "V", value: null },
};

const ALL_PROPERTIES = {
  contentType: "application/json",
  contentEncoding: "utf-8",
  deliveryMode: 2,
  priority: 7,
  correlationId: "corr-42",
  replyTo: "reply-here",
  expiration: "60000",
  messageId: "msg-42",
  timestamp: 1700000000,
  type: "order.created",
  userId: "guest",
  appId: "conformance",
  clusterId: "cluster-x",
};

async function publishAmqplib(queue: string, options: Record<string, unknown>): Promise<void> {
  const { ch } = await suite.confirmChannel();
  ch.sendToQueue(queue, Buffer.from("typed"), options);
  await ch.waitForConfirms();
}

describe("field tables", () => {
  it("every field type published by amqplib arrives byte-exact, type tags included", async () => {
    const queue = suite.queueName("ft-raw");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    await publishAmqplib(queue, { headers: AMQPLIB_HEADERS });
    const raw = await suite.raw();
    await raw.openChannel(1);
    const d = await consumeOneRaw(raw, 1, queue);
    expect(d.properties.headers).toEqual(EXPECTED_WIRE);
    expect(d.body.toString()).toBe("typed");
  });

  it("amqplib decodes the same values it published", async () => {
    const queue = suite.queueName("ft-amqplib");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const { inbox } = await consumeInto(ch, queue, { noAck: true });
    await publishAmqplib(queue, { headers: AMQPLIB_HEADERS });
    const h = (await inbox.next()).properties.headers!;
    expect(h).toEqual({
      bool: true,
      byte: -5,
      ubyte: 200,
      short: -300,
      ushort: 60000,
      int: -70000,
      uint: 4000000000,
      long: -(2 ** 40),
      float: 1.5,
      double: 2.25,
      decimal: { "!": "decimal", value: { places: 2, digits: 12345 } },
      string: "héllo wörld",
      bytes: Buffer.from([0, 1, 254, 255]),
      array: [1, "two", true, null],
      timestamp: { "!": "timestamp", value: 1700000000 },
      table: { nested: "yes", deeper: { n: 7 } },
      void: null,
    });
  });

  it("pika reads the amqplib-published types (as pika 1.2 decodes them)", async () => {
    const queue = suite.queueName("ft-pika-in");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const consumer = startPython(suite, "headers.py", ["consume", queue]);
    await consumer.waitForLine("ready");
    await publishAmqplib(queue, { headers: AMQPLIB_HEADERS });
    const out = await consumer.result<{ headers: Record<string, unknown> }>();
    // pika 1.2 reads b as unsigned and B as signed, l as unsigned, and truncates f and d to
    // integers: these are its readings of exactly the bytes amqplib wrote.
    expect(out.headers).toEqual({
      bool: ["bool", true],
      byte: ["int", 251],
      ubyte: ["int", -56],
      short: ["int", -300],
      ushort: ["int", 60000],
      int: ["int", -70000],
      uint: ["int", 4000000000],
      long: ["int", String(2n ** 64n - 2n ** 40n)],
      float: ["int", 1],
      double: ["int", 2],
      decimal: ["Decimal", "123.45"],
      string: ["str", "héllo wörld"],
      bytes: ["bytes", Buffer.from([0, 1, 254, 255]).toString("base64")],
      array: [
        "list",
        [
          ["int", 1],
          ["str", "two"],
          ["bool", true],
          ["None", null],
        ],
      ],
      timestamp: ["datetime", "2023-11-14T22:13:20"],
      table: ["dict", { nested: ["str", "yes"], deeper: ["dict", { n: ["int", 7] }] }],
      void: ["None", null],
    });
  });

  it("every type pika encodes arrives byte-exact with pika's type tags", async () => {
    const queue = suite.queueName("ft-pika-out");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    expect(await runPython(suite, "headers.py", ["publish", queue])).toEqual({ published: true });
    const raw = await suite.raw();
    await raw.openChannel(1);
    const d = await consumeOneRaw(raw, 1, queue);
    const expected: Record<string, Typed> = {
      str: { type: "S", value: "héllo" },
      bytes: { type: "x", value: Buffer.from([0, 1, 0xfe, 0xff]) },
      true: { type: "t", value: true },
      false: { type: "t", value: false },
      int: { type: "I", value: -70000 },
      big: { type: "l", value: 2n ** 40n },
      decimal: { type: "D", value: { scale: 2, digits: 12345 } },
      timestamp: { type: "T", value: 1700000000n },
      table: { type: "F", value: { nested: { type: "S", value: "yes" }, n: { type: "I", value: 7 } } },
      array: {
        type: "A",
        value: [
          { type: "I", value: 1 },
          { type: "S", value: "two" },
          { type: "V", value: null },
          { type: "t", value: true },
        ],
      },
      void: { type: "V", value: null },
    };
    expect(d.properties.headers).toEqual(expected);
    expect(d.body.toString()).toBe("typed");
  });

  it("a header table with unicode keys, an empty table and an empty array round-trips", async () => {
    const queue = suite.queueName("ft-edge");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    await publishAmqplib(queue, { headers: { ключ: "значение", empty: {}, none: [], "": "empty key" } });
    const raw = await suite.raw();
    await raw.openChannel(1);
    const d = await consumeOneRaw(raw, 1, queue);
    expect(d.properties.headers).toEqual({
      ключ: { type: "S", value: "значение" },
      empty: { type: "F", value: {} },
      none: { type: "A", value: [] },
      "": { type: "S", value: "empty key" },
    });
  });
});

describe("basic properties", () => {
  it("all thirteen basic properties amqplib can set arrive unchanged", async () => {
    const queue = suite.queueName("props");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    await publishAmqplib(queue, { ...ALL_PROPERTIES, headers: { h: "v" } });
    const raw = await suite.raw();
    await raw.openChannel(1);
    const d = await consumeOneRaw(raw, 1, queue);
    const { clusterId: _dropped, ...sent } = ALL_PROPERTIES; // amqplib never sends cluster-id
    expect(d.properties).toEqual({ ...sent, timestamp: 1700000000n, headers: { h: { type: "S", value: "v" } } });
    expect([d.exchange, d.routingKey, d.redelivered]).toEqual(["", queue, false]);
  });

  it("all fourteen basic properties, cluster-id included, sent raw arrive unchanged", async () => {
    const queue = suite.queueName("props-raw");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const raw = await suite.raw();
    await raw.openChannel(1);
    const props: RawProperties = {
      ...ALL_PROPERTIES,
      timestamp: 1700000000n,
      headers: { h: { type: "S", value: "v" } },
    };
    const { flags, bytes } = writeBasicProperties(props);
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr(queue).bits(false, false).done());
    raw.write(Buffer.concat([headerFrame(1, 3, flags, bytes), bodyFrame(1, Buffer.from("all"))]));
    const d = await consumeOneRaw(raw, 1, queue);
    expect(d.properties).toEqual(props);
  });

  it("a message without properties arrives with none (not even empty headers)", async () => {
    const queue = suite.queueName("noprops");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const raw = await suite.raw();
    await raw.openChannel(1);
    // amqplib always sends a headers table; a raw publish sends no property at all.
    raw.sendMethod(1, M.basicPublish, new Writer().short(0).shortstr("").shortstr(queue).bits(false, false).done());
    raw.write(Buffer.concat([headerFrame(1, 4), bodyFrame(1, Buffer.from("bare"))]));
    const d = await consumeOneRaw(raw, 1, queue);
    expect(d.properties).toEqual({});
    expect(d.body.toString()).toBe("bare");
  });

  it("pika's basic properties and headers are seen by amqplib", async () => {
    const queue = suite.queueName("props-pika");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const { inbox } = await consumeInto(ch, queue, { noAck: true });
    await runPython(suite, "headers.py", ["publish", queue]);
    const m = await inbox.next();
    expect(m.properties).toMatchObject({
      contentType: "text/plain",
      contentEncoding: "utf-8",
      deliveryMode: 2,
      priority: 5,
      correlationId: "corr-1",
      replyTo: "reply-q",
      expiration: "60000",
      messageId: "msg-1",
      timestamp: 1700000000,
      type: "kind",
      userId: "guest",
      appId: "pika-app",
    });
    expect(m.properties.headers).toMatchObject({ str: "héllo", int: -70000, true: true, void: null });
  });

  it("amqplib's basic properties are seen by pika", async () => {
    const queue = suite.queueName("props-to-pika");
    const { ch } = await suite.channel();
    await ch.assertQueue(queue, { durable: false });
    const consumer = startPython(suite, "headers.py", ["consume", queue]);
    await consumer.waitForLine("ready");
    await publishAmqplib(queue, { ...ALL_PROPERTIES, headers: { h: "v" } });
    const out = await consumer.result<{ properties: Record<string, unknown>; headers: Record<string, unknown> }>();
    expect(out.properties).toEqual({
      content_type: "application/json",
      content_encoding: "utf-8",
      delivery_mode: 2,
      priority: 7,
      correlation_id: "corr-42",
      reply_to: "reply-here",
      expiration: "60000",
      message_id: "msg-42",
      timestamp: 1700000000,
      type: "order.created",
      user_id: "guest",
      app_id: "conformance",
      cluster_id: null, // amqplib does not send cluster-id
    });
    expect(out.headers).toEqual({ h: ["str", "v"] });
  });

  it("a 1 MiB body crosses frame boundaries intact", async () => {
    const queue = suite.queueName("big");
    const { ch } = await suite.confirmChannel();
    await ch.assertQueue(queue, { durable: false });
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    ch.sendToQueue(queue, body);
    await ch.waitForConfirms();
    const m = await ch.get(queue, { noAck: true });
    expect(m && m.content.equals(body)).toBe(true);
  });

  it("an empty body is delivered as an empty body", async () => {
    const queue = suite.queueName("empty");
    const { ch } = await suite.confirmChannel();
    await ch.assertQueue(queue, { durable: false });
    ch.sendToQueue(queue, Buffer.alloc(0));
    await ch.waitForConfirms();
    const m = await ch.get(queue, { noAck: true });
    expect(m && m.content.length).toBe(0);
  });
});

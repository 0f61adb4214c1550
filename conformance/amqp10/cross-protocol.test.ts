// AMQP 1.0 ↔ AMQP 0-9-1 on one broker: a message sent over one protocol and consumed over the
// other, with its properties mapped. Warren maps application-properties to plain headers (and
// back) as RabbitMQ 4 does; RabbitMQ 3.10 packs them into one x-amqp-1.0-app-properties header
// (the encoded section) and gives 0-9-1 headers no application-properties.

import rhea from "rhea";
import { describe, expect, it } from "vitest";
import { amqp10Suite, eventually, openReceiver, openSender, send } from "./helpers.js";

const suite = amqp10Suite();

describe("AMQP 1.0 ↔ AMQP 0-9-1", () => {
  it("AMQP 1.0 → 0-9-1 consumer: body, durable, priority, ids, content type and application-properties", async () => {
    const q = suite.name("a10-to-091");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const conn = await suite.connect();
    const s = await openSender(conn, `/amq/queue/${q}`);
    const outcome = await send(s, {
      body: rhea.message.data_section(Buffer.from("from amqp 1.0")),
      durable: true,
      priority: 7,
      message_id: "id-1",
      correlation_id: "corr-1",
      content_type: "text/plain",
      application_properties: { color: "red", n: 5 },
    });
    expect(outcome).toBe("accepted");
    const m = await eventually(async () => (await ch.get(q, { noAck: true })) || undefined);
    expect(m.content.toString()).toBe("from amqp 1.0");
    expect(m.properties.deliveryMode).toBe(2);
    expect(m.properties.priority).toBe(7);
    expect(m.properties.messageId).toBe("id-1");
    expect(m.properties.correlationId).toBe("corr-1");
    expect(m.properties.contentType).toBe("text/plain");
    const headers = m.properties.headers ?? {};
    if (suite.broker.kind === "rabbitmq") {
      expect(headers["x-amqp-1.0-app-properties"]).toBeDefined();
      expect(headers["color"]).toBeUndefined();
    } else {
      expect(headers["color"]).toBe("red");
      expect(headers["n"]).toBe(5);
    }
  });

  it("an amqp-value body reaches 0-9-1 as the encoded section, typed amqp-1.0", async () => {
    const q = suite.name("a10-value");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const conn = await suite.connect();
    const s = await openSender(conn, `/amq/queue/${q}`);
    expect(await send(s, { body: "hi" })).toBe("accepted");
    const m = await eventually(async () => (await ch.get(q, { noAck: true })) || undefined);
    expect(m.properties.type).toBe("amqp-1.0");
    // described amqp-value (0x00 0x53 0x77) holding str8 "hi"
    expect(m.content.toString("hex")).toBe("005377a1026869");
  });

  it("0-9-1 → AMQP 1.0 receiver: data section, header, properties, headers as application-properties", async () => {
    const q = suite.name("a10-from-091");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const conn = await suite.connect();
    const r = await openReceiver(conn, `/amq/queue/${q}`, { autoaccept: true });
    r.receiver.add_credit(1);
    ch.sendToQueue(q, Buffer.from("from 0-9-1"), {
      persistent: true,
      priority: 3,
      messageId: "m-9",
      correlationId: "c-9",
      contentType: "text/plain",
      headers: { color: "blue" },
    });
    await eventually(() => r.messages.length === 1);
    const m = r.messages[0]!.message;
    expect((m.body as { content: Buffer }).content.toString()).toBe("from 0-9-1");
    expect(m.durable).toBe(true);
    expect(m.priority).toBe(3);
    expect(m.message_id).toBe("m-9");
    expect(m.correlation_id).toBe("c-9");
    expect(m.content_type).toBe("text/plain");
    expect(m.subject).toBe(q);
    if (suite.broker.kind === "rabbitmq") expect(m.application_properties).toBeUndefined();
    else expect(m.application_properties).toEqual({ color: "blue" });
  });

  it("AMQP 1.0 → AMQP 1.0 keeps the sections as sent", async () => {
    const q = suite.name("a10-exact");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const conn = await suite.connect();
    const s = await openSender(conn, `/amq/queue/${q}`);
    const sent = {
      body: { list: [1, "two"] },
      message_annotations: { "x-opt-note": "kept" },
      application_properties: { big: 2 ** 40, flag: true, text: "t" },
      subject: "subj",
      group_id: "g",
      // no footer: rhea 3 writes it before the body, against §3.2's section order
    };
    expect(await send(s, sent)).toBe("accepted");
    const r = await openReceiver(conn, `/amq/queue/${q}`, { autoaccept: true });
    r.receiver.add_credit(1);
    await eventually(() => r.messages.length === 1);
    const m = r.messages[0]!.message;
    expect(m.body).toEqual(sent.body);
    expect(m.application_properties).toEqual(sent.application_properties);
    expect(m.message_annotations?.["x-opt-note"]).toBe("kept");
    expect(m.subject).toBe("subj");
    if (suite.broker.kind === "warren") {
      // RabbitMQ 3.10 rebuilds the properties section from 0-9-1 properties and drops group-id
      expect(m.group_id).toBe("g");
    }
  });

  it("a message to /exchange/amq.topic/KEY reaches a 0-9-1 queue bound with that key", async () => {
    const q = suite.name("a10-topic");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    await ch.bindQueue(q, "amq.topic", `${q}.*`);
    const conn = await suite.connect();
    const s = await openSender(conn, `/exchange/amq.topic/${q}.x`);
    expect(await send(s, { body: rhea.message.data_section(Buffer.from("t")) })).toBe("accepted");
    const m = await eventually(async () => (await ch.get(q, { noAck: true })) || undefined);
    expect(m.fields.routingKey).toBe(`${q}.x`);
    expect(m.content.toString()).toBe("t");
  });

  it("a receiver on /topic/KEY gets what 0-9-1 publishes to amq.topic with a matching key", async () => {
    const key = suite.name("a10-sub").replace(/-/g, "_");
    const conn = await suite.connect();
    const r = await openReceiver(conn, `/topic/${key}.#`, { autoaccept: true });
    r.receiver.add_credit(5);
    const ch = await suite.channel();
    ch.publish("amq.topic", `${key}.a.b`, Buffer.from("fan"));
    await eventually(() => r.messages.length === 1);
    expect((r.messages[0]!.message.body as { content: Buffer }).content.toString()).toBe("fan");
  });
});

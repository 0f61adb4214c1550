import { describe, expect, it } from "vitest";
import { Message } from "../../src/core/index.js";
import {
  decodeMessageRecord,
  encodeMessageRecord,
  MessageRecordWriter,
  messageRecordBodySize,
  messageRecordExpiry,
  messageRecordGrouped,
  messageRecordJob,
  type RecordPropertiesCodec,
} from "../../src/store/message-record.js";
import { amqpPropertiesCodec, encodeProperties } from "../../protocols/amqp/codec/properties.js";

const codec: RecordPropertiesCodec = { properties: amqpPropertiesCodec, encode: encodeProperties };
const message = () => new Message("amq.topic", "a.b", Buffer.from("hello"), { deliveryMode: 2, headers: { n: 1 } });

function written(writer: MessageRecordWriter, m: Message): Buffer {
  const buf = Buffer.alloc(writer.size(m) + 4, 0xee);
  writer.write(m, buf, 2);
  return buf.subarray(2, buf.length - 2);
}

describe("message records", () => {
  it("round-trip routing, properties and body; a plain record has no expiry", () => {
    const record = encodeMessageRecord(message(), codec);
    const back = decodeMessageRecord(record, codec);
    expect([back.exchange, back.routingKey, back.body.toString()]).toEqual(["amq.topic", "a.b", "hello"]);
    expect(back.properties).toMatchObject({ deliveryMode: 2, headers: { n: 1 } });
    expect(messageRecordBodySize(record)).toBe(5);
    expect(messageRecordExpiry(record)).toBe(Infinity);
  });

  it("a record written with an expiry keeps it, decodes alike, and the writer forgets it for the next record", () => {
    const writer = new MessageRecordWriter(codec);
    writer.expiresAt = 1_800_000_000_123;
    const expiring = written(writer, message());
    expect(messageRecordExpiry(expiring)).toBe(1_800_000_000_123);
    expect(messageRecordBodySize(expiring)).toBe(5);
    const back = decodeMessageRecord(expiring, codec);
    expect([back.exchange, back.routingKey, back.body.toString()]).toEqual(["amq.topic", "a.b", "hello"]);
    expect(back.properties).toMatchObject({ deliveryMode: 2, headers: { n: 1 } });
    const next = written(writer, message());
    expect(messageRecordExpiry(next)).toBe(Infinity);
    expect(next).toEqual(encodeMessageRecord(message(), codec));
  });

  it("a grouped message's record says so without decoding, with or without an expiry; others do not", () => {
    const writer = new MessageRecordWriter(codec);
    const g = message();
    g.group = "g1";
    const plain = written(writer, message());
    const grouped = written(writer, g);
    writer.expiresAt = 1_800_000_000_123;
    const expiring = written(writer, g);
    expect([plain, grouped, expiring].map(messageRecordGrouped)).toEqual([false, true, true]);
    expect(messageRecordExpiry(expiring)).toBe(1_800_000_000_123);
    expect([messageRecordBodySize(grouped), messageRecordBodySize(expiring)]).toEqual([5, 5]);
    expect(decodeMessageRecord(expiring, codec).body.toString()).toBe("hello");
  });

  it("a held message's scheduled job rides under the JOB bit, with an expiry and a group too; plain records have none", () => {
    const writer = new MessageRecordWriter(codec);
    expect(messageRecordJob(written(writer, message()))).toBeNull();
    const grouped = message();
    grouped.group = "g";
    writer.expiresAt = 1_800_000_000_123;
    writer.job = Buffer.from('["id",null,0,1000,-1,-1]');
    const record = written(writer, grouped);
    expect(messageRecordJob(record)).toBe('["id",null,0,1000,-1,-1]');
    expect(messageRecordExpiry(record)).toBe(1_800_000_000_123);
    expect(messageRecordGrouped(record)).toBe(true);
    expect(messageRecordBodySize(record)).toBe(5);
    const back = decodeMessageRecord(record, codec);
    expect([back.exchange, back.routingKey, back.body.toString()]).toEqual(["amq.topic", "a.b", "hello"]);
    // the writer forgets the job for the next record
    expect(messageRecordJob(written(writer, message()))).toBeNull();
  });

  it("a message in another protocol's encoding is decoded once for all its queues' records, and keeps no decoded copy", () => {
    let decodes = 0;
    const foreign = {
      format: "test",
      decode: () => {
        decodes++;
        return { deliveryMode: 2, headers: { n: 1 } };
      },
    };
    const m = new Message("amq.topic", "a.b", Buffer.from("hello"), null, { codec: foreign, bytes: Buffer.alloc(0) });
    const writer = new MessageRecordWriter(codec);
    // routed to three durable queues, stored by each in turn
    const records = [written(writer, m), written(writer, m), written(writer, m)];
    expect(decodes).toBe(1);
    for (const r of records) expect(decodeMessageRecord(r, codec).properties).toMatchObject({ deliveryMode: 2, headers: { n: 1 } });
    // a consumer that asks decodes then: nothing was kept from the store's decode
    expect(m.properties).toMatchObject({ deliveryMode: 2 });
    expect(decodes).toBe(2);
    // after another message, it is encoded anew, from the form the consumer's decode kept
    written(writer, message());
    written(writer, m);
    expect(decodes).toBe(2);
  });
});

/**
 * How a queue's store holds a message: the routing it arrived with, its properties in the AMQP
 * 0-9-1 encoding (the publisher's own bytes when it was an AMQP publisher, so nothing is
 * re-encoded), and the body.
 *
 *   kind u8 (1) | exchange length u32 | exchange | routing key length u32 | routing key
 *   | properties length u32 | properties (AMQP basic flags + list) | body (the rest)
 */
import { Message, type MessageProperties, type PropertiesCodec } from "../core/index.js";

const KIND_MESSAGE = 1;

/** The property encoding records use: AMQP 0-9-1 basic properties, injected to keep protocols out of the store. */
export interface RecordPropertiesCodec {
  /** The codec AMQP publishers' messages carry: their bytes are stored as they are. */
  readonly properties: PropertiesCodec;
  encode(p: MessageProperties): Buffer;
}

export function encodeMessageRecord(m: Message, codec: RecordPropertiesCodec): Buffer {
  const enc = m.encoded;
  const props = enc !== null && enc.codec === codec.properties ? enc.bytes : codec.encode(m.properties);
  const ex = Buffer.byteLength(m.exchange);
  const rk = Buffer.byteLength(m.routingKey);
  const buf = Buffer.allocUnsafe(1 + 4 + ex + 4 + rk + 4 + props.length + m.body.length);
  let o = 0;
  buf[o++] = KIND_MESSAGE;
  buf.writeUInt32BE(ex, o);
  o += 4;
  o += buf.write(m.exchange, o);
  buf.writeUInt32BE(rk, o);
  o += 4;
  o += buf.write(m.routingKey, o);
  buf.writeUInt32BE(props.length, o);
  o += 4;
  o += props.copy(buf, o);
  m.body.copy(buf, o);
  return buf;
}

export function decodeMessageRecord(buf: Buffer, codec: RecordPropertiesCodec): Message {
  if (buf[0] !== KIND_MESSAGE) throw new Error(`unknown record kind ${buf[0]}`);
  let o = 1;
  const ex = buf.readUInt32BE(o);
  o += 4;
  const exchange = buf.toString("utf8", o, o + ex);
  o += ex;
  const rk = buf.readUInt32BE(o);
  o += 4;
  const routingKey = buf.toString("utf8", o, o + rk);
  o += rk;
  const pl = buf.readUInt32BE(o);
  o += 4;
  const bytes = buf.subarray(o, o + pl);
  o += pl;
  return new Message(exchange, routingKey, buf.subarray(o), null, { codec: codec.properties, bytes });
}

/** The body size of a record without decoding it (paged-out entries need only that). */
export function messageRecordBodySize(buf: Buffer): number {
  let o = 1;
  o += 4 + buf.readUInt32BE(o);
  o += 4 + buf.readUInt32BE(o);
  o += 4 + buf.readUInt32BE(o);
  return buf.length - o;
}

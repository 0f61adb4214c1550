/**
 * The broker's hot path out: a content-carrying method (basic.deliver, basic.get-ok, basic.return)
 * followed by its content header frame and body frames (§4.2.6), all sized first and written into
 * ONE buffer, so a delivery costs one allocation and joins the connection's batched write as one
 * chunk (LavinMQ / amqp-client.js style).
 *
 * The properties arrive already encoded (flags + list): for AMQP-published messages they are the
 * publisher's own bytes, re-sent untouched.
 */
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_HEADER_SIZE, FRAME_METHOD, FRAME_OVERHEAD } from "./frames.js";
import { METHOD_IDS } from "./methods.js";
import {
  replyTextLength,
  shortStringLength,
  writeReplyText,
  writeShortString,
  writeUint16,
  writeUint32,
  writeUint64,
} from "./primitives.js";

const ids = (kind: "basic.deliver" | "basic.get-ok" | "basic.return"): number => {
  const [classId, methodId] = METHOD_IDS[kind];
  return ((classId << 16) | methodId) >>> 0;
};
const BASIC_DELIVER = ids("basic.deliver");
const BASIC_GET_OK = ids("basic.get-ok");
const BASIC_RETURN = ids("basic.return");
const BASIC_CLASS = METHOD_IDS["basic.deliver"][0];

/** class-id, weight, body-size: the content header payload before the property flags (§4.2.6.1). */
const CONTENT_HEADER_FIXED = 12;
const TWO_32 = 4294967296;

/** The largest body frame payload under `frameMax` (which counts header and frame-end); 0 = no limit. */
function maxBodyPayload(frameMax: number): number {
  if (frameMax === 0) return 0xffffffff;
  if (!(frameMax > FRAME_OVERHEAD)) throw new RangeError(`frame_max ${frameMax} leaves no room for a body`);
  return frameMax - FRAME_OVERHEAD;
}

/** Bytes the content header frame plus body frames take. */
function contentSize(propertiesLength: number, bodyLength: number, maxBody: number): number {
  const bodyFrames = bodyLength === 0 ? 0 : Math.ceil(bodyLength / maxBody);
  return FRAME_OVERHEAD + CONTENT_HEADER_FIXED + propertiesLength + bodyLength + bodyFrames * FRAME_OVERHEAD;
}

/** Writes the content header frame and body frames at `p`; returns the offset after them. */
function writeContent(buf: Buffer, p: number, channel: number, properties: Buffer, body: Buffer, maxBody: number): number {
  const headerPayload = CONTENT_HEADER_FIXED + properties.length;
  buf[p] = FRAME_HEADER;
  writeUint16(buf, p + 1, channel);
  writeUint32(buf, p + 3, headerPayload);
  p += FRAME_HEADER_SIZE;
  writeUint32(buf, p, BASIC_CLASS << 16); // class-id, weight 0
  const size = body.length;
  const hi = Math.floor(size / TWO_32);
  writeUint32(buf, p + 4, hi);
  writeUint32(buf, p + 8, size - hi * TWO_32);
  buf.set(properties, p + CONTENT_HEADER_FIXED);
  p += headerPayload;
  buf[p++] = FRAME_END;
  // §4.2.6.2: the body in frames of at most frame-max minus overhead; an empty body has none
  for (let offset = 0; offset < size; ) {
    const n = Math.min(maxBody, size - offset);
    buf[p] = FRAME_BODY;
    writeUint16(buf, p + 1, channel);
    writeUint32(buf, p + 3, n);
    p += FRAME_HEADER_SIZE;
    if (n === size) buf.set(body, p);
    else body.copy(buf, p, offset, offset + n);
    p += n;
    buf[p++] = FRAME_END;
    offset += n;
  }
  return p;
}

/** Starts a method frame at 0 whose payload is `payloadSize` bytes; returns the offset of its first field. */
function startMethod(buf: Buffer, channel: number, payloadSize: number, classMethod: number): number {
  if (!(channel >= 0 && channel <= 0xffff)) throw new RangeError(`channel ${channel} is not a uint16`);
  buf[0] = FRAME_METHOD;
  writeUint16(buf, 1, channel);
  writeUint32(buf, 3, payloadSize);
  writeUint32(buf, 7, classMethod);
  return 11;
}

/**
 * basic.deliver + content header + body frames in one buffer.
 * @param deliveryTag a safe non-negative integer, written as uint64
 * @param frameMax the connection's negotiated frame-max (0 = no limit); body frames are split at frameMax - 8
 */
export function encodeDelivery(
  channel: number,
  consumerTag: string,
  deliveryTag: number,
  redelivered: boolean,
  exchange: string,
  routingKey: string,
  propertiesPayload: Buffer,
  body: Buffer,
  frameMax: number,
): Buffer {
  const tagLength = shortStringLength(consumerTag, "consumer tag");
  const exchangeLength = shortStringLength(exchange, "exchange name");
  const keyLength = shortStringLength(routingKey, "routing key");
  const maxBody = maxBodyPayload(frameMax);
  // class/method 4, consumer-tag 1+n, delivery-tag 8, redelivered 1, exchange 1+n, routing-key 1+n
  const methodPayload = 16 + tagLength + exchangeLength + keyLength;
  const buf = Buffer.allocUnsafe(FRAME_OVERHEAD + methodPayload + contentSize(propertiesPayload.length, body.length, maxBody));
  let p = startMethod(buf, channel, methodPayload, BASIC_DELIVER);
  p = writeShortString(buf, p, consumerTag, tagLength);
  p = writeUint64(buf, p, deliveryTag);
  buf[p++] = redelivered ? 1 : 0;
  p = writeShortString(buf, p, exchange, exchangeLength);
  p = writeShortString(buf, p, routingKey, keyLength);
  buf[p++] = FRAME_END;
  writeContent(buf, p, channel, propertiesPayload, body, maxBody);
  return buf;
}

/** basic.get-ok + content header + body frames in one buffer. */
export function encodeGetOk(
  channel: number,
  deliveryTag: number,
  redelivered: boolean,
  exchange: string,
  routingKey: string,
  messageCount: number,
  propertiesPayload: Buffer,
  body: Buffer,
  frameMax: number,
): Buffer {
  const exchangeLength = shortStringLength(exchange, "exchange name");
  const keyLength = shortStringLength(routingKey, "routing key");
  const maxBody = maxBodyPayload(frameMax);
  // class/method 4, delivery-tag 8, redelivered 1, exchange 1+n, routing-key 1+n, message-count 4
  const methodPayload = 19 + exchangeLength + keyLength;
  const buf = Buffer.allocUnsafe(FRAME_OVERHEAD + methodPayload + contentSize(propertiesPayload.length, body.length, maxBody));
  let p = startMethod(buf, channel, methodPayload, BASIC_GET_OK);
  p = writeUint64(buf, p, deliveryTag);
  buf[p++] = redelivered ? 1 : 0;
  p = writeShortString(buf, p, exchange, exchangeLength);
  p = writeShortString(buf, p, routingKey, keyLength);
  p = buf.writeUInt32BE(messageCount, p);
  buf[p++] = FRAME_END;
  writeContent(buf, p, channel, propertiesPayload, body, maxBody);
  return buf;
}

/** basic.return + content header + body frames in one buffer; a reply text over 255 bytes is cut. */
export function encodeReturn(
  channel: number,
  replyCode: number,
  replyText: string,
  exchange: string,
  routingKey: string,
  propertiesPayload: Buffer,
  body: Buffer,
  frameMax: number,
): Buffer {
  const textLength = replyTextLength(replyText);
  const exchangeLength = shortStringLength(exchange, "exchange name");
  const keyLength = shortStringLength(routingKey, "routing key");
  const maxBody = maxBodyPayload(frameMax);
  // class/method 4, reply-code 2, reply-text 1+n, exchange 1+n, routing-key 1+n
  const methodPayload = 9 + textLength + exchangeLength + keyLength;
  const buf = Buffer.allocUnsafe(FRAME_OVERHEAD + methodPayload + contentSize(propertiesPayload.length, body.length, maxBody));
  let p = startMethod(buf, channel, methodPayload, BASIC_RETURN);
  p = buf.writeUInt16BE(replyCode, p);
  p = writeReplyText(buf, p, replyText, textLength);
  p = writeShortString(buf, p, exchange, exchangeLength);
  p = writeShortString(buf, p, routingKey, keyLength);
  buf[p++] = FRAME_END;
  writeContent(buf, p, channel, propertiesPayload, body, maxBody);
  return buf;
}

/**
 * Content header + body frames alone (what follows a basic.publish a client sends); for tests,
 * tools and any code that writes the method frame itself.
 */
export function encodeContent(channel: number, propertiesPayload: Buffer, body: Buffer, frameMax: number): Buffer {
  const maxBody = maxBodyPayload(frameMax);
  const buf = Buffer.allocUnsafe(contentSize(propertiesPayload.length, body.length, maxBody));
  writeContent(buf, 0, channel, propertiesPayload, body, maxBody);
  return buf;
}

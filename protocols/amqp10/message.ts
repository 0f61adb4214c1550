import {
  type FieldTable,
  type FieldValue,
  Message,
  type MessageProperties,
  type PropertiesCodec,
  TypedField,
} from "../../src/core/index.js";
import { replyToQueueName } from "./addresses.js";
import {
  AmqpMap,
  type AmqpValue,
  Cursor,
  DecodeError,
  readAny,
  readBinary,
  readMap,
  Sym,
  Typed,
  type Writer,
  writeBinary,
  writeDescriptor,
  writeMap,
} from "./codec/primitives.js";
import {
  decodeHeaderFields,
  decodePropertiesFields,
  Descriptor,
  type Header,
  type Properties,
  readDescriptorCode,
  writeHeader,
  writeProperties,
} from "./codec/types.generated.js";

/**
 * An AMQP 1.0 message as the broker keeps it: `bytes` are the publisher's sections (delivery
 * annotations left out: they are for one hop only), re-sent untouched to AMQP 1.0 consumers;
 * `body` is what other protocols see (the one data section's content, a view of `bytes`, or the
 * encoded body sections when the body is not a single data section, as RabbitMQ does).
 */
export interface ParsedMessage {
  readonly bytes: Buffer;
  readonly header: Header | undefined;
  readonly messageAnnotations: AmqpMap | undefined;
  readonly properties: Properties | undefined;
  readonly applicationProperties: AmqpMap | undefined;
  readonly body: Buffer;
  /** "data" for one data section; "amqp-1.0" for amqp-value, amqp-sequence or several data sections. */
  readonly bodyKind: "data" | "amqp-1.0";
}

const SECTION_ORDER: Record<number, number> = {
  [Descriptor.header]: 0,
  [Descriptor.deliveryAnnotations]: 1,
  [Descriptor.messageAnnotations]: 2,
  [Descriptor.properties]: 3,
  [Descriptor.applicationProperties]: 4,
  [Descriptor.data]: 5,
  [Descriptor.amqpSequence]: 5,
  [Descriptor.amqpValue]: 5,
  [Descriptor.footer]: 6,
};

/** Splits a message into its sections (decoding only header, properties and the maps). */
export function parseMessage(bytes: Buffer): ParsedMessage {
  const c = new Cursor(bytes, 0, bytes.length);
  let header: Header | undefined;
  let messageAnnotations: AmqpMap | undefined;
  let properties: Properties | undefined;
  let applicationProperties: AmqpMap | undefined;
  let daStart = -1;
  let daEnd = -1;
  let bodyStart = -1;
  let bodyEnd = -1;
  let dataSections = 0;
  let otherBody = 0;
  let data: Buffer | undefined;
  let last = -1;
  while (c.pos < c.end) {
    const start = c.pos;
    if (bytes[c.pos] !== 0x00) throw new DecodeError("a message section must be a described type");
    c.pos++;
    const code = readDescriptorCode(c);
    const order = SECTION_ORDER[code];
    if (order === undefined) throw new DecodeError(`not a message section: descriptor 0x${code.toString(16)}`);
    if (order < last || (order === last && order !== 5)) throw new DecodeError("message sections out of order");
    last = order;
    switch (code) {
      case Descriptor.header:
        header = decodeHeaderFields(c);
        break;
      case Descriptor.deliveryAnnotations:
        readMap(c);
        daStart = start;
        daEnd = c.pos;
        break;
      case Descriptor.messageAnnotations:
        messageAnnotations = readMap(c);
        break;
      case Descriptor.properties:
        properties = decodePropertiesFields(c);
        break;
      case Descriptor.applicationProperties:
        applicationProperties = readMap(c);
        break;
      case Descriptor.data:
        data = readBinary(c) ?? Buffer.alloc(0);
        dataSections++;
        break;
      case Descriptor.amqpSequence:
      case Descriptor.amqpValue:
        readAny(c);
        otherBody++;
        break;
      case Descriptor.footer:
        readMap(c);
        break;
    }
    if (order === 5) {
      if (bodyStart < 0) bodyStart = start;
      bodyEnd = c.pos;
    }
  }
  if (bodyStart < 0) throw new DecodeError("a message needs a body section");
  let kept = bytes;
  if (daStart >= 0) {
    // rare: delivery annotations are dropped, so the stored copy is spliced once
    kept = Buffer.concat([bytes.subarray(0, daStart), bytes.subarray(daEnd)]);
    const cut = daEnd - daStart;
    if (bodyStart > daStart) {
      bodyStart -= cut;
      bodyEnd -= cut;
    }
    if (data !== undefined) data = Buffer.from(data);
  }
  const single = dataSections === 1 && otherBody === 0;
  return {
    bytes: kept,
    header,
    messageAnnotations,
    properties,
    applicationProperties,
    body: single ? data! : kept.subarray(bodyStart, bodyEnd),
    bodyKind: single ? "data" : "amqp-1.0",
  };
}

// ---- AMQP 1.0 → the core's properties ---------------------------------------------------------

/** A message-id or correlation-id as the string AMQP 0-9-1 carries. */
function idString(v: AmqpValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (v instanceof Typed) {
    if (v.type === "uuid" && Buffer.isBuffer(v.value)) {
      const h = v.value.toString("hex");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    return String(v.value);
  }
  return String(v);
}

/** An application-property value as an AMQP 0-9-1 header value (RabbitMQ 4's mapping). */
function headerValue(v: AmqpValue): FieldValue | undefined {
  if (v === null || typeof v === "boolean" || typeof v === "string" || typeof v === "number" || Buffer.isBuffer(v)) return v;
  if (typeof v === "bigint") return new TypedField("l", v);
  if (v instanceof Sym) return v.name;
  if (v instanceof Typed) {
    switch (v.type) {
      case "ubyte":
        return new TypedField("B", Number(v.value));
      case "byte":
        return new TypedField("b", Number(v.value));
      case "ushort":
        return new TypedField("u", Number(v.value));
      case "short":
        return new TypedField("s", Number(v.value));
      case "uint":
        return new TypedField("i", Number(v.value));
      case "ulong":
        return new TypedField("l", BigInt.asIntN(64, BigInt(v.value as bigint)));
      case "float":
        return new TypedField("f", Number(v.value));
      case "double":
        return new TypedField("d", Number(v.value));
      case "timestamp":
        return new Date(Number(v.value));
      default:
        return undefined;
    }
  }
  return undefined;
}

/** The core's (AMQP 0-9-1) properties of an AMQP 1.0 message, as RabbitMQ 4 maps them. */
export function coreProperties(m: ParsedMessage): MessageProperties {
  const p: MessageProperties = {};
  const h = m.header;
  p.deliveryMode = h?.durable === true ? 2 : 1;
  if (h !== undefined) {
    p.priority = h.priority;
    if (h.ttl !== undefined) p.expiration = String(h.ttl);
  }
  const pr = m.properties;
  if (pr !== undefined) {
    const messageId = idString(pr.messageId);
    if (messageId !== undefined) p.messageId = messageId;
    const correlationId = idString(pr.correlationId);
    if (correlationId !== undefined) p.correlationId = correlationId;
    if (pr.userId !== undefined) p.userId = pr.userId.toString("utf8");
    if (typeof pr.replyTo === "string") p.replyTo = replyToQueueName(pr.replyTo);
    if (pr.contentType !== undefined) p.contentType = pr.contentType;
    if (pr.contentEncoding !== undefined) p.contentEncoding = pr.contentEncoding;
    if (pr.creationTime !== undefined) p.timestamp = Math.floor(pr.creationTime / 1000);
  }
  if (m.bodyKind === "amqp-1.0") p.type = "amqp-1.0";
  const ap = m.applicationProperties;
  if (ap !== undefined && ap.size > 0) {
    const headers: FieldTable = {};
    for (const [k, v] of ap.entries) {
      const key = typeof k === "string" ? k : k instanceof Sym ? k.name : null;
      if (key === null) continue;
      const value = headerValue(v);
      if (value !== undefined) headers[key] = value;
    }
    p.headers = headers;
  }
  return p;
}

/** The publisher encoding of AMQP 1.0 messages: the sections themselves. */
export const AMQP10_PROPERTIES: PropertiesCodec = {
  format: "amqp-1.0",
  decode: (bytes: Buffer) => coreProperties(parseMessage(bytes)),
};

/** The core message for an AMQP 1.0 publish; the properties are decoded only if someone asks. */
export function coreMessage(exchange: string, routingKey: string, m: ParsedMessage): Message {
  const msg = new Message(exchange, routingKey, m.body, null, { codec: AMQP10_PROPERTIES, bytes: m.bytes });
  // queues read the TTL, priority and CC headers without decoding: tell them when there may be any
  if (m.header !== undefined || m.applicationProperties !== undefined) msg.noteProperties(coreProperties(m));
  return msg;
}

// ---- the core's message → AMQP 1.0 ----------------------------------------------------------

/** An AMQP 0-9-1 header value as an application-property value; tables and arrays have none. */
function propertyValue(v: FieldValue): AmqpValue | undefined {
  if (v === null || typeof v === "boolean" || typeof v === "string" || typeof v === "number" || Buffer.isBuffer(v)) return v;
  if (v instanceof Date) return new Typed("timestamp", v.getTime());
  if (v instanceof TypedField) {
    const x = v.value;
    switch (v.type) {
      case "l":
        return typeof x === "bigint" ? x : BigInt(Number(x));
      case "B":
        return new Typed("ubyte", Number(x));
      case "b":
        return new Typed("byte", Number(x));
      case "u":
        return new Typed("ushort", Number(x));
      case "s":
        return new Typed("short", Number(x));
      case "i":
        return new Typed("uint", Number(x));
      case "I":
        return Number(x);
      case "f":
        return new Typed("float", Number(x));
      case "d":
        return new Typed("double", Number(x));
      case "T":
        return new Typed("timestamp", x instanceof Date ? x.getTime() : Number(x) * 1000);
      default:
        return undefined;
    }
  }
  return undefined;
}

/**
 * Writes the sections of a message that was not published over AMQP 1.0: header,
 * message-annotations (x-exchange, x-routing-key), properties, application-properties (the
 * headers), then the body as one data section (or as is, for a body of AMQP 1.0 sections).
 */
export function writeConvertedMessage(w: Writer, msg: Message, redelivered: boolean, failedDeliveries = 0): void {
  const p = msg.properties;
  // header and properties are composites: their writers put the descriptor
  const ttl = msg.expirationMs;
  writeHeader(w, {
    durable: p.deliveryMode === 2,
    ...(p.priority !== undefined && { priority: p.priority }),
    ...(ttl >= 0 && { ttl }),
    firstAcquirer: !redelivered,
    ...(failedDeliveries > 0 && { deliveryCount: failedDeliveries }),
  });
  writeDescriptor(w, Descriptor.messageAnnotations);
  writeMap(
    w,
    new AmqpMap([
      [new Sym("x-exchange"), msg.exchange],
      [new Sym("x-routing-key"), msg.routingKey],
    ]),
  );
  const props: Parameters<typeof writeProperties>[1] = {};
  if (p.messageId !== undefined) props.messageId = p.messageId;
  if (p.userId !== undefined) props.userId = Buffer.from(p.userId);
  if (p.replyTo !== undefined) props.replyTo = p.replyTo.startsWith("/") ? p.replyTo : `/queue/${p.replyTo}`;
  if (p.correlationId !== undefined) props.correlationId = p.correlationId;
  if (p.contentType !== undefined) props.contentType = p.contentType;
  if (p.contentEncoding !== undefined) props.contentEncoding = p.contentEncoding;
  if (p.timestamp !== undefined) props.creationTime = Number(p.timestamp) * 1000;
  props.subject = msg.routingKey;
  writeProperties(w, props);
  if (p.headers !== undefined) {
    const entries: Array<[AmqpValue, AmqpValue]> = [];
    for (const [k, v] of Object.entries(p.headers)) {
      const value = propertyValue(v);
      if (value !== undefined) entries.push([k, value]);
    }
    if (entries.length > 0) {
      writeDescriptor(w, Descriptor.applicationProperties);
      writeMap(w, new AmqpMap(entries));
    }
  }
  if (p.type === "amqp-1.0") {
    w.bytes(msg.body);
    return;
  }
  writeDescriptor(w, Descriptor.data);
  writeBinary(w, msg.body);
}

/**
 * The AMQP 1.0 bytes of a message, the publisher's own when it came over AMQP 1.0 — except the
 * header once a consumer said a delivery failed (`failedDeliveries`, from modified outcomes).
 */
export function writeMessage(w: Writer, msg: Message, redelivered: boolean, failedDeliveries = 0): void {
  const enc = msg.encoded;
  if (enc !== null && enc.codec === AMQP10_PROPERTIES) {
    if (failedDeliveries > 0) writeCountedSections(w, enc.bytes, failedDeliveries);
    else w.bytes(enc.bytes);
    return;
  }
  writeConvertedMessage(w, msg, redelivered, failedDeliveries);
}

/**
 * A stored AMQP 1.0 message with its header rewritten: delivery-count raised by the failed
 * deliveries (§3.2.1: the unsuccessful attempts so far), first-acquirer false; the other
 * sections as the publisher sent them.
 */
function writeCountedSections(w: Writer, bytes: Buffer, failedDeliveries: number): void {
  let header: Header | undefined;
  let rest = 0;
  if (bytes.length > 0 && bytes[0] === 0x00) {
    const c = new Cursor(bytes, 1, bytes.length);
    if (readDescriptorCode(c) === Descriptor.header) {
      header = decodeHeaderFields(c);
      rest = c.pos;
    }
  }
  writeHeader(w, {
    ...(header !== undefined && { durable: header.durable, priority: header.priority, ttl: header.ttl }),
    firstAcquirer: false,
    deliveryCount: ((header?.deliveryCount ?? 0) + failedDeliveries) >>> 0,
  });
  w.bytes(rest === 0 ? bytes : bytes.subarray(rest));
}

/**
 * JMS messages ↔ the core's neutral Message. A message published over OpenWire keeps its command
 * bytes as its publisher encoding (`OpenWireOrigin`), so OpenWire consumers get it back with every
 * JMS header exactly as sent; other protocols read the neutral properties, mapped as ActiveMQ maps
 * JMS headers for STOMP (docs/compatibility.md has the table). Messages from other protocols reach
 * OpenWire consumers as a TextMessage when their content-type is text/*, a BytesMessage otherwise.
 */
import {
  type EncodedProperties,
  type FieldTable,
  type FieldValue,
  JOB_ID_HEADER,
  Message,
  type MessageProperties,
  type PropertiesCodec,
  TypedField,
} from "../../src/core/index.js";
import {
  type AnyActiveMQDestination,
  type AnyMessage as AnyActiveMQMessage,
  DataType,
  decodeBody,
  encodeBody,
  makeActiveMQBytesMessage,
  makeActiveMQMapMessage,
  makeActiveMQMessage,
  makeActiveMQObjectMessage,
  makeActiveMQQueue,
  makeActiveMQStreamMessage,
  makeActiveMQTextMessage,
  makeMessageId,
  makeProducerId,
  type MessageId,
} from "./codec/commands.generated.js";
import { DecodeError, decodeModifiedUtf8, modifiedUtf8Length, Reader, Writer, writeModifiedUtf8 } from "./codec/primitives.js";
import { destinationOf, replyToDestination, replyToText } from "./destinations.js";
import { type MessageType, scanMessage, type ScannedMessage } from "./message-scan.js";
import { type PrimitiveMap, type PrimitiveValue, readPrimitiveMap, writePrimitiveMap } from "./primitive-map.js";

/**
 * The publisher encoding of an OpenWire message: its command bytes (type octet first), read with
 * `version`; `individualDlq`: the publishing front-end's dead-letter strategy (options.ts).
 */
class OpenWireCodec implements PropertiesCodec {
  readonly format = "openwire";
  constructor(
    readonly version: number,
    readonly individualDlq: boolean,
  ) {}

  decode(bytes: Buffer): MessageProperties {
    return propertiesOf(decodeStoredMessage(bytes, this.version));
  }

  /** A persistent JMS message that expires in a queue goes to its dead-letter queue, as ActiveMQ sends it. */
  expired(message: Message, queue: string): { message: Message; queue: string } | null {
    // one that expires in a DLQ itself (a TTL policy on it) goes, rather than round again
    if (isDeadLetterQueue(queue)) return null;
    const copy = deadLetterCopy(message, expiredCause(message), this.version, this.individualDlq);
    return copy === null ? null : { message: copy, queue: copy.routingKey };
  }

  /** A scheduled job's next copy: a JMSMessageID of the broker's, scheduledJobId the job's (as ActiveMQ's copies). */
  renewed(message: Message, jobId: string): Message {
    const enc = message.encoded as OpenWireEncoding;
    const m = decodeStoredMessage(enc.bytes, this.version);
    const { marshalledProperties } = m;
    const props =
      marshalledProperties !== null && marshalledProperties.length > 0
        ? readPrimitiveMap(new Reader(marshalledProperties, 0, marshalledProperties.length, 1, false))
        : new Map<string, PrimitiveValue>();
    props.set(JOB_ID_HEADER, jobId);
    const w = new Writer(256);
    writePrimitiveMap(w, props);
    m.marshalledProperties = w.take(0);
    m.messageId = schedulerMessageId();
    const copy = coreMessageOf(message.exchange, message.routingKey, m, this.version, this.individualDlq);
    copy.publisher = message.publisher;
    return copy;
  }
}

/** The producer of the copies scheduled jobs deliver again (ActiveMQ's scheduler has its own too). */
// started at this process's start, so that ids stay unique across a restart
const SCHEDULER = makeProducerId({ connectionId: `ID:warren-scheduler-${Date.now().toString(36)}`, sessionId: 0, value: 0 });
let scheduledCopies = 0;

/** A JMSMessageID of the broker's scheduler, for a message it sends itself. */
export function schedulerMessageId(): MessageId {
  return makeMessageId({ producerId: SCHEDULER, producerSequenceId: ++scheduledCopies });
}

const CODECS = new Map<number, OpenWireCodec>();
function codecFor(version: number, individualDlq: boolean): OpenWireCodec {
  const key = individualDlq ? -version : version;
  let c = CODECS.get(key);
  if (c === undefined) CODECS.set(key, (c = new OpenWireCodec(version, individualDlq)));
  return c;
}

export function isMessageType(t: number): t is MessageType {
  return t >= DataType.ActiveMQMessage && t <= DataType.ActiveMQTextMessage;
}

export function decodeStoredMessage(bytes: Buffer, version: number): AnyActiveMQMessage {
  const r = new Reader(bytes, 1, bytes.length, version, false);
  return decodeBody(bytes[0]!, r) as AnyActiveMQMessage;
}

function textContent(s: string): Buffer {
  const n = modifiedUtf8Length(s);
  const b = Buffer.allocUnsafe(4 + n);
  b.writeInt32BE(n, 0);
  writeModifiedUtf8(s, b, 4);
  return b;
}

const NO_BODY = Buffer.alloc(0);

/**
 * The core body of a published JMS message, a view of its bytes where it can be: a text as UTF-8
 * (modified UTF-8 is UTF-8 unless it has a NUL, C0 80, or a character outside the BMP, ED ..),
 * anything else its content bytes as they are.
 */
function bodyOf(s: ScannedMessage, bytes: Buffer): Buffer {
  if (s.contentLength < 0) return NO_BODY;
  const at = s.contentAt;
  if (s.dataType !== DataType.ActiveMQTextMessage) return bytes.subarray(at, at + s.contentLength);
  if (s.contentLength < 4) return NO_BODY;
  const n = bytes.readInt32BE(at);
  if (n < 0) return NO_BODY;
  if (n > s.contentLength - 4) throw new DecodeError("text message content shorter than its length");
  // one view per message: the text's, straight from the bytes
  const text = bytes.subarray(at + 4, at + 4 + n);
  if (plainUtf8(text)) return text;
  return Buffer.from(decodeModifiedUtf8(text), "utf8");
}

/** Whether modified UTF-8 `b` is UTF-8 as it is: no C0 (NUL as two bytes) and no ED (surrogates). */
function plainUtf8(b: Buffer): boolean {
  // a short text is checked in JS: two native searches cost more than its bytes
  if (b.length > 64) return b.indexOf(0xc0) === -1 && b.indexOf(0xed) === -1;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0xc0 || c === 0xed) return false;
  }
  return true;
}

/**
 * The neutral header that keeps a Map, Object, Stream or plain Message's JMS type where only the
 * neutral properties are left (the store, other protocols): the name and values of the AMQP JMS
 * mapping, which ActiveMQ's own AMQP transport uses for the same purpose (a byte: 0 Message,
 * 1 Object, 2 Map, 4 Stream). Text is content-type text/plain; Bytes is the default.
 */
export const JMS_MSG_TYPE = "x-opt-jms-msg-type";
const JMS_MSG_TYPES: ReadonlyMap<number, number> = new Map([
  [DataType.ActiveMQMessage, 0],
  [DataType.ActiveMQObjectMessage, 1],
  [DataType.ActiveMQMapMessage, 2],
  [DataType.ActiveMQStreamMessage, 4],
]);

/** The JMS message (empty) of the type a JMS_MSG_TYPE header names; a BytesMessage for anything else. */
function messageOfType(type: FieldValue | undefined, body: Buffer): AnyActiveMQMessage {
  const n = type instanceof TypedField ? Number(type.value) : type;
  switch (n) {
    case 0:
      return makeActiveMQMessage();
    case 1:
      return makeActiveMQObjectMessage({ content: body });
    case 2:
      return makeActiveMQMapMessage({ content: body });
    case 4:
      return makeActiveMQStreamMessage({ content: body });
    default:
      return makeActiveMQBytesMessage({ content: body });
  }
}

/** Why a published message is refused (its text), or null. */
export function messageProblem(m: ScannedMessage): string | null {
  if (m.compressed) return "compressed messages are not supported";
  return null;
}

/**
 * A message published over OpenWire as it rests on the core: its command bytes (type octet first,
 * in the publisher's wire format), and where a delivery patches them, so that a consumer speaking
 * the same version gets these bytes back inside its MessageDispatch without a decode.
 */
export class OpenWireEncoding implements EncodedProperties {
  constructor(
    readonly codec: PropertiesCodec & { readonly version: number },
    readonly bytes: Buffer,
    /** Offset of the message id's brokerSequenceId, -1 without a message id. */
    readonly sequenceAt: number,
    readonly redeliveryAt: number,
    /** Offset of the jmsxGroupFirstForConsumer flag, -1 in versions without it. */
    readonly groupFirstAt: number,
  ) {}
}

/**
 * The core Message for a published JMS message (`command`: its bytes, type octet first, its own
 * copy, kept as they are). Routing needs only what the scan read; the neutral properties are
 * decoded from the bytes when someone asks for them.
 */
export function coreMessage(
  exchange: string,
  routingKey: string,
  s: ScannedMessage,
  command: Buffer,
  version: number,
  individualDlq: boolean,
): Message {
  return messageOfBytes(exchange, routingKey, s, command, version, individualDlq);
}

/**
 * The core Message for a JMS message the broker built or rewrote (a dead letter, a composite's
 * member copy, a scheduled copy): encoded at `version`, then scanned as a published one is, so
 * that it is delivered from its bytes too.
 */
export function coreMessageOf(
  exchange: string,
  routingKey: string,
  m: AnyActiveMQMessage,
  version: number,
  individualDlq: boolean,
): Message {
  const w = new Writer(512);
  w.version = version;
  w.byte(m.dataType);
  encodeBody(w, m);
  const bytes = w.take(0);
  const s = scanMessage(m.dataType, new Reader(bytes, 1, bytes.length, version, false));
  return messageOfBytes(exchange, routingKey, s, bytes, version, individualDlq);
}

/** The core Message on `bytes` (its own: kept as the message's encoding). */
function messageOfBytes(
  exchange: string,
  routingKey: string,
  s: ScannedMessage,
  bytes: Buffer,
  version: number,
  individualDlq: boolean,
): Message {
  const msg = new Message(
    exchange,
    routingKey,
    bodyOf(s, bytes),
    null,
    new OpenWireEncoding(codecFor(version, individualDlq), bytes, s.sequenceAt, s.redeliveryAt, s.groupFirstAt),
  );
  if (s.groupID !== null) {
    msg.group = s.groupID;
    msg.groupSeq = s.groupSequence;
  }
  // what queues and routing look at, so they never decode the properties for it; no headers: a
  // JMS property named CC or BCC is a property, not sender-selected distribution (ActiveMQ has none)
  msg.noteProperties({
    deliveryMode: s.persistent ? 2 : 1,
    priority: s.priority,
    expiration: s.expiration > 0 ? String(Math.max(0, s.expiration - (s.timestamp > 0 ? s.timestamp : Date.now()))) : undefined,
  });
  return msg;
}

/**
 * A published message's property map (offsets from the scan), read once so that a malformed one
 * is refused with its message: the decode that needs it may come in another protocol's delivery,
 * which could not refuse it. Null without properties.
 */
export function scannedProperties(s: ScannedMessage, command: Buffer): PrimitiveMap | null {
  if (s.propertiesLength <= 0) return null;
  return readPrimitiveMap(new Reader(command, s.propertiesAt, s.propertiesAt + s.propertiesLength, 1, false));
}

/** JMS headers and properties as the neutral MessageProperties (the table in docs/compatibility.md). */
export function propertiesOf(m: AnyActiveMQMessage): MessageProperties {
  const p: MessageProperties = { deliveryMode: m.persistent ? 2 : 1, priority: m.priority };
  // what marks it a TextMessage once only the neutral properties are left: for other protocols'
  // consumers, and for JMS ones after a restart (the store keeps no OpenWire encoding)
  if (m.dataType === DataType.ActiveMQTextMessage) p.contentType = "text/plain";
  if (m.correlationId !== null) p.correlationId = m.correlationId;
  if (m.replyTo !== null) p.replyTo = replyToText(m.replyTo);
  if (m.expiration > 0) p.expiration = String(Math.max(0, m.expiration - (m.timestamp > 0 ? m.timestamp : Date.now())));
  if (m.messageId !== null) p.messageId = messageIdText(m.messageId);
  if (m.timestamp > 0) p.timestamp = Math.floor(m.timestamp / 1000);
  if (m.type !== null) p.type = m.type;
  if (m.userID !== null) p.userId = m.userID;
  let h: FieldTable | undefined;
  if (m.marshalledProperties !== null && m.marshalledProperties.length > 0) {
    const map = readPrimitiveMap(new Reader(m.marshalledProperties, 0, m.marshalledProperties.length, 1, false));
    for (const [k, v] of map) (h ??= {})[k] = fieldOf(v);
  }
  if (m.groupID !== null) {
    (h ??= {}).JMSXGroupID = m.groupID;
    h.JMSXGroupSeq = m.groupSequence;
  }
  const jmsType = JMS_MSG_TYPES.get(m.dataType);
  if (jmsType !== undefined) (h ??= {})[JMS_MSG_TYPE] = new TypedField("b", jmsType);
  if (h !== undefined) p.headers = h;
  return p;
}

function messageIdText(id: {
  textView: string | null;
  producerId: { connectionId: string | null; sessionId: number; value: number } | null;
  producerSequenceId: number;
}): string {
  if (id.textView !== null) return id.textView;
  const p = id.producerId;
  return p === null ? `ID:${id.producerSequenceId}` : `${p.connectionId}:${p.sessionId}:${p.value}:${id.producerSequenceId}`;
}

/** A JMS property value as an AMQP header value of the same Java type. */
function fieldOf(v: PrimitiveValue): FieldValue {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return new TypedField("d", v);
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Map) {
    const t: FieldTable = {};
    for (const [k, e] of v) t[k] = fieldOf(e);
    return t;
  }
  if (Array.isArray(v)) return v.map(fieldOf);
  if ("byte" in v) return new TypedField("b", v.byte);
  if ("short" in v) return new TypedField("s", v.short);
  if ("int" in v) return v.int;
  if ("long" in v) return new TypedField("l", v.long);
  if ("float" in v) return new TypedField("f", v.float);
  return String.fromCharCode(v.char);
}

/** An AMQP header value as a JMS property value. */
function primitiveOf(v: FieldValue): PrimitiveValue {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? { int: v } : v;
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Date) return { long: v.getTime() };
  if (Array.isArray(v)) return v.map(primitiveOf);
  if (v instanceof TypedField) {
    const x = v.value;
    if (typeof x === "bigint") return { long: Number(x) };
    if (x instanceof Date) return { long: x.getTime() };
    if (typeof x !== "number") return String(x.digits / 10 ** x.scale);
    switch (v.type) {
      case "b":
      case "B":
        return { byte: x };
      case "s":
      case "u":
        return { short: x };
      case "I":
      case "i":
        return { int: x };
      case "f":
        return { float: x };
      case "d":
        return x;
      default:
        return { long: x };
    }
  }
  const m: PrimitiveMap = new Map();
  for (const k in v) m.set(k, primitiveOf(v[k]!));
  return m;
}

/** Sequence numbers for the JMSMessageID of messages from other protocols. */
let foreignSequence = 0;
// The JMS client's duplicate audit (kept by a failover connection across reconnects) is keyed by
// producer id and sequence: the sequence starts again at a restart, so the producer id must not.
const FOREIGN_PRODUCER = makeProducerId({ connectionId: `ID:warren-foreign-${Date.now().toString(36)}`, sessionId: 0, value: 0 });

/**
 * The JMS message a consumer gets for `msg`: the publisher's own command when it came over
 * OpenWire, otherwise one built from the neutral properties. `tag` goes into the message id's
 * broker sequence, where acks name it.
 */
export function dispatchMessage(msg: Message, tag: number, redeliveryCounter: number): AnyActiveMQMessage {
  const m = jmsMessageOf(msg);
  m.redeliveryCounter = redeliveryCounter;
  if (m.messageId !== null) m.messageId.brokerSequenceId = tag;
  m.commandId = 0;
  m.responseRequired = false;
  return m;
}

/** `msg` as a JMS message of its own: the publisher's command decoded, or one built from the neutral properties. */
export function jmsMessageOf(msg: Message): AnyActiveMQMessage {
  const enc = msg.encoded;
  return enc !== null && enc.codec instanceof OpenWireCodec ? decodeStoredMessage(enc.bytes, enc.codec.version) : foreignMessage(msg);
}

function foreignMessage(msg: Message): AnyActiveMQMessage {
  const p = msg.properties;
  const text = p.contentType !== undefined && p.contentType.startsWith("text/");
  const jmsType = p.headers?.[JMS_MSG_TYPE];
  const m = text ? makeActiveMQTextMessage({ content: textContent(msg.body.toString("utf8")) }) : messageOfType(jmsType, msg.body);
  m.destination = destinationOf(msg.exchange, msg.routingKey);
  m.persistent = p.deliveryMode === 2;
  m.priority = p.priority ?? 4;
  m.correlationId = p.correlationId ?? null;
  m.type = p.type ?? null;
  m.userID = p.userId ?? null;
  const ts = p.timestamp === undefined ? Date.now() : Number(p.timestamp) * 1000;
  m.timestamp = ts;
  if (p.expiration !== undefined && /^\d+$/.test(p.expiration)) m.expiration = ts + Number(p.expiration);
  if (p.replyTo !== undefined) m.replyTo = replyToDestination(p.replyTo);
  m.messageId = makeMessageId({ producerId: FOREIGN_PRODUCER, producerSequenceId: ++foreignSequence, textView: p.messageId ?? null });
  if (p.headers !== undefined) {
    const map: PrimitiveMap = new Map();
    for (const k in p.headers) if (k !== JMS_MSG_TYPE) map.set(k, primitiveOf(p.headers[k]!));
    const w = new Writer(256);
    writePrimitiveMap(w, map);
    m.marshalledProperties = w.take(0);
  }
  return m;
}

/** ActiveMQ's shared dead-letter queue (its default SharedDeadLetterStrategy). */
export const DLQ_NAME = "ActiveMQ.DLQ";

/** ActiveMQ's individualDeadLetterStrategy (default prefixes): one DLQ per queue or topic. */
function individualDlqName(d: AnyActiveMQDestination | null): string {
  if (d === null) return DLQ_NAME;
  const topic = d.dataType === DataType.ActiveMQTopic || d.dataType === DataType.ActiveMQTempTopic;
  return `${topic ? "ActiveMQ.DLQ.Topic." : "ActiveMQ.DLQ.Queue."}${d.physicalName ?? ""}`;
}

/** ActiveMQ.DLQ or an individual DLQ: what expires there is dropped, not dead-lettered again. */
export function isDeadLetterQueue(queue: string): boolean {
  return queue === DLQ_NAME || queue.startsWith("ActiveMQ.DLQ.");
}

/**
 * The copy of `msg` that goes to ActiveMQ.DLQ after a poison ack, as ActiveMQ 5.17 makes it: the
 * original destination kept as originalDestination, the redelivery counter back to 0, the
 * expiration cleared and kept in the Long property `originalExpiration`, and the failure cause
 * (Throwable.toString of the poison ack's cause) in the String property `dlqDeliveryFailureCause`. Null for a non-persistent message, which
 * ActiveMQ drops (processNonPersistent is off by default).
 */
export function deadLetterCopy(msg: Message, cause: string | null, version: number, individualDlq = false): Message | null {
  if (msg.properties.deliveryMode !== 2) return null;
  const enc = msg.encoded;
  const m = enc !== null && enc.codec instanceof OpenWireCodec ? decodeStoredMessage(enc.bytes, enc.codec.version) : foreignMessage(msg);
  const v = enc !== null && enc.codec instanceof OpenWireCodec ? enc.codec.version : version;
  const props: PrimitiveMap =
    m.marshalledProperties !== null && m.marshalledProperties.length > 0
      ? readPrimitiveMap(new Reader(m.marshalledProperties, 0, m.marshalledProperties.length, 1, false))
      : new Map();
  if (!props.has("originalExpiration")) props.set("originalExpiration", { long: m.expiration });
  // ActiveMQ sets it only when the poison ack carries a cause (clients before version 7 send none)
  if (cause !== null) props.set("dlqDeliveryFailureCause", cause);
  const pw = new Writer(256);
  writePrimitiveMap(pw, props);
  m.marshalledProperties = pw.take(0);
  const dlq = individualDlq ? individualDlqName(m.destination) : DLQ_NAME;
  m.originalDestination = m.destination;
  m.destination = makeActiveMQQueue({ physicalName: dlq });
  m.expiration = 0;
  m.redeliveryCounter = 0;
  m.commandId = 0;
  m.responseRequired = false;
  return coreMessageOf("", dlq, m, v, individualDlq);
}

/**
 * The copy of a message sent to a composite destination that goes to one of its members, as
 * ActiveMQ makes it: the member as its destination, the composite as its originalDestination.
 * `m` is the decoded send, restored before returning.
 */
export function memberCopy(
  exchange: string,
  routingKey: string,
  m: AnyActiveMQMessage,
  member: AnyActiveMQDestination,
  version: number,
  individualDlq: boolean,
): Message {
  const { destination, originalDestination } = m;
  m.originalDestination = destination;
  m.destination = member;
  const msg = coreMessageOf(exchange, routingKey, m, version, individualDlq);
  m.destination = destination;
  m.originalDestination = originalDestination;
  return msg;
}

/** ActiveMQ's dlqDeliveryFailureCause for an expired message. */
export function expiredCause(msg: Message): string {
  const enc = msg.encoded;
  const expiration = enc !== null && enc.codec instanceof OpenWireCodec ? decodeStoredMessage(enc.bytes, enc.codec.version).expiration : 0;
  return `java.lang.Throwable: Message Expired. Expiration:${expiration}`;
}

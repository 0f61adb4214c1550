/**
 * The neutral message every front-end publishes into and consumes from the core.
 * The body is one Buffer shared by every queue the message reaches; it is never copied per queue.
 */
import { BrokerError, ReplyCode } from "./errors.js";
import type { ClientRef } from "./consumer.js";

/** AMQP field-value type tags (AMQP 0-9-1 §4.2.5.5 as RabbitMQ implements it). */
export type FieldTypeTag = "t" | "b" | "B" | "s" | "u" | "I" | "i" | "l" | "f" | "d" | "D" | "S" | "x" | "A" | "T" | "F" | "V";

/** AMQP decimal: value = digits / 10^scale. */
export interface Decimal {
  readonly scale: number;
  readonly digits: number;
}

/**
 * A field value whose wire type would be lost as a plain JS value (int8, uint16, int64, float, …).
 * Keeping the tag lets a header make a byte-exact round trip through the broker.
 */
export class TypedField {
  constructor(
    readonly type: Exclude<FieldTypeTag, "S" | "t" | "F" | "A" | "V" | "x">,
    readonly value: number | bigint | Decimal | Date,
  ) {}
}

/**
 * Plain JS values stand for the type an encoder would choose for them again:
 * string → S, integer in int32 range → I, other number → d, boolean → t, Buffer → x,
 * Date → T, null → V, array → A, plain object → F. Anything else is a TypedField.
 */
export type FieldValue = string | number | boolean | null | Buffer | Date | TypedField | FieldValue[] | FieldTable;

export interface FieldTable {
  [key: string]: FieldValue;
}

/**
 * Why an expiration string is not a TTL, in the words of RabbitMQ's Erlang parser, or null. Every
 * front-end publishing with an expiration checks it (RabbitMQ's STOMP goes through the same path).
 */
export function expirationProblem(expiration: string): string | null {
  const m = /^([+-]?\d+)(.*)$/s.exec(expiration);
  if (!m) return "no_integer";
  if (m[2] !== "") return `{leftover_string,"${m[2]}"}`;
  const n = Number(m[1]);
  if (n < 0) return `{value_negative,${n}}`;
  return null;
}

/**
 * The checks RabbitMQ makes on every publish's properties, whatever the protocol: `user_id` must
 * be the logged-in user's name, `expiration` a non-negative integer. 406 with RabbitMQ's texts.
 */
export function publishPropertiesProblem(props: MessageProperties, userName: string): BrokerError | null {
  const { userId, expiration } = props;
  if (userId !== undefined && userId !== userName) {
    return new BrokerError(ReplyCode.PRECONDITION_FAILED, `user_id property set to '${userId}' but authenticated user was '${userName}'`);
  }
  if (expiration !== undefined) {
    const problem = expirationProblem(expiration);
    if (problem !== null) return new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid expiration '${expiration}': ${problem}`);
  }
  return null;
}

/** The fourteen basic-class properties, named as RabbitMQ's clients name them. */
export interface MessageProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /**
   * Seconds since the epoch, as AMQP carries it: any unsigned 64-bit value, a bigint past 2^53
   * (RabbitMQ accepts and re-sends those exactly).
   */
  timestamp?: number | bigint;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/**
 * A front-end's own encoding of a message's properties. The front-end that published the
 * message can re-send `bytes` unchanged; everyone else asks for the decoded form.
 */
export interface EncodedProperties {
  readonly codec: PropertiesCodec;
  readonly bytes: Buffer;
}

export interface PropertiesCodec {
  readonly format: string;
  decode(bytes: Buffer): MessageProperties;
  /**
   * What the publisher's protocol does with its message when it expires in a queue that has no
   * dead-letter exchange: null drops it (RabbitMQ's way); otherwise `message` is stored on the
   * durable queue `queue`, declared if missing (ActiveMQ moves expired persistent JMS messages to
   * ActiveMQ.DLQ). Called at most once per expiry, off the publish path.
   */
  expired?(message: Message, queue: string, now: number): { message: Message; queue: string } | null;
  /**
   * A copy of `message` that scheduled job `jobId` delivers again (a repeat, a cron time): the
   * publisher's protocol gives it a message id of its own. Off the publish path.
   */
  renewed?(message: Message, jobId: string): Message;
}

const EMPTY_PROPERTIES: MessageProperties = Object.freeze({}) as MessageProperties;

import { routingHeaderKeys } from "./header-routes.js";

/** A per-message `expiration` as milliseconds, or -1 when absent or not a valid TTL. */
export function expirationMs(expiration: string | undefined): number {
  if (expiration === undefined) return -1;
  if (!/^\+?\d+$/.test(expiration)) return -1;
  return Number(expiration);
}

/** Not looked at yet: `expirationMs` and `priority` read the properties on first use. */
const UNKNOWN = -2;

export class Message {
  /**
   * The connection that published it, for no-local consumers; set by the front-ends that offer
   * no-local (AMQP 1.0), null otherwise. Copies the broker makes (dead-letters) have none.
   */
  publisher: ClientRef | null = null;
  /**
   * The JMS message group (JMSXGroupID) a queue keeps on one consumer, set by the front-ends that
   * offer ActiveMQ's message groups (OpenWire, STOMP); null for the rest, which queues dispatch
   * as RabbitMQ does whatever their headers say.
   */
  group: string | null = null;
  /** JMSXGroupSeq with `group`: 1 (re)assigns the group, a negative one closes it after delivery. */
  groupSeq = 0;
  private decoded: MessageProperties | null;
  private ttl = UNKNOWN;
  private prio = UNKNOWN;
  private mode = UNKNOWN;
  /** CC/BCC routing keys: undefined until looked at, null when there are none. */
  private ccKeys: string[] | null | undefined = undefined;
  private bcc = false;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly body: Buffer,
    properties: MessageProperties | null,
    /** The publisher's encoding of the properties, if it had one. */
    readonly encoded: EncodedProperties | null = null,
  ) {
    this.decoded = properties ?? (encoded ? null : EMPTY_PROPERTIES);
    if (this.decoded === null) {
      // routing never decodes a front-end's bytes: a front-end passing only encoded properties
      // calls noteProperties when the message may carry an expiration, a priority or CC/BCC
      this.ttl = -1;
      this.prio = 0;
      this.ccKeys = null;
    }
  }

  /** Decoded lazily: most AMQP-to-AMQP traffic never needs it. */
  get properties(): MessageProperties {
    this.decoded ??= this.readProperties();
    return this.decoded;
  }

  /**
   * A front-end that decoded the properties anyway records what queues look at, so a queue with a
   * TTL or priorities never decodes the publisher's property bytes a second time.
   */
  noteProperties(p: MessageProperties): void {
    this.ttl = expirationMs(p.expiration);
    this.prio = p.priority ?? 0;
    this.mode = p.deliveryMode ?? 0;
    this.noteHeaders(p.headers);
  }

  /**
   * A front-end passing only encoded properties records the delivery mode they stand for, so a
   * durable queue knows whether to store the message without decoding them (`persistent`).
   */
  noteDeliveryMode(mode: number): void {
    this.mode = mode;
  }

  /**
   * The properties, decoded without keeping the result when they were not decoded yet: for a
   * reader that needs them once (the store writing a record), so a message waiting in a queue
   * does not hold a decoded copy that none of its consumers asked for.
   */
  readProperties(): MessageProperties {
    return this.decoded ?? this.encoded!.codec.decode(this.encoded!.bytes);
  }

  private noteHeaders(h: FieldTable | undefined): void {
    this.ccKeys = routingHeaderKeys(h);
    this.bcc = this.ccKeys !== null && h!["BCC"] !== undefined;
  }

  /** Extra routing keys from the CC and BCC headers (sender-selected distribution), or null. */
  get routingHeaderKeys(): string[] | null {
    if (this.ccKeys === undefined) this.noteHeaders(this.properties.headers);
    return this.ccKeys!;
  }

  /** Whether a BCC header must be removed before delivery. */
  get hasBcc(): boolean {
    if (this.ccKeys === undefined) this.noteHeaders(this.properties.headers);
    return this.bcc;
  }

  /** Routing keys the broker chose (dead-lettering), whatever the headers say. */
  setRoutingHeaderKeys(keys: string[] | null): void {
    this.ccKeys = keys;
    this.bcc = false;
  }

  /** The per-message TTL (`expiration` property) in ms, or -1. */
  get expirationMs(): number {
    if (this.ttl === UNKNOWN) this.ttl = expirationMs(this.properties.expiration);
    return this.ttl;
  }

  /** Whether `delivery-mode` is 2: a durable queue keeps it on disk. Noted or decoded once. */
  get persistent(): boolean {
    if (this.mode === UNKNOWN) this.mode = this.properties.deliveryMode ?? 0;
    return this.mode === 2;
  }

  /** The `priority` property, 0 when absent. */
  get priority(): number {
    if (this.prio === UNKNOWN) this.prio = this.properties.priority ?? 0;
    return this.prio;
  }

  /** A copy with one header set (typed as a long, as RabbitMQ adds its own counters). */
  withHeader(name: string, value: number): Message {
    const p = this.properties;
    return this.withProperties({ ...p, headers: { ...(p.headers ?? {}), [name]: new TypedField("l", value) } });
  }

  get bodySize(): number {
    return this.body.length;
  }

  private reencoded: EncodedProperties | null = null;

  /**
   * The properties in `codec`'s encoding: the publisher's bytes when it used that codec, else
   * encoded once and kept, since one message may go to many consumers (streams, fanouts).
   */
  encodedWith(codec: PropertiesCodec, encode: (p: MessageProperties) => Buffer): Buffer {
    const enc = this.encoded;
    if (enc !== null && enc.codec === codec) return enc.bytes;
    const cached = this.reencoded;
    if (cached !== null && cached.codec === codec) return cached.bytes;
    const bytes = encode(this.properties);
    this.reencoded = { codec, bytes };
    return bytes;
  }

  /**
   * Sets `group` and `groupSeq` from the JMSXGroupID and JMSXGroupSeq headers, where a front-end
   * that offers message groups put them: for a grouped message read back from disk (paged out),
   * which comes back with neutral properties only.
   */
  restoreGroup(): void {
    const h = this.properties.headers;
    const g = h?.["JMSXGroupID"];
    if (typeof g !== "string") return;
    this.group = g;
    const seq = h!["JMSXGroupSeq"];
    const n = seq instanceof TypedField ? Number(seq.value) : typeof seq === "string" ? Number.parseInt(seq, 10) : seq;
    this.groupSeq = typeof n === "number" && Number.isFinite(n) ? n : 0;
  }

  /** A copy with other properties (the body stays shared); used when the broker rewrites headers. */
  withProperties(properties: MessageProperties, exchange = this.exchange, routingKey = this.routingKey): Message {
    const m = new Message(exchange, routingKey, this.body, properties, null);
    // still the same message: a quorum queue's redelivery (x-delivery-count) stays in its group
    if (this.group !== null) {
      m.group = this.group;
      m.groupSeq = this.groupSeq;
    }
    return m;
  }
}

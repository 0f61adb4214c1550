/**
 * The neutral message every front-end publishes into and consumes from the core.
 * The body is one Buffer shared by every queue the message reaches; it is never copied per queue.
 */

/** AMQP field-value type tags (AMQP 0-9-1 §4.2.5.5 as RabbitMQ implements it). */
export type FieldTypeTag =
  | "t" | "b" | "B" | "s" | "u" | "I" | "i" | "l" | "f" | "d" | "D" | "S" | "x" | "A" | "T" | "F" | "V";

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
export type FieldValue =
  | string
  | number
  | boolean
  | null
  | Buffer
  | Date
  | TypedField
  | FieldValue[]
  | FieldTable;

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
  /** Seconds since the epoch, as AMQP carries it. */
  timestamp?: number;
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
}

const EMPTY_PROPERTIES: MessageProperties = Object.freeze({}) as MessageProperties;

export class Message {
  private decoded: MessageProperties | null;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly body: Buffer,
    properties: MessageProperties | null,
    /** The publisher's encoding of the properties, if it had one. */
    readonly encoded: EncodedProperties | null = null,
  ) {
    this.decoded = properties ?? (encoded ? null : EMPTY_PROPERTIES);
  }

  /** Decoded lazily: most AMQP-to-AMQP traffic never needs it. */
  get properties(): MessageProperties {
    let p = this.decoded;
    if (p === null) {
      p = this.encoded!.codec.decode(this.encoded!.bytes);
      this.decoded = p;
    }
    return p;
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

  /** A copy with other properties (the body stays shared); used when the broker rewrites headers. */
  withProperties(properties: MessageProperties, exchange = this.exchange, routingKey = this.routingKey): Message {
    return new Message(exchange, routingKey, this.body, properties, null);
  }
}

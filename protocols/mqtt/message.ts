/**
 * MQTT PUBLISH ↔ the core's neutral Message. MQTT-published messages keep what the publisher sent
 * (topic, QoS, v5 properties) as the message's publisher encoding, so MQTT subscribers get it back unchanged, while
 * AMQP and STOMP consumers see the neutral properties (RabbitMQ's mapping: QoS ≥ 1 is persistent,
 * `x-mqtt-publish-qos` / `x-mqtt-dup` headers, v5 user properties as headers, content type,
 * correlation data, response topic as reply-to, message expiry as expiration).
 */
import type { IPublishPacket } from "mqtt-packet";
import {
  type ClientRef,
  type EncodedProperties,
  type FieldTable,
  Message,
  type MessageProperties,
  type PropertiesCodec,
  TypedField,
} from "../../src/core/index.js";
import { MQTT_EXCHANGE, routingKeyToTopic, topicToRoutingKey } from "./topics.js";

export type QoS = 0 | 1 | 2;
export type PublishProperties = NonNullable<IPublishPacket["properties"]>;

const NO_BYTES = Buffer.alloc(0);

/**
 * What an MQTT publisher sent, carried as the core message's publisher encoding (like an AMQP
 * publisher's raw properties): MQTT subscribers get it back unchanged, and the neutral
 * properties are built only if someone asks for them (an AMQP or STOMP consumer, a durable
 * queue, a headers exchange). One object per publish, and nothing else.
 */
export class MqttOrigin implements EncodedProperties, PropertiesCodec {
  constructor(
    readonly topic: string,
    readonly qos: QoS,
    /** The publish carried the retain flag (v5 retain-as-published). */
    readonly retain: boolean,
    readonly properties: PublishProperties | undefined,
    readonly publisher: ClientRef,
    /**
     * ms since the epoch, for the remaining message expiry interval [MQTT-3.3.2-6]; null when the
     * publish has no expiry interval, the common case, where a clock time would cost every queued
     * message a heap number nobody reads.
     */
    readonly publishedAt: number | null,
  ) {}

  // constants on the prototype, not fields: a queued message's origin is one object of six fields
  get format(): string {
    return "mqtt";
  }

  get bytes(): Buffer {
    return NO_BYTES;
  }

  get codec(): PropertiesCodec {
    return this;
  }

  /** RabbitMQ's mapping of an MQTT publish onto AMQP properties. */
  decode(): MessageProperties {
    const headers: FieldTable = { "x-mqtt-publish-qos": this.qos, "x-mqtt-dup": false };
    const p: MessageProperties = { deliveryMode: this.qos > 0 ? 2 : 1, headers };
    const properties = this.properties;
    if (properties !== undefined) {
      const up = properties.userProperties;
      if (up) for (const k of Object.keys(up)) headers[k] = up[k] as string | string[];
      if (properties.contentType !== undefined) p.contentType = properties.contentType;
      if (properties.correlationData !== undefined) {
        const cd = properties.correlationData;
        const text = cd.toString("utf8");
        // AMQP's correlation-id is a shortstr; anything that is not short UTF-8 rides in a header
        if (cd.length <= 255 && Buffer.from(text, "utf8").equals(cd)) p.correlationId = text;
        else headers["x-correlation-id"] = cd;
      }
      if (properties.responseTopic !== undefined) p.replyTo = topicToRoutingKey(properties.responseTopic);
      if (properties.messageExpiryInterval !== undefined) p.expiration = String(properties.messageExpiryInterval * 1000);
    }
    return p;
  }
}

export function originOf(m: Message): MqttOrigin | undefined {
  const e = m.encoded;
  return e instanceof MqttOrigin ? e : undefined;
}

/** The core message for an MQTT publish. */
export function fromPublish(
  topic: string,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  properties: PublishProperties | undefined,
  publisher: ClientRef,
  now: number,
  routingKey = topicToRoutingKey(topic),
): Message {
  const origin = new MqttOrigin(topic, qos, retain, properties, publisher, properties?.messageExpiryInterval === undefined ? null : now);
  const m = new Message(MQTT_EXCHANGE, routingKey, payload, null, origin);
  // what decode() would say: a durable queue then stores a QoS 1/2 message without decoding
  m.noteDeliveryMode(qos > 0 ? 2 : 1);
  return m;
}

/** The QoS a message was published with: MQTT's own, or the queue's for other protocols' messages. */
export function publishedQos(m: Message, fallback: QoS): QoS {
  const o = originOf(m);
  if (o !== undefined) return o.qos;
  const h = m.properties.headers?.["x-mqtt-publish-qos"];
  return h === 0 || h === 1 || h === 2 ? h : fallback;
}

/** The topic an MQTT subscriber sees. */
export function topicOf(m: Message): string {
  return originOf(m)?.topic ?? routingKeyToTopic(m.routingKey);
}

/**
 * MQTT 5 publish properties for a delivery, or undefined. Returns null when the message's expiry
 * interval has passed: it must not be delivered [MQTT-3.3.2-5].
 */
export function v5Properties(m: Message, now: number): PublishProperties | undefined | null {
  const o = originOf(m);
  if (o !== undefined) {
    const src = o.properties;
    if (src === undefined) return undefined;
    const out: PublishProperties = {};
    if (src.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = src.payloadFormatIndicator;
    if (src.contentType !== undefined) out.contentType = src.contentType;
    if (src.responseTopic !== undefined) out.responseTopic = src.responseTopic;
    if (src.correlationData !== undefined) out.correlationData = src.correlationData;
    if (src.userProperties !== undefined) out.userProperties = src.userProperties;
    if (src.messageExpiryInterval !== undefined) {
      const left = src.messageExpiryInterval - Math.floor((now - (o.publishedAt ?? now)) / 1000);
      if (left <= 0) return null;
      out.messageExpiryInterval = left;
    }
    return out;
  }
  const p = m.properties;
  let out: PublishProperties | undefined;
  if (p.contentType !== undefined) (out ??= {}).contentType = p.contentType;
  if (p.correlationId !== undefined) (out ??= {}).correlationData = Buffer.from(p.correlationId, "utf8");
  if (p.replyTo !== undefined) (out ??= {}).responseTopic = routingKeyToTopic(p.replyTo);
  if (p.expiration !== undefined && /^\d+$/.test(p.expiration)) {
    (out ??= {}).messageExpiryInterval = Math.max(1, Math.ceil(Number(p.expiration) / 1000));
  }
  const h = p.headers;
  if (h !== undefined) {
    for (const k of Object.keys(h)) {
      const v = h[k];
      if (k.startsWith("x-mqtt-")) continue;
      if (typeof v === "string") ((out ??= {}).userProperties ??= {})[k] = v;
      else if (typeof v === "number" || typeof v === "boolean") ((out ??= {}).userProperties ??= {})[k] = String(v);
      // typed integers (AMQP's b/B/s/u/i and 64-bit l/T, bigints past 2^53) as their exact digits
      else if (v instanceof TypedField && (typeof v.value === "number" || typeof v.value === "bigint")) {
        ((out ??= {}).userProperties ??= {})[k] = String(v.value);
      }
    }
  }
  return out;
}

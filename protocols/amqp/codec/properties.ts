/**
 * Basic-class content properties (AMQP 0-9-1 §4.2.6.1): a 16-bit flag word (bit 15 = content-type
 * … bit 2 = cluster-id) followed by the present properties in spec order. The flag/list codec is
 * generated from the spec table into methods.ts; this module is what the rest of the broker uses.
 *
 * The broker keeps a publisher's flags+list bytes as Message.encoded and re-sends them untouched to
 * AMQP consumers; decoding happens only when something needs the values (headers exchange, TTL,
 * another protocol), through amqpPropertiesCodec.
 */
import type { Message, MessageProperties, PropertiesCodec } from "../../../src/core/index.js";
import { decodeBasicProperties, encodeBasicProperties } from "./methods.js";

export { BASIC_PROPERTY_FLAGS } from "./methods.js";

/** Flags 0x0000 and no list: a message without properties. Shared; never write into it. */
export const EMPTY_PROPERTIES_PAYLOAD: Buffer = Buffer.from([0, 0]);

/** Decodes property flags+list, bytes [start, end). Throws CodecError (501 truncated/overlong, 502 bad values). */
export function decodeProperties(buf: Buffer, start: number, end: number): MessageProperties {
  return decodeBasicProperties(buf, start, end);
}

/** Encodes property flags+list; properties that are undefined (or null) are absent. */
export function encodeProperties(p: MessageProperties): Buffer {
  for (const key in p) {
    if ((p as Record<string, unknown>)[key] != null) return encodeBasicProperties(p);
  }
  return EMPTY_PROPERTIES_PAYLOAD;
}

/** How AMQP 0-9-1 publishers' raw property bytes are decoded when the core asks (Message.properties). */
export const amqpPropertiesCodec: PropertiesCodec = Object.freeze({
  format: "amqp-0-9-1",
  decode(bytes: Buffer): MessageProperties {
    return decodeBasicProperties(bytes, 0, bytes.length);
  },
});

/** A message's properties for an AMQP client: the publisher's bytes when it was AMQP, else the neutral form encoded. */
export function propertiesBytes(m: Message): Buffer {
  return m.encodedWith(amqpPropertiesCodec, encodeProperties);
}

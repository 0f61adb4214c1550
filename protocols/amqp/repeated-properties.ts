import type { EncodedProperties, MessageProperties } from "../../src/core/index.js";
import { amqpPropertiesCodec, decodeProperties } from "./codec/properties.js";

/**
 * The properties of a channel's last publish, decoded once and shared by the publishes after it
 * whose property bytes are the same. A publisher usually sends the same properties every time
 * (amqplib an empty headers table, most applications a fixed content type and delivery mode):
 * those messages then share one decoded form and one encoded record instead of each holding its
 * own three objects for as long as it waits in a queue, and are not decoded again. The bytes are
 * copied when they change, so what is kept never pins the read buffer they arrived in.
 */
export class RepeatedProperties {
  private bytes: Buffer | null = null;
  private decoded: MessageProperties | null = null;
  private encoded: EncodedProperties | null = null;

  /** The decoded properties of `bytes` (the last ones when equal); throws decodeProperties' CodecError. */
  decode(bytes: Buffer): MessageProperties {
    const last = this.bytes;
    if (last !== null && last.equals(bytes)) return this.decoded!;
    const decoded = decodeProperties(bytes, 0, bytes.length);
    this.bytes = Buffer.from(bytes);
    this.decoded = decoded;
    this.encoded = null;
    return decoded;
  }

  /** The publisher's encoding of what `decode` returned last, for the message to carry. */
  encodedLast(): EncodedProperties {
    let e = this.encoded;
    if (e === null) {
      e = Object.freeze({ codec: amqpPropertiesCodec, bytes: this.bytes! });
      this.encoded = e;
    }
    return e;
  }
}

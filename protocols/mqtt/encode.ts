/**
 * The delivery hot path's one encoder: a PUBLISH without v5 properties, sized first and written
 * into one buffer. Everything else goes through mqtt-packet's generate.
 */
import type { QoS } from "./message.js";

/** MQTT's variable byte integer (MQTT 5 §1.5.5): remaining lengths up to 268435455. */
function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/**
 * PUBLISH (MQTT 3.1.1 §3.3, MQTT 5 §3.3). `v5` adds the empty property length byte every MQTT 5
 * PUBLISH carries. `packetId` is ignored at QoS 0.
 */
export function encodePublish(
  topic: string, payload: Buffer, qos: QoS, retain: boolean, dup: boolean, packetId: number, v5: boolean,
): Buffer {
  const topicLength = Buffer.byteLength(topic);
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payload.length;
  const out = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  let o = 0;
  out[o++] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let n = remaining;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n > 0) byte |= 0x80;
    out[o++] = byte;
  } while (n > 0);
  out.writeUInt16BE(topicLength, o);
  o += 2;
  o += out.write(topic, o, "utf8");
  if (qos > 0) {
    out.writeUInt16BE(packetId, o);
    o += 2;
  }
  if (v5) out[o++] = 0;
  payload.copy(out, o);
  return out;
}

/**
 * The hot path's encoders: PUBLISH without v5 properties and the two-byte-id acknowledgements,
 * sized first and written straight into the connection's BatchedWriter slab (no Buffer per
 * packet). Everything else goes through mqtt-packet's generate.
 */
import type { BatchedWriter } from "../../src/transport/batched-writer.js";
import type { QoS } from "./message.js";

/** MQTT's variable byte integer (MQTT 5 §1.5.5): remaining lengths up to 268435455. */
export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

function writeVarint(out: Buffer, o: number, n: number): number {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n > 0) byte |= 0x80;
    out[o++] = byte;
  } while (n > 0);
  return o;
}

/** Whether a string is all ASCII, so its UTF-8 length is its length. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A topic's length in UTF-8 bytes; ASCII topics (nearly all) without Buffer.byteLength. */
export function topicByteLength(topic: string): number {
  return isAscii(topic) ? topic.length : Buffer.byteLength(topic);
}

/** The remaining length of a PUBLISH without v5 properties. */
export function publishRemaining(topicLength: number, payloadLength: number, qos: QoS, v5: boolean): number {
  return 2 + topicLength + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) + payloadLength;
}

/** A whole packet's size from its remaining length. */
export function packetSize(remaining: number): number {
  return 1 + varintSize(remaining) + remaining;
}

/**
 * PUBLISH (MQTT 3.1.1 §3.3, MQTT 5 §3.3) into `out` at `o`. `v5` adds the empty property length
 * byte every MQTT 5 PUBLISH carries. `packetId` is ignored at QoS 0.
 */
export function writePublish(
  out: Buffer,
  o: number,
  remaining: number,
  topic: string,
  topicLength: number,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  packetId: number,
  v5: boolean,
): void {
  out[o++] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  o = writeVarint(out, o, remaining);
  out[o++] = topicLength >> 8;
  out[o++] = topicLength & 0xff;
  o += topicLength === topic.length ? out.write(topic, o, topicLength, "latin1") : out.write(topic, o, topicLength, "utf8");
  if (qos > 0) {
    out[o++] = packetId >> 8;
    out[o++] = packetId & 0xff;
  }
  if (v5) out[o++] = 0;
  const n = payload.length;
  // a byte loop beats copy()'s native call for the small payloads MQTT mostly carries
  if (n <= 64) for (let i = 0; i < n; i++) out[o + i] = payload[i]!;
  else payload.copy(out, o);
}

/** PUBLISH as its own Buffer. */
export function encodePublish(
  topic: string,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  packetId: number,
  v5: boolean,
): Buffer {
  const topicLength = topicByteLength(topic);
  const remaining = publishRemaining(topicLength, payload.length, qos, v5);
  const out = Buffer.allocUnsafe(packetSize(remaining));
  writePublish(out, 0, remaining, topic, topicLength, payload, qos, retain, dup, packetId, v5);
  return out;
}

/** Packet types with a packet id and nothing else (MQTT 3.1.1 §3.4–3.7), as first bytes. */
export const PUBACK = 0x40;
export const PUBREC = 0x50;
export const PUBREL = 0x62;
export const PUBCOMP = 0x70;

/**
 * PUBACK / PUBREC / PUBREL / PUBCOMP. A v5 reason code other than success is written after the
 * id (MQTT 5 §3.4.2.1: the reason code may be left out when it is 0x00 and there are no properties).
 */
export function queueAck(w: BatchedWriter, firstByte: number, packetId: number, reasonCode = 0): void {
  const size = reasonCode === 0 ? 4 : 5;
  const o = w.reserve(size);
  const out = w.slab;
  out[o] = firstByte;
  out[o + 1] = size - 2;
  out[o + 2] = packetId >> 8;
  out[o + 3] = packetId & 0xff;
  if (reasonCode !== 0) out[o + 4] = reasonCode;
}

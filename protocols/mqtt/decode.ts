/**
 * MQTT framing and the hot path's decoder. Packets are framed here from the socket's chunks by
 * their fixed header (MQTT 3.1.1 §2.2, MQTT 5 §2.1); the packets every message costs — PUBLISH
 * without v5 properties, PUBACK, PUBREC, PUBREL, PUBCOMP, PINGREQ — are decoded in place with no
 * object per packet and the payload a slice of the read. Everything else (CONNECT, SUBSCRIBE,
 * v5 PUBLISH with properties, anything unusual or malformed) goes whole to mqtt-packet, which
 * validates it and names what is wrong, so the fast path never has to be the one that judges
 * bad input.
 */

/** What the framer hands packets to: the connection. */
export interface PacketSink {
  /** Whether the connection is closed: framing stops. */
  readonly closed: boolean;
  /** Whether the fast path may be taken (after CONNECT). */
  readonly fastPath: boolean;
  readonly protocolVersion: number;
  /** Largest packet accepted now, in bytes of remaining length. */
  readonly packetLimit: number;
  /** A PUBLISH without v5 properties; `packetId` is 0 at QoS 0. */
  onFastPublish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean, packetId: number): void;
  /** PUBACK (4), PUBREC (5), PUBREL (6) or PUBCOMP (7) with its packet id. */
  onFastAck(type: number, packetId: number): void;
  onPingreq(): void;
  /** Any other packet, whole (fixed header included), for the general parser. */
  onOtherPacket(packet: Buffer): void;
  onTooLarge(size: number): void;
  onMalformed(why: string): void;
  /**
   * Asked before each PUBLISH: true holds it and everything after it unread (a resource alarm),
   * until `PacketFramer.resume()`.
   */
  holdPublish(): boolean;
}

const EMPTY: Buffer[] = [];

export class PacketFramer {
  /** Chunks of an incomplete packet, and how many bytes they hold. */
  private pending: Buffer[] = EMPTY;
  private pendingBytes = 0;
  /** Bytes the pending packet needs in all (0: its fixed header is not complete yet). */
  private need = 0;

  constructor(private readonly sink: PacketSink) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // a large packet arriving in many reads is joined once, when it is complete
      if (this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = EMPTY;
      this.pendingBytes = 0;
      this.need = 0;
    }
    const sink = this.sink;
    const end = buf.length;
    let o = 0;
    while (o < end && !sink.closed) {
      if (buf[o]! >> 4 === 3 && sink.holdPublish()) {
        this.need = 0;
        break;
      }
      // remaining length: a variable byte integer of at most four bytes [MQTT-1.5.5]
      let remaining = 0;
      let multiplier = 1;
      let i = o + 1;
      let complete = false;
      while (i < end) {
        const b = buf[i++]!;
        remaining += (b & 0x7f) * multiplier;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
        multiplier *= 128;
        if (i - o > 4) {
          sink.onMalformed("remaining length longer than four bytes");
          return;
        }
      }
      if (!complete) break;
      if (remaining > sink.packetLimit) {
        sink.onTooLarge(remaining);
        return;
      }
      const stop = i + remaining;
      if (stop > end) {
        this.need = stop - o;
        break;
      }
      this.packet(buf, o, i, stop);
      o = stop;
    }
    if (o < end && !sink.closed) {
      const rest = buf.subarray(o);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      // `need` was set above if the fixed header was complete; else it is 0 and the next read joins
    } else this.need = 0;
  }

  /** Frames what a held PUBLISH kept back, now that it may go. */
  resume(): void {
    if (this.pendingBytes === 0) return;
    const rest = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = EMPTY;
    this.pendingBytes = 0;
    this.need = 0;
    this.push(rest);
  }

  /** One complete packet: `first` is its fixed header, the variable part is [start, stop). */
  private packet(buf: Buffer, first: number, start: number, stop: number): void {
    const sink = this.sink;
    const b0 = buf[first]!;
    const type = b0 >> 4;
    if (sink.fastPath) {
      const length = stop - start;
      if (type === 3) {
        if (this.publish(buf, b0, start, stop)) return;
      } else if (type >= 4 && type <= 7) {
        // PUBREL's fixed header flags are 0010, the others' 0000 [MQTT-3.6.1-1]; a v5 ack may add
        // a reason code (taken as is) but properties go the slow way
        if ((b0 & 0x0f) === (type === 6 ? 2 : 0) && (length === 2 || (length === 3 && sink.protocolVersion === 5))) {
          const id = (buf[start]! << 8) | buf[start + 1]!;
          if (id !== 0) {
            sink.onFastAck(type, id);
            return;
          }
        }
      } else if (b0 === 0xc0 && length === 0) {
        sink.onPingreq();
        return;
      }
    }
    sink.onOtherPacket(buf.subarray(first, stop));
  }

  /** PUBLISH in place; false hands it to the general parser (properties, or something to judge). */
  private publish(buf: Buffer, b0: number, start: number, stop: number): boolean {
    const qos = (b0 >> 1) & 3;
    const dup = (b0 & 0x08) !== 0;
    // QoS 3 is malformed [MQTT-3.3.1-4]; DUP on QoS 0 too [MQTT-3.3.1-2]: mqtt-packet says so
    if (qos === 3 || (qos === 0 && dup)) return false;
    let o = start;
    if (stop - o < 2) return false;
    const topicLength = (buf[o]! << 8) | buf[o + 1]!;
    o += 2;
    const topicEnd = o + topicLength;
    if (topicEnd > stop) return false;
    let ascii = true;
    for (let i = o; i < topicEnd; i++) {
      if (buf[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    // ill-formed UTF-8 becomes U+FFFD here, as in mqtt-packet, and the topic check refuses it
    const topic = ascii ? buf.toString("latin1", o, topicEnd) : buf.toString("utf8", o, topicEnd);
    o = topicEnd;
    let id = 0;
    if (qos > 0) {
      if (stop - o < 2) return false;
      id = (buf[o]! << 8) | buf[o + 1]!;
      if (id === 0) return false;
      o += 2;
    }
    if (this.sink.protocolVersion === 5) {
      // property length 0 is one byte; anything else is decoded by mqtt-packet
      if (o >= stop || buf[o] !== 0) return false;
      o++;
    }
    this.sink.onFastPublish(topic, buf.subarray(o, stop), qos as 0 | 1 | 2, (b0 & 1) !== 0, id);
    return true;
  }
}

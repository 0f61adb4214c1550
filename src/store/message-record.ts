/**
 * How a queue's store holds a message: the routing it arrived with, its properties in the AMQP
 * 0-9-1 encoding (the publisher's own bytes when it was an AMQP publisher, so nothing is
 * re-encoded), and the body; a message with a TTL also its expiry, so the TTL runs on after a
 * restart.
 *
 *   kind u8 (1) | exchange length u32 | exchange | routing key length u32 | routing key
 *   | properties length u32 | properties (AMQP basic flags + list) | body (the rest)
 *   kind u8 (2) | expires at f64 (ms since the epoch) | then as kind 1
 *
 * The kind's GROUPED bit (0x80) marks a message of an ActiveMQ message group (Message.group, whose
 * JMSXGroupID/JMSXGroupSeq headers are in the properties): recovery reads the bit without decoding
 * the record, so a restarted queue groups the message again and ungrouped ones cost nothing.
 *
 * The kind's JOB bit (0x40) marks a held message of a scheduled job (OpenWire's repeats and cron,
 * src/core/scheduled-jobs.ts): right after the kind (and the expiry) come the job's state, job
 * length u32 | job (UTF-8 text), then the rest as above. Records written before the bit existed
 * have it clear, so older data dirs read unchanged; a broker older than the bit refuses such a record.
 */
import { Message, type MessageProperties, type PropertiesCodec } from "../core/index.js";
import type { RecordWriter } from "./segment-log.js";

const KIND_MESSAGE = 1;
const KIND_EXPIRING_MESSAGE = 2;
const EXPIRY_BYTES = 8;
/** A flag on the kind byte: the message belongs to a message group (see above). */
const GROUPED = 0x80;
/** A flag on the kind byte: a scheduled job's state follows the kind (see above). */
const JOB = 0x40;
const FLAGS = GROUPED | JOB;

/** Bytes before the job or the exchange length: the kind, and the expiry of an expiring message. */
const kindBytes = (buf: Buffer): number => {
  const kind = buf[0]! & ~FLAGS;
  if (kind === KIND_MESSAGE) return 1;
  if (kind === KIND_EXPIRING_MESSAGE) return 1 + EXPIRY_BYTES;
  throw new Error(`unknown record kind ${buf[0]}`);
};

/** Bytes before the exchange length: the kind, the expiry, a job's state. */
const headerBytes = (buf: Buffer): number => {
  const o = kindBytes(buf);
  return (buf[0]! & JOB) === 0 ? o : o + 4 + buf.readUInt32BE(o);
};

/** The property encoding records use: AMQP 0-9-1 basic properties, injected to keep protocols out of the store. */
export interface RecordPropertiesCodec {
  /** The codec AMQP publishers' messages carry: their bytes are stored as they are. */
  readonly properties: PropertiesCodec;
  encode(p: MessageProperties): Buffer;
}

/**
 * Writes message records where the store wants them (a segment's write buffer): the size first,
 * then the bytes. One per store; the properties worked out for size() are reused by write().
 */
export class MessageRecordWriter implements RecordWriter<Message> {
  private props: Buffer = EMPTY;
  /**
   * The last message whose properties were encoded here, and their bytes: a message routed to
   * several durable queues is stored by each in turn, and is decoded and encoded once for all of
   * them without keeping the decoded form on the message (`Message.readProperties`). It holds
   * that one message until another is encoded here.
   */
  private encodedFor: Message | null = null;
  private encodedProps: Buffer = EMPTY;
  /** The next record's expiry (ms since the epoch); set just before appending, reset after. */
  expiresAt = Infinity;
  /** The next record's scheduled job (UTF-8); set just before appending, reset after. */
  job: Buffer | null = null;

  constructor(private readonly codec: RecordPropertiesCodec) {}

  size(m: Message): number {
    const enc = m.encoded;
    if (enc !== null && enc.codec === this.codec.properties) this.props = enc.bytes;
    else {
      if (m !== this.encodedFor) {
        this.encodedProps = this.codec.encode(m.readProperties());
        this.encodedFor = m;
      }
      this.props = this.encodedProps;
    }
    const expiry = this.expiresAt === Infinity ? 0 : EXPIRY_BYTES;
    const job = this.job === null ? 0 : 4 + this.job.length;
    return (
      1 + expiry + job + 4 + Buffer.byteLength(m.exchange) + 4 + Buffer.byteLength(m.routingKey) + 4 + this.props.length + m.body.length
    );
  }

  write(m: Message, buf: Buffer, at: number): void {
    const props = this.props;
    this.props = EMPTY;
    let o = at;
    const flags = (m.group !== null ? GROUPED : 0) | (this.job !== null ? JOB : 0);
    if (this.expiresAt === Infinity) buf[o++] = KIND_MESSAGE | flags;
    else {
      buf[o++] = KIND_EXPIRING_MESSAGE | flags;
      buf.writeDoubleBE(this.expiresAt, o);
      o += EXPIRY_BYTES;
      this.expiresAt = Infinity;
    }
    if (this.job !== null) {
      buf.writeUInt32BE(this.job.length, o);
      o += 4 + this.job.copy(buf, o + 4);
      this.job = null;
    }
    const ex = buf.write(m.exchange, o + 4);
    buf.writeUInt32BE(ex, o);
    o += 4 + ex;
    const rk = buf.write(m.routingKey, o + 4);
    buf.writeUInt32BE(rk, o);
    o += 4 + rk;
    buf.writeUInt32BE(props.length, o);
    o += 4;
    o += props.copy(buf, o);
    m.body.copy(buf, o);
  }
}

const EMPTY = Buffer.alloc(0);

/** A message record in a buffer of its own (for callers outside a segment log; stores use MessageRecordWriter). */
export function encodeMessageRecord(m: Message, codec: RecordPropertiesCodec): Buffer {
  const w = new MessageRecordWriter(codec);
  const buf = Buffer.allocUnsafe(w.size(m));
  w.write(m, buf, 0);
  return buf;
}

export function decodeMessageRecord(buf: Buffer, codec: RecordPropertiesCodec): Message {
  let o = headerBytes(buf);
  const ex = buf.readUInt32BE(o);
  o += 4;
  const exchange = buf.toString("utf8", o, o + ex);
  o += ex;
  const rk = buf.readUInt32BE(o);
  o += 4;
  const routingKey = buf.toString("utf8", o, o + rk);
  o += rk;
  const pl = buf.readUInt32BE(o);
  o += 4;
  const bytes = buf.subarray(o, o + pl);
  o += pl;
  return new Message(exchange, routingKey, buf.subarray(o), null, { codec: codec.properties, bytes });
}

/** The body size of a record without decoding it (paged-out entries need only that). */
export function messageRecordBodySize(buf: Buffer): number {
  let o = headerBytes(buf);
  o += 4 + buf.readUInt32BE(o);
  o += 4 + buf.readUInt32BE(o);
  o += 4 + buf.readUInt32BE(o);
  return buf.length - o;
}

/** When the recorded message expires (ms since the epoch), without decoding it; Infinity: never. */
export function messageRecordExpiry(buf: Buffer): number {
  return (buf[0]! & ~FLAGS) === KIND_EXPIRING_MESSAGE ? buf.readDoubleBE(1) : Infinity;
}

/** The scheduled job stored with a held message (UTF-8 text), null for none. */
export function messageRecordJob(buf: Buffer): string | null {
  if ((buf[0]! & JOB) === 0) return null;
  const o = kindBytes(buf);
  return buf.toString("utf8", o + 4, o + 4 + buf.readUInt32BE(o));
}

/** Whether the recorded message belongs to a message group, without decoding it. */
export function messageRecordGrouped(buf: Buffer): boolean {
  return (buf[0]! & GROUPED) !== 0;
}

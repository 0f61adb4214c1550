// A tiny AMQP 0-9-1 codec for scenarios that no client library can express (wrong protocol
// headers, frames on unopened channels, body frames without a header, oversized frames), and for
// reading what the server sends byte for byte (connection.start's server properties with their
// field types, tune values, header tables with their type tags).
//
// Independent of Warren's own codec on purpose: conformance runs against any broker, and a
// shared codec would let one bug hide itself on both sides.

/** AMQP 0-9-1 §4.2.3: frame types. */
export const FrameType = { METHOD: 1, HEADER: 2, BODY: 3, HEARTBEAT: 8 } as const;
/** AMQP 0-9-1 §4.2.3: every frame ends with this octet. */
export const FRAME_END = 0xce;
/** The 0-9-1 protocol header: "AMQP", 0, 0, 9, 1. */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/** A field value that remembers its wire type tag, so round trips can assert the type too. */
export type Typed =
  | { type: "t"; value: boolean }
  | { type: "b" | "B" | "s" | "u" | "I" | "i" | "f" | "d"; value: number }
  | { type: "l" | "T"; value: bigint }
  | { type: "D"; value: { scale: number; digits: number } }
  | { type: "S"; value: string }
  | { type: "x"; value: Buffer }
  | { type: "A"; value: Typed[] }
  | { type: "F"; value: TypedTable }
  | { type: "V"; value: null };
export type TypedTable = Record<string, Typed>;

/** Appends AMQP primitives to a growing buffer. */
export class Writer {
  private buf = Buffer.alloc(256);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  octet(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  short(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  long(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  longlong(v: bigint | number): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }
  /** Several consecutive bit fields packed into one octet, first bit lowest (§4.2.5.2). */
  bits(...flags: boolean[]): this {
    let v = 0;
    flags.forEach((f, i) => {
      if (f) v |= 1 << i;
    });
    return this.octet(v);
  }
  shortstr(s: string): this {
    const b = Buffer.from(s, "utf8");
    this.octet(b.length);
    return this.bytes(b);
  }
  longstr(s: string | Buffer): this {
    const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
    this.long(b.length);
    return this.bytes(b);
  }
  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  table(t: TypedTable): this {
    const inner = new Writer();
    for (const [k, v] of Object.entries(t)) {
      inner.shortstr(k);
      inner.value(v);
    }
    const b = inner.done();
    this.long(b.length);
    return this.bytes(b);
  }
  value(v: Typed): this {
    this.octet(v.type.charCodeAt(0));
    this.ensure(9);
    switch (v.type) {
      case "t":
        return this.octet(v.value ? 1 : 0);
      case "b":
        this.buf.writeInt8(v.value, this.pos);
        this.pos += 1;
        return this;
      case "B":
        return this.octet(v.value);
      case "s":
        this.buf.writeInt16BE(v.value, this.pos);
        this.pos += 2;
        return this;
      case "u":
        return this.short(v.value);
      case "I":
        this.buf.writeInt32BE(v.value, this.pos);
        this.pos += 4;
        return this;
      case "i":
        return this.long(v.value);
      case "l":
        this.buf.writeBigInt64BE(v.value, this.pos);
        this.pos += 8;
        return this;
      case "T":
        return this.longlong(v.value);
      case "f":
        this.buf.writeFloatBE(v.value, this.pos);
        this.pos += 4;
        return this;
      case "d":
        this.buf.writeDoubleBE(v.value, this.pos);
        this.pos += 8;
        return this;
      case "D":
        this.octet(v.value.scale);
        return this.long(v.value.digits);
      case "S":
        return this.longstr(v.value);
      case "x":
        return this.longstr(v.value);
      case "A": {
        const inner = new Writer();
        for (const e of v.value) inner.value(e);
        const b = inner.done();
        this.long(b.length);
        return this.bytes(b);
      }
      case "F":
        return this.table(v.value);
      case "V":
        return this;
    }
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Reads AMQP primitives from a buffer, front to back. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  octet(): number {
    return this.buf.readUInt8(this.pos++);
  }
  short(): number {
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  long(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  longlong(): bigint {
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bits(n: number): boolean[] {
    const o = this.octet();
    return Array.from({ length: n }, (_, i) => (o & (1 << i)) !== 0);
  }
  shortstr(): string {
    const n = this.octet();
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  longbytes(): Buffer {
    const n = this.long();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  longstr(): string {
    return this.longbytes().toString("utf8");
  }
  table(): TypedTable {
    const r = new Reader(this.longbytes());
    const t: TypedTable = {};
    while (r.pos < r.buf.length) {
      const k = r.shortstr();
      t[k] = r.value();
    }
    return t;
  }
  value(): Typed {
    const tag = String.fromCharCode(this.octet());
    const b = this.buf;
    const take = <T>(n: number, v: T): T => {
      this.pos += n;
      return v;
    };
    switch (tag) {
      case "t":
        return { type: "t", value: this.octet() !== 0 };
      case "b":
        return { type: "b", value: take(1, b.readInt8(this.pos)) };
      case "B":
        return { type: "B", value: this.octet() };
      case "s":
        return { type: "s", value: take(2, b.readInt16BE(this.pos)) };
      case "u":
        return { type: "u", value: this.short() };
      case "I":
        return { type: "I", value: take(4, b.readInt32BE(this.pos)) };
      case "i":
        return { type: "i", value: this.long() };
      case "l":
        return { type: "l", value: take(8, b.readBigInt64BE(this.pos)) };
      case "T":
        return { type: "T", value: this.longlong() };
      case "f":
        return { type: "f", value: take(4, b.readFloatBE(this.pos)) };
      case "d":
        return { type: "d", value: take(8, b.readDoubleBE(this.pos)) };
      case "D": {
        const scale = this.octet();
        return { type: "D", value: { scale, digits: this.long() } };
      }
      case "S":
        return { type: "S", value: this.longstr() };
      case "x":
        return { type: "x", value: Buffer.from(this.longbytes()) };
      case "A": {
        const r = new Reader(this.longbytes());
        const arr: Typed[] = [];
        while (r.pos < r.buf.length) arr.push(r.value());
        return { type: "A", value: arr };
      }
      case "F":
        return { type: "F", value: this.table() };
      case "V":
        return { type: "V", value: null };
      default:
        throw new Error(`unknown field type tag ${JSON.stringify(tag)}`);
    }
  }
}

/** One frame: type, channel, payload (without the frame-end octet). */
export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

/** Encodes a frame; `end` overrides the frame-end octet for malformed-frame scenarios. */
export function encodeFrame(type: number, channel: number, payload: Buffer, end = FRAME_END): Buffer {
  const b = Buffer.alloc(7 + payload.length + 1);
  b.writeUInt8(type, 0);
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b.writeUInt8(end, 7 + payload.length);
  return b;
}

/** Method frame payload: class id, method id, then the arguments already encoded. */
export function methodFrame(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): Buffer {
  const p = Buffer.alloc(4 + args.length);
  p.writeUInt16BE(classId, 0);
  p.writeUInt16BE(methodId, 2);
  args.copy(p, 4);
  return encodeFrame(FrameType.METHOD, channel, p);
}

/** Content header frame for class basic with the given property flags and encoded properties. */
export function headerFrame(channel: number, bodySize: number, flags = 0, props: Buffer = Buffer.alloc(0)): Buffer {
  const w = new Writer().short(60).short(0).longlong(bodySize).short(flags).bytes(props);
  return encodeFrame(FrameType.HEADER, channel, w.done());
}

export function bodyFrame(channel: number, body: Buffer): Buffer {
  return encodeFrame(FrameType.BODY, channel, body);
}

export const HEARTBEAT_FRAME = encodeFrame(FrameType.HEARTBEAT, 0, Buffer.alloc(0));

/** Class and method ids used by the scenarios (AMQP 0-9-1 spec numbering). */
export const M = {
  connectionStart: [10, 10],
  connectionStartOk: [10, 11],
  connectionTune: [10, 30],
  connectionTuneOk: [10, 31],
  connectionOpen: [10, 40],
  connectionOpenOk: [10, 41],
  connectionClose: [10, 50],
  connectionCloseOk: [10, 51],
  channelOpen: [20, 10],
  channelOpenOk: [20, 11],
  channelFlow: [20, 20],
  channelFlowOk: [20, 21],
  channelClose: [20, 40],
  channelCloseOk: [20, 41],
  exchangeDeclare: [40, 10],
  queueDeclare: [50, 10],
  queueDeclareOk: [50, 11],
  queueDelete: [50, 40],
  queueDeleteOk: [50, 41],
  basicQos: [60, 10],
  basicQosOk: [60, 11],
  basicConsume: [60, 20],
  basicConsumeOk: [60, 21],
  basicCancel: [60, 30],
  basicCancelOk: [60, 31],
  basicPublish: [60, 40],
  basicDeliver: [60, 60],
  basicGet: [60, 70],
  basicGetOk: [60, 71],
  basicGetEmpty: [60, 72],
  basicAck: [60, 80],
} as const;

/** A decoded method frame: ids plus a reader positioned at the arguments. */
export interface MethodFrame {
  channel: number;
  classId: number;
  methodId: number;
  args: Reader;
}

export function asMethod(f: Frame): MethodFrame | undefined {
  if (f.type !== FrameType.METHOD) return undefined;
  const r = new Reader(f.payload);
  const classId = r.short();
  const methodId = r.short();
  return { channel: f.channel, classId, methodId, args: r };
}

export function isMethod(f: Frame, [c, m]: readonly [number, number]): boolean {
  return f.type === FrameType.METHOD && f.payload.readUInt16BE(0) === c && f.payload.readUInt16BE(2) === m;
}

/** connection.close / channel.close arguments. */
export interface CloseReason {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export function readClose(f: Frame): CloseReason {
  const r = asMethod(f)!.args;
  return { replyCode: r.short(), replyText: r.shortstr(), classId: r.short(), methodId: r.short() };
}

/** Converts a typed table into plain JSON-friendly values (bigint as string, Buffer as hex). */
export function plain(v: Typed): unknown {
  switch (v.type) {
    case "l":
    case "T":
      return v.value.toString();
    case "x":
      return v.value.toString("hex");
    case "A":
      return v.value.map(plain);
    case "F":
      return plainTable(v.value);
    default:
      return v.value;
  }
}

export function plainTable(t: TypedTable): Record<string, unknown> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, plain(v)]));
}

/** Basic-class content properties, with the headers table keeping its wire types. */
export interface RawProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: TypedTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  timestamp?: bigint;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/** Decodes a content header frame's payload: class, body size and the basic properties. */
export function readContentHeader(payload: Buffer): { classId: number; bodySize: bigint; properties: RawProperties } {
  const r = new Reader(payload);
  const classId = r.short();
  r.short(); // weight
  const bodySize = r.longlong();
  const flags = r.short();
  const has = (bit: number) => (flags & (1 << bit)) !== 0;
  const p: RawProperties = {};
  // AMQP 0-9-1 §4.2.6.1: property flags, highest bit first, in the class's field order.
  if (has(15)) p.contentType = r.shortstr();
  if (has(14)) p.contentEncoding = r.shortstr();
  if (has(13)) p.headers = r.table();
  if (has(12)) p.deliveryMode = r.octet();
  if (has(11)) p.priority = r.octet();
  if (has(10)) p.correlationId = r.shortstr();
  if (has(9)) p.replyTo = r.shortstr();
  if (has(8)) p.expiration = r.shortstr();
  if (has(7)) p.messageId = r.shortstr();
  if (has(6)) p.timestamp = r.longlong();
  if (has(5)) p.type = r.shortstr();
  if (has(4)) p.userId = r.shortstr();
  if (has(3)) p.appId = r.shortstr();
  if (has(2)) p.clusterId = r.shortstr();
  return { classId, bodySize, properties: p };
}

/** Encodes basic properties for a content header: the property flags and the property bytes. */
export function writeBasicProperties(p: RawProperties): { flags: number; bytes: Buffer } {
  const w = new Writer();
  let flags = 0;
  const set = (bit: number) => (flags |= 1 << bit);
  if (p.contentType !== undefined) set(15), w.shortstr(p.contentType);
  if (p.contentEncoding !== undefined) set(14), w.shortstr(p.contentEncoding);
  if (p.headers !== undefined) set(13), w.table(p.headers);
  if (p.deliveryMode !== undefined) set(12), w.octet(p.deliveryMode);
  if (p.priority !== undefined) set(11), w.octet(p.priority);
  if (p.correlationId !== undefined) set(10), w.shortstr(p.correlationId);
  if (p.replyTo !== undefined) set(9), w.shortstr(p.replyTo);
  if (p.expiration !== undefined) set(8), w.shortstr(p.expiration);
  if (p.messageId !== undefined) set(7), w.shortstr(p.messageId);
  if (p.timestamp !== undefined) set(6), w.longlong(p.timestamp);
  if (p.type !== undefined) set(5), w.shortstr(p.type);
  if (p.userId !== undefined) set(4), w.shortstr(p.userId);
  if (p.appId !== undefined) set(3), w.shortstr(p.appId);
  if (p.clusterId !== undefined) set(2), w.shortstr(p.clusterId);
  return { flags, bytes: w.done() };
}

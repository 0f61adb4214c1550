// A deliberately tiny AMQP 0-9-1 client for benchmarking a broker.
//
// It exists because general-purpose clients (amqplib, amqp-client.js) spend
// several microseconds of CPU per message in the client, which on a 2-core
// machine competes with the broker being measured. Here the hot paths are:
//   - publishing: write the same pre-encoded publish+header+body frames, many
//     messages per write(), respecting write() === false / 'drain';
//   - consuming: scan frames in place, count basic.deliver, read the delivery
//     tag, optionally ack; no per-message allocation.
// Control operations (declare, bind, delete, qos, consume) are simple
// awaited RPCs. Heartbeats are negotiated off (0) — benchmark runs are short.
//
// Wire format references: AMQP 0-9-1 §2.3.5 (frames), §4.2.6 (content
// header), and the method table of amqp-rabbitmq-0.9.1.json.

import net from "node:net";

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;
const FRAME_OVERHEAD = 8; // 7 bytes header + 1 byte frame-end

/** Parse amqp://user:pass@host:port/vhost into connection settings. */
export function parseAmqpUrl(url) {
  const u = new URL(url);
  if (u.protocol !== "amqp:") throw new Error(`only amqp:// URLs are supported, got ${url}`);
  let vhost = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (vhost === "") vhost = "/";
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 5672,
    user: u.username ? decodeURIComponent(u.username) : "guest",
    pass: u.password ? decodeURIComponent(u.password) : "guest",
    vhost,
  };
}

// ---------------------------------------------------------------- encoding

/** Growable big-endian writer for control frames (not used on hot paths). */
class Writer {
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
    this.off = 0;
  }
  ensure(n) {
    if (this.off + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }
  u8(v) {
    this.ensure(1);
    this.buf[this.off++] = v;
    return this;
  }
  u16(v) {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.off);
    this.off += 2;
    return this;
  }
  u32(v) {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.off);
    this.off += 4;
    return this;
  }
  u64(v) {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt(v), this.off);
    this.off += 8;
    return this;
  }
  shortstr(s) {
    const b = Buffer.from(s, "utf8");
    if (b.length > 255) throw new Error(`shortstr too long: ${s}`);
    this.u8(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
    return this;
  }
  longstr(s) {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s, "utf8");
    this.u32(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
    return this;
  }
  /** Field table with string, integer and boolean values only. */
  table(obj = {}) {
    const inner = new Writer(64);
    for (const [k, v] of Object.entries(obj)) {
      inner.shortstr(k);
      if (typeof v === "string") inner.u8(0x53 /* S */).longstr(v);
      else if (typeof v === "boolean") inner.u8(0x74 /* t */).u8(v ? 1 : 0);
      else if (Number.isInteger(v)) {
        inner.u8(0x6c /* l */);
        inner.ensure(8);
        inner.buf.writeBigInt64BE(BigInt(v), inner.off);
        inner.off += 8;
      } else if (v && typeof v === "object") {
        inner.u8(0x46 /* F */);
        const t = new Writer(64).table(v).done();
        inner.ensure(t.length);
        t.copy(inner.buf, inner.off);
        inner.off += t.length;
      } else throw new Error(`unsupported table value for ${k}`);
    }
    const body = inner.done();
    this.u32(body.length);
    this.ensure(body.length);
    body.copy(this.buf, this.off);
    this.off += body.length;
    return this;
  }
  bits(...flags) {
    let v = 0;
    flags.forEach((f, i) => {
      if (f) v |= 1 << i;
    });
    return this.u8(v);
  }
  done() {
    return this.buf.subarray(0, this.off);
  }
}

/** One method frame: type 1, channel, class, method, pre-encoded arguments. */
export function methodFrame(channel, classId, methodId, args = Buffer.alloc(0)) {
  const size = 4 + args.length;
  const f = Buffer.allocUnsafe(size + FRAME_OVERHEAD);
  f[0] = FRAME_METHOD;
  f.writeUInt16BE(channel, 1);
  f.writeUInt32BE(size, 3);
  f.writeUInt16BE(classId, 7);
  f.writeUInt16BE(methodId, 9);
  args.copy(f, 11);
  f[size + 7] = FRAME_END;
  return f;
}

/**
 * basic.publish + content header (no properties) + body frame(s) for one
 * message, as one buffer. frameMax bounds each body frame (§4.2.3).
 */
export function encodePublish(channel, exchange, routingKey, body, frameMax = 131072) {
  const args = new Writer(64).u16(0).shortstr(exchange).shortstr(routingKey).bits(false, false).done();
  const method = methodFrame(channel, 60, 40, args);
  const header = Buffer.allocUnsafe(14 + FRAME_OVERHEAD);
  header[0] = FRAME_HEADER;
  header.writeUInt16BE(channel, 1);
  header.writeUInt32BE(14, 3);
  header.writeUInt16BE(60, 7); // class basic
  header.writeUInt16BE(0, 9); // weight
  header.writeBigUInt64BE(BigInt(body.length), 11);
  header.writeUInt16BE(0, 19); // property flags: none
  header[21] = FRAME_END;
  const parts = [method, header];
  const maxPayload = frameMax - FRAME_OVERHEAD;
  for (let off = 0; off < body.length; off += maxPayload) {
    const piece = body.subarray(off, Math.min(body.length, off + maxPayload));
    const f = Buffer.allocUnsafe(piece.length + FRAME_OVERHEAD);
    f[0] = FRAME_BODY;
    f.writeUInt16BE(channel, 1);
    f.writeUInt32BE(piece.length, 3);
    piece.copy(f, 7);
    f[piece.length + 7] = FRAME_END;
    parts.push(f);
  }
  return Buffer.concat(parts);
}

/** Offset of the first body byte inside a buffer made by encodePublish. */
export function bodyOffsetInPublish(encoded) {
  const methodLen = encoded.readUInt32BE(3) + FRAME_OVERHEAD;
  const headerLen = encoded.readUInt32BE(methodLen + 3) + FRAME_OVERHEAD;
  return methodLen + headerLen + 7;
}

const ACK_FRAME_LEN = 4 + 8 + 1 + FRAME_OVERHEAD; // 21

/** Write a basic.ack frame into `buf` at `off`; returns the new offset. */
export function writeAck(buf, off, channel, deliveryTag, multiple) {
  buf[off] = FRAME_METHOD;
  buf.writeUInt16BE(channel, off + 1);
  buf.writeUInt32BE(13, off + 3);
  buf.writeUInt16BE(60, off + 7);
  buf.writeUInt16BE(80, off + 9);
  buf.writeUInt32BE(Math.floor(deliveryTag / 4294967296), off + 11);
  buf.writeUInt32BE(deliveryTag >>> 0, off + 15);
  buf[off + 19] = multiple ? 1 : 0;
  buf[off + 20] = FRAME_END;
  return off + ACK_FRAME_LEN;
}
export { ACK_FRAME_LEN };

/** Delivery tag of a basic.deliver method frame whose payload starts at `start`. */
export function deliveryTagOf(buf, start) {
  const ctagLen = buf[start + 4];
  const p = start + 5 + ctagLen;
  return buf.readUInt32BE(p) * 4294967296 + buf.readUInt32BE(p + 4);
}

// ---------------------------------------------------------------- connection

/**
 * One AMQP connection. Frames that no awaited RPC claims go to the hooks:
 *   onDeliver(channel, buf, payloadStart, payloadEnd)   basic.deliver
 *   onHeader(channel, buf, start, end)                  content header
 *   onBody(channel, buf, start, end)                    body frame
 *   afterData()                                         end of one socket read
 *   onError(err)                                        connection lost / closed by broker
 */
export class AmqpConnection {
  constructor(socket, settings) {
    this.socket = socket;
    this.settings = settings;
    this.pending = null;
    this.waiters = new Map(); // channel → [{classId, methodId, resolve, reject, timer}]
    this.frameMax = 131072;
    this.blocked = false;
    this.closed = false;
    this.closing = false;
    this.error = null;
    this.onDeliver = null;
    this.onHeader = null;
    this.onBody = null;
    this.afterData = null;
    this.onError = null;
    this.onBlocked = null;
    socket.on("data", (chunk) => this._onData(chunk));
    socket.on("error", (err) => this._fail(err));
    socket.on("close", () => this._fail(new Error("connection closed by peer")));
  }

  /** Connect, authenticate (PLAIN), open the vhost and channel 1. */
  static async open(url, { timeoutMs = 10000, name = "warren-bench", channels = [1] } = {}) {
    const s = parseAmqpUrl(url);
    const socket = await new Promise((resolve, reject) => {
      const sock = net.connect({ host: s.host, port: s.port });
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect timeout to ${s.host}:${s.port}`));
      }, timeoutMs);
      sock.once("connect", () => {
        clearTimeout(t);
        sock.removeAllListeners("error");
        resolve(sock);
      });
      sock.once("error", (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    socket.setNoDelay(true);
    const conn = new AmqpConnection(socket, s);
    try {
      await conn._handshake(s, name, timeoutMs);
      for (const ch of channels) await conn.openChannel(ch, timeoutMs);
    } catch (e) {
      conn.destroy();
      throw e;
    }
    return conn;
  }

  async _handshake(s, name, timeoutMs) {
    const start = this.expect(0, 10, 10, timeoutMs);
    this.socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    await start;
    const tuneP = this.expect(0, 10, 30, timeoutMs);
    const startOk = new Writer(256)
      .table({ product: name, platform: "Node.js", capabilities: { "connection.blocked": true } })
      .shortstr("PLAIN")
      .longstr(Buffer.from(`\0${s.user}\0${s.pass}`, "utf8"))
      .shortstr("en_US")
      .done();
    this.socket.write(methodFrame(0, 10, 11, startOk));
    const tune = await tuneP;
    const channelMax = tune.buf.readUInt16BE(tune.start + 4);
    const frameMax = tune.buf.readUInt32BE(tune.start + 6);
    this.frameMax = frameMax === 0 ? 131072 : Math.min(frameMax, 131072);
    this.socket.write(methodFrame(0, 10, 31, new Writer(16).u16(channelMax).u32(this.frameMax).u16(0).done()));
    const openOk = this.expect(0, 10, 41, timeoutMs);
    this.socket.write(methodFrame(0, 10, 40, new Writer(64).shortstr(s.vhost).shortstr("").bits(false).done()));
    await openOk;
  }

  openChannel(ch, timeoutMs = 10000) {
    return this.rpc(ch, 20, 10, new Writer(8).shortstr("").done(), 11, timeoutMs);
  }

  /** Send a method and await the reply method (same class, replyMethodId). */
  rpc(channel, classId, methodId, args, replyMethodId, timeoutMs = 10000) {
    const p = this.expect(channel, classId, replyMethodId, timeoutMs);
    this.send(methodFrame(channel, classId, methodId, args));
    return p;
  }

  expect(channel, classId, methodId, timeoutMs = 10000) {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const w = { classId, methodId, resolve, reject, timer: null };
      w.timer = setTimeout(() => {
        const list = this.waiters.get(channel) || [];
        const i = list.indexOf(w);
        if (i >= 0) list.splice(i, 1);
        reject(new Error(`timeout waiting for method ${classId}.${methodId} on channel ${channel}`));
      }, timeoutMs);
      let list = this.waiters.get(channel);
      if (!list) this.waiters.set(channel, (list = []));
      list.push(w);
    });
  }

  send(buf) {
    if (this.closed) return false;
    return this.socket.write(buf);
  }

  // --- control helpers (channel 1 unless given) ---

  queueDeclare(queue, { durable = false, exclusive = false, autoDelete = false, args = {}, channel = 1 } = {}) {
    const a = new Writer(128).u16(0).shortstr(queue).bits(false, durable, exclusive, autoDelete, false).table(args).done();
    return this.rpc(channel, 50, 10, a, 11);
  }
  queueDelete(queue, { channel = 1 } = {}) {
    const a = new Writer(64).u16(0).shortstr(queue).bits(false, false, false).done();
    return this.rpc(channel, 50, 40, a, 41);
  }
  queueBind(queue, exchange, routingKey = "", { channel = 1 } = {}) {
    const a = new Writer(128).u16(0).shortstr(queue).shortstr(exchange).shortstr(routingKey).bits(false).table({}).done();
    return this.rpc(channel, 50, 20, a, 21);
  }
  exchangeDeclare(exchange, type, { durable = false, autoDelete = false, channel = 1 } = {}) {
    const a = new Writer(128).u16(0).shortstr(exchange).shortstr(type).bits(false, durable, autoDelete, false, false).table({}).done();
    return this.rpc(channel, 40, 10, a, 11);
  }
  exchangeDelete(exchange, { channel = 1 } = {}) {
    const a = new Writer(64).u16(0).shortstr(exchange).bits(false, false).done();
    return this.rpc(channel, 40, 20, a, 21);
  }
  basicQos(prefetchCount, { channel = 1 } = {}) {
    const a = new Writer(16).u32(0).u16(prefetchCount).bits(false).done();
    return this.rpc(channel, 60, 10, a, 11);
  }
  basicConsume(queue, { noAck = false, consumerTag = "", channel = 1 } = {}) {
    const a = new Writer(128).u16(0).shortstr(queue).shortstr(consumerTag).bits(false, noAck, false, false).table({}).done();
    return this.rpc(channel, 60, 20, a, 21);
  }

  /** Polite close (connection.close → close-ok), then destroy; bounded in time. */
  async close(timeoutMs = 3000) {
    if (this.closed) return;
    this.closing = true;
    try {
      const ok = this.expect(0, 10, 51, timeoutMs);
      this.socket.write(methodFrame(0, 10, 50, new Writer(32).u16(200).shortstr("bye").u16(0).u16(0).done()));
      await ok;
    } catch {
      // broker gone or too slow: destroy anyway
    }
    this.destroy();
  }

  destroy() {
    this.closing = true;
    this.closed = true;
    this.socket.destroy();
    this._rejectAll(new Error("connection destroyed"));
  }

  // --- inbound ---

  _onData(chunk) {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const len = buf.length;
    let off = 0;
    while (len - off >= 7) {
      const size = buf.readUInt32BE(off + 3);
      const end = off + 7 + size;
      if (end >= len) break;
      if (buf[end] !== FRAME_END) {
        this._fail(new Error(`bad frame end at offset ${end}`));
        return;
      }
      const type = buf[off];
      const channel = buf.readUInt16BE(off + 1);
      const start = off + 7;
      if (type === FRAME_METHOD) {
        const classId = buf.readUInt16BE(start);
        const methodId = buf.readUInt16BE(start + 2);
        if (classId === 60 && methodId === 60 && this.onDeliver !== null) this.onDeliver(channel, buf, start, end);
        else this._method(channel, classId, methodId, buf, start, end);
      } else if (type === FRAME_BODY) {
        if (this.onBody !== null) this.onBody(channel, buf, start, end);
      } else if (type === FRAME_HEADER) {
        if (this.onHeader !== null) this.onHeader(channel, buf, start, end);
      }
      off = end + 1;
    }
    if (off < len) this.pending = buf.subarray(off);
    if (this.afterData !== null) this.afterData();
  }

  _method(channel, classId, methodId, buf, start, end) {
    if (classId === 10 && methodId === 50) {
      const code = buf.readUInt16BE(start + 4);
      const text = buf.toString("utf8", start + 7, start + 7 + buf[start + 6]);
      try {
        this.socket.write(methodFrame(0, 10, 51));
      } catch {
        /* ignore */
      }
      this._fail(new Error(`broker closed connection: ${code} ${text}`));
      return;
    }
    if (classId === 20 && methodId === 40) {
      const code = buf.readUInt16BE(start + 4);
      const text = buf.toString("utf8", start + 7, start + 7 + buf[start + 6]);
      try {
        this.socket.write(methodFrame(channel, 20, 41));
      } catch {
        /* ignore */
      }
      this._fail(new Error(`broker closed channel ${channel}: ${code} ${text}`));
      return;
    }
    if (classId === 10 && (methodId === 60 || methodId === 61)) {
      this.blocked = methodId === 60;
      if (this.onBlocked) this.onBlocked(this.blocked);
      return;
    }
    const list = this.waiters.get(channel);
    if (list && list.length > 0) {
      const w = list[0];
      if (w.classId === classId && w.methodId === methodId) {
        list.shift();
        clearTimeout(w.timer);
        w.resolve({ buf, start, end });
        return;
      }
    }
    // Anything else (e.g. basic.consume-ok arriving for a no-wait) is ignored.
  }

  _rejectAll(err) {
    for (const list of this.waiters.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(err);
      }
    }
    this.waiters.clear();
  }

  _fail(err) {
    if (this.error) return;
    this.error = err;
    this.closed = true;
    this.socket.destroy();
    this._rejectAll(err);
    if (!this.closing && this.onError) this.onError(err);
  }
}

// A deliberately tiny MQTT 3.1.1 client for benchmarking a broker (the MQTT
// counterpart of amqp-raw.mjs).
//
// Packets are encoded with mqtt-packet's generator (CONNECT, SUBSCRIBE, one
// PUBLISH template, PUBACK, DISCONNECT); the hot paths avoid it:
//   - publishing: the same pre-encoded PUBLISH packets, many per write(); at
//     QoS 1 only the 2-byte packet identifiers are patched in place;
//   - receiving: packets are scanned in place (fixed header + remaining
//     length), PUBLISH frames are counted and, at QoS 1, their packet ids
//     collected so the caller can PUBACK them in one write() per socket read.
// mqtt-packet's own parser builds an object (and a payload Buffer) per
// packet, which costs the client more CPU than the brokers spend on some
// messages; the scanner here needs none of that.
//
// Wire format: MQTT 3.1.1 §2.2 (fixed header), §3.3 (PUBLISH), §3.4 (PUBACK).

import net from "node:net";
import mqttPacket from "mqtt-packet";

export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBACK = 9;
export const PINGRESP = 13;

/** Parse mqtt://user:pass@host:port into connection settings (no credentials → anonymous). */
export function parseMqttUrl(url) {
  const u = new URL(url);
  if (u.protocol !== "mqtt:") throw new Error(`only mqtt:// URLs are supported here, got ${url}`);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 1883,
    user: u.username ? decodeURIComponent(u.username) : null,
    pass: u.password ? decodeURIComponent(u.password) : null,
  };
}

const generate = (packet) => mqttPacket.generate(packet, { protocolVersion: 4 });

/**
 * One PUBLISH packet (MQTT 3.1.1) as a Buffer, and where its packet id and
 * payload sit, so callers can copy it into batches and patch those in place.
 */
export function encodePublish(topic, payload, qos = 0) {
  const buf = generate({ cmd: "publish", topic, payload, qos, messageId: qos > 0 ? 1 : undefined, retain: false, dup: false });
  let p = 1;
  while (buf[p] & 0x80) p++;
  const varStart = p + 1; // after the remaining-length bytes
  const topicLen = buf.readUInt16BE(varStart);
  const idOffset = qos > 0 ? varStart + 2 + topicLen : -1;
  const payloadOffset = varStart + 2 + topicLen + (qos > 0 ? 2 : 0);
  return { buf, idOffset, payloadOffset };
}

export const PUBACK_LEN = 4;

/** Write a PUBACK for `id` into `buf` at `off`; returns the new offset. */
export function writePuback(buf, off, id) {
  buf[off] = 0x40;
  buf[off + 1] = 2;
  buf[off + 2] = id >> 8;
  buf[off + 3] = id & 0xff;
  return off + PUBACK_LEN;
}

/**
 * One MQTT connection. Packets no awaited request claims go to the hooks:
 *   onPublish(buf, start, end, qos, packetId, payloadStart)   PUBLISH (start = first byte after the fixed header)
 *   onPuback(packetId)                                         PUBACK
 *   afterData()                                                end of one socket read
 *   onError(err)                                               connection lost
 */
export class MqttConnection {
  constructor(socket) {
    this.socket = socket;
    this.pending = null;
    this.waiter = null; // { type, resolve, reject, timer }
    this.closed = false;
    this.closing = false;
    this.error = null;
    this.onPublish = null;
    this.onPuback = null;
    this.afterData = null;
    this.onError = null;
    this.nextId = 1;
    socket.on("data", (chunk) => this._onData(chunk));
    socket.on("error", (err) => this._fail(err));
    socket.on("close", () => this._fail(new Error("connection closed by peer")));
  }

  /** Connect and wait for a successful CONNACK. */
  static async open(
    url,
    {
      clientId = `warren-bench-${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
      keepalive = 0,
      clean = true,
      timeoutMs = 10000,
      noDelay = true,
    } = {},
  ) {
    const s = parseMqttUrl(url);
    const socket = net.connect({ host: s.host, port: s.port });
    socket.setNoDelay(noDelay);
    const conn = new MqttConnection(socket);
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${s.host}:${s.port}: timeout`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
      socket.once("error", (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    const connect = { cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean, clientId, keepalive };
    if (s.user !== null) connect.username = s.user;
    if (s.pass !== null) connect.password = Buffer.from(s.pass);
    const ack = await conn._request(generate(connect), CONNACK, timeoutMs, "CONNACK");
    const rc = ack.buf[ack.start + 1];
    if (rc !== 0) {
      conn.destroy();
      throw new Error(`CONNACK return code ${rc} from ${s.host}:${s.port}`);
    }
    return conn;
  }

  _request(packet, type, timeoutMs, what) {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timeout waiting for ${what}`));
      }, timeoutMs);
      this.waiter = { type, resolve, reject, timer };
      this.socket.write(packet);
    });
  }

  /** SUBSCRIBE to one topic filter; resolves with the granted QoS. */
  async subscribe(topic, qos = 0, timeoutMs = 10000) {
    const messageId = this.nextId++;
    const r = await this._request(
      generate({ cmd: "subscribe", messageId, subscriptions: [{ topic, qos }] }),
      SUBACK,
      timeoutMs,
      `SUBACK for ${topic}`,
    );
    const granted = r.buf[r.start + 2];
    if (granted === 0x80) throw new Error(`subscription to ${topic} refused (SUBACK 0x80)`);
    return granted;
  }

  /** write(); false means wait for 'drain'. */
  send(buf) {
    if (this.closed) return false;
    return this.socket.write(buf);
  }

  /** DISCONNECT, then end the socket; resolves when it is closed (or after timeoutMs). */
  async close(timeoutMs = 2000) {
    if (this.closed) return;
    this.closing = true;
    try {
      this.socket.write(generate({ cmd: "disconnect" }));
    } catch {
      /* ignore */
    }
    this.socket.end();
    await new Promise((resolve) => {
      const t = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, timeoutMs);
      this.socket.once("close", () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.closed = true;
  }

  destroy() {
    this.closing = true;
    this.closed = true;
    this.socket.destroy();
    this._rejectWaiter(new Error("connection destroyed"));
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
    while (len - off >= 2) {
      // remaining length: 1–4 bytes, 7 bits each, little-endian groups
      let p = off + 1;
      let rl = 0;
      let mul = 1;
      let b;
      do {
        if (p >= len) {
          rl = -1;
          break;
        }
        b = buf[p++];
        rl += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80);
      if (rl < 0) break;
      const end = p + rl;
      if (end > len) break;
      const h = buf[off];
      const type = h >> 4;
      if (type === PUBLISH) {
        if (this.onPublish !== null) {
          const qos = (h >> 1) & 3;
          const topicLen = (buf[p] << 8) | buf[p + 1];
          let id = 0;
          let payloadStart = p + 2 + topicLen;
          if (qos > 0) {
            id = (buf[payloadStart] << 8) | buf[payloadStart + 1];
            payloadStart += 2;
          }
          this.onPublish(buf, p, end, qos, id, payloadStart);
        }
      } else if (type === PUBACK) {
        if (this.onPuback !== null) this.onPuback((buf[p] << 8) | buf[p + 1]);
      } else if (this.waiter !== null && this.waiter.type === type) {
        const w = this.waiter;
        this.waiter = null;
        clearTimeout(w.timer);
        w.resolve({ buf, start: p, end });
      }
      // anything else (PINGRESP, …) is ignored
      off = end;
    }
    if (off < len) this.pending = buf.subarray(off);
    if (this.afterData !== null) this.afterData();
  }

  _rejectWaiter(err) {
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.reject(err);
      this.waiter = null;
    }
  }

  _fail(err) {
    if (this.error) return;
    this.error = err;
    this.closed = true;
    this.socket.destroy();
    this._rejectWaiter(err);
    if (!this.closing && this.onError) this.onError(err);
  }
}

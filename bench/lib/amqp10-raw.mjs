// A deliberately tiny AMQP 1.0 client for benchmarking a broker (like amqp-raw.mjs for 0-9-1).
//
// rhea and Proton spend microseconds per message in the client, which on a 2-core machine
// competes with the broker being measured. Here:
//   - sending: the same pre-encoded transfer frames, many per write(), with only the delivery-id
//     and delivery-tag patched in place, within the link credit and the session window the
//     broker grants;
//   - receiving: frames scanned in place, transfers counted, their delivery-id read, accepted
//     dispositions (one range per run of consecutive ids) and credit top-ups written once per
//     socket read; no per-message allocation.
// Control frames (open, begin, attach, flow, detach, close) are encoded by a small generic
// encoder and decoded by a small generic decoder. Idle time-out is not asked for: benchmark runs
// are short.
//
// Wire format: AMQP 1.0 (OASIS), part 1 §1.6 (type encodings), part 2 §2.3 (frames), §2.7
// (performatives), part 3 §3.2 (message sections), part 5 §5.3 (SASL).

import net from "node:net";

// ------------------------------------------------------------------ URL

/** amqp10://user:pass@host:port[/vhost]: the vhost goes out as open's hostname `vhost:NAME`. */
export function parseAmqp10Url(url) {
  const u = new URL(url);
  if (u.protocol !== "amqp10:") throw new Error(`only amqp10:// URLs are supported, got ${url}`);
  const vhost = decodeURIComponent(u.pathname.replace(/^\//, ""));
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 5672,
    user: u.username ? decodeURIComponent(u.username) : "guest",
    pass: u.password ? decodeURIComponent(u.password) : "guest",
    vhost: vhost === "" ? null : vhost,
  };
}

// ------------------------------------------------------------------ encoding (control frames)

// Values for the encoder: plain JS values for the obvious types, tagged objects for the rest.
export const uint = (v) => ({ t: "uint", v });
export const ubyte = (v) => ({ t: "ubyte", v });
export const ushort = (v) => ({ t: "ushort", v });
export const sym = (v) => ({ t: "sym", v });
export const described = (code, fields) => ({ t: "described", code, fields });

function encodeValue(v, out) {
  if (v === null || v === undefined) return out.push(Buffer.from([0x40]));
  if (v === true) return out.push(Buffer.from([0x41]));
  if (v === false) return out.push(Buffer.from([0x42]));
  if (typeof v === "string") {
    const b = Buffer.from(v, "utf8");
    return out.push(b.length < 256 ? Buffer.from([0xa1, b.length]) : u32Head(0xb1, b.length), b);
  }
  if (Buffer.isBuffer(v)) return out.push(v.length < 256 ? Buffer.from([0xa0, v.length]) : u32Head(0xb0, v.length), v);
  switch (v.t) {
    case "uint": {
      const b = Buffer.alloc(5);
      b[0] = 0x70;
      b.writeUInt32BE(v.v >>> 0, 1);
      return out.push(b);
    }
    case "ubyte":
      return out.push(Buffer.from([0x50, v.v]));
    case "ushort": {
      const b = Buffer.alloc(3);
      b[0] = 0x60;
      b.writeUInt16BE(v.v, 1);
      return out.push(b);
    }
    case "sym": {
      const b = Buffer.from(v.v, "ascii");
      return out.push(b.length < 256 ? Buffer.from([0xa3, b.length]) : u32Head(0xb3, b.length), b);
    }
    case "described": {
      out.push(Buffer.from([0x00, 0x53, v.code]));
      return out.push(encodeList(v.fields));
    }
    default:
      throw new Error(`cannot encode ${JSON.stringify(v)}`);
  }
}

function u32Head(code, n) {
  const b = Buffer.alloc(5);
  b[0] = code;
  b.writeUInt32BE(n, 1);
  return b;
}

/** A list32 of the fields, trailing nulls dropped (they are the defaults). */
function encodeList(fields) {
  let n = fields.length;
  while (n > 0 && (fields[n - 1] === null || fields[n - 1] === undefined)) n--;
  const parts = [];
  for (let i = 0; i < n; i++) encodeValue(fields[i], parts);
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(9);
  head[0] = 0xd0;
  head.writeUInt32BE(body.length + 4, 1);
  head.writeUInt32BE(n, 5);
  return Buffer.concat([head, body]);
}

/** One frame: type 0 (AMQP) or 1 (SASL), a described performative, an optional payload. */
export function encodeFrame(type, channel, performative, payload = null) {
  const parts = [];
  encodeValue(performative, parts);
  if (payload) parts.push(payload);
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length + 8, 0);
  head[4] = 2;
  head[5] = type;
  head.writeUInt16BE(channel, 6);
  return Buffer.concat([head, body]);
}

// Performative and section descriptor codes (the low byte of 0x00000000:0x000000XX).
export const P = {
  open: 0x10,
  begin: 0x11,
  attach: 0x12,
  flow: 0x13,
  transfer: 0x14,
  disposition: 0x15,
  detach: 0x16,
  end: 0x17,
  close: 0x18,
};
const SASL = { mechanisms: 0x40, init: 0x41, outcome: 0x44 };
const SOURCE = 0x28;
const TARGET = 0x29;
const ACCEPTED = 0x24;
const DATA = 0x75;

// ------------------------------------------------------------------ decoding (control frames)

/** Decode the value at buf[off]; returns [value, nextOffset]. Described values come back as { code, value }. */
export function decodeValue(buf, off) {
  const c = buf[off++];
  switch (c) {
    case 0x00: {
      const [d, o1] = decodeValue(buf, off);
      const [v, o2] = decodeValue(buf, o1);
      return [{ code: typeof d === "bigint" ? Number(d) : d, value: v }, o2];
    }
    case 0x40:
      return [null, off];
    case 0x41:
      return [true, off];
    case 0x42:
      return [false, off];
    case 0x43:
    case 0x44:
      return [0, off];
    case 0x45:
      return [[], off];
    case 0x50:
    case 0x52:
    case 0x53:
      return [buf[off], off + 1];
    case 0x51:
    case 0x54:
    case 0x55:
      return [buf.readInt8(off), off + 1];
    case 0x56:
      return [buf[off] !== 0, off + 1];
    case 0x60:
      return [buf.readUInt16BE(off), off + 2];
    case 0x61:
      return [buf.readInt16BE(off), off + 2];
    case 0x70:
      return [buf.readUInt32BE(off), off + 4];
    case 0x71:
      return [buf.readInt32BE(off), off + 4];
    case 0x72:
      return [buf.readFloatBE(off), off + 4];
    case 0x73:
      return [buf.readUInt32BE(off), off + 4];
    case 0x80:
    case 0x83:
      return [Number(buf.readBigUInt64BE(off)), off + 8];
    case 0x81:
      return [Number(buf.readBigInt64BE(off)), off + 8];
    case 0x82:
      return [buf.readDoubleBE(off), off + 8];
    case 0x98:
      return [buf.subarray(off, off + 16), off + 16];
    case 0xa0:
    case 0xa1:
    case 0xa3: {
      const n = buf[off];
      const b = buf.subarray(off + 1, off + 1 + n);
      return [c === 0xa0 ? b : b.toString("utf8"), off + 1 + n];
    }
    case 0xb0:
    case 0xb1:
    case 0xb3: {
      const n = buf.readUInt32BE(off);
      const b = buf.subarray(off + 4, off + 4 + n);
      return [c === 0xb0 ? b : b.toString("utf8"), off + 4 + n];
    }
    case 0xc0:
    case 0xc1:
      return decodeCompound(buf, off + 2, buf[off + 1], c === 0xc1, off + 1 + buf[off]);
    case 0xd0:
    case 0xd1:
      return decodeCompound(buf, off + 8, buf.readUInt32BE(off + 4), c === 0xd1, off + 4 + buf.readUInt32BE(off));
    // arrays only appear in control frames the bench ignores (capabilities, locales): skipped
    case 0xe0:
      return [null, off + 1 + buf[off]];
    case 0xf0:
      return [null, off + 4 + buf.readUInt32BE(off)];
    default:
      throw new Error(`AMQP 1.0 type 0x${c.toString(16)} not understood by the bench client`);
  }
}

function decodeCompound(buf, off, count, isMap, end) {
  const items = [];
  for (let i = 0; i < count; i++) {
    const [v, o] = decodeValue(buf, off);
    items.push(v);
    off = o;
  }
  if (!isMap) return [items, end];
  const m = {};
  for (let i = 0; i + 1 < items.length; i += 2) m[String(items[i])] = items[i + 1];
  return [m, end];
}

// ------------------------------------------------------------------ transfers (hot path)

/**
 * One pre-encoded single-frame transfer on channel 0, handle 0, with a data section holding
 * `body`. Returns the bytes and the offsets of the delivery-id (a uint, 4 bytes) and the
 * delivery-tag (4 bytes) to patch per message, and of the body.
 */
export function encodeTransfer(body, settled) {
  const perf = Buffer.concat([
    Buffer.from([0x00, 0x53, P.transfer, 0xc0, 0, 5]),
    Buffer.from([0x43]), // handle 0
    Buffer.from([0x70, 0, 0, 0, 0]), // delivery-id, patched
    Buffer.from([0xa0, 4, 0, 0, 0, 0]), // delivery-tag, patched
    Buffer.from([0x43]), // message-format 0
    Buffer.from([settled ? 0x41 : 0x42]),
  ]);
  perf[4] = perf.length - 5; // list8 size: everything after the size byte
  const section =
    body.length < 256
      ? Buffer.from([0x00, 0x53, DATA, 0xa0, body.length])
      : Buffer.concat([Buffer.from([0x00, 0x53, DATA]), u32Head(0xb0, body.length)]);
  const frame = Buffer.concat([Buffer.alloc(8), perf, section, body]);
  frame.writeUInt32BE(frame.length, 0);
  frame[4] = 2;
  return { buf: frame, idAt: 8 + 8, tagAt: 8 + 14, bodyAt: 8 + perf.length + section.length };
}

/** Patch delivery-id and delivery-tag of the transfer at `off` (layout of encodeTransfer). */
export function patchTransfer(buf, off, t, id) {
  buf.writeUInt32BE(id >>> 0, off + t.idAt);
  buf.writeUInt32BE(id >>> 0, off + t.tagAt);
}

/** The delivery-id of a transfer whose performative list starts at `at` (its list constructor). */
function transferDeliveryId(buf, at) {
  let off = at + (buf[at] === 0xc0 ? 3 : buf[at] === 0xd0 ? 9 : 1);
  if (buf[at] === 0x45) return -1;
  // handle
  const h = buf[off];
  off += h === 0x43 ? 1 : h === 0x52 ? 2 : 5;
  const d = buf[off];
  if (d === 0x43) return 0;
  if (d === 0x52) return buf[off + 1];
  if (d === 0x70) return buf.readUInt32BE(off + 1);
  return -1; // null: a continuation frame of a multi-frame delivery
}

/** One disposition (role receiver, settled, accepted) for first..last, written at `off`; returns the end. */
export function writeAccept(out, off, first, last) {
  const start = off;
  off += 8;
  out[off++] = 0x00;
  out[off++] = 0x53;
  out[off++] = P.disposition;
  out[off++] = 0xc0;
  const sizeAt = off++;
  out[off++] = 5;
  out[off++] = 0x41; // role receiver
  out[off++] = 0x70;
  out.writeUInt32BE(first >>> 0, off);
  off += 4;
  out[off++] = 0x70;
  out.writeUInt32BE(last >>> 0, off);
  off += 4;
  out[off++] = 0x41; // settled
  out[off++] = 0x00;
  out[off++] = 0x53;
  out[off++] = ACCEPTED;
  out[off++] = 0x45;
  out[sizeAt] = off - sizeAt - 1;
  out.writeUInt32BE(off - start, start);
  out[start + 4] = 2;
  out[start + 5] = 0;
  out.writeUInt16BE(0, start + 6);
  return off;
}
export const ACCEPT_FRAME_LEN = 8 + 4 + 2 + 1 + 5 + 5 + 1 + 4;

// ------------------------------------------------------------------ connection

const MAX_WINDOW = 0x7fffffff;

/**
 * One connection, one session (channel 0), at most one link (handle 0): a sender or a receiver.
 * onTransfer(buf, deliveryId, bodyAt) is called for every transfer; afterData() once per read.
 */
export class Amqp10Connection {
  constructor(socket) {
    this.socket = socket;
    this.pending = null;
    this.error = null;
    this.closing = false;
    this.waiters = [];
    this.unclaimed = []; // control frames nobody waited for yet (a few, during set-up)
    this.onTransfer = null;
    this.afterData = null;
    this.onError = null;
    this.onCredit = null; // sender: called when credit or window grows
    this.onSettled = null; // sender: (first, last) of accepted dispositions
    this.sasl = true;
    // sender state
    this.deliveryCount = 0; // of the link, as the sender counts
    this.credit = 0;
    this.nextOutgoingId = 0;
    this.remoteIncomingWindow = 0;
    this.remoteNextIncomingId = 0;
    // receiver state
    this.received = 0;
    this.remoteNextOutgoingId = 0;
    socket.on("data", (chunk) => this._onData(chunk));
    socket.on("error", (err) => this._fail(err));
    socket.on("close", () => this._fail(new Error("connection closed by peer")));
  }

  static async open(url, { timeoutMs = 10000, containerId = `warren-bench-${process.pid}` } = {}) {
    const s = parseAmqp10Url(url);
    const socket = net.connect({ host: s.host, port: s.port });
    socket.setNoDelay(true);
    const conn = new Amqp10Connection(socket);
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
    socket.write(Buffer.from("AMQP\x03\x01\x00\x00", "latin1"));
    await conn._wait((f) => f.sasl && f.code === SASL.mechanisms, timeoutMs, "sasl-mechanisms");
    const response = Buffer.from(`\0${s.user}\0${s.pass}`, "utf8");
    socket.write(encodeFrame(1, 0, described(SASL.init, [sym("PLAIN"), response])));
    const outcome = await conn._wait((f) => f.sasl && f.code === SASL.outcome, timeoutMs, "sasl-outcome");
    if (outcome.fields[0] !== 0) throw new Error(`SASL authentication failed (code ${outcome.fields[0]})`);
    socket.write(Buffer.from("AMQP\x00\x01\x00\x00", "latin1"));
    const hostname = s.vhost === null ? s.host : `vhost:${s.vhost}`;
    socket.write(encodeFrame(0, 0, described(P.open, [containerId, hostname, uint(1 << 20), ushort(1)])));
    socket.write(encodeFrame(0, 0, described(P.begin, [null, uint(0), uint(MAX_WINDOW), uint(MAX_WINDOW)])));
    await conn._wait((f) => f.code === P.open, timeoutMs, "open");
    const begin = await conn._wait((f) => f.code === P.begin, timeoutMs, "begin");
    conn.remoteNextOutgoingId = begin.fields[1] ?? 0;
    conn.remoteIncomingWindow = begin.fields[2] ?? 0;
    conn.remoteNextIncomingId = 0;
    return conn;
  }

  /** Attach a sender (handle 0) to `address`; resolves once the broker has given credit. */
  async attachSender(address, { settled = true, timeoutMs = 10000 } = {}) {
    const target = described(TARGET, [address]);
    const source = described(SOURCE, [`warren-bench-${process.pid}`]);
    this.socket.write(
      encodeFrame(
        0,
        0,
        described(P.attach, [
          `sender-${process.pid}`,
          uint(0),
          false,
          ubyte(settled ? 1 : 0),
          ubyte(0),
          source,
          target,
          null,
          null,
          uint(0),
        ]),
      ),
    );
    await this._wait((f) => f.code === P.attach, timeoutMs, "attach");
    if (this.credit <= 0) await this._wait((f) => f.code === P.flow && this.credit > 0, timeoutMs, "credit");
  }

  /** Attach a receiver (handle 0) from `address` and grant `credit`. */
  async attachReceiver(address, { settled = true, credit = 1000, timeoutMs = 10000 } = {}) {
    const source = described(SOURCE, [address]);
    const target = described(TARGET, [`warren-bench-${process.pid}`]);
    this.socket.write(
      encodeFrame(0, 0, described(P.attach, [`receiver-${process.pid}`, uint(0), true, ubyte(settled ? 1 : 0), ubyte(0), source, target])),
    );
    const a = await this._wait((f) => f.code === P.attach, timeoutMs, "attach");
    if (a.fields[5] === null || a.fields[5] === undefined) throw new Error(`attach to ${address} refused`);
    this.creditLimit = credit;
    this.grantCredit();
  }

  /** Receiver: top the link credit up to the limit given at attach (one flow frame). */
  grantCredit() {
    this.socket.write(this.creditFrame());
  }

  creditFrame() {
    return encodeFrame(
      0,
      0,
      described(P.flow, [
        uint(this.remoteNextOutgoingId + this.received),
        uint(MAX_WINDOW),
        uint(0),
        uint(MAX_WINDOW),
        uint(0),
        uint(this.received),
        uint(this.creditLimit),
      ]),
    );
  }

  /** Sender: how many transfers credit and the session window allow now. */
  sendable() {
    const window = this.remoteNextIncomingId + this.remoteIncomingWindow - this.nextOutgoingId;
    return Math.max(0, Math.min(this.credit, window));
  }

  /** Sender: account for n transfers about to be written. */
  consume(n) {
    this.credit -= n;
    this.deliveryCount += n;
    this.nextOutgoingId += n;
  }

  send(buf) {
    return this.socket.write(buf);
  }

  _wait(match, timeoutMs, what) {
    if (this.error) return Promise.reject(this.error);
    // a frame that arrived before anyone waited for it (open and begin often share a read)
    const i = this.unclaimed.findIndex(match);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { match, resolve, reject, timer: null };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timeout waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  _onData(chunk) {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let off = 0;
    if (this.sasl === true && buf.length >= 8 && buf.toString("latin1", 0, 4) === "AMQP") {
      off = 8; // the SASL header echo
      this.sasl = "frames";
    }
    while (buf.length - off >= 8) {
      if (this.sasl === "done" && buf.toString("latin1", off, off + 4) === "AMQP") {
        off += 8; // the AMQP header echo after SASL, once
        this.sasl = "open";
        continue;
      }
      const size = buf.readUInt32BE(off);
      if (buf.length - off < size) break;
      if (size > 8) this._frame(buf, off, size);
      off += size;
    }
    this.pending = off < buf.length ? buf.subarray(off) : null;
    if (this.pending && this.pending.length > 1 << 20) this.pending = Buffer.from(this.pending);
    if (this.afterData) this.afterData();
  }

  _frame(buf, off, size) {
    const type = buf[off + 5];
    const at = off + buf[off + 4] * 4;
    const code = buf[at + 2];
    if (type === 0 && code === P.transfer && this.onTransfer) {
      const id = transferDeliveryId(buf, at + 3);
      if (id >= 0) this.received++;
      this.onTransfer(buf, id, at, off + size);
      return;
    }
    const [perf] = decodeValue(buf, at);
    const f = { sasl: type === 1, code, fields: perf.value ?? [] };
    if (f.sasl && code === SASL.outcome) this.sasl = "done";
    if (!f.sasl) this._control(f);
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      if (w.match(f)) {
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(f);
        return;
      }
    }
    if (f.code !== P.flow && f.code !== P.disposition) {
      this.unclaimed.push(f);
      if (this.unclaimed.length > 16) this.unclaimed.shift();
    }
  }

  _control(f) {
    if (f.code === P.flow) {
      const [nextIncomingId, incomingWindow, , , handle, deliveryCount, linkCredit] = f.fields;
      this.remoteNextIncomingId = nextIncomingId ?? 0;
      this.remoteIncomingWindow = incomingWindow ?? 0;
      if (handle !== null && handle !== undefined && linkCredit !== null && linkCredit !== undefined) {
        this.credit = (deliveryCount ?? 0) + linkCredit - this.deliveryCount;
      }
      if (this.onCredit) this.onCredit();
    } else if (f.code === P.disposition) {
      const [role, first, last] = f.fields;
      if (role === true && this.onSettled) this.onSettled(first, last ?? first);
    } else if (f.code === P.detach || f.code === P.close || f.code === P.end) {
      if (!this.closing) {
        const err = f.fields[f.code === P.detach ? 2 : 0];
        const why = err?.value ? `${err.value[0]}: ${err.value[1] ?? ""}` : "no error";
        this._fail(new Error(`broker sent ${Object.keys(P).find((k) => P[k] === f.code)} (${why})`));
      }
    }
  }

  _fail(err) {
    if (this.error) return;
    this.error = err;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    if (!this.closing && this.onError) this.onError(err);
  }

  /** close, wait for the broker's close (bounded), then end the socket. */
  async close(timeoutMs = 2000) {
    this.closing = true;
    if (this.error) return void this.socket.destroy();
    const closed = this._wait((f) => f.code === P.close, timeoutMs, "close").catch(() => {});
    this.socket.write(encodeFrame(0, 0, described(P.close, [])));
    await closed;
    this.socket.destroy();
  }
}

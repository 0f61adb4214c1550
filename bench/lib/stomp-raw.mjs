// A deliberately tiny STOMP 1.2 client for benchmarking a broker (the STOMP
// counterpart of amqp-raw.mjs).
//   - publishing: the same pre-encoded SEND frames (with content-length),
//     many per write();
//   - receiving: frames are scanned in place — the header block is split
//     into lines with Buffer#indexOf, only content-length and ack are looked
//     at, the body is skipped by content-length (or up to the NUL); MESSAGE
//     frames go to a hook with offsets, nothing is allocated per frame.
// Control frames (CONNECT, SUBSCRIBE with a receipt) are awaited; ERROR fails
// the connection. Heart-beats are negotiated off (0,0).
//
// Wire format: STOMP 1.2 (https://stomp.github.io/stomp-specification-1.2.html).

import net from "node:net";

const LF = 10;
const NUL = 0;
const LFLF = Buffer.from("\n\n");
const H_CONTENT_LENGTH = Buffer.from("content-length:");
const H_ACK = Buffer.from("ack:");
const H_MESSAGE = Buffer.from("MESSAGE\n");

/** Parse stomp://user:pass@host:port[/vhost] into connection settings (no credentials → the broker's default user). */
export function parseStompUrl(url) {
  const u = new URL(url);
  if (u.protocol !== "stomp:") throw new Error(`only stomp:// URLs are supported here, got ${url}`);
  let vhost = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (vhost === "") vhost = "/";
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 61613,
    user: u.username ? decodeURIComponent(u.username) : null,
    pass: u.password ? decodeURIComponent(u.password) : null,
    vhost,
  };
}

const esc = (v) => String(v).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/:/g, "\\c").replace(/\r/g, "\\r");

/** One frame as a Buffer; header values are escaped (STOMP 1.2 §Value Encoding). */
export function encodeFrame(command, headers = {}, body = null) {
  let head = command + "\n";
  for (const [k, v] of Object.entries(headers)) head += `${esc(k)}:${command === "CONNECT" ? v : esc(v)}\n`;
  if (body !== null) head += `content-length:${body.length}\n`;
  head += "\n";
  const h = Buffer.from(head, "utf8");
  const b = body === null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([h, b, Buffer.from([NUL])]);
}

/** One SEND frame and the offset of its body, for pre-encoded batches. */
export function encodeSend(destination, body) {
  const buf = encodeFrame("SEND", { destination }, body);
  return { buf, bodyOffset: buf.indexOf(LFLF) + 2 };
}

const ACK_PREFIX = Buffer.from("ACK\nid:");
const ACK_SUFFIX = Buffer.from("\n\n\0");
export const ACK_OVERHEAD = ACK_PREFIX.length + ACK_SUFFIX.length;

/** Write ACK id:<buf[s..e)> into out at off; returns the new offset (out must have room). */
export function writeAck(out, off, src, s, e) {
  ACK_PREFIX.copy(out, off);
  off += ACK_PREFIX.length;
  src.copy(out, off, s, e);
  off += e - s;
  ACK_SUFFIX.copy(out, off);
  return off + ACK_SUFFIX.length;
}

function startsWithAt(buf, at, prefix) {
  if (at + prefix.length > buf.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * One STOMP connection. Frames no awaited request claims go to the hooks:
 *   onMessage(buf, bodyStart, bodyEnd, ackStart, ackEnd)   MESSAGE (ack offsets -1 when there is no ack header)
 *   afterData()                                            end of one socket read
 *   onError(err)                                           connection lost / ERROR frame
 */
export class StompConnection {
  constructor(socket) {
    this.socket = socket;
    this.pending = null;
    this.waiter = null; // { command, resolve, reject, timer }
    this.closed = false;
    this.closing = false;
    this.error = null;
    this.onMessage = null;
    this.afterData = null;
    this.onError = null;
    this.nextReceipt = 1;
    socket.on("data", (chunk) => this._onData(chunk));
    socket.on("error", (err) => this._fail(err));
    socket.on("close", () => this._fail(new Error("connection closed by peer")));
  }

  static async open(url, { timeoutMs = 10000, noDelay = true } = {}) {
    const s = parseStompUrl(url);
    const socket = net.connect({ host: s.host, port: s.port });
    socket.setNoDelay(noDelay);
    const conn = new StompConnection(socket);
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
    const headers = { "accept-version": "1.2", host: s.vhost, "heart-beat": "0,0" };
    if (s.user !== null) {
      headers.login = s.user;
      headers.passcode = s.pass ?? "";
    }
    await conn._request(encodeFrame("CONNECT", headers), "CONNECTED", timeoutMs);
    return conn;
  }

  _request(frame, command, timeoutMs) {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timeout waiting for ${command}`));
      }, timeoutMs);
      this.waiter = { command, resolve, reject, timer };
      this.socket.write(frame);
    });
  }

  /** SUBSCRIBE with a receipt; ack = auto | client | client-individual. */
  async subscribe(destination, { id = "0", ack = "auto", prefetch = null, timeoutMs = 10000 } = {}) {
    const headers = { id, destination, ack };
    if (prefetch) headers["prefetch-count"] = String(prefetch);
    headers.receipt = `sub-${this.nextReceipt++}`;
    await this._request(encodeFrame("SUBSCRIBE", headers), "RECEIPT", timeoutMs);
  }

  send(buf) {
    if (this.closed) return false;
    return this.socket.write(buf);
  }

  /** DISCONNECT with a receipt (bounded wait), then close the socket. */
  async close(timeoutMs = 2000) {
    if (this.closed) return;
    this.closing = true;
    try {
      await this._request(encodeFrame("DISCONNECT", { receipt: "bye" }), "RECEIPT", timeoutMs);
    } catch {
      /* closing anyway */
    }
    this.socket.end();
    await new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
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
    while (off < len) {
      // heart-beats / EOLs between frames
      if (buf[off] === LF || buf[off] === 13) {
        off++;
        continue;
      }
      const hdrEnd = buf.indexOf(LFLF, off);
      if (hdrEnd < 0) break;
      const cmdEnd = buf.indexOf(LF, off);
      let contentLength = -1;
      let ackStart = -1;
      let ackEnd = -1;
      let p = cmdEnd + 1;
      while (p < hdrEnd + 1) {
        let e = buf.indexOf(LF, p);
        const c = buf[p];
        if (c === 0x63 /* c */ && contentLength < 0 && startsWithAt(buf, p, H_CONTENT_LENGTH)) {
          let n = 0;
          for (let i = p + H_CONTENT_LENGTH.length; i < e; i++) n = n * 10 + (buf[i] - 48);
          contentLength = n;
        } else if (c === 0x61 /* a */ && ackStart < 0 && startsWithAt(buf, p, H_ACK)) {
          ackStart = p + H_ACK.length;
          ackEnd = buf[e - 1] === 13 ? e - 1 : e;
        }
        p = e + 1;
      }
      const bodyStart = hdrEnd + 2;
      let bodyEnd;
      if (contentLength >= 0) {
        bodyEnd = bodyStart + contentLength;
        if (bodyEnd >= len) break;
        if (buf[bodyEnd] !== NUL) {
          this._fail(new Error(`no NUL after a ${contentLength}-byte body`));
          return;
        }
      } else {
        bodyEnd = buf.indexOf(NUL, bodyStart);
        if (bodyEnd < 0) break;
      }
      if (startsWithAt(buf, off, H_MESSAGE)) {
        if (this.onMessage !== null) this.onMessage(buf, bodyStart, bodyEnd, ackStart, ackEnd);
      } else {
        const command = buf.toString("latin1", off, cmdEnd).replace(/\r$/, "");
        if (command === "ERROR") {
          const text = buf.toString("utf8", off, Math.min(bodyEnd, off + 600)).replace(/\n/g, " | ");
          this._fail(new Error(`STOMP ERROR frame: ${text}`));
          return;
        }
        if (this.waiter !== null && this.waiter.command === command) {
          const w = this.waiter;
          this.waiter = null;
          clearTimeout(w.timer);
          w.resolve(buf.toString("utf8", off, hdrEnd));
        }
      }
      off = bodyEnd + 1;
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

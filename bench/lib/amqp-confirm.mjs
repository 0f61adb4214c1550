// A publisher in confirm mode on top of amqp-raw.mjs's AmqpConnection, cheap enough per message
// that on a 2-core machine the client does not take the CPU the brokers being measured need
// (amqplib spends several microseconds and a closure per confirmed message).
//   - publish(n): writes n copies of one pre-encoded persistent publish in one write;
//   - basic.ack / basic.nack (multiple or not) settle delivery tags, in any order; onSettle(tag, ok)
//     is called once per tag.
import { AmqpConnection } from "./amqp-raw.mjs";

const FRAME_END = 0xce;

/** basic.publish + a content header with delivery-mode 2 + the body (one frame), encoded once. */
export function encodePersistentPublish(channel, exchange, routingKey, body) {
  const ex = Buffer.from(exchange);
  const rk = Buffer.from(routingKey);
  const argsLen = 2 + 1 + ex.length + 1 + rk.length + 1;
  const method = Buffer.alloc(7 + 4 + argsLen + 1);
  method[0] = 1;
  method.writeUInt16BE(channel, 1);
  method.writeUInt32BE(4 + argsLen, 3);
  method.writeUInt16BE(60, 7);
  method.writeUInt16BE(40, 9);
  let o = 11 + 2;
  method[o++] = ex.length;
  ex.copy(method, o);
  o += ex.length;
  method[o++] = rk.length;
  rk.copy(method, o);
  o += rk.length;
  method[o++] = 0; // mandatory, immediate
  method[o] = FRAME_END;
  const header = Buffer.alloc(7 + 15 + 1);
  header[0] = 2;
  header.writeUInt16BE(channel, 1);
  header.writeUInt32BE(15, 3);
  header.writeUInt16BE(60, 7);
  header.writeBigUInt64BE(BigInt(body.length), 11);
  header.writeUInt16BE(0x1000, 19); // delivery-mode present
  header[21] = 2; // persistent
  header[22] = FRAME_END;
  const frame = Buffer.alloc(7 + body.length + 1);
  frame[0] = 3;
  frame.writeUInt16BE(channel, 1);
  frame.writeUInt32BE(body.length, 3);
  body.copy(frame, 7);
  frame[7 + body.length] = FRAME_END;
  return Buffer.concat([method, header, frame]);
}

export class ConfirmPublisher {
  /** Opens a connection, channel 1 in confirm mode, publishing `body` to `queue` (default exchange). */
  static async open(url, queue, body) {
    const conn = await AmqpConnection.open(url);
    await conn.rpc(1, 85, 10, Buffer.from([0]), 11);
    return new ConfirmPublisher(conn, encodePersistentPublish(1, "", queue, body));
  }

  constructor(conn, frame) {
    this.conn = conn;
    this.frame = frame;
    this.published = 0;
    this.acked = 0;
    this.nacked = 0;
    /** The lowest tag not settled yet; tags above it settled out of order. */
    this.lowest = 1;
    this.early = new Set();
    this.onSettle = null;
    this.onProgress = null;
    const method = conn._method.bind(conn);
    conn._method = (ch, classId, methodId, buf, start, end) => {
      if (classId === 60 && (methodId === 80 || methodId === 120)) {
        const tag = Number(buf.readBigUInt64BE(start + 4));
        const multiple = (buf[start + 12] & 1) === 1;
        this.settle(tag, multiple, methodId === 80);
        if (this.onProgress !== null) this.onProgress();
      } else method(ch, classId, methodId, buf, start, end);
    };
  }

  settle(tag, multiple, ok) {
    const one = (t) => {
      if (ok) this.acked++;
      else this.nacked++;
      if (this.onSettle !== null) this.onSettle(t, ok);
    };
    if (multiple) {
      for (let t = this.lowest; t <= tag; t++) if (!this.early.delete(t)) one(t);
      if (tag >= this.lowest) this.lowest = tag + 1;
    } else if (tag === this.lowest) {
      one(tag);
      this.lowest++;
      while (this.early.delete(this.lowest)) this.lowest++;
    } else if (tag > this.lowest) {
      this.early.add(tag);
      one(tag);
    }
  }

  get unconfirmed() {
    return this.published - this.acked - this.nacked;
  }

  /** Publishes n messages in one write; false when the socket wants a drain. */
  publish(n) {
    this.published += n;
    if (n === 1) return this.conn.send(this.frame);
    const b = Buffer.allocUnsafe(this.frame.length * n);
    for (let i = 0; i < n; i++) this.frame.copy(b, i * this.frame.length);
    return this.conn.send(b);
  }

  close() {
    return this.conn.close();
  }
}

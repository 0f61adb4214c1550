// A raw AMQP 1.0 peer for wire tests: frames written with the codec under test, frames read back
// decoded, the socket's end observed.
import { connect, type Socket } from "node:net";
import { Cursor, Writer } from "../../protocols/amqp10/codec/primitives.js";
import { decodePerformative, type Performative } from "../../protocols/amqp10/codec/types.generated.js";

export const AMQP10_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);

export class RawPeer {
  private data = Buffer.alloc(0);
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on("data", (d) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static async open(port: number): Promise<RawPeer> {
    const s = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => s.once("connect", () => resolve()));
    return new RawPeer(s);
  }

  /** Header (no SASL: the default user) and open; resolves with the broker's open. */
  static async opened(port: number, open: (w: Writer) => void): Promise<RawPeer> {
    const p = await RawPeer.open(port);
    p.socket.write(AMQP10_HEADER);
    expectHeader(await p.bytes(8));
    p.frame(0, open);
    const reply = await p.next();
    if (reply?.kind !== "open") throw new Error(`expected open, got ${reply?.kind}`);
    return p;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async bytes(n: number): Promise<Buffer> {
    await this.waitFor(() => this.data.length >= n || this.closed);
    const b = this.data.subarray(0, n);
    this.data = this.data.subarray(n);
    return b;
  }

  /** The next non-empty frame's performative (heartbeats skipped), or null if the socket closed. */
  async next(timeoutMs = 5000): Promise<Performative | null> {
    for (;;) {
      await this.waitFor(() => this.closed || (this.data.length >= 4 && this.data.length >= this.data.readUInt32BE(0)), timeoutMs);
      if (this.data.length < 4 || this.data.length < this.data.readUInt32BE(0)) return null;
      const size = this.data.readUInt32BE(0);
      const doff = this.data[4]!;
      const frame = this.data.subarray(0, size);
      this.data = this.data.subarray(size);
      if (size === doff * 4) continue;
      return decodePerformative(new Cursor(frame, doff * 4, size));
    }
  }

  /** Heartbeats (empty frames) received until `timeoutMs` passes with the socket open. */
  async countHeartbeats(timeoutMs: number): Promise<number> {
    let n = 0;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.closed) {
      await this.waitFor(() => this.data.length >= 8 || this.closed, deadline - Date.now()).catch(() => undefined);
      while (this.data.length >= 8 && this.data.readUInt32BE(0) === 8) {
        n++;
        this.data = this.data.subarray(8);
      }
    }
    return n;
  }

  /** Writes one AMQP frame on `channel`: the performative `write` encodes, then `payload`. */
  frame(channel: number, write: (w: Writer) => void, payload?: Buffer): void {
    this.socket.write(frameBytes(channel, write, payload));
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  async untilClosed(timeoutMs = 5000): Promise<void> {
    await this.waitFor(() => this.closed, timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function frameBytes(channel: number, write: (w: Writer) => void, payload?: Buffer): Buffer {
  const w = new Writer();
  w.u32(0);
  w.byte(2);
  w.byte(0);
  w.byte(channel >> 8);
  w.byte(channel & 0xff);
  write(w);
  if (payload !== undefined) w.bytes(payload);
  const b = w.take();
  b.writeUInt32BE(b.length, 0);
  return b;
}

export function expectHeader(h: Buffer): void {
  if (!h.equals(AMQP10_HEADER)) throw new Error(`expected the AMQP 1.0 header, got ${h.toString("hex")}`);
}

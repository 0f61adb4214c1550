import { connect, type Socket } from "node:net";
import { FrameError, FrameParser, type StompFrame, type StompVersion } from "../../protocols/stomp/frame-parser.js";
import { encodeFrame } from "../../protocols/stomp/frame-encoder.js";

/** A raw STOMP client for send/expect tests: frames out as given, frames in as parsed, bounded waits. */
export class RawStomp {
  private readonly parser = new FrameParser();
  private readonly frames: StompFrame[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  bytesIn = 0;
  private eolCount = 0;

  private constructor(readonly socket: Socket) {
    this.parser.version = "1.2";
    socket.on("data", (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      for (const b of chunk) if (b === 0x0a) this.eolCount++;
      this.parser.push(chunk);
      for (let f = this.parser.next(); f !== null && !(f instanceof FrameError); f = this.parser.next()) this.frames.push(f);
      this.wake();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawStomp> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new RawStomp(s)));
      s.once("error", reject);
    });
  }

  /** Opens and sends CONNECT, resolving with CONNECTED. */
  static async connected(
    port: number,
    headers: Record<string, string> = {},
    host?: string,
  ): Promise<{ c: RawStomp; connected: StompFrame }> {
    const c = await RawStomp.open(port, host);
    c.send("CONNECT", { "accept-version": "1.2", host: "/", login: "guest", passcode: "guest", ...headers });
    const connected = await c.next();
    return { c, connected };
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      const check = () => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  send(command: string, headers: Record<string, string> = {}, body: string | Buffer | null = null, version: StompVersion = "1.2"): void {
    this.socket.write(encodeFrame(command, Object.entries(headers), body === null ? null : Buffer.from(body), version));
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  async next(ms?: number): Promise<StompFrame> {
    await this.until(() => this.frames.length > 0 || this.closed, "a frame", ms);
    const f = this.frames.shift();
    if (!f) throw new Error("connection closed before a frame arrived");
    return f;
  }

  /** The first frame `pick` accepts, leaving the frames before and after it queued in order. */
  async take(pick: (f: StompFrame) => boolean, what = "a matching frame", ms?: number): Promise<StompFrame> {
    let at = -1;
    await this.until(() => (at = this.frames.findIndex(pick)) >= 0 || this.closed, what, ms);
    if (at < 0) throw new Error(`connection closed before ${what} arrived`);
    return this.frames.splice(at, 1)[0]!;
  }

  /** Waits until the server has closed the connection. */
  waitClosed(ms?: number): Promise<void> {
    return this.until(() => this.closed, "the server to close", ms);
  }

  /** Waits for at least n bare EOLs (heart-beats) beyond what frames carried. */
  waitBytes(n: number, ms?: number): Promise<void> {
    const start = this.eolCount;
    return this.until(() => this.eolCount - start >= n, `${n} heart-beats`, ms);
  }

  close(): void {
    this.socket.destroy();
  }
}

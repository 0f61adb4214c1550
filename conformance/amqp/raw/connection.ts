// A raw AMQP 0-9-1 socket for scenarios a client library cannot express. It does the handshake
// when asked and otherwise sends exactly the bytes a scenario gives it.

import { connect, type Socket } from "node:net";
import {
  asMethod,
  FRAME_END,
  FrameType,
  isMethod,
  M,
  methodFrame,
  PROTOCOL_HEADER,
  readClose,
  readContentHeader,
  Reader,
  Writer,
  type CloseReason,
  type RawProperties,
  type Frame,
  type TypedTable,
} from "./codec.js";

export interface Target {
  host: string;
  port: number;
  user: string;
  pass: string;
  vhost: string;
}

/** host, port, credentials and vhost from an amqp:// URL (RabbitMQ's URI spec: empty path = "/"). */
export function parseAmqpUrl(url: string): Target {
  const u = new URL(url);
  const path = u.pathname.replace(/^\//, "");
  return {
    host: u.hostname,
    port: Number(u.port || 5672),
    user: decodeURIComponent(u.username || "guest"),
    pass: decodeURIComponent(u.password || "guest"),
    vhost: path === "" ? "/" : decodeURIComponent(path),
  };
}

export interface HandshakeOptions {
  user?: string;
  pass?: string;
  vhost?: string;
  /** What the client answers in tune-ok; defaults to the server's proposal, heartbeat 0. */
  channelMax?: number;
  frameMax?: number;
  heartbeat?: number;
  capabilities?: TypedTable;
  /** More client properties for start-ok (to make it as large as a test needs). */
  clientProperties?: TypedTable;
  /** SASL mechanism for start-ok; PLAIN by default. */
  mechanism?: "PLAIN" | "AMQPLAIN";
  /** Stop after tune-ok (no connection.open). */
  skipOpen?: boolean;
}

export interface StartInfo {
  versionMajor: number;
  versionMinor: number;
  serverProperties: TypedTable;
  mechanisms: string;
  locales: string;
}

export interface TuneInfo {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

const DEFAULT_WAIT_MS = 5_000;

export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private endedFlag = false;
  /** connection.open-ok seen and no connection.close exchanged since: close() says goodbye. */
  private open = false;
  /** Resolves when the server closes the TCP connection (or it errors). */
  readonly ended: Promise<void>;

  private constructor(
    readonly socket: Socket,
    readonly target: Target,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    this.ended = new Promise((resolve) => {
      const done = () => {
        this.endedFlag = true;
        this.wake();
        resolve();
      };
      socket.once("close", done);
      socket.on("error", () => undefined);
    });
  }

  /** Opens a TCP connection to the broker in `url`; sends nothing yet. */
  static open(url: string): Promise<RawConnection> {
    const target = parseAmqpUrl(url);
    return new Promise((resolve, reject) => {
      const s = connect(target.port, target.host);
      s.setNoDelay(true);
      s.once("connect", () => resolve(new RawConnection(s, target)));
      s.once("error", reject);
    });
  }

  /** Opens, sends the header and completes the handshake. */
  static async connect(url: string, opts: HandshakeOptions = {}): Promise<RawConnection> {
    const c = await RawConnection.open(url);
    await c.handshake(opts);
    return c;
  }

  get isEnded(): boolean {
    return this.endedFlag;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitForData(deadline: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const left = deadline - Date.now();
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), Math.max(0, left));
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  sendMethod(channel: number, [classId, methodId]: readonly [number, number], args?: Buffer): void {
    this.write(methodFrame(channel, classId, methodId, args));
  }

  /** Everything the server sent until it closed the socket. */
  async bytesUntilClose(timeoutMs = DEFAULT_WAIT_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.endedFlag) await this.waitForData(deadline, "the server to close the socket");
    return this.buffer;
  }

  /** The next frame from the server (heartbeats included); rejects if the socket closes first. */
  async nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffer.length >= 7) {
        const size = this.buffer.readUInt32BE(3);
        if (this.buffer.length >= 8 + size) {
          if (this.buffer[7 + size] !== FRAME_END) throw new Error("server sent a frame with a bad frame-end");
          const f: Frame = {
            type: this.buffer[0]!,
            channel: this.buffer.readUInt16BE(1),
            payload: Buffer.from(this.buffer.subarray(7, 7 + size)),
          };
          this.buffer = this.buffer.subarray(8 + size);
          return f;
        }
      }
      if (this.endedFlag) throw new Error("socket closed before a complete frame arrived");
      await this.waitForData(deadline, "a frame");
    }
  }

  /** The next non-heartbeat frame. */
  async nextNonHeartbeat(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    for (;;) {
      const f = await this.nextFrame(timeoutMs);
      if (f.type !== FrameType.HEARTBEAT) return f;
    }
  }

  /**
   * The next method frame, which must be `method`. A connection.close instead is answered with
   * close-ok and thrown as a ServerClosedError carrying its reason.
   */
  async expectMethod(method: readonly [number, number], timeoutMs = DEFAULT_WAIT_MS): Promise<Reader> {
    const f = await this.nextNonHeartbeat(timeoutMs);
    if (isMethod(f, method)) return asMethod(f)!.args;
    if (isMethod(f, M.connectionClose)) {
      this.open = false;
      this.sendMethod(0, M.connectionCloseOk);
      throw new ServerClosedError(readClose(f));
    }
    throw new Error(`expected method ${method.join(".")}, got ${describe(f)}`);
  }

  /** Waits for connection.close from the server, answers close-ok, returns its reason. */
  async expectConnectionClose(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseReason> {
    for (;;) {
      const f = await this.nextNonHeartbeat(timeoutMs);
      if (isMethod(f, M.connectionClose)) {
        this.open = false;
        this.sendMethod(0, M.connectionCloseOk);
        return readClose(f);
      }
      // Anything else (e.g. a channel.close-ok racing the error) is skipped.
    }
  }

  /** Waits for channel.close on `channel`, answers close-ok, returns its reason. */
  async expectChannelClose(channel: number, timeoutMs = DEFAULT_WAIT_MS): Promise<CloseReason> {
    for (;;) {
      const f = await this.nextNonHeartbeat(timeoutMs);
      if (isMethod(f, M.channelClose) && f.channel === channel) {
        this.sendMethod(channel, M.channelCloseOk);
        return readClose(f);
      }
      if (isMethod(f, M.connectionClose)) {
        throw new Error(`expected channel.close, got connection.close ${JSON.stringify(readClose(f))}`);
      }
    }
  }

  /** Sends the protocol header and runs start/start-ok/tune/tune-ok/open. */
  async handshake(opts: HandshakeOptions = {}): Promise<{ start: StartInfo; tune: TuneInfo }> {
    this.write(PROTOCOL_HEADER);
    const s = await this.expectMethod(M.connectionStart);
    const start: StartInfo = {
      versionMajor: s.octet(),
      versionMinor: s.octet(),
      serverProperties: s.table(),
      mechanisms: s.longstr(),
      locales: s.longstr(),
    };
    const user = opts.user ?? this.target.user;
    const pass = opts.pass ?? this.target.pass;
    const startOk = new Writer()
      .table({
        product: { type: "S", value: "warren-conformance-raw" },
        capabilities: {
          type: "F",
          value: opts.capabilities ?? {
            authentication_failure_close: { type: "t", value: true },
            consumer_cancel_notify: { type: "t", value: true },
          },
        },
        ...opts.clientProperties,
      })
      .shortstr(opts.mechanism ?? "PLAIN")
      .longstr(
        opts.mechanism === "AMQPLAIN"
          ? // AMQPLAIN's response is a field table without its length prefix.
            new Writer().shortstr("LOGIN").value({ type: "S", value: user }).shortstr("PASSWORD").value({ type: "S", value: pass }).done()
          : `\u0000${user}\u0000${pass}`,
      )
      .shortstr("en_US")
      .done();
    this.sendMethod(0, M.connectionStartOk, startOk);
    const t = await this.expectMethod(M.connectionTune);
    const tune: TuneInfo = { channelMax: t.short(), frameMax: t.long(), heartbeat: t.short() };
    this.sendMethod(
      0,
      M.connectionTuneOk,
      new Writer()
        .short(opts.channelMax ?? tune.channelMax)
        .long(opts.frameMax ?? tune.frameMax)
        .short(opts.heartbeat ?? 0)
        .done(),
    );
    if (!opts.skipOpen) {
      this.sendMethod(
        0,
        M.connectionOpen,
        new Writer()
          .shortstr(opts.vhost ?? this.target.vhost)
          .shortstr("")
          .bits(false)
          .done(),
      );
      await this.expectMethod(M.connectionOpenOk);
      this.open = true;
    }
    return { start, tune };
  }

  async openChannel(channel: number): Promise<void> {
    this.sendMethod(channel, M.channelOpen, new Writer().shortstr("").done());
    const f = await this.nextNonHeartbeat();
    if (!isMethod(f, M.channelOpenOk) || f.channel !== channel) {
      throw new Error(`expected channel.open-ok on ${channel}, got ${describe(f)}`);
    }
  }

  /**
   * Closes politely if the connection is open (waits for close-ok, bounded), then destroys the
   * socket. Connections mid-handshake or already closed by the server are just destroyed.
   */
  async close(): Promise<void> {
    if (!this.endedFlag && this.open) {
      this.open = false;
      try {
        this.sendMethod(0, M.connectionClose, new Writer().short(200).shortstr("bye").short(0).short(0).done());
        for (;;) {
          const f = await this.nextFrame(2_000);
          if (isMethod(f, M.connectionCloseOk)) break;
        }
      } catch {
        // already gone, or the server never answered: destroying is all that is left
      }
    }
    this.socket.destroy();
  }
}

/** The server closed the connection with connection.close instead of answering. */
export class ServerClosedError extends Error {
  constructor(readonly reason: CloseReason) {
    super(`connection closed by server: ${reason.replyCode} ${reason.replyText}`);
  }
}

export function describe(f: Frame): string {
  const m = asMethod(f);
  if (!m) return `frame type ${f.type} on channel ${f.channel}`;
  if (m.classId === 10 && m.methodId === 50) return `connection.close ${JSON.stringify(readClose(f))}`;
  if (m.classId === 20 && m.methodId === 40) return `channel.close ${JSON.stringify(readClose(f))}`;
  return `method ${m.classId}.${m.methodId} on channel ${f.channel}`;
}

/** One message as the raw socket saw it: delivery fields, properties with typed headers, body. */
export interface RawDelivery {
  consumerTag: string;
  deliveryTag: bigint;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  properties: RawProperties;
  body: Buffer;
}

/** Consumes `queue` (no-ack) on `channel` and returns the first delivery, frames decoded by hand. */
export async function consumeOneRaw(raw: RawConnection, channel: number, queue: string, timeoutMs = 10_000): Promise<RawDelivery> {
  raw.sendMethod(
    channel,
    M.basicConsume,
    new Writer().short(0).shortstr(queue).shortstr("").bits(false, true, false, false).table({}).done(),
  );
  await raw.expectMethod(M.basicConsumeOk);
  const deliver = await raw.expectMethod(M.basicDeliver, timeoutMs);
  const consumerTag = deliver.shortstr();
  const deliveryTag = deliver.longlong();
  const [redelivered] = deliver.bits(1);
  const exchange = deliver.shortstr();
  const routingKey = deliver.shortstr();
  const header = await raw.nextNonHeartbeat();
  if (header.type !== FrameType.HEADER) throw new Error(`expected a content header, got ${describe(header)}`);
  const { bodySize, properties } = readContentHeader(header.payload);
  const parts: Buffer[] = [];
  let got = 0;
  while (got < Number(bodySize)) {
    const f = await raw.nextNonHeartbeat();
    if (f.type !== FrameType.BODY) throw new Error(`expected a body frame, got ${describe(f)}`);
    parts.push(f.payload);
    got += f.payload.length;
  }
  return { consumerTag, deliveryTag, redelivered: redelivered!, exchange, routingKey, properties, body: Buffer.concat(parts) };
}

import { randomBytes } from "node:crypto";
import {
  type AccessControl,
  type Broker,
  type BrokerError,
  LoginRefused,
  type ClientRef,
  type ConnectionDetails,
  type ConnectionSource,
  type User,
  MAX_TIMER_MS,
  type VirtualHost,
} from "../../src/core/index.js";
import { replyTextBytes } from "../../src/core/index.js";
import type { Socket } from "node:net";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { heartbeats } from "../../src/transport/heartbeats.js";
import type { Logger } from "../../src/server/logger.js";
import { isLoopback } from "../../src/transport/listen.js";
import { encodeFrame, type HeaderList } from "./frame-encoder.js";
import { readConnect, VERSIONS_HEADER } from "./connect-request.js";
import { FrameError, FrameParser, type ParserLimits, type StompFrame, type StompVersion } from "./frame-parser.js";
import { MAX_FRAME_UNAUTHENTICATED } from "./limits.js";
import { Session } from "./session.js";
import type { SessionContext } from "./session-context.js";
import type { StompTransport } from "./transport.js";

export interface StompConnectionOptions {
  limits: ParserLimits;
  /** Credentials used when CONNECT carries no `login` (RabbitMQ's stomp.default_user / default_pass). */
  defaultUser: string;
  defaultPass: string;
  /** Vhost when CONNECT has no `host` header. */
  defaultVhost: string;
  /** ms from accept to CONNECTED before the socket is closed (RabbitMQ's stomp.login_timeout); 0: none. */
  loginTimeout: number;
}

/** The listener's login deadlines and the TCP socket they track for this connection. */
export interface LoginDeadline {
  readonly deadlines: HandshakeDeadlines;
  readonly socket: Socket;
}

const SERVER = "Warren/0.1.0";

const EOL = Buffer.from("\n");

export { MAX_FRAME_UNAUTHENTICATED };

/**
 * One STOMP connection over any transport: CONNECT/STOMP and version negotiation, login, heart-beats
 * both ways, and fatal errors. Frames after CONNECT go to the Session.
 */
export class StompConnection implements SessionContext, ConnectionSource {
  private readonly parser: FrameParser;
  private state: "connecting" | "connected" | "closed" = "connecting";
  private session: Session | null = null;
  version: StompVersion = "1.0";
  vhost!: VirtualHost;
  user!: User;
  access!: AccessControl;
  readonly client: ClientRef;
  readonly sessionId = `session-${randomBytes(16).toString("base64url").slice(0, 22)}`;
  clientId: string | undefined;
  readonly log: Logger;
  lastRead = Date.now();
  private sendEvery = 0;
  private expectEvery = 0;
  private tornDown = false;
  /** While a resource alarm stops reading: ends the alarm subscription. */
  private unblock: (() => void) | null = null;
  readonly connectedAt = Date.now();
  /** RabbitMQ 3.10 runs a STOMP connection over one internal channel. */
  readonly implicitChannel = true;

  constructor(
    readonly transport: StompTransport,
    private readonly broker: Broker,
    private readonly options: StompConnectionOptions,
    log: Logger,
    private readonly onClosed: (c: StompConnection) => void,
    private readonly login: LoginDeadline | null = null,
  ) {
    this.client = broker.newClient();
    this.log = log.child({ conn: this.client.id, protocol: "stomp", peer: `${transport.remoteAddress}:${transport.remotePort}` });
    this.parser = new FrameParser(options.limits);
    transport.start({
      data: (chunk) => this.onData(chunk),
      close: () => this.teardown(),
      drain: () => this.session?.resume(),
    });
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.state === "closed") return;
    try {
      this.parser.push(chunk);
      let sent = false;
      for (;;) {
        const f = this.parser.next();
        if (f === null) break;
        if (f instanceof FrameError) {
          this.error(f.message, f.detail, true);
          return;
        }
        if (f.command === "SEND") sent = true;
        this.onFrame(f);
        if ((this.state as string) === "closed") return;
      }
      if (sent && this.broker.alarms.blocked) this.block();
      if (this.parser.owedNulSkipped) {
        this.parser.owedNulSkipped = false;
        // EOLs between frames are heart-beats from 1.1 on; 1.0 has no such thing
        if (this.parser.version !== "1.0") this.transport.acknowledgeRead();
      }
      if (this.state === "connecting" && this.parser.buffered > MAX_FRAME_UNAUTHENTICATED) {
        this.log.info({ buffered: this.parser.buffered }, "frame before CONNECT larger than the unauthenticated limit; closing");
        this.error("Invalid frame", `Could not parse frame: frame larger than ${MAX_FRAME_UNAUTHENTICATED} bytes before login`, true);
      }
    } catch (err) {
      this.log.error({ err }, "internal error handling a STOMP frame");
      this.error("Processing error", "Processing error", true);
    }
  }

  /**
   * A SEND under a resource alarm: as RabbitMQ's STOMP reader, the frames already read are
   * handled (that SEND included) and the socket is not read again until the alarm clears, so
   * later SENDs get no RECEIPT. Heart-beats from the client are not expected meanwhile.
   */
  private block(): void {
    if (this.unblock !== null || this.state !== "connected") return;
    this.transport.pause();
    this.unblock = this.broker.alarms.subscribe((blocked) => {
      if (blocked) return;
      this.unblock?.();
      this.unblock = null;
      this.lastRead = Date.now();
      if (this.state !== "closed") this.transport.resume();
    });
  }

  private onFrame(f: StompFrame): void {
    if (this.state === "connecting") {
      if (f.command === "CONNECT" || f.command === "STOMP") return this.connect(f);
      if (f.command === "DISCONNECT") return this.close();
      return this.error("Illegal command", "You must log in using CONNECT first", false);
    }
    if (f.command === "CONNECT" || f.command === "STOMP") {
      return this.error("Illegal command", "You are already connected", false, f.headers["receipt"]);
    }
    // STOMP 1.0 clients pad headers with spaces; RabbitMQ trims them (rabbit_stomp_util:trim_headers)
    if (this.version === "1.0") for (const k in f.headers) f.headers[k] = f.headers[k]!.trim();
    this.session!.handle(f);
  }

  private connect(f: StompFrame): void {
    const h = f.headers;
    const request = readConnect(h, this.options);
    if (request === null) {
      return this.error("Version mismatch", `Supported versions are ${VERSIONS_HEADER}\n`, false);
    }
    const { version, username, password, vhost: vhostName } = request;
    const loopback = isLoopback(this.transport.remoteAddress);
    const granted = this.broker.login({ username, password, loopback, vhost: vhostName, protocol: "stomp" });
    if (granted instanceof LoginRefused) {
      this.log.warn({ user: username, vhost: vhostName, reason: granted.reason }, `STOMP login refused: ${granted.reason}`);
      // RabbitMQ 3.10 leaves the connection open after a refused CONNECT; the client may try again
      const detail =
        granted.stage === "vhost"
          ? `Virtual host '${vhostName}' access denied`
          : granted.stage === "loopback"
            ? "non-loopback access denied"
            : `Access refused for user '${username}'\n`;
      return this.error("Bad CONNECT", detail, false);
    }
    const { user, vhost } = granted;
    this.version = version;
    this.parser.version = version;
    this.user = user;
    this.vhost = vhost;
    this.access = granted.access;
    this.clientId = h["client-id"];
    const [cx, cy] = parseHeartBeat(h["heart-beat"]);
    // cx: how often the client will send; cy: how often it wants to hear from us (STOMP 1.2 §"Heart-beating")
    this.sendEvery = wholeSeconds(cy);
    this.expectEvery = wholeSeconds(cx);
    this.state = "connected";
    this.login?.deadlines.settle(this.login.socket);
    this.session = new Session(this);
    // listed by the management API from now on, closable by name
    this.broker.connections.register(this, vhost.name);
    this.log.info({ user: user.name, vhost: vhost.name, version }, "connection opened");
    this.send(
      "CONNECTED",
      [
        ["server", SERVER],
        ["session", this.sessionId],
        ["heart-beat", `${this.sendEvery},${this.expectEvery}`],
        ["version", version],
      ],
      null,
    );
    this.startHeartbeats();
  }

  /** What the management API shows of this connection (ConnectionSource). */
  connectionDetails(): ConnectionDetails {
    const t = this.transport;
    const session = this.session;
    return {
      protocol: `${t.webSocket ? "Web STOMP" : "STOMP"} ${this.version}`,
      peerHost: t.remoteAddress ?? "",
      peerPort: t.remotePort ?? 0,
      host: t.localAddress ?? "",
      port: t.localPort ?? 0,
      user: this.user.name,
      vhost: this.vhost.name,
      clientProperties: this.clientId !== undefined ? { "client-id": this.clientId } : {},
      authMechanism: "PLAIN",
      tls: t.tls(),
      frameMax: 0,
      channelMax: 1,
      timeout: Math.round(this.expectEvery / 1000),
      // RabbitMQ 3.10 shows a STOMP connection with the one channel its session runs on
      channels: () => {
        const s = session?.stats() ?? { consumers: 0, unacked: 0 };
        return [
          {
            number: 1,
            consumerCount: s.consumers,
            unacked: s.unacked,
            prefetchCount: 0,
            globalPrefetchCount: 0,
            confirm: false,
            transactional: false,
            publish: 0,
            confirmed: 0,
          },
        ];
      },
      close: (reason) => this.error("connection_forced", `CONNECTION_FORCED - ${reason}`, true),
    };
  }

  /** EOL after this long quiet (ms), so the client hears from us within its sendEvery; 0: none. */
  heartbeatSendMs = 0;
  /** Twice the agreed interval of silence: the peer is gone (the margin STOMP 1.2 leaves to the receiver). */
  heartbeatTimeoutMs = 0;

  /** On the process's one heartbeat sweeper (no timer of our own); any interval a client asks for, even past 2^31 ms. */
  private startHeartbeats(): void {
    if (this.sendEvery === 0 && this.expectEvery === 0) return;
    // the EOL goes out half the smaller interval before the client's deadline, as when each
    // connection had its own timer ticking at that half (at most MAX_TIMER_MS)
    const margin = Math.min(MAX_TIMER_MS, Math.max(10, Math.min(...[this.sendEvery, this.expectEvery].filter((n) => n > 0)) / 2));
    this.heartbeatSendMs = this.sendEvery > 0 ? this.sendEvery - margin : 0;
    this.heartbeatTimeoutMs = this.expectEvery * 2;
    heartbeats.watch(this);
  }

  get lastWrite(): number {
    return this.transport.lastWrite;
  }

  sendHeartbeat(): void {
    this.transport.write(EOL);
  }

  heartbeatTimedOut(): void {
    if (this.unblock !== null) {
      // not read while an alarm holds its SEND: its silence is ours
      this.lastRead = Date.now();
      heartbeats.watch(this);
      return;
    }
    this.log.info("STOMP heart-beat timeout");
    this.teardown();
  }

  send(command: string, headers: HeaderList, body: Buffer | null): void {
    if (this.state === "closed") return;
    this.transport.write(encodeFrame(command, headers, body, this.version));
  }

  error(message: string, detail: string | Buffer, close: boolean, receipt?: string, extra: HeaderList = []): void {
    if (this.state === "closed") return;
    this.log.info({ message, detail: String(detail), close }, "STOMP error");
    const headers: (readonly [string, string])[] = [["message", message], ...extra, ["content-type", "text/plain"]];
    if (receipt !== undefined) headers.push(["receipt-id", receipt]);
    // RabbitMQ names every version it speaks on ERROR frames, whatever was negotiated
    headers.push(["version", VERSIONS_HEADER]);
    this.send("ERROR", headers, typeof detail === "string" ? Buffer.from(detail) : detail);
    if (close) this.close();
  }

  /**
   * The one mapping of a BrokerError to STOMP: RabbitMQ answers a channel or connection exception
   * with ERROR `message: <reply name>` and closes; the body is the reply text cut as AMQP cuts it.
   */
  brokerError(e: BrokerError, receipt?: string): void {
    this.error(e.name.toLowerCase(), replyTextBytes(e.text), true, receipt);
  }

  /** Flushes what was sent (a receipt, an ERROR) and closes. */
  close(): void {
    if (this.state === "closed") return;
    this.releaseSession();
    this.state = "closed";
    this.transport.end();
  }

  forceClose(): void {
    this.error("connection_forced", "CONNECTION_FORCED - broker shutting down", true);
  }

  private releaseSession(): void {
    heartbeats.unwatch(this);
    this.unblock?.();
    this.unblock = null;
    if (this.session) {
      this.session.release();
      this.log.info({ user: this.user.name, vhost: this.vhost.name }, "connection closed");
    }
    this.session = null;
    if (this.vhost) this.vhost.clientClosed(this.client);
    this.broker.connections.unregister(this.client);
  }

  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.login?.deadlines.settle(this.login.socket);
    this.releaseSession();
    this.state = "closed";
    this.transport.destroy();
    this.onClosed(this);
  }
}

/** RabbitMQ keeps heart-beats in whole seconds, at least one: 100 ms becomes 1000, 1500 becomes 1000. */
function wholeSeconds(ms: number): number {
  return ms === 0 ? 0 : Math.max(1, Math.floor(ms / 1000)) * 1000;
}

function parseHeartBeat(v: string | undefined): [number, number] {
  if (v === undefined) return [0, 0];
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import {
  type AccessControl,
  type Broker,
  type ClientRef,
  type ConnectionDetails,
  type ConnectionSource,
  LoginRefused,
  type User,
  type VirtualHost,
} from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";
import { readSocket } from "../../src/transport/socket-reads.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { heartbeats } from "../../src/transport/heartbeats.js";
import { isLoopback } from "../../src/transport/listen.js";
import { peerCertLoginName } from "../../src/transport/tls.js";
import { Cursor, DecodeError, Writer } from "./codec/primitives.js";
import {
  ConnectionError,
  decodePerformative,
  decodeSaslFrame,
  type ErrorDetailsInit,
  type Performative,
  writeClose,
} from "./codec/types.generated.js";
import type { ConnectionScope } from "./connection-scope.js";
import { Amqp10Error } from "./errors.js";
import { FRAME_AMQP, FRAME_SASL, FrameReader } from "./frame-reader.js";
import { AMQP_HEADER, SASL_HEADER } from "./headers.js";
import { handleAttach } from "./handlers/attach.js";
import { handleBegin } from "./handlers/begin.js";
import { handleClose } from "./handlers/close.js";
import { handleDetach } from "./handlers/detach.js";
import { handleDisposition } from "./handlers/disposition.js";
import { handleEnd } from "./handlers/end.js";
import { handleFlow } from "./handlers/flow.js";
import { handleOpen, openReply } from "./handlers/open.js";
import { handleSaslFrame, saslMechanisms } from "./handlers/sasl.js";
import { handleTransfer } from "./handlers/transfer.js";
import type { Amqp10Options } from "./options.js";
import type { Session } from "./session.js";

/** An empty frame: the heartbeat (§2.4.5). */
const HEARTBEAT = Buffer.from([0, 0, 0, 8, 2, 0, 0, 0]);
/** Frames before open is agreed may be this large (the spec's floor is 512; clients' opens can exceed it). */
const PRE_OPEN_FRAME_SIZE = 4096;

/**
 * Where the connection is: waiting for the SASL header, in SASL, waiting for the AMQP header
 * (after SASL), waiting for open, open, or closed (input ignored).
 */
export type ConnectionState = "sasl-header" | "sasl" | "amqp-header" | "open" | "opened" | "closed";

/**
 * One AMQP 1.0 connection: reads frames from the socket and hands each to its performative's
 * handler (handlers/), owns the sessions by channel, heartbeats (the shared sweeper) and the
 * close, and is the ConnectionScope the handlers, sessions and links work through.
 */
export class Amqp10Connection implements ConnectionScope, ConnectionSource, DrainListener {
  state: ConnectionState = "sasl-header";
  private readonly reader = new FrameReader(PRE_OPEN_FRAME_SIZE);
  readonly writer: BatchedWriter;
  readonly out = new Writer(1024);
  readonly sessions = new Map<number, Session>();
  /** Channels whose session we ended with an error: frames are dropped until the client's end answers. */
  readonly ending = new Set<number>();
  readonly client: ClientRef;
  readonly log: Logger;
  readonly connectedAt = Date.now();
  user!: User;
  vhost!: VirtualHost;
  access!: AccessControl;
  /** Set once SASL (or the default user, without SASL) has said who this is. */
  authenticated: User | null = null;
  authMechanism = "none";
  remoteMaxFrameSize = PRE_OPEN_FRAME_SIZE;
  channelMax = 0;
  containerId = "";
  /** The peer's idle-time-out halved: we send at least this often (0: it asked for none). */
  heartbeatSendMs = 0;
  /** Twice our idle-time-out: a peer silent this long is gone. */
  heartbeatTimeoutMs = 0;
  lastRead = Date.now();
  private registered = false;
  private unsubscribeAlarms: (() => void) | null = null;

  constructor(
    /** What frames are read from and written to: the TCP socket, or a WebSocket's byte stream. */
    private readonly stream: Duplex,
    /** The TCP socket under it (addresses, the handshake deadline, the end). */
    private readonly socket: Socket,
    readonly broker: Broker,
    readonly options: Amqp10Options,
    log: Logger,
    private readonly onClosed: (c: Amqp10Connection) => void,
    private readonly handshake: HandshakeDeadlines | null,
  ) {
    handshake?.track(socket);
    this.client = broker.newClient();
    this.log = log.child({ conn: this.client.id, protocol: "amqp10", peer: `${socket.remoteAddress}:${socket.remotePort}` });
    this.writer = new BatchedWriter(stream, this);
    socket.setNoDelay(true);
    readSocket(stream, (chunk: Buffer) => this.onData(chunk));
    stream.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    stream.on("close", () => this.teardown());
  }

  get fromLoopback(): boolean {
    return isLoopback(this.socket.remoteAddress);
  }

  /** The user a verified TLS client certificate names (SASL EXTERNAL), or null: no TLS, no certificate. */
  peerCertName(): string | null {
    return peerCertLoginName(this.socket, this.options.certLoginFrom);
  }

  get lastWrite(): number {
    return this.writer.lastWrite;
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.state === "closed") return;
    try {
      this.reader.push(chunk);
      this.readFrames();
      this.flushAccepts();
    } catch (err) {
      this.failed(err);
    }
  }

  /** One disposition per session for the runs of transfers this read accepted (a connection has few sessions). */
  private flushAccepts(): void {
    for (const s of this.sessions.values()) s.flushAccepted();
  }

  private readFrames(): void {
    for (;;) {
      if (this.state === "closed") return;
      if (this.state === "sasl-header" || this.state === "amqp-header") {
        const h = this.reader.header();
        if (h === null) return;
        this.protocolHeader(h);
        continue;
      }
      const f = this.reader.next();
      if (f === null) return;
      if (f.start === f.end) continue; // a heartbeat: lastRead is all it does
      const c = new Cursor(f.buf, f.start, f.end);
      if (this.state === "sasl") {
        if (f.type !== FRAME_SASL) throw new Amqp10Error(ConnectionError.framingError, "expected a SASL frame");
        handleSaslFrame(this, decodeSaslFrame(c));
        continue;
      }
      if (f.type !== FRAME_AMQP) throw new Amqp10Error(ConnectionError.framingError, `unexpected frame type ${f.type}`);
      const p = decodePerformative(c);
      if (this.state === "open") {
        if (p.kind !== "open") throw new Amqp10Error("amqp:not-allowed", `expected open, got ${p.kind}`);
        handleOpen(this, p);
        continue;
      }
      if (this.ending.has(f.channel)) {
        if (p.kind === "end") this.ending.delete(f.channel);
        continue;
      }
      try {
        this.performative(f.channel, p, f.buf, c.pos, f.end);
      } catch (err) {
        // an error of one session (or one of its links) ends that session, not the connection
        const session = this.sessions.get(f.channel);
        if (!(err instanceof Amqp10Error) || err.scope === "connection" || session === undefined) throw err;
        session.fail(err);
      }
    }
  }

  /** One performative after open, to its handler; a transfer's payload is `buf[start, end)`. */
  private performative(channel: number, p: Performative, buf: Buffer, start: number, end: number): void {
    switch (p.kind) {
      case "begin":
        handleBegin(this, channel, p);
        break;
      case "attach":
        handleAttach(this, this.session(channel), p);
        break;
      case "flow":
        handleFlow(this.session(channel), p);
        break;
      case "transfer":
        handleTransfer(this.session(channel), p, buf, start, end);
        break;
      case "disposition":
        handleDisposition(this.session(channel), p);
        break;
      case "detach":
        handleDetach(this.session(channel), p);
        break;
      case "end":
        handleEnd(this, channel, p);
        break;
      case "close":
        handleClose(this, p);
        break;
      case "open":
        throw new Amqp10Error("amqp:not-allowed", "open received twice");
    }
  }

  /** The session on `channel`; a frame on a channel with none is a connection error. */
  private session(channel: number): Session {
    const s = this.sessions.get(channel);
    if (s === undefined) throw new Amqp10Error("amqp:not-allowed", `no session on channel ${channel}`);
    return s;
  }

  /** The 8-byte header: SASL first (or AMQP directly, as the default user), then AMQP after SASL. */
  private protocolHeader(h: Buffer): void {
    if (this.state === "sasl-header" && h.equals(SASL_HEADER)) {
      this.writer.write(SASL_HEADER);
      this.state = "sasl";
      saslMechanisms(this);
      return;
    }
    if (h.equals(AMQP_HEADER)) {
      if (this.state === "sasl-header") {
        // no SASL: RabbitMQ lets the client in as amqp1_0.default_user, if there is one
        const refused = this.loginDefaultUser();
        if (refused !== null) {
          this.log.warn(`AMQP 1.0 login refused: ${refused}`);
          this.writer.write(SASL_HEADER);
          this.shutdown();
          return;
        }
      }
      this.writer.write(AMQP_HEADER);
      this.state = "open";
      return;
    }
    // any other header: ours in answer, then the socket closes (§2.2)
    this.writer.write(this.state === "sasl-header" ? SASL_HEADER : AMQP_HEADER);
    this.log.warn({ header: h.toString("hex") }, "AMQP 1.0: unsupported protocol header");
    this.shutdown();
  }

  /** Logs in as the default user (ANONYMOUS, or no SASL); the refusal's reason, or null. */
  loginDefaultUser(): string | null {
    const name = this.options.defaultUser;
    if (name === null) return "no default user is configured for anonymous logins";
    const user = this.broker.authenticate({ username: name, password: this.options.defaultPass, loopback: this.fromLoopback });
    if (user instanceof LoginRefused) return user.reason;
    this.authenticated = user;
    this.authMechanism = "ANONYMOUS";
    return null;
  }

  /** Open agreed: sizes, heartbeats, the login's end (no deadline any more, listed for operators). */
  opened(remoteMaxFrameSize: number, channelMax: number, remoteIdleTimeoutMs: number): void {
    this.state = "opened";
    this.remoteMaxFrameSize = remoteMaxFrameSize;
    this.channelMax = channelMax;
    this.reader.maxFrameSize = this.options.maxFrameSize;
    this.handshake?.settle(this.socket);
    this.broker.connections.register(this, this.vhost?.name ?? "");
    this.registered = true;
    this.heartbeatSendMs = remoteIdleTimeoutMs > 0 ? Math.max(1, Math.floor(remoteIdleTimeoutMs / 2)) : 0;
    this.heartbeatTimeoutMs = this.options.idleTimeoutMs > 0 ? this.options.idleTimeoutMs * 2 : 0;
    if (this.heartbeatSendMs > 0 || this.heartbeatTimeoutMs > 0) heartbeats.watch(this);
    this.unsubscribeAlarms = this.broker.alarms.subscribe((blocked) => {
      for (const s of this.sessions.values()) s.alarmChanged(blocked);
    });
  }

  sendHeartbeat(): void {
    this.writer.write(HEARTBEAT);
  }

  heartbeatTimedOut(): void {
    this.fail(new Amqp10Error("amqp:resource-limit-exceeded", "local-idle-timeout expired"));
  }

  beginFrame(channel: number): number {
    const w = this.out;
    const start = w.pos;
    w.ensure(8);
    w.buf.writeUInt32BE(0, start);
    w.buf[start + 4] = 2;
    w.buf[start + 5] = FRAME_AMQP;
    w.buf.writeUInt16BE(channel, start + 6);
    w.pos += 8;
    return start;
  }

  /** A SASL frame begins like an AMQP one, with type 1. */
  beginSaslFrame(): number {
    const start = this.beginFrame(0);
    this.out.buf[start + 5] = FRAME_SASL;
    return start;
  }

  endFrame(start: number): void {
    const w = this.out;
    const size = w.pos - start;
    w.buf.writeUInt32BE(size, start);
    // copied once into the writer's slab, in order with its other output: no Buffer per frame
    // (a transfer and a disposition per message would each be one) and no second copy when the
    // turn's output is gathered
    const at = this.writer.reserve(size);
    w.buf.copy(this.writer.slab, at, start, w.pos);
    w.pos = start;
  }

  /** Input we cannot go on from: a DecodeError or Amqp10Error closes with its condition. */
  private failed(err: unknown): void {
    if (err instanceof Amqp10Error) return this.fail(err);
    if (err instanceof DecodeError) return this.fail(new Amqp10Error("amqp:decode-error", err.message));
    this.log.error({ err }, "AMQP 1.0 connection failed");
    this.fail(new Amqp10Error("amqp:internal-error", "internal error"));
  }

  fail(err: Amqp10Error): void {
    if (this.state === "closed") return;
    this.log.warn({ condition: err.condition }, `AMQP 1.0 connection error: ${err.condition} - ${err.description}`);
    if (this.state === "sasl-header" || this.state === "amqp-header" || this.state === "sasl") {
      this.shutdown();
      return;
    }
    if (this.state === "open") {
      // §2.4.1: an open goes before the close that refuses the connection
      openReply(this);
    }
    this.close({ condition: err.condition, description: err.description });
  }

  close(error?: ErrorDetailsInit): void {
    if (this.state === "closed") return;
    // what this read accepted is answered before the close
    this.flushAccepts();
    const start = this.beginFrame(0);
    writeClose(this.out, error === undefined ? {} : { error });
    this.endFrame(start);
    this.shutdown();
  }

  /** No more input; pending output goes, then the socket ends. */
  private shutdown(): void {
    this.state = "closed";
    this.releaseSessions();
    this.writer.end();
    // a peer that never closes its side is not waited for
    setTimeout(() => {
      this.stream.destroy();
      this.socket.destroy();
    }, 1000).unref();
  }

  private releaseSessions(): void {
    for (const s of this.sessions.values()) s.ended();
    this.sessions.clear();
  }

  streamDrained(): void {
    for (const s of this.sessions.values()) s.resumeLinks();
  }

  private teardown(): void {
    this.state = "closed";
    heartbeats.unwatch(this);
    this.unsubscribeAlarms?.();
    this.unsubscribeAlarms = null;
    this.releaseSessions();
    this.writer.discard();
    this.handshake?.settle(this.socket);
    if (this.registered) {
      this.broker.connections.unregister(this.client);
      this.registered = false;
    }
    this.vhost?.clientClosed(this.client);
    this.onClosed(this);
  }

  /** The broker is stopping: close with amqp:connection:forced. */
  forceClose(reason = "broker shutting down"): void {
    if (this.state === "opened") this.close({ condition: ConnectionError.connectionForced, description: reason });
    else this.socket.destroy();
  }

  connectionDetails(): ConnectionDetails {
    const s = this.socket;
    return {
      protocol: "AMQP 1-0",
      peerHost: s.remoteAddress ?? "",
      peerPort: s.remotePort ?? 0,
      host: s.localAddress ?? "",
      port: s.localPort ?? 0,
      user: this.user?.name ?? "",
      vhost: this.vhost?.name ?? "",
      clientProperties: { "container-id": this.containerId },
      authMechanism: this.authMechanism,
      tls: null,
      frameMax: this.remoteMaxFrameSize,
      channelMax: this.channelMax,
      timeout: Math.round(this.options.idleTimeoutMs / 1000),
      channels: () =>
        [...this.sessions.values()].map((session) => ({
          number: session.channel,
          consumerCount: session.consumerCount,
          unacked: session.unsettledCount,
          prefetchCount: 0,
          globalPrefetchCount: 0,
          confirm: false,
          transactional: false,
          publish: 0,
          confirmed: 0,
        })),
      close: (reason) => this.forceClose(reason),
    };
  }
}

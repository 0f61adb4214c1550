import type { Socket } from "node:net";
import { tlsInfo } from "../../src/transport/tls.js";
import {
  type AccessControl, type Broker, BrokerError, LoginRefused, type ClientRef, type ConnectionDetails, type ConnectionSource, type FieldTable,
  ReplyCode, type User, type VirtualHost,
} from "../../src/core/index.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, type HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import type { Logger } from "../../src/server/logger.js";
import { isLoopback } from "../../src/transport/listen.js";
import { CodecError, describeFrame } from "./codec/errors.js";
import { decodeTableBody } from "./codec/field-table.js";
import {
  FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD, FrameReader, HEARTBEAT_FRAME, PROTOCOL_HEADER,
  type Frame, checkProtocolHeader,
} from "./codec/frames.js";
import { type AmqpMethod, decodeMethod, encodeMethodFrame, METHOD_IDS } from "./codec/methods.js";
import { Channel } from "./channel.js";
import type { ConnectionContext } from "./connection-context.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";
import { fieldTableJson } from "../../src/core/index.js";
import { type AmqpLimits, DEFAULT_LIMITS } from "./limits.js";

export { type AmqpLimits, DEFAULT_LIMITS } from "./limits.js";



/**
 * RabbitMQ's rabbit_reader: once a connection is closed (close-ok sent, or close sent and
 * close-ok awaited) the socket is kept and what arrives is discarded until the client closes its
 * side, for at most the heartbeat timeout, capped at 30 s (?CLOSING_TIMEOUT); before tune-ok the
 * handshake timeout (10 s) stands in for the heartbeat.
 */
const CLOSING_TIMEOUT_SEC = 30;
const HANDSHAKE_TIMEOUT_SEC = 10;
/** AMQP 0-9-1 §4.2.3: no frame may be smaller than this, so frame-max below it is refused. */
const FRAME_MIN_SIZE = 4096;

/**
 * "closing": Warren sent connection.close and waits for close-ok; "closed": close-ok went either
 * way (or the socket is gone) and incoming bytes are discarded until the socket closes.
 */
type State = "header" | "start-ok" | "secure-ok" | "tune-ok" | "open" | "opened" | "closing" | "closed";

/**
 * One AMQP 0-9-1 connection: the handshake (§2.2.4), framing, heartbeats and the connection
 * class; everything on a channel above zero goes to that Channel.
 */
export class AmqpConnection implements ConnectionContext, ConnectionSource, DrainListener {
  private state: State = "header";
  private readonly reader: FrameReader;
  readonly writer: BatchedWriter;
  private readonly channels = new Map<number, Channel>();
  private readonly limits: AmqpLimits;
  private channelMax: number;
  frameMax: number;
  private heartbeat = 0;
  /** rabbit_reader's timeout_sec: the handshake timeout until tune-ok, then the heartbeat. */
  private timeoutSec = HANDSHAKE_TIMEOUT_SEC;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastRead = Date.now();
  private closeTimer: NodeJS.Timeout | null = null;
  capabilities: FieldTable = {};
  private authMechanism = "PLAIN";
  clientProperties: FieldTable = {};
  user!: User;
  vhost!: VirtualHost;
  access!: AccessControl;
  readonly client: ClientRef;
  readonly log: Logger;
  readonly connectedAt = Date.now();
  /** Sent content (published) at least once: blocked by resource alarms, as RabbitMQ blocks publishers. */
  private publisher = false;
  private paused = false;
  /** The content header of a publish waiting for a resource alarm to clear. */
  private held: Frame | null = null;
  private toldBlocked = false;
  private unsubscribeAlarms: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly broker: Broker,
    limits: AmqpLimits,
    private readonly serverProperties: FieldTable,
    log: Logger,
    private readonly onClosed: (c: AmqpConnection) => void,
    /** Closes the socket if connection.open does not come in time. */
    private readonly handshake?: HandshakeDeadlines,
  ) {
    handshake?.track(socket);
    this.limits = limits;
    this.channelMax = limits.channelMax;
    this.frameMax = limits.frameMax;
    this.client = broker.newClient();
    this.log = log.child({ conn: this.client.id, protocol: "amqp", peer: `${socket.remoteAddress}:${socket.remotePort}` });
    // until tune-ok settles frame-max, RabbitMQ reads frames of up to its minimum frame size only
    this.reader = new FrameReader(FRAME_MIN_SIZE);
    this.writer = new BatchedWriter(socket, this);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    socket.on("close", () => this.teardown());
  }

  get maxMessageSize(): number {
    return this.limits.maxMessageSize;
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.ignoreInput) return;
    try {
      if (this.state === "header") {
        chunk = this.readProtocolHeader(chunk);
        if (chunk.length === 0) return;
      }
      this.reader.push(chunk);
      this.readFrames();
    } catch (err) {
      this.frameFailed(err);
    }
  }

  /** Handles the frames read so far, stopping at a publish held by a resource alarm. */
  private readFrames(): void {
    let frame: Frame | null;
    while ((frame = this.reader.next()) !== null) {
      if (frame.type === FRAME_HEADER && this.state === "opened" && this.broker.alarms.blocked) {
        this.hold(frame);
        return;
      }
      this.onFrame(frame);
      if (this.ignoreInput) return;
    }
  }

  /**
   * A publish's content header while an alarm is on: as RabbitMQ's reader, the publish waits (not
   * routed, not confirmed), the client hears connection.blocked if it asked to, and the socket is
   * not read until the alarm clears. Consumers on other connections keep draining.
   */
  private hold(frame: Frame): void {
    this.held = frame;
    this.publisher = true;
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.tellBlocked(this.broker.alarms.reason);
  }

  private frameFailed(err: unknown): void {
    if (this.state === "closing" || this.state === "closed") {
      // nothing of what follows a bad frame can be read: the socket only waits to close now
      this.ignoreInput = true;
      return;
    }
    if (err instanceof CodecError) {
      // before tune-ok RabbitMQ answers a bad frame (one over 4096 bytes…) by closing the socket
      if (this.state === "start-ok" || this.state === "secure-ok" || this.state === "tune-ok") return this.dropHandshake(err.text);
      this.connectionError(err.replyCode, err.text, err.classId, err.methodId);
    } else {
      this.log.error({ err }, "internal error handling a frame");
      this.connectionError(ReplyCode.INTERNAL_ERROR, "INTERNAL_ERROR", 0, 0);
    }
  }

  private headerBytes: Buffer = Buffer.alloc(0);

  /** AMQP 0-9-1 §4.2.2: a bad header is answered with the header we speak, then the socket closes. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    const data = this.headerBytes.length ? Buffer.concat([this.headerBytes, chunk]) : chunk;
    if (data.length < 8) {
      this.headerBytes = data;
      return Buffer.alloc(0);
    }
    this.headerBytes = Buffer.alloc(0);
    if (!checkProtocolHeader(data.subarray(0, 8))) {
      this.log.info("bad protocol header; answering with AMQP 0-9-1's and closing");
      this.state = "closed";
      this.ignoreInput = true;
      this.socket.end(PROTOCOL_HEADER);
      return Buffer.alloc(0);
    }
    this.state = "start-ok";
    this.send(0, {
      kind: "connection.start",
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: this.serverProperties,
      mechanisms: Buffer.from("PLAIN AMQPLAIN"),
      locales: Buffer.from("en_US"),
    });
    this.writer.flush();
    return data.subarray(8);
  }

  private onFrame(frame: Frame): void {
    if (this.state === "closing" || this.state === "closed") {
      // §2.2.4: after sending close (or close-ok), ignore everything but close / close-ok. As
      // RabbitMQ, a close (crossed, or a second one) is answered with close-ok and the socket kept.
      if (frame.type === FRAME_METHOD && frame.channel === 0) {
        const m = decodeMethod(frame.payload, 0, frame.payload.length);
        if (m.kind === "connection.close") this.send(0, { kind: "connection.close-ok" });
        else if (m.kind === "connection.close-ok") this.closeOkReceived();
      }
      return;
    }
    if (frame.type === FRAME_HEARTBEAT) {
      if (frame.channel !== 0) this.connectionError(ReplyCode.UNEXPECTED_FRAME, unexpectedFrameText(frame), 0, 0);
      return;
    }
    if (frame.channel === 0) {
      if (frame.type !== FRAME_METHOD) {
        this.connectionError(ReplyCode.UNEXPECTED_FRAME, unexpectedFrameText(frame), 0, 0);
        return;
      }
      this.onConnectionMethod(decodeMethod(frame.payload, 0, frame.payload.length));
      return;
    }
    if (this.state !== "opened") {
      this.connectionError(ReplyCode.CHANNEL_ERROR, "CHANNEL_ERROR - connection not open", 0, 0);
      return;
    }
    if (frame.channel > this.channelMax) {
      this.connectionError(ReplyCode.CHANNEL_ERROR, `CHANNEL_ERROR - channel ${frame.channel} exceeds channel_max ${this.channelMax}`, 0, 0);
      return;
    }
    let channel = this.channels.get(frame.channel);
    if (frame.type === FRAME_METHOD) {
      const m = decodeMethod(frame.payload, 0, frame.payload.length);
      if (!channel) {
        if (m.kind !== "channel.open") {
          this.connectionError(ReplyCode.CHANNEL_ERROR, "CHANNEL_ERROR - expected 'channel.open'", classOf(m), methodOf(m));
          return;
        }
        channel = new Channel(frame.channel, this);
        this.channels.set(frame.channel, channel);
      }
      channel.onMethod(m);
    } else if (frame.type === FRAME_HEADER || frame.type === FRAME_BODY) {
      if (!channel) {
        this.connectionError(ReplyCode.CHANNEL_ERROR, "CHANNEL_ERROR - expected 'channel.open'", 0, 0);
        return;
      }
      if (frame.type === FRAME_HEADER) {
        this.publisher = true;
        channel.onHeader(frame.payload);
      }
      else channel.onBody(frame.payload);
    } else {
      throw new CodecError(ReplyCode.FRAME_ERROR, `FRAME_ERROR - unknown frame type ${frame.type}`);
    }
  }

  private onConnectionMethod(m: AmqpMethod): void {
    switch (m.kind) {
      case "connection.start-ok":
        if (this.state !== "start-ok") return this.unexpected(m);
        return this.onStartOk(m.clientProperties, m.mechanism, m.response);
      case "connection.secure-ok":
        return this.unexpected(m);
      case "connection.tune-ok":
        if (this.state !== "tune-ok") return this.unexpected(m);
        return this.onTuneOk(m.channelMax, m.frameMax, m.heartbeat);
      case "connection.open":
        if (this.state !== "open") return this.unexpected(m);
        return this.onOpen(m.virtualHost);
      case "connection.close":
        this.closedByClient();
        return;
      case "connection.close-ok":
        // close-ok for a close we never sent: RabbitMQ ignores it while running
        return;
      case "connection.blocked":
      case "connection.unblocked":
        return;
      case "connection.update-secret":
        this.send(0, { kind: "connection.update-secret-ok" });
        return;
      default:
        return this.unexpected(m);
    }
  }

  /** RabbitMQ's answer to a connection method out of sequence, naming its own state. */
  private unexpected(m: AmqpMethod): void {
    const state = { "start-ok": "starting", "secure-ok": "securing", "tune-ok": "tuning", open: "opening", opened: "running" }[
      this.state as "start-ok" | "secure-ok" | "tune-ok" | "open" | "opened"
    ] ?? this.state;
    this.connectionError(ReplyCode.CHANNEL_ERROR, `CHANNEL_ERROR - unexpected method in connection state ${state}`, classOf(m), methodOf(m));
  }

  /** Handshake failures RabbitMQ answers by dropping the socket, with no connection.close. */
  private dropHandshake(reason: string): void {
    this.log.warn({ reason }, "closing connection during handshake");
    this.state = "closed";
    this.ignoreInput = true;
    this.socket.destroy();
  }

  private onStartOk(clientProperties: FieldTable, mechanism: string, response: Buffer): void {
    this.clientProperties = clientProperties;
    const caps = clientProperties["capabilities"];
    this.capabilities = caps && typeof caps === "object" && !Array.isArray(caps) && !Buffer.isBuffer(caps) && !(caps instanceof Date)
      ? (caps as FieldTable)
      : {};
    this.authMechanism = mechanism;
    const creds = parseCredentials(mechanism, response);
    if (creds instanceof BrokerError) {
      return this.connectionError(creds.code, creds.text, 10, 11);
    }
    const user = this.broker.authenticate({ username: creds.username, password: creds.password, loopback: isLoopback(this.socket.remoteAddress) });
    if (user instanceof LoginRefused) {
      // RabbitMQ's log line: "PLAIN login refused: user 'bob' - invalid credentials"
      this.log.warn({ user: creds.username, mechanism, reason: user.reason }, `${mechanism} login refused: ${user.reason}`);
      if (this.capabilities["authentication_failure_close"] === true) {
        return this.connectionError(user.code, user.text.replace("PLAIN", mechanism), 10, 11);
      }
      return this.dropHandshake("authentication failed");
    }
    this.user = user;
    this.state = "tune-ok";
    this.send(0, {
      kind: "connection.tune",
      channelMax: this.limits.channelMax,
      frameMax: this.limits.frameMax,
      heartbeat: this.limits.heartbeat,
    });
  }

  private onTuneOk(channelMax: number, frameMax: number, heartbeat: number): void {
    // §4.2.3 / tune-ok: the client may lower the limits we proposed, 0 meaning "no limit" for the client
    if (channelMax > this.limits.channelMax) {
      return this.dropHandshake(`channel_max=${channelMax} > ${this.limits.channelMax} max`);
    }
    this.channelMax = channelMax === 0 ? this.limits.channelMax : channelMax;
    if (frameMax !== 0 && frameMax < FRAME_MIN_SIZE) {
      return this.dropHandshake(`frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`);
    }
    if (frameMax > this.limits.frameMax) {
      return this.dropHandshake(`frame_max=${frameMax} > ${this.limits.frameMax} max size`);
    }
    this.frameMax = frameMax === 0 ? this.limits.frameMax : frameMax;
    this.reader.setMaxFrameSize(this.frameMax);
    this.heartbeat = heartbeat;
    this.timeoutSec = heartbeat;
    this.state = "open";
    this.startHeartbeats();
  }

  private onOpen(vhostName: string): void {
    const granted = this.broker.enterVhost(this.user, vhostName);
    if (granted instanceof LoginRefused) {
      this.log.warn({ user: this.user.name, vhost: vhostName, reason: granted.reason }, `login refused: ${granted.reason}`);
      return this.connectionError(granted.code, granted.text, 10, 40);
    }
    this.vhost = granted.vhost;
    this.access = granted.access;
    this.state = "opened";
    this.send(0, { kind: "connection.open-ok", reserved1: "" });
    this.handshake?.settle(this.socket);
    // listed by the management API from now on, closable by name
    this.broker.connections.register(this);
    // like RabbitMQ, a connection opened under an alarm hears connection.blocked when it first publishes
    this.unsubscribeAlarms = this.broker.alarms.subscribe((blocked, reason) => this.alarmChanged(blocked, reason));
    this.log.info({ vhost: vhostName, user: this.user.name }, "connection opened");
  }

  /** What the management API shows of this connection (ConnectionSource). */
  connectionDetails(): ConnectionDetails {
    const socket = this.socket;
    return {
      protocol: "AMQP 0-9-1",
      peerHost: socket.remoteAddress ?? "",
      peerPort: socket.remotePort ?? 0,
      host: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
      user: this.user.name,
      vhost: this.vhost.name,
      clientProperties: fieldTableJson(this.clientProperties),
      authMechanism: this.authMechanism,
      tls: tlsInfo(socket),
      frameMax: this.frameMax,
      channelMax: this.channelMax,
      timeout: this.heartbeat,
      channels: () => [...this.channels.values()].map((c) => c.info()),
      close: (reason) => this.forceClose(reason),
      bytes: () => ({ recv: socket.bytesRead, send: socket.bytesWritten }),
    };
  }

  /**
   * An alarm changed. A connection that has published is blocked at once (connection.blocked, the
   * socket no longer read); others only when they publish (hold). On clearing, the held publish
   * goes on and, as RabbitMQ resets should_block, the connection counts as a publisher only again
   * once it publishes.
   */
  private alarmChanged(blocked: boolean, reason: string): void {
    if (this.state !== "opened") return;
    if (blocked) {
      if (!this.publisher) return;
      this.tellBlocked(reason);
      if (!this.paused) {
        this.paused = true;
        this.socket.pause();
      }
      return;
    }
    if (this.toldBlocked) {
      this.toldBlocked = false;
      this.send(0, { kind: "connection.unblocked" });
    }
    this.publisher = false;
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = null;
    try {
      if (held !== null) this.onFrame(held);
      if ((this.state as State) === "opened") this.readFrames();
    } catch (err) {
      this.frameFailed(err);
    }
    if (this.paused || (this.state as State) === "closed") return;
    this.socket.resume();
  }

  /** connection.blocked once per blocking, for clients that announced the capability (RabbitMQ's extension). */
  private tellBlocked(reason: string): void {
    if (this.toldBlocked || this.capabilities["connection.blocked"] !== true) return;
    this.toldBlocked = true;
    this.send(0, { kind: "connection.blocked", reason });
  }

  private startHeartbeats(): void {
    if (this.heartbeat <= 0) return;
    const ms = this.heartbeat * 1000;
    // Check twice per interval: send when we've been quiet, give up after two silent intervals (§4.2.7)
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      // a blocked connection is not read, so its silence is ours (RabbitMQ pauses its heartbeat monitor)
      if (this.paused) this.lastRead = now;
      else if (now - this.lastRead > 2 * ms) {
        this.log.warn({ timeoutSec: this.heartbeat }, "missed heartbeats from client, closing connection");
        this.socket.destroy();
        return;
      }
      if (now - this.writer.lastWrite >= ms / 2) {
        this.writer.write(HEARTBEAT_FRAME);
      }
    }, ms / 2);
    this.heartbeatTimer.unref();
  }

  send(channel: number, m: AmqpMethod): void {
    this.writer.write(encodeMethodFrame(channel, m));
  }

  /**
   * Hard error (§1.2): tell the client with connection.close and wait for close-ok, discarding
   * everything else (§2.2.4), for at most the closing timeout. The connection's channels,
   * exclusive queues and registration go at once, as rabbit_reader's close_connection does.
   */
  connectionError(code: number, text: string, classId: number, methodId: number): void {
    if (this.state === "closing" || this.state === "closed") return;
    this.log.warn({ code, text }, "connection error");
    this.release();
    this.send(0, { kind: "connection.close", replyCode: code, replyText: text, classId, methodId });
    this.writer.flush();
    this.state = "closing";
    this.armClosingTimer();
  }

  /**
   * Server-initiated close (shutdown, management): 320 CONNECTION_FORCED as RabbitMQ, whose text for
   * an operator's close is "CONNECTION_FORCED - <reason>".
   */
  forceClose(reason = "broker forced connection closure with reason 'shutdown'"): void {
    this.connectionError(ReplyCode.CONNECTION_FORCED, `CONNECTION_FORCED - ${reason}`, 0, 0);
  }

  channelClosed(id: number): void {
    this.channels.delete(id);
  }

  /** The socket caught up (DrainListener). */
  streamDrained(): void {
    for (const ch of this.channels.values()) ch.resumeConsumers();
  }

  /**
   * The client's connection.close: close-ok, then the socket stays open and what the client still
   * sends (publishes its library had buffered, a second close) is discarded until it closes its
   * side. Closing the socket at once would reset it under a client still writing (ECONNRESET in
   * amqplib) or hand a reader an EOF it takes for an error (the Go client's 501 "EOF").
   */
  private closedByClient(): void {
    this.release();
    this.send(0, { kind: "connection.close-ok" });
    // close-ok may sit behind deliveries for a slow socket: it is written, never dropped
    this.writer.flush();
    this.state = "closed";
    this.armClosingTimer();
  }

  /** close-ok for our connection.close: the client is done with the socket; end our side too. */
  private closeOkReceived(): void {
    this.state = "closed";
    this.ignoreInput = true;
    this.writer.end();
    // the client closes its side on close-ok; the closing timer covers one that does not
  }

  private armClosingTimer(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    const sec = this.timeoutSec > 0 && this.timeoutSec < CLOSING_TIMEOUT_SEC ? this.timeoutSec : CLOSING_TIMEOUT_SEC;
    this.closeTimer = setTimeout(() => this.socket.destroy(), sec * 1000);
    this.closeTimer.unref();
  }

  private released = false;

  /** Lets go of everything the connection holds in the broker; the socket is handled apart. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.unsubscribeAlarms?.();
    this.handshake?.settle(this.socket);
    this.broker.connections.unregister(this.client);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const ch of this.channels.values()) ch.release();
    this.channels.clear();
    if (this.vhost) {
      this.vhost.clientClosed(this.client);
      this.log.info({ user: this.user.name, vhost: this.vhost.name }, "connection closed");
    }
    // a publisher paused by an alarm is read again, so that its close reaches us
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** The socket closed (the client closed it, it failed, or a timer destroyed it). */
  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.ignoreInput = true;
    this.state = "closed";
    this.release();
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.writer.discard();
    if (!this.socket.destroyed) this.socket.destroy();
    this.onClosed(this);
  }

  private tornDown = false;
  /** Nothing more is read: the socket is on its way out. */
  private ignoreInput = false;
}

export function classOf(m: AmqpMethod): number {
  return METHOD_IDS[m.kind]?.[0] ?? 0;
}
export function methodOf(m: AmqpMethod): number {
  return METHOD_IDS[m.kind]?.[1] ?? 0;
}

/**
 * RabbitMQ's wording for a frame that makes no sense where it arrived (rabbit_reader's
 * payload_snippet: its type and at most its first 16 octets, printed with ~p).
 */
export function unexpectedFrameText(frame: Frame): string {
  return `UNEXPECTED_FRAME - ${describeFrame(frame.type, frame.payload)}`;
}


function parseCredentials(mechanism: string, response: Buffer): { username: string; password: string } | BrokerError {
  if (mechanism === "PLAIN") {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = response.toString("utf8").split("\u0000");
    if (parts.length !== 3) return new BrokerError(ReplyCode.ACCESS_REFUSED, "Login was refused using authentication mechanism PLAIN. For details see the broker logfile.");
    return { username: parts[1]!, password: parts[2]! };
  }
  if (mechanism === "AMQPLAIN") {
    // AMQPLAIN's response is a field table without its length prefix
    let table: FieldTable;
    try {
      table = decodeTableBody(response, 0, response.length);
    } catch {
      return new BrokerError(ReplyCode.ACCESS_REFUSED, "Login was refused using authentication mechanism AMQPLAIN. For details see the broker logfile.");
    }
    const str = (v: unknown) => (typeof v === "string" ? v : Buffer.isBuffer(v) ? v.toString() : "");
    return { username: str(table["LOGIN"]), password: str(table["PASSWORD"]) };
  }
  return new BrokerError(ReplyCode.COMMAND_INVALID, `unknown authentication mechanism '${mechanism}'`);
}

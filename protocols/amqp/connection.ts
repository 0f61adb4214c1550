import type { Socket } from "node:net";
import {
  type AccessControl,
  type Broker,
  type ChannelInfo,
  type ClientRef,
  type ConnectionDetails,
  type ConnectionSource,
  type FieldTable,
  ReplyCode,
  type User,
  type VirtualHost,
} from "../../src/core/index.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { heartbeats } from "../../src/transport/heartbeats.js";
import type { Logger } from "../../src/server/logger.js";
import { isLoopback } from "../../src/transport/listen.js";
import { CodecError, describeFrame } from "./codec/errors.js";
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FrameReader,
  HEARTBEAT_FRAME,
  PROTOCOL_HEADER,
  type Frame,
} from "./codec/frames.js";
import { type AmqpMethod, decodeMethod, encodeMethodFrame, METHOD_IDS } from "./codec/methods.js";
import { type BlockableConnection, PublisherBlocking } from "./blocking.js";
import { Channel } from "./channel.js";
import { ClosingTimer, HANDSHAKE_TIMEOUT_SEC } from "./closing-timer.js";
import type { ConnectionContext } from "./connection-context.js";
import { connectionDetails, type DescribedConnection } from "./connection-details.js";
import type { ConnectionScope, ConnectionState } from "./connection-scope.js";
import { connectionMethod, FRAME_MIN_SIZE, start } from "./handlers/connection.js";
import type { AmqpLimits } from "./limits.js";
import { ProtocolHeaderReader } from "./protocol-header.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";
import { readSocket } from "../../src/transport/socket-reads.js";

/**
 * One AMQP 0-9-1 connection: reads frames from the socket and routes them — channel 0 to the
 * connection class's handlers (handlers/connection.ts: handshake, the client's close), others to
 * their Channel — and owns what lives as long as the socket: heartbeats, the close handshake on
 * our side, resource-alarm blocking (blocking.ts).
 */
export class AmqpConnection
  implements ConnectionContext, ConnectionScope, ConnectionSource, DescribedConnection, DrainListener, BlockableConnection
{
  state: ConnectionState = "header";
  private readonly reader: FrameReader;
  private readonly header = new ProtocolHeaderReader();
  readonly writer: BatchedWriter;
  private readonly channels = new Map<number, Channel>();
  readonly limits: AmqpLimits;
  channelMax: number;
  frameMax: number;
  private heartbeat = 0;
  /** rabbit_reader's timeout_sec: the handshake timeout until tune-ok, then the heartbeat. */
  private timeoutSec = HANDSHAKE_TIMEOUT_SEC;
  /** Half the negotiated heartbeat: we send one after this long quiet (0 until tune-ok, or none). */
  heartbeatSendMs = 0;
  /** Two heartbeat intervals: a client silent this long is gone (§4.2.7). */
  heartbeatTimeoutMs = 0;
  lastRead = Date.now();
  private readonly closeTimer: ClosingTimer;
  capabilities: FieldTable = {};
  authMechanism = "PLAIN";
  clientProperties: FieldTable = {};
  user!: User;
  vhost!: VirtualHost;
  access!: AccessControl;
  readonly client: ClientRef;
  readonly log: Logger;
  readonly connectedAt = Date.now();
  private readonly blocking: PublisherBlocking;
  private unsubscribeAlarms: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    readonly broker: Broker,
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
    this.closeTimer = new ClosingTimer(socket);
    socket.setNoDelay(true);
    this.blocking = new PublisherBlocking(
      readSocket(socket, (chunk: Buffer) => this.onData(chunk)),
      this,
    );
    socket.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    socket.on("close", () => this.teardown());
  }

  get maxMessageSize(): number {
    return this.limits.maxMessageSize;
  }

  get fromLoopback(): boolean {
    return isLoopback(this.socket.remoteAddress);
  }

  /** Blocked by a resource alarm: the socket is not read. */
  private get paused(): boolean {
    return this.blocking.paused;
  }

  get running(): boolean {
    return this.state === "opened";
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.ignoreInput) return;
    try {
      if (this.state === "header") {
        const rest = this.readProtocolHeader(chunk);
        if (rest === null || rest.length === 0) return;
        chunk = rest;
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
        this.blocking.hold(frame, this.broker.alarms.reason);
        return;
      }
      this.onFrame(frame);
      if (this.ignoreInput) return;
    }
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

  /** AMQP 0-9-1 §4.2.2: a bad header is answered with the header we speak, then the socket closes. */
  private readProtocolHeader(chunk: Buffer): Buffer | null {
    const rest = this.header.read(chunk);
    if (rest === null) return null;
    if (rest === false) {
      this.log.info("bad protocol header; answering with AMQP 0-9-1's and closing");
      this.state = "closed";
      this.ignoreInput = true;
      this.socket.end(PROTOCOL_HEADER);
      return null;
    }
    start(this, this.serverProperties);
    this.writer.flush();
    return rest;
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
      connectionMethod(this, decodeMethod(frame.payload, 0, frame.payload.length));
      return;
    }
    if (this.state !== "opened") {
      this.connectionError(ReplyCode.CHANNEL_ERROR, "CHANNEL_ERROR - connection not open", 0, 0);
      return;
    }
    if (frame.channel > this.channelMax) {
      this.connectionError(
        ReplyCode.CHANNEL_ERROR,
        `CHANNEL_ERROR - channel ${frame.channel} exceeds channel_max ${this.channelMax}`,
        0,
        0,
      );
      return;
    }
    let channel = this.channels.get(frame.channel);
    if (frame.type === FRAME_METHOD) {
      const m = decodeMethod(frame.payload, 0, frame.payload.length);
      if (!channel) {
        if (m.kind !== "channel.open") {
          const [classId, methodId] = METHOD_IDS[m.kind];
          this.connectionError(ReplyCode.CHANNEL_ERROR, "CHANNEL_ERROR - expected 'channel.open'", classId, methodId);
          return;
        }
        channel = new Channel(frame.channel, this);
        this.channels.set(frame.channel, channel);
        this.broker.connections.channelsOpened++;
      }
      channel.onMethod(m);
    } else if (frame.type === FRAME_HEADER || frame.type === FRAME_BODY) {
      if (!channel) {
        this.connectionError(ReplyCode.CHANNEL_ERROR, "CHANNEL_ERROR - expected 'channel.open'", 0, 0);
        return;
      }
      if (frame.type === FRAME_HEADER) {
        this.blocking.publisher = true;
        channel.onHeader(frame.payload);
      } else channel.onBody(frame.payload);
    } else {
      throw new CodecError(ReplyCode.FRAME_ERROR, `FRAME_ERROR - unknown frame type ${frame.type}`);
    }
  }

  /** Handshake failures RabbitMQ answers by dropping the socket, with no connection.close. */
  dropHandshake(reason: string): void {
    this.log.warn({ reason }, "closing connection during handshake");
    this.state = "closed";
    this.ignoreInput = true;
    this.socket.destroy();
  }

  /** tune-ok's values, checked by the handshake (0s already replaced by our limits). */
  tuned(channelMax: number, frameMax: number, heartbeat: number): void {
    this.channelMax = channelMax;
    this.frameMax = frameMax;
    this.reader.setMaxFrameSize(this.frameMax);
    this.heartbeat = heartbeat;
    this.timeoutSec = heartbeat;
    this.state = "open";
    this.startHeartbeats();
  }

  /** connection.open was granted: open-ok, and the connection is listed and subject to alarms. */
  opened(vhost: VirtualHost, access: AccessControl): void {
    this.vhost = vhost;
    this.access = access;
    this.state = "opened";
    this.send(0, { kind: "connection.open-ok", reserved1: "" });
    this.handshake?.settle(this.socket);
    // listed by the management API from now on, closable by name
    this.broker.connections.register(this, vhost.name);
    // like RabbitMQ, a connection opened under an alarm hears connection.blocked when it first publishes
    this.unsubscribeAlarms = this.broker.alarms.subscribe((blocked, reason) => this.blocking.alarmChanged(blocked, reason));
  }

  /** What the management API shows of this connection (ConnectionSource). */
  connectionDetails(): ConnectionDetails {
    return connectionDetails(this.socket, this, this.heartbeat);
  }

  channelInfos(): ChannelInfo[] {
    return [...this.channels.values()].map((c) => c.info());
  }

  /** The alarm cleared (BlockableConnection): the held publish, then the frames read after it. */
  resumeReading(held: Frame | null): boolean {
    // the client's heartbeats were not read while blocked: its silence so far was ours
    this.lastRead = Date.now();
    try {
      if (held !== null) this.onFrame(held);
      if (this.state === "opened") this.readFrames();
    } catch (err) {
      this.frameFailed(err);
    }
    return this.state !== "closed";
  }

  /**
   * On the process's one heartbeat sweeper (no timer of our own): a heartbeat frame when we have
   * been quiet for half the interval, as RabbitMQ's sender does; the socket closed after two
   * silent intervals (§4.2.7).
   */
  private startHeartbeats(): void {
    if (this.heartbeat <= 0) return;
    const ms = this.heartbeat * 1000;
    this.heartbeatSendMs = ms / 2;
    this.heartbeatTimeoutMs = 2 * ms;
    heartbeats.watch(this);
  }

  get lastWrite(): number {
    return this.writer.lastWrite;
  }

  sendHeartbeat(): void {
    this.writer.write(HEARTBEAT_FRAME);
  }

  heartbeatTimedOut(): void {
    if (this.paused) {
      // a blocked connection is not read, so its silence is ours (RabbitMQ pauses its heartbeat monitor)
      this.lastRead = Date.now();
      heartbeats.watch(this);
      return;
    }
    this.log.warn({ timeoutSec: this.heartbeat }, "missed heartbeats from client, closing connection");
    this.socket.destroy();
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
    if (this.channels.delete(id)) this.broker.connections.channelsClosed++;
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
  closedByClient(): void {
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
    this.closeTimer.arm(this.timeoutSec);
  }

  private released = false;

  /** Lets go of everything the connection holds in the broker; the socket is handled apart. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.unsubscribeAlarms?.();
    this.handshake?.settle(this.socket);
    this.broker.connections.unregister(this.client);
    heartbeats.unwatch(this);
    for (const ch of this.channels.values()) ch.release();
    this.broker.connections.channelsClosed += this.channels.size;
    this.channels.clear();
    if (this.vhost) {
      this.vhost.clientClosed(this.client);
      this.log.info({ user: this.user.name, vhost: this.vhost.name }, "connection closed");
    }
    this.blocking.unpause();
  }

  /** The socket closed (the client closed it, it failed, or a timer destroyed it). */
  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.ignoreInput = true;
    this.state = "closed";
    this.release();
    this.closeTimer.clear();
    this.writer.discard();
    if (!this.socket.destroyed) this.socket.destroy();
    this.onClosed(this);
  }

  private tornDown = false;
  /** Nothing more is read: the socket is on its way out. */
  private ignoreInput = false;
}

/**
 * RabbitMQ's wording for a frame that makes no sense where it arrived (rabbit_reader's
 * payload_snippet: its type and at most its first 16 octets, printed with ~p).
 */
export function unexpectedFrameText(frame: Frame): string {
  return `UNEXPECTED_FRAME - ${describeFrame(frame.type, frame.payload)}`;
}

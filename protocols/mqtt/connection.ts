/**
 * One MQTT connection (3.1, 3.1.1 or 5.0) over any byte stream: framing, the connection's state
 * and lifecycle (open, closing, torn down, taken over), keep-alive, resource alarms and writing.
 * Each packet goes to its handler in handlers/ (module functions given this connection as their
 * `ConnectionContext`); subscriptions and QoS flows live in the session, which may outlive this
 * connection, and what outlives it is the server's `SessionRegistry`.
 */
import { tlsInfo } from "../../src/transport/tls.js";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import mqttPacket from "mqtt-packet";
import type { IPublishPacket, Packet } from "mqtt-packet";

// mqtt-packet's generate() fills a cache of 65,536 two-byte Buffers on first use: ≈ 5 MB of heap
// every GC walks from then on, and 10–20 ms scavenges while it is young (p99 spikes). It only
// encodes control packets here (the hot path has its own encoder), so numbers are made as needed.
mqttPacket.writeToStream.cacheNumbers = false;
import type { AccessControl, ClientRef, ConnectionDetails, User, VirtualHost } from "../../src/core/index.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import type { Logger } from "../../src/server/logger.js";
import { PacketFramer, type PacketSink } from "./decode.js";
import type { HeldAcks } from "./held-acks.js";
import { heartbeats, type HeartbeatWatched } from "../../src/transport/heartbeats.js";
import { encodePublish, packetSize, publishRemaining, PUBREL, queueAck, topicByteLength, writePublish } from "./encode.js";
import type { ConnectionContext, Established, MqttContext, ServerConnection } from "./context.js";
import { handleAck, handleConnect, handlePacket, handlePingreq, handlePublish } from "./handlers/index.js";
import type { QoS } from "./message.js";
import { MAX_PACKET_UNAUTHENTICATED, MQTT_MAX_PACKET } from "./options.js";
import { CONNACK_V3, REASON } from "./reason-codes.js";
import { type MqttSession, NEVER } from "./session.js";
import type { InboundAliases, OutboundAliases } from "./topic-alias.js";
import { publishWill, type Will } from "./will.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";
import { readSocket, type SocketReads } from "../../src/transport/socket-reads.js";

type State = "connect" | "open" | "closed";

/** Protocol levels as RabbitMQ's management API names them. */
const PROTOCOL_NAMES: Record<number, string> = { 3: "3.1.0", 4: "3.1.1", 5: "5.0" };

function ignoreStreamError(): void {}

/** The stream's own connection, for the shared listeners. */
const CONNECTION = Symbol("warren.mqttConnection");
type ConnectionStream = Duplex & { [CONNECTION]: MqttConnection };

export class MqttConnection implements ConnectionContext, PacketSink, DrainListener, HeartbeatWatched, ServerConnection {
  private state: State = "connect";
  private readonly framer = new PacketFramer(this);
  /** mqtt-packet's parser, made for a packet the fast path does not take and dropped after it. */
  private parser: ReturnType<typeof mqttPacket.parser> | null = null;
  readonly writer: BatchedWriter;
  private readonly reads: SocketReads;
  readonly client: ClientRef;
  /** Made on first use: most connections log nothing, and a pino child costs about a KiB. */
  private logClientId: string | null = null;
  protocolVersion = 4;
  receiveMaximum: number;
  /** The client's maximum packet size (v5): larger publishes to it are dropped [MQTT-3.1.2-25]. */
  // No limit is the largest packet MQTT can frame, not Infinity: a small integer is stored in the
  // object, a double in a box of its own.
  private clientMaxPacket = MQTT_MAX_PACKET;
  /** Topic aliases towards the client (v5), when it allows them. */
  private outboundAliases: OutboundAliases | null = null;
  private keepAliveMs = 0;
  /** 1.5 × keep-alive once the heartbeat sweeper watches this connection; 0 = no keep-alive. */
  heartbeatTimeoutMs = 0;
  lastRead = Date.now();
  session: MqttSession | null = null;
  private sessionKey = "";
  vhost: VirtualHost | null = null;
  private user: User | null = null;
  /** The user's permissions in the vhost, with {client_id} for topic permission patterns. */
  // set by CONNECT (establish), before any handler that asks for it runs
  access!: AccessControl;
  will: Will | null = null;
  /** Made when a v5 client first uses a topic alias. */
  inboundAliases: InboundAliases | null = null;
  /** Acks waiting for the disk (made when a publish first reaches a durable queue). */
  heldAcks: HeldAcks | null = null;
  sessionExpiry = 0;
  /** The last valid PUBLISH topic and its routing key. */
  lastTopic = "";
  lastRoutingKey = "";
  /** The session was persistent at some point of this connection: the state file must hear of its end. */
  private sessionWasPersistent = false;
  /** While a resource alarm holds a PUBLISH: ends the alarm subscription. */
  private unblock: (() => void) | null = null;

  readonly connectedAt = Date.now();
  /** RabbitMQ 3.10 runs an MQTT connection over one internal channel. */
  readonly implicitChannel = true;

  // An idle connection should cost little more than its socket: no copies of the peer's addresses
  // (read from `socket` when asked), two listener closures, everything else made on first use.
  constructor(
    private readonly stream: Duplex,
    /** The TCP socket: `stream` itself, or the one under a WebSocket. */
    private readonly socket: Socket,
    private readonly webSocket: boolean,
    readonly ctx: MqttContext,
    /** The listener's login deadlines, which `socket` is tracked by until CONNACK. */
    private readonly handshake: HandshakeDeadlines | null = null,
  ) {
    this.client = ctx.broker.newClient();
    this.receiveMaximum = ctx.options.receiveMaximum;
    this.writer = new BatchedWriter(stream, this);
    // the listeners are shared by every connection, which they find on the stream: two closures
    // and their context per connection would be a tenth of an idle connection's heap
    (stream as ConnectionStream)[CONNECTION] = this;
    this.reads = readSocket(stream as ConnectionStream, MqttConnection.onStreamData);
    // what an error means for the connection, 'close' says; the error itself is noise (resets)
    stream.on("error", ignoreStreamError);
    // the peer's FIN ends the session at once, as RabbitMQ does; a WebSocket stream may also end
    // without closing until both sides are done
    stream.on("end", MqttConnection.onStreamGone);
    stream.on("close", MqttConnection.onStreamGone);
  }

  private static onStreamData(this: ConnectionStream, chunk: Buffer): void {
    this[CONNECTION].onData(chunk);
  }

  private static onStreamGone(this: ConnectionStream): void {
    this[CONNECTION].teardown();
  }

  /** The socket caught up: deliveries held back for it may go (DrainListener). */
  streamDrained(): void {
    this.session?.resume();
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  private get peerAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /**
   * A logger with this connection's fields, made for each event rather than kept: events are a
   * handful per connection, and a kept pino child (its bindings pre-serialised) costs an idle
   * connection ≈ 0.5 KiB.
   */
  get log(): Logger {
    return this.ctx.log.child({
      conn: this.client.id,
      protocol: "mqtt",
      peer: this.peerAddress,
      ...(this.logClientId !== null && { clientId: this.logClientId }),
    });
  }

  get backedUp(): boolean {
    return this.writer.backedUp;
  }

  get closed(): boolean {
    return this.state === "closed";
  }

  get fastPath(): boolean {
    return this.state === "open";
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.lastRead = Date.now();
    try {
      this.framer.push(chunk);
    } catch (err) {
      this.log.error({ err }, "internal error handling an MQTT packet");
      this.disconnect(REASON.UNSPECIFIED);
    }
  }

  onFastPublish(topic: string, payload: Buffer, qos: QoS, retain: boolean, packetId: number): void {
    handlePublish(this, topic, payload, qos, retain, packetId, undefined);
  }

  onFastAck(type: number, packetId: number): void {
    handleAck(this, type, packetId);
  }

  onPingreq(): void {
    handlePingreq(this);
  }

  /** Everything but the hot path's packets: mqtt-packet decodes and validates it. */
  onOtherPacket(packet: Buffer): void {
    const parser = (this.parser ??= this.makeParser());
    parser.parse(packet);
    // keep nothing between packets: an idle connection holds no parser
    if (this.parser === parser) this.parser = null;
  }

  private makeParser(): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser({ protocolVersion: this.protocolVersion as 3 | 4 | 5 });
    parser.on("packet", (p: Packet) => this.onPacket(p));
    parser.on("error", (err: Error) => {
      this.parser = null;
      this.malformed(err.message);
    });
    return parser;
  }

  onTooLarge(size: number): void {
    this.tooLarge(size);
  }

  /**
   * A PUBLISH while a resource alarm is on waits unread (no PUBACK), and so does everything after
   * it: the stream is paused until the alarm clears. RabbitMQ 3.10 stops reading every MQTT socket
   * under an alarm, CONNECTs and subscribers' acks too; holding only publishers keeps consumers
   * draining, as RabbitMQ's AMQP reader does.
   */
  holdPublish(): boolean {
    if (this.state !== "open") return false;
    const alarms = this.ctx.broker.alarms;
    if (!alarms.blocked) return false;
    if (this.unblock === null) {
      this.reads.pause();
      this.unblock = alarms.subscribe((blocked) => {
        if (!blocked) this.alarmCleared();
      });
    }
    return true;
  }

  private alarmCleared(): void {
    this.unblock?.();
    this.unblock = null;
    if (this.state === "closed") return;
    // the client's pings were not read while blocked: its silence was ours
    this.lastRead = Date.now();
    try {
      this.framer.resume();
    } catch (err) {
      this.log.error({ err }, "internal error handling an MQTT packet");
      this.disconnect(REASON.UNSPECIFIED);
      return;
    }
    if (this.unblock === null && (this.state as State) !== "closed") this.reads.resume();
  }

  onMalformed(why: string): void {
    this.malformed(why);
  }

  /** Until CONNECT is accepted only small packets are taken (RabbitMQ's max_packet_size_unauthenticated). */
  get packetLimit(): number {
    const max = this.ctx.options.maxPacketSize;
    return this.state === "connect" ? Math.min(max, MAX_PACKET_UNAUTHENTICATED) : max;
  }

  private tooLarge(size: number): void {
    this.log.info({ size, limit: this.packetLimit }, "packet larger than the maximum packet size; closing");
    this.disconnect(REASON.PACKET_TOO_LARGE);
  }

  private malformed(why: string): void {
    if (this.state === "closed") return;
    if (this.state === "connect") {
      // [MQTT-3.1.2-2]: an unsupported protocol level is answered with CONNACK 0x01, then closed
      if (/protocol version|protocolId/i.test(why)) {
        this.log.info({ why }, "unsupported MQTT protocol; refusing the connection");
        this.writer.write(mqttPacket.generate({ cmd: "connack", returnCode: CONNACK_V3.UNACCEPTABLE_PROTOCOL, sessionPresent: false }));
        this.close();
        return;
      }
    }
    this.log.info({ why }, "malformed MQTT packet; closing");
    this.disconnect(REASON.MALFORMED_PACKET);
  }

  private onPacket(p: Packet): void {
    if (this.state === "closed") return;
    // a packet that arrived whole in one read is only seen here; a partial one in onData
    if ((p.length ?? 0) > this.packetLimit) return this.tooLarge(p.length ?? 0);
    if (this.state === "connect") {
      if (p.cmd !== "connect") {
        // [MQTT-3.1.0-1]: the first packet must be CONNECT
        this.log.info({ cmd: p.cmd }, "packet before CONNECT; closing");
        this.close();
        return;
      }
      handleConnect(this, p);
      return;
    }
    handlePacket(this, p);
  }

  /** CONNECT accepted (handlers/connect.ts): what it established, the keep-alive, the open state. */
  establish(e: Established): void {
    this.user = e.user;
    this.vhost = e.vhost;
    this.access = e.access;
    this.will = e.will;
    this.receiveMaximum = e.receiveMaximum;
    this.clientMaxPacket = e.clientMaxPacket;
    this.outboundAliases = e.outboundAliases;
    this.sessionExpiry = e.sessionExpiry;
    this.sessionKey = e.sessionKey;
    this.logClientId = e.clientId;
    this.sessionWasPersistent = e.sessionWasPersistent;
    this.session = e.session;
    this.keepAliveMs = e.keepAliveMs;
    this.armKeepAlive();
    this.state = "open";
    this.handshake?.settle(this.socket);
  }

  /** What the management API shows of this connection (ConnectionSource). */
  connectionDetails(): ConnectionDetails {
    const socket = this.socket;
    const session = this.session;
    return {
      protocol: `${this.webSocket ? "Web MQTT" : "MQTT"} ${PROTOCOL_NAMES[this.protocolVersion] ?? this.protocolVersion}`,
      peerHost: socket.remoteAddress ?? "",
      peerPort: socket.remotePort ?? 0,
      host: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
      user: this.user?.name ?? "",
      vhost: this.vhost?.name ?? "",
      clientProperties: { client_id: session?.clientId ?? "" },
      authMechanism: "none",
      tls: tlsInfo(socket),
      frameMax: 0,
      channelMax: 1,
      timeout: this.keepAliveMs / 1000,
      // RabbitMQ 3.10 shows an MQTT connection with the one channel its session runs on
      channels: () => {
        const s = session?.stats() ?? { consumers: 0, unacked: 0 };
        return [
          {
            number: 1,
            consumerCount: s.consumers,
            unacked: s.unacked,
            prefetchCount: this.receiveMaximum,
            globalPrefetchCount: 0,
            confirm: false,
            transactional: false,
            publish: 0,
            confirmed: 0,
          },
        ];
      },
      close: () => {
        this.log.info("closed by an operator");
        this.disconnect(REASON.ADMINISTRATIVE_ACTION);
      },
    };
  }

  /** [MQTT-3.1.2-24]: no packet within 1.5 × keep-alive closes the connection. */
  private armKeepAlive(): void {
    if (this.keepAliveMs === 0) return;
    this.heartbeatTimeoutMs = this.keepAliveMs * 1.5;
    heartbeats.watch(this);
  }

  heartbeatTimedOut(): void {
    if (this.state === "closed") return;
    if (this.unblock !== null) {
      // not read while an alarm holds its publish (RabbitMQ pauses the keep-alive monitor)
      this.lastRead = Date.now();
      heartbeats.watch(this);
      return;
    }
    this.log.info({ keepAliveMs: this.keepAliveMs }, "keep-alive timeout; closing");
    this.disconnect(REASON.KEEP_ALIVE_TIMEOUT);
  }

  commitFailed(): void {
    this.log.error("could not write published messages to disk; closing so the client publishes them again");
    this.disconnect(REASON.UNSPECIFIED);
  }

  // ---- takeover and closing --------------------------------------------------------------

  /** Another connection took this client id over [MQTT-3.1.4-3]; v5 hears 0x8E. */
  takenOver(): void {
    this.log.info("session taken over by a new connection");
    this.disconnect(REASON.SESSION_TAKEN_OVER);
    // run the teardown now, so the new connection finds the session free; the stream is left to
    // finish writing the DISCONNECT (close() destroys it later if the peer lingers)
    this.teardown(false);
  }

  serverShutdown(handover = false): void {
    this.disconnect(handover ? REASON.USE_ANOTHER_SERVER : REASON.SERVER_SHUTTING_DOWN);
  }

  /** Server-side DISCONNECT with a reason code (v5 only; earlier levels just close). */
  disconnect(reason: number): void {
    if (this.state === "closed") return;
    if (this.state === "open" && this.protocolVersion === 5) this.send({ cmd: "disconnect", reasonCode: reason });
    this.close();
  }

  /** Drops the connection without a word (broker shutdown, after the DISCONNECTs had their moment). */
  destroy(): void {
    this.stream.destroy();
  }

  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.writer.end();
    // a peer that never reads must not keep the socket open
    setTimeout(() => this.stream.destroy(), 1000).unref();
  }

  private tornDown = false;

  private teardown(destroyStream = true): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.state = "closed";
    if (destroyStream) {
      this.writer.discard();
      if (!this.stream.destroyed) this.stream.destroy();
    }
    if (this.heartbeatTimeoutMs > 0) heartbeats.unwatch(this);
    this.handshake?.settle(this.socket);
    this.unblock?.();
    this.unblock = null;
    this.heldAcks?.clear();
    this.ctx.broker.connections.unregister(this.client);
    const session = this.session;
    if (session) {
      const key = this.sessionKey;
      session.detach();
      this.vhost!.clientClosed(this.client);
      this.log.info({ user: this.user?.name, vhost: this.vhost!.name }, "connection closed");
      if (this.will) this.leaveWill(this.will, key);
      const expiry = this.protocolVersion === 5 ? this.sessionExpiry : NEVER;
      this.ctx.sessions.release(key, session, expiry, this.sessionWasPersistent);
    }
    this.ctx.connectionClosed(this);
  }

  /** [MQTT-3.1.2-8]: the will goes out when the connection ends without DISCONNECT. */
  private leaveWill(will: Will, key: string): void {
    // `vhost!`: a connection with a will was opened by CONNECT, which set its vhost
    const vhost = this.vhost!;
    const { access, client } = this;
    const retained = this.ctx.retained;
    const go = (): void => {
      // checked when it goes out, as RabbitMQ does: a refused will is logged and dropped
      const denied = publishWill(will, vhost, access, client, retained);
      if (denied) this.log.warn({ topic: will.topic, reason: denied.text }, "could not send last will");
    };
    // v5 will delay: sent later unless the client reconnects first, at the latest when the session ends
    const delay = Math.min(will.delay, this.session?.persistent ? this.sessionExpiry : 0);
    if (delay > 0) this.ctx.sessions.scheduleWill(key, delay, go);
    else go();
  }

  // ---- writing --------------------------------------------------------------------------

  send(packet: Packet): void {
    this.writer.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion as 3 | 4 | 5 }));
  }

  /** The hot path's delivery: no v5 properties, so no packet object and no Buffer of its own. */
  sendPlainPublish(topic: string, payload: Buffer, qos: QoS, retain: boolean, dup: boolean, packetId: number): boolean {
    if (this.outboundAliases !== null) {
      const packet: IPublishPacket = { cmd: "publish", topic, payload, qos, retain, dup };
      if (qos > 0) packet.messageId = packetId;
      return this.sendPublish(packet);
    }
    const v5 = this.protocolVersion === 5;
    const topicLength = topicByteLength(topic);
    const remaining = publishRemaining(topicLength, payload.length, qos, v5);
    const size = packetSize(remaining);
    if (size > this.clientMaxPacket) {
      this.log.debug({ size }, "publish larger than the client's maximum packet size; dropped");
      return false;
    }
    const w = this.writer;
    const o = w.reserve(size);
    writePublish(w.slab, o, remaining, topic, topicLength, payload, qos, retain, dup, packetId, v5);
    return true;
  }

  sendPublish(packet: IPublishPacket): boolean {
    const newAlias = this.outboundAliases?.apply(packet) ?? null;
    // a delivery whose alias took away its properties' need skips mqtt-packet's general encoder
    const bytes =
      packet.properties === undefined
        ? encodePublish(
            packet.topic,
            packet.payload as Buffer,
            packet.qos,
            packet.retain,
            packet.dup,
            packet.messageId ?? 0,
            this.protocolVersion === 5,
          )
        : mqttPacket.generate(packet, { protocolVersion: this.protocolVersion as 3 | 4 | 5 });
    if (bytes.length > this.clientMaxPacket) {
      this.log.debug({ size: bytes.length }, "publish larger than the client's maximum packet size; dropped");
      // the client never saw that alias: take it back (it was the latest one handed out)
      if (newAlias !== null) this.outboundAliases!.forget(newAlias);
      return false;
    }
    this.writer.write(bytes);
    return true;
  }

  sendPubrel(packetId: number): void {
    queueAck(this.writer, PUBREL, packetId);
  }
}

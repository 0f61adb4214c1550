/**
 * One MQTT connection (3.1, 3.1.1 or 5.0) over any byte stream: CONNECT validation and
 * authentication, keep-alive, packet dispatch, wills and takeover. Subscriptions and QoS flows
 * live in the session, which may outlive this connection.
 */
import { tlsInfo } from "../../src/transport/tls.js";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import mqttPacket from "mqtt-packet";
import type {
  IConnectPacket, IDisconnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet,
} from "mqtt-packet";
import { randomBytes } from "node:crypto";

// mqtt-packet's generate() fills a cache of 65,536 two-byte Buffers on first use: ≈ 5 MB of heap
// every GC walks from then on, and 10–20 ms scavenges while it is young (p99 spikes). It only
// encodes control packets here (the hot path has its own encoder), so numbers are made as needed.
mqttPacket.writeToStream.cacheNumbers = false;
import {
  type AccessControl, BrokerError, LoginRefused, type ClientRef, type ConnectionDetails, type ConnectionSource, type Durability,
  type PublishResult, type User, type VirtualHost,
} from "../../src/core/index.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import type { Logger } from "../../src/server/logger.js";
import { isLoopback } from "../../src/transport/listen.js";
import { PacketFramer, type PacketSink } from "./decode.js";
import { HeldAcks } from "./held-acks.js";
import { heartbeats, type HeartbeatWatched } from "../../src/transport/heartbeats.js";
import {
  encodePublish, packetSize, PUBACK, PUBCOMP, publishRemaining, PUBREC, PUBREL, queueAck, topicByteLength, writePublish,
} from "./encode.js";
import { fromPublish, type QoS } from "./message.js";
import { CONNACK_V3, REASON } from "./reason-codes.js";
import type { MqttServer } from "./server.js";
import { MqttSession, NEVER, type SessionLink, type SubscriptionOptions } from "./session.js";
import {
  filterToBindingKey, MQTT_EXCHANGE, parseSharedFilter, topicFilterProblem, topicNameProblem, topicToRoutingKey,
} from "./topics.js";
import { InboundAliases, OutboundAliases } from "./topic-alias.js";
import { type Will, willFromConnect } from "./will.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";

/** RabbitMQ's mqtt.max_packet_size_unauthenticated: a CONNECT is never bigger than this. */
export const MAX_PACKET_UNAUTHENTICATED = 65536;

type State = "connect" | "open" | "closed";

/** The largest packet MQTT can frame: remaining length 268,435,455 plus a five-byte fixed header. */
const MQTT_MAX_PACKET = 268_435_455 + 5;

/** Protocol levels as RabbitMQ's management API names them. */
const PROTOCOL_NAMES: Record<number, string> = { 3: "3.1.0", 4: "3.1.1", 5: "5.0" };

function ignoreStreamError(): void {}

/** The stream's own connection, for the shared listeners. */
const CONNECTION = Symbol("warren.mqttConnection");
type ConnectionStream = Duplex & { [CONNECTION]: MqttConnection };

/** PINGRESP (MQTT 3.1.1 §3.13), the same two bytes every time. */
const PINGRESP = Buffer.from([0xd0, 0x00]);

export class MqttConnection implements SessionLink, PacketSink, ConnectionSource, DrainListener, HeartbeatWatched {
  private state: State = "connect";
  private readonly framer = new PacketFramer(this);
  /** mqtt-packet's parser, made for a packet the fast path does not take and dropped after it. */
  private parser: ReturnType<typeof mqttPacket.parser> | null = null;
  private readonly writer: BatchedWriter;
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
  private session: MqttSession | null = null;
  private sessionKey = "";
  private vhost: VirtualHost | null = null;
  private user: User | null = null;
  /** The user's permissions in the vhost, with {client_id} for topic permission patterns; made on first use. */
  /** Set at login, with the rest of what CONNECT establishes. */
  private access!: AccessControl;
  private will: Will | null = null;
  /** Made when a v5 client first uses a topic alias. */
  private inboundAliases: InboundAliases | null = null;
  /** Acks waiting for the disk (made when a publish first reaches a durable queue). */
  private heldAcks: HeldAcks | null = null;
  private sessionExpiry = 0;
  /** The last valid PUBLISH topic and its routing key. */
  private lastTopic = "";
  private lastRoutingKey = "";
  /** The session was persistent at some point of this connection: the state file must hear of its end. */
  private sessionWasPersistent = false;
  /** While a resource alarm holds a PUBLISH: ends the alarm subscription. */
  private unblock: (() => void) | null = null;

  readonly connectedAt = Date.now();

  // An idle connection should cost little more than its socket: no copies of the peer's addresses
  // (read from `socket` when asked), two listener closures, everything else made on first use.
  constructor(
    private readonly stream: Duplex,
    /** The TCP socket: `stream` itself, or the one under a WebSocket. */
    private readonly socket: Socket,
    private readonly webSocket: boolean,
    private readonly server: MqttServer,
    /** The listener's login deadlines, which `socket` is tracked by until CONNACK. */
    private readonly handshake: HandshakeDeadlines | null = null,
  ) {
    this.client = server.broker.newClient();
    this.receiveMaximum = server.options.receiveMaximum;
    this.writer = new BatchedWriter(stream, this);
    // the listeners are shared by every connection, which they find on the stream: two closures
    // and their context per connection would be a tenth of an idle connection's heap
    (stream as ConnectionStream)[CONNECTION] = this;
    stream.on("data", MqttConnection.onStreamData);
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

  private get peerAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /**
   * A logger with this connection's fields, made for each event rather than kept: events are a
   * handful per connection, and a kept pino child (its bindings pre-serialised) costs an idle
   * connection ≈ 0.5 KiB.
   */
  private get log(): Logger {
    return this.server.log.child({
      conn: this.client.id, protocol: "mqtt", peer: this.peerAddress,
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
    this.handlePublish(topic, payload, qos, retain, packetId, undefined);
  }

  onFastAck(type: number, packetId: number): void {
    switch (type) {
      case 4:
        this.session!.puback(packetId);
        return;
      case 5:
        return this.onPubrec(packetId);
      case 6:
        return this.onPubrel(packetId);
      default:
        this.session!.pubcomp(packetId);
    }
  }

  onPingreq(): void {
    this.writer.writeAlone(PINGRESP);
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
    const alarms = this.server.broker.alarms;
    if (!alarms.blocked) return false;
    if (this.unblock === null) {
      this.stream.pause();
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
    if (this.unblock === null && (this.state as State) !== "closed") this.stream.resume();
  }

  onMalformed(why: string): void {
    this.malformed(why);
  }

  /** Until CONNECT is accepted only small packets are taken (RabbitMQ's max_packet_size_unauthenticated). */
  get packetLimit(): number {
    const max = this.server.options.maxPacketSize;
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
      this.onConnect(p);
      return;
    }
    switch (p.cmd) {
      case "publish":
        return this.onPublish(p);
      case "puback":
        this.session!.puback(p.messageId!);
        return;
      case "pubrec":
        return this.onPubrec(p.messageId!);
      case "pubrel":
        return this.onPubrel(p.messageId!);
      case "pubcomp":
        this.session!.pubcomp(p.messageId!);
        return;
      case "subscribe":
        return this.onSubscribe(p);
      case "unsubscribe":
        return this.onUnsubscribe(p);
      case "pingreq":
        return this.onPingreq();
      case "disconnect":
        return this.onDisconnect(p);
      case "connect":
        // [MQTT-3.1.0-2]: a second CONNECT is a protocol violation
        this.log.info("second CONNECT; closing");
        this.disconnect(REASON.PROTOCOL_ERROR);
        return;
      default:
        this.log.info({ cmd: p.cmd }, "unexpected packet from a client; closing");
        this.disconnect(REASON.PROTOCOL_ERROR);
    }
  }

  private onPubrec(id: number): void {
    if (this.session!.pubrec(id)) this.sendPubrel(id);
    else queueAck(this.writer, PUBREL, id, this.protocolVersion === 5 ? REASON.PACKET_ID_NOT_FOUND : 0);
  }

  private onPubrel(id: number): void {
    const known = this.session!.inboundQos2.delete(id);
    queueAck(this.writer, PUBCOMP, id, this.protocolVersion === 5 && !known ? REASON.PACKET_ID_NOT_FOUND : 0);
  }

  // ---- CONNECT --------------------------------------------------------------------------

  private refuse(v3: number, v5: number, why: string): void {
    this.log.info({ why }, "MQTT connection refused");
    this.send(
      this.protocolVersion === 5
        ? { cmd: "connack", reasonCode: v5, sessionPresent: false }
        : { cmd: "connack", returnCode: v3, sessionPresent: false },
    );
    this.close();
  }

  private onConnect(p: IConnectPacket): void {
    const version = p.protocolVersion ?? 4;
    this.protocolVersion = version;
    // [MQTT-3.1.2-1]: 3.1 says MQIsdp, 3.1.1 and 5 say MQTT
    if ((version === 3) !== (p.protocolId === "MQIsdp")) {
      return this.refuse(CONNACK_V3.UNACCEPTABLE_PROTOCOL, REASON.UNSUPPORTED_PROTOCOL_VERSION, "protocol name does not match level");
    }
    const props = p.properties ?? {};
    if (props.authenticationMethod !== undefined) {
      // v5 enhanced authentication (AUTH exchanges, MQTT 5 §4.12) is not offered
      return this.refuse(CONNACK_V3.NOT_AUTHORIZED, REASON.BAD_AUTHENTICATION_METHOD, "enhanced authentication not supported");
    }
    const clean = p.clean !== false;
    let clientId = p.clientId;
    let assigned = false;
    if (clientId === "") {
      // [MQTT-3.1.3-7, MQTT-3.1.3-8]: 3.1.1 assigns one only with a clean session; 3.1 never
      if (version === 3 || (version === 4 && !clean)) {
        return this.refuse(CONNACK_V3.IDENTIFIER_REJECTED, REASON.CLIENT_ID_NOT_VALID, "empty client id");
      }
      clientId = `warren-${randomBytes(12).toString("base64url")}`;
      assigned = true;
      // MQTT 3.1 says 23 characters at most, but RabbitMQ 3.10 takes longer ids on every level
      // (CONNACK 0 up to 65,535), and clients written against it send them
    } else if (/[\u0000\uFFFD]/.test(clientId)) {
      return this.refuse(CONNACK_V3.IDENTIFIER_REJECTED, REASON.CLIENT_ID_NOT_VALID, "client id is not valid UTF-8");
    }

    if (version < 5 && p.password !== undefined && p.username === undefined) {
      // [MQTT-3.1.2-22]: before MQTT 5 a password needs a user name
      this.log.info("password without user name; closing");
      return this.close();
    }
    const opts = this.server.options;
    let username = p.username;
    let password = p.password?.toString("utf8") ?? "";
    if (username === undefined) {
      if (!opts.allowAnonymous) return this.refuse(CONNACK_V3.NOT_AUTHORIZED, REASON.NOT_AUTHORIZED, "anonymous login disabled");
      username = opts.defaultUser;
      password = opts.defaultPass;
    }
    // RabbitMQ's MQTT login: "vhost:user" picks the vhost
    let vhostName = opts.vhost;
    const colon = username.indexOf(":");
    if (colon > 0) {
      vhostName = username.slice(0, colon);
      username = username.slice(colon + 1);
    }
    const granted = this.server.broker.login({ username, password, loopback: isLoopback(this.socket.remoteAddress), vhost: vhostName, clientId });
    if (granted instanceof LoginRefused) {
      // RabbitMQ: "MQTT login failed for user 'bob', authentication failed: Refused"; Warren says why
      this.log.warn({ user: username, vhost: vhostName, reason: granted.reason }, `MQTT login refused: ${granted.reason}`);
      return granted.stage === "vhost"
        ? this.refuse(CONNACK_V3.NOT_AUTHORIZED, REASON.NOT_AUTHORIZED, granted.text)
        : this.refuse(CONNACK_V3.BAD_CREDENTIALS, REASON.BAD_CREDENTIALS, `login refused for '${username}'`);
    }
    const { user, vhost } = granted;
    this.vhost = vhost;
    this.user = user;
    this.access = granted.access;

    if (p.will) {
      const will = willFromConnect(p.will, version);
      if ("problem" in will) return this.refuse(CONNACK_V3.UNACCEPTABLE_PROTOCOL, REASON.TOPIC_NAME_INVALID, `will: ${will.problem}`);
      this.will = will;
    }
    if (version === 5) {
      if (props.receiveMaximum !== undefined) this.receiveMaximum = props.receiveMaximum;
      if (props.maximumPacketSize !== undefined) this.clientMaxPacket = props.maximumPacketSize;
      if (props.topicAliasMaximum) this.outboundAliases = new OutboundAliases(props.topicAliasMaximum);
      this.sessionExpiry = props.sessionExpiryInterval ?? 0;
    }
    const persistent = version === 5 ? this.sessionExpiry > 0 : !clean;

    // session takeover [MQTT-3.1.4-3]: the same client id closes the existing connection
    const key = `${vhost.name}\u0000${clientId}`;
    this.sessionKey = key;
    this.logClientId = clientId;
    this.server.sessions.get(key)?.link?.takenOver();
    this.server.pendingWills.cancel(key);
    let session = this.server.sessions.get(key);
    if (session && clean) {
      // [MQTT-3.1.2-6] / v5 clean start: discard the previous session
      session.end();
      this.server.sessions.delete(key);
      session = undefined;
    }
    const sessionPresent = session !== undefined;
    if (!session) {
      session = new MqttSession(vhost, clientId, persistent, this.server.retained);
      this.server.sessions.set(key, session);
    }
    session.persistent = persistent;
    session.expiry = !persistent ? 0 : version === 5 ? this.sessionExpiry : NEVER;
    this.sessionWasPersistent = persistent || sessionPresent;
    if (this.sessionWasPersistent) this.server.changed();
    this.session = session;

    this.keepAliveMs = (p.keepalive ?? 0) * 1000;
    this.armKeepAlive();
    this.state = "open";
    this.handshake?.settle(this.socket);
    // asked first: `this.log` makes a pino child per call, wasted when the level drops the line
    if (this.server.log.isLevelEnabled("info")) {
      this.log.info({ user: user.name, vhost: vhost.name, version }, "connection opened");
    }
    if (version === 5) {
      this.send({
        cmd: "connack",
        reasonCode: REASON.SUCCESS,
        sessionPresent,
        properties: {
          ...(assigned && { assignedClientIdentifier: clientId }),
          topicAliasMaximum: opts.topicAliasMaximum,
          receiveMaximum: opts.inboundReceiveMaximum,
          // request/response (MQTT 5 §4.10): a topic prefix this client may use for responses
          ...(props.requestResponseInformation === true || (props.requestResponseInformation as unknown) === 1
            ? { responseInformation: `response/${clientId}/` } : {}),
          maximumPacketSize: opts.maxPacketSize,
          retainAvailable: true,
          wildcardSubscriptionAvailable: true,
          subscriptionIdentifiersAvailable: true,
          sharedSubscriptionAvailable: true,
        },
      });
    } else {
      // [MQTT-3.2.2-1]: session present is 0 for a clean session
      this.send({ cmd: "connack", returnCode: CONNACK_V3.ACCEPTED, sessionPresent: version === 4 && sessionPresent });
    }
    session.attach(this);
    this.server.broker.connections.register(this);
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
        return [{
          number: 1, consumerCount: s.consumers, unacked: s.unacked, prefetchCount: this.receiveMaximum,
          globalPrefetchCount: 0, confirm: false, transactional: false, publish: 0, confirmed: 0,
        }];
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

  // ---- PUBLISH --------------------------------------------------------------------------

  private onPublish(p: IPublishPacket): void {
    const payload = typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload;
    this.handlePublish(p.topic, payload, p.qos, p.retain, p.messageId ?? 0, p.properties);
  }

  private handlePublish(
    topic: string, payload: Buffer, qos: QoS, retain: boolean, id: number, props: IPublishPacket["properties"],
  ): void {
    if (props?.topicAlias !== undefined) {
      const resolved = (this.inboundAliases ??= new InboundAliases(this.server.options.topicAliasMaximum)).resolve(topic, props.topicAlias);
      if (resolved === "invalid" || resolved === "unknown") {
        this.log.info({ alias: props.topicAlias, resolved }, "bad topic alias; closing");
        return this.disconnect(resolved === "invalid" ? REASON.TOPIC_ALIAS_INVALID : REASON.PROTOCOL_ERROR);
      }
      topic = resolved;
    }
    if (topic !== this.lastTopic) {
      // publishers mostly repeat their topic: checked and converted once, not per message
      const problem = topicNameProblem(topic);
      if (problem) {
        this.log.info({ topic, problem }, "invalid PUBLISH topic; closing");
        return this.disconnect(REASON.TOPIC_NAME_INVALID);
      }
      this.lastTopic = topic;
      this.lastRoutingKey = topicToRoutingKey(topic);
    }
    if (qos === 2 && this.session!.inboundQos2.has(id)) {
      // a resent QoS 2 publish before PUBREL: acknowledge, never route twice [MQTT-4.3.3-2]
      return this.ackPublish(PUBREC, id, 0, null);
    }
    if (qos > 0 && this.protocolVersion === 5 && this.inboundInFlight() >= this.server.options.inboundReceiveMaximum) {
      // [MQTT-3.3.4-9]: more unacknowledged QoS 1/2 publishes than the CONNACK's receive maximum
      this.log.info({ limit: this.server.options.inboundReceiveMaximum }, "client exceeded the receive maximum; closing");
      return this.disconnect(REASON.RECEIVE_MAXIMUM_EXCEEDED);
    }
    let outProps = props;
    if (props?.topicAlias !== undefined || props?.subscriptionIdentifier !== undefined) {
      const { topicAlias: _a, subscriptionIdentifier: _s, ...rest } = props;
      outProps = rest;
    }
    const denied = this.access.checkPublish(MQTT_EXCHANGE, filterToBindingKey(topic));
    if (denied) {
      // RabbitMQ 3.10 closes a 3.1/3.1.1 connection; v5 can say why in the acknowledgement
      this.log.warn({ topic, err: denied.text }, "publish refused");
      if (this.protocolVersion !== 5 || qos === 0) return this.disconnect(REASON.NOT_AUTHORIZED);
      return this.ackPublish(qos === 1 ? PUBACK : PUBREC, id, REASON.NOT_AUTHORIZED, null);
    }
    const r = this.publish(topic, payload, qos, retain, outProps);
    if (r === null || qos === 0) return;
    const reason = this.protocolVersion === 5 && r.routed === 0 ? REASON.NO_MATCHING_SUBSCRIBERS : 0;
    // on disk before acknowledged: the client may drop its copy on PUBACK / PUBREC
    const durability = r.persisted > 0 ? this.vhost!.durability : null;
    if (qos === 2) this.session!.inboundQos2.add(id);
    this.ackPublish(qos === 1 ? PUBACK : PUBREC, id, reason, durability);
  }

  /** QoS 1 publishes whose PUBACK waits for the disk, and QoS 2 ones until PUBREL. */
  private inboundInFlight(): number {
    return (this.heldAcks?.heldPubacks ?? 0) + (this.session!.inboundQos2Count);
  }

  private ackPublish(firstByte: number, id: number, reason: number, durability: Durability | null): void {
    const held = this.heldAcks;
    if (held === null && durability === null) return queueAck(this.writer, firstByte, id, reason);
    (this.heldAcks ??= new HeldAcks(this.writer, () => this.commitFailed())).ack(firstByte, id, reason, durability);
  }

  private commitFailed(): void {
    this.log.error("could not write published messages to disk; closing so the client publishes them again");
    this.disconnect(REASON.UNSPECIFIED);
  }

  /**
   * A subscription needs what RabbitMQ's MQTT plugin needs for its queue and binding: configure
   * and write on the subscription queue, read on amq.topic and the topic read permission.
   */
  private subscribeDenied(filter: string, qos: QoS): BrokerError | null {
    const shared = parseSharedFilter(filter);
    const key = filterToBindingKey(shared ? shared.filter : filter);
    return this.access.checkSubscribe(shared ? null : this.session!.queueName(qos), MQTT_EXCHANGE, key);
  }

  /** Routes one message through amq.topic; where it went, or null on failure. */
  private publish(topic: string, payload: Buffer, qos: QoS, retain: boolean, props: IPublishPacket["properties"]): PublishResult | null {
    const vhost = this.vhost!;
    // a retained message may stay for days: it must not pin the whole socket read it came in
    if (retain) payload = Buffer.from(payload);
    const message = fromPublish(topic, payload, qos, retain, props, this.client, vhost.timers.now(), this.lastRoutingKey);
    if (retain) this.server.retained.set(vhost.name, topic, message);
    const r = vhost.publish(MQTT_EXCHANGE, message.routingKey, message);
    if (r instanceof BrokerError) {
      this.log.warn({ err: r.text }, "publish failed");
      this.disconnect(REASON.UNSPECIFIED);
      return null;
    }
    return r;
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE ----------------------------------------------------------

  private onSubscribe(p: ISubscribePacket): void {
    const session = this.session!;
    const granted: number[] = [];
    const retained: [string, SubscriptionOptions][] = [];
    const id = p.properties?.subscriptionIdentifier;
    for (const s of p.subscriptions) {
      const problem = topicFilterProblem(s.topic);
      const shared = parseSharedFilter(s.topic);
      if (problem || (s.topic.startsWith("$share/") && !shared)) {
        this.log.info({ filter: s.topic, problem }, "invalid topic filter");
        granted.push(this.protocolVersion === 5 ? REASON.TOPIC_FILTER_INVALID : REASON.UNSPECIFIED);
        continue;
      }
      if (shared && s.nl) {
        // [MQTT-3.8.3-4]: no-local on a shared subscription is a protocol error
        return this.disconnect(REASON.PROTOCOL_ERROR);
      }
      const existed = session.subscriptions.has(s.topic);
      const options: SubscriptionOptions = {
        qos: Math.min(s.qos, 2) as QoS,
        noLocal: this.protocolVersion === 5 && !!s.nl,
        retainAsPublished: this.protocolVersion === 5 && !!s.rap,
        retainHandling: (this.protocolVersion === 5 ? s.rh ?? 0 : 0) as 0 | 1 | 2,
        id,
      };
      const denied = this.subscribeDenied(s.topic, options.qos);
      if (denied) {
        this.log.warn({ filter: s.topic, err: denied.text }, "subscribe refused");
        // RabbitMQ 3.10 closes a 3.1/3.1.1 connection on a refused subscription; v5 answers per filter
        if (this.protocolVersion !== 5) return this.disconnect(REASON.NOT_AUTHORIZED);
        granted.push(REASON.NOT_AUTHORIZED);
        continue;
      }
      const r = session.subscribe(s.topic, options);
      if (r instanceof BrokerError) {
        this.log.warn({ filter: s.topic, err: r.text }, "subscribe failed");
        granted.push(this.protocolVersion === 5 ? REASON.UNSPECIFIED : 0x80);
        continue;
      }
      granted.push(r);
      // v5 retain handling: 0 always, 1 only for a new subscription, 2 never; none for shared ones
      if (!shared && (options.retainHandling === 0 || (options.retainHandling === 1 && !existed))) {
        retained.push([s.topic, options]);
      }
    }
    this.send({ cmd: "suback", messageId: p.messageId!, granted });
    if (session.persistent) this.server.changed();
    for (const [filter, options] of retained) session.sendRetained(filter, options);
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    const session = this.session!;
    const codes = p.unsubscriptions.map((f) => (session.unsubscribe(f) ? REASON.SUCCESS : REASON.NO_SUBSCRIPTION_EXISTED));
    if (session.persistent) this.server.changed();
    if (this.protocolVersion === 5) this.send({ cmd: "unsuback", messageId: p.messageId!, granted: codes });
    else this.send({ cmd: "unsuback", messageId: p.messageId!, granted: [] });
  }

  // ---- DISCONNECT and closing -----------------------------------------------------------

  private onDisconnect(p: IDisconnectPacket): void {
    // [MQTT-3.14.4-3]: a clean DISCONNECT discards the will; v5 0x04 asks for it anyway
    if (!(this.protocolVersion === 5 && p.reasonCode === REASON.DISCONNECT_WITH_WILL)) this.will = null;
    const expiry = p.properties?.sessionExpiryInterval;
    if (this.protocolVersion === 5 && expiry !== undefined) {
      if (this.sessionExpiry === 0 && expiry > 0) {
        // [MQTT-3.14.2-2]
        this.will = null;
        return this.disconnect(REASON.PROTOCOL_ERROR);
      }
      this.sessionExpiry = expiry;
      this.session!.persistent = expiry > 0;
    }
    this.close();
  }

  /** Another connection took this client id over [MQTT-3.1.4-3]; v5 hears 0x8E. */
  takenOver(): void {
    this.log.info("session taken over by a new connection");
    this.disconnect(REASON.SESSION_TAKEN_OVER);
    // run the teardown now, so the new connection finds the session free; the stream is left to
    // finish writing the DISCONNECT (close() destroys it later if the peer lingers)
    this.teardown(false);
  }

  serverShutdown(): void {
    this.disconnect(REASON.SERVER_SHUTTING_DOWN);
  }

  /** Server-side DISCONNECT with a reason code (v5 only; earlier levels just close). */
  private disconnect(reason: number): void {
    if (this.state === "closed") return;
    if (this.state === "open" && this.protocolVersion === 5) this.send({ cmd: "disconnect", reasonCode: reason });
    this.close();
  }

  /** Drops the connection without a word (broker shutdown, after the DISCONNECTs had their moment). */
  destroy(): void {
    this.stream.destroy();
  }

  private close(): void {
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
    this.server.broker.connections.unregister(this.client);
    const session = this.session;
    if (session) {
      const key = this.sessionKey;
      session.detach();
      this.vhost!.clientClosed(this.client);
      this.log.info({ user: this.user?.name, vhost: this.vhost!.name }, "connection closed");
      if (this.will) this.publishWill(this.will, key);
      if (!session.persistent) {
        session.end();
        if (this.server.sessions.get(key) === session) this.server.sessions.delete(key);
      } else {
        session.expiry = this.protocolVersion === 5 ? this.sessionExpiry : NEVER;
        this.server.scheduleExpiry(key, session);
      }
      if (session.persistent || this.sessionWasPersistent) this.server.changed();
    }
    this.server.connectionClosed(this);
  }

  /** [MQTT-3.1.2-8]: the will goes out when the connection ends without DISCONNECT. */
  private publishWill(will: Will, key: string): void {
    const vhost = this.vhost!;
    const client = this.client;
    const retained = this.server.retained;
    const go = () => {
      // checked when it goes out, as RabbitMQ does: a refused will is logged and dropped
      const denied = this.access.checkPublish(MQTT_EXCHANGE, filterToBindingKey(will.topic));
      if (denied) {
        this.log.warn({ topic: will.topic, reason: denied.text }, "could not send last will");
        return;
      }
      const m = fromPublish(will.topic, will.payload, will.qos, will.retain, will.properties, client, vhost.timers.now());
      if (will.retain) retained.set(vhost.name, will.topic, m);
      vhost.publish(MQTT_EXCHANGE, m.routingKey, m);
    };
    // v5 will delay: sent later unless the client reconnects first, at the latest when the session ends
    const delay = Math.min(will.delay, this.session?.persistent ? this.sessionExpiry : 0);
    if (delay > 0) this.server.pendingWills.schedule(key, delay, go);
    else go();
  }

  // ---- writing --------------------------------------------------------------------------

  private send(packet: Packet): void {
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
    const bytes = packet.properties === undefined
      ? encodePublish(packet.topic, packet.payload as Buffer, packet.qos, packet.retain, packet.dup, packet.messageId ?? 0, this.protocolVersion === 5)
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

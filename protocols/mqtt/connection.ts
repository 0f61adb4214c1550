/**
 * One MQTT connection (3.1, 3.1.1 or 5.0) over any byte stream: CONNECT validation and
 * authentication, keep-alive, packet dispatch, wills and takeover. Subscriptions and QoS flows
 * live in the session, which may outlive this connection.
 */
import type { Duplex } from "node:stream";
import mqttPacket from "mqtt-packet";
import type {
  IConnectPacket, IDisconnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet,
} from "mqtt-packet";
import { randomBytes } from "node:crypto";
import { AccessControl, BrokerError, type ClientRef, type User, type VirtualHost } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { encodePublish } from "./encode.js";
import { fromPublish, type QoS } from "./message.js";
import { CONNACK_V3, REASON } from "./reason-codes.js";
import type { MqttServer, Peer } from "./server.js";
import { MqttSession, type SessionLink, type SubscriptionOptions } from "./session.js";
import { filterToBindingKey, MQTT_EXCHANGE, parseSharedFilter, topicFilterProblem, topicNameProblem } from "./topics.js";
import { InboundAliases, OutboundAliases } from "./topic-alias.js";
import { type Will, willFromConnect } from "./will.js";
import { BatchedWriter } from "../../src/server/batched-writer.js";

/** MQTT 3.1 limits client identifiers to 23 characters (3.1 §3.1); 3.1.1 and 5 lift it. */
const V31_MAX_CLIENT_ID = 23;
/** RabbitMQ's mqtt.max_packet_size_unauthenticated: a CONNECT is never bigger than this. */
const MAX_PACKET_UNAUTHENTICATED = 65536;
/** v5 session expiry 0xFFFFFFFF: never expires (MQTT 5 §3.1.2.11.2). */
const NEVER = 0xffffffff;

type State = "connect" | "open" | "closed";

export class MqttConnection implements SessionLink {
  private state: State = "connect";
  private readonly parser = mqttPacket.parser({});
  private readonly writer: BatchedWriter;
  readonly client: ClientRef;
  private log: Logger;
  protocolVersion = 4;
  receiveMaximum: number;
  /** The client's maximum packet size (v5): larger publishes to it are dropped [MQTT-3.1.2-25]. */
  private clientMaxPacket = Infinity;
  /** Topic aliases towards the client (v5), when it allows them. */
  private outboundAliases: OutboundAliases | null = null;
  private keepAliveMs = 0;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private lastRead = Date.now();
  private session: MqttSession | null = null;
  private sessionKey = "";
  private vhost: VirtualHost | null = null;
  /** The user's permissions in the vhost, with {client_id} for topic permission patterns. */
  private access: AccessControl | null = null;
  private will: Will | null = null;
  private readonly inboundAliases: InboundAliases;
  private sessionExpiry = 0;

  constructor(
    private readonly stream: Duplex,
    private readonly peer: Peer,
    private readonly server: MqttServer,
    private readonly onClosed: (c: MqttConnection) => void,
  ) {
    this.client = server.broker.newClient();
    this.receiveMaximum = server.options.receiveMaximum;
    this.inboundAliases = new InboundAliases(server.options.topicAliasMaximum);
    this.log = server.log.child({ conn: this.client.id, protocol: "mqtt", peer: peer.address });
    this.writer = new BatchedWriter(stream, () => this.session?.resume());
    this.parser.on("packet", (p: Packet) => this.onPacket(p));
    this.parser.on("error", (err: Error) => this.malformed(err.message));
    stream.on("data", (chunk: Buffer) => this.onData(chunk));
    stream.on("error", (err) => this.log.debug({ err: err.message }, "stream error"));
    // a WebSocket stream ends without closing until both sides are done: either means gone
    stream.on("end", () => this.teardown());
    stream.on("close", () => this.teardown());
  }

  get backedUp(): boolean {
    return this.writer.backedUp;
  }

  private onData(chunk: Buffer): void {
    if (this.state === "closed") return;
    this.lastRead = Date.now();
    try {
      this.parser.parse(chunk);
      // the remaining length is known as soon as the fixed header is in: refuse before buffering it
      const pending = (this.parser as unknown as { packet: { length: number } }).packet.length;
      if ((this.state as State) !== "closed" && pending > this.packetLimit) this.tooLarge(pending);
    } catch (err) {
      this.log.error({ err }, "internal error handling an MQTT packet");
      this.disconnect(REASON.UNSPECIFIED);
    }
  }

  /** Until CONNECT is accepted only small packets are taken (RabbitMQ's max_packet_size_unauthenticated). */
  private get packetLimit(): number {
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
        if (this.session!.pubrec(p.messageId!)) this.sendPubrel(p.messageId!);
        else this.send({ cmd: "pubrel", messageId: p.messageId!, ...(this.protocolVersion === 5 && { reasonCode: REASON.PACKET_ID_NOT_FOUND }) });
        return;
      case "pubrel": {
        const known = this.session!.inboundQos2.delete(p.messageId!);
        this.send({ cmd: "pubcomp", messageId: p.messageId!, ...(this.protocolVersion === 5 && !known && { reasonCode: REASON.PACKET_ID_NOT_FOUND }) });
        return;
      }
      case "pubcomp":
        this.session!.pubcomp(p.messageId!);
        return;
      case "subscribe":
        return this.onSubscribe(p);
      case "unsubscribe":
        return this.onUnsubscribe(p);
      case "pingreq":
        this.send({ cmd: "pingresp" });
        return;
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
    (this.parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = version;
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
    } else if (version === 3 && clientId.length > V31_MAX_CLIENT_ID) {
      return this.refuse(CONNACK_V3.IDENTIFIER_REJECTED, REASON.CLIENT_ID_NOT_VALID, "client id longer than 23 characters");
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
    const user = this.server.broker.authenticate({ username, password, loopback: this.peer.loopback });
    if (user instanceof BrokerError) {
      return this.refuse(CONNACK_V3.BAD_CREDENTIALS, REASON.BAD_CREDENTIALS, `login refused for '${username}'`);
    }
    const vhost = this.server.broker.openVhost(user as User, vhostName);
    if (vhost instanceof BrokerError) return this.refuse(CONNACK_V3.NOT_AUTHORIZED, REASON.NOT_AUTHORIZED, vhost.text);
    this.vhost = vhost;
    this.access = new AccessControl(this.server.broker.users, user as User, vhost.name, { clientId });

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
    this.log = this.log.child({ clientId });
    this.server.live.get(key)?.takenOver();
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
    this.session = session;
    this.server.live.set(key, this);

    this.keepAliveMs = (p.keepalive ?? 0) * 1000;
    this.armKeepAlive();
    this.state = "open";
    this.log.info({ user: user.name, vhost: vhost.name, version }, "connection opened");
    if (version === 5) {
      this.send({
        cmd: "connack",
        reasonCode: REASON.SUCCESS,
        sessionPresent,
        properties: {
          ...(assigned && { assignedClientIdentifier: clientId }),
          topicAliasMaximum: opts.topicAliasMaximum,
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
  }

  /** [MQTT-3.1.2-24]: no packet within 1.5 × keep-alive closes the connection. */
  private armKeepAlive(): void {
    if (this.keepAliveMs === 0) return;
    const limit = this.keepAliveMs * 1.5;
    const check = () => {
      if (this.state === "closed") return;
      const idle = Date.now() - this.lastRead;
      if (idle >= limit) {
        this.log.info({ keepAliveMs: this.keepAliveMs }, "keep-alive timeout; closing");
        this.disconnect(REASON.KEEP_ALIVE_TIMEOUT);
        return;
      }
      this.keepAliveTimer = setTimeout(check, limit - idle);
    };
    this.keepAliveTimer = setTimeout(check, limit);
  }

  // ---- PUBLISH --------------------------------------------------------------------------

  private onPublish(p: IPublishPacket): void {
    let topic = p.topic;
    const props = p.properties;
    if (props?.topicAlias !== undefined) {
      const resolved = this.inboundAliases.resolve(topic, props.topicAlias);
      if (resolved === "invalid" || resolved === "unknown") {
        this.log.info({ alias: props.topicAlias, resolved }, "bad topic alias; closing");
        return this.disconnect(resolved === "invalid" ? REASON.TOPIC_ALIAS_INVALID : REASON.PROTOCOL_ERROR);
      }
      topic = resolved;
    }
    const problem = topicNameProblem(topic);
    if (problem) {
      this.log.info({ topic, problem }, "invalid PUBLISH topic; closing");
      return this.disconnect(REASON.TOPIC_NAME_INVALID);
    }
    const qos = p.qos;
    const id = p.messageId!;
    if (qos === 2 && this.session!.inboundQos2.has(id)) {
      // a resent QoS 2 publish before PUBREL: acknowledge, never route twice [MQTT-4.3.3-2]
      this.send({ cmd: "pubrec", messageId: id });
      return;
    }
    let outProps = props;
    if (props?.topicAlias !== undefined || props?.subscriptionIdentifier !== undefined) {
      const { topicAlias: _a, subscriptionIdentifier: _s, ...rest } = props;
      outProps = rest;
    }
    const denied = this.publishDenied(topic);
    if (denied) {
      // RabbitMQ 3.10 closes a 3.1/3.1.1 connection; v5 can say why in the acknowledgement
      this.log.warn({ topic, err: denied.text }, "publish refused");
      if (this.protocolVersion !== 5 || qos === 0) return this.disconnect(REASON.NOT_AUTHORIZED);
      return this.send(qos === 1 ? { cmd: "puback", messageId: id, reasonCode: REASON.NOT_AUTHORIZED } : { cmd: "pubrec", messageId: id, reasonCode: REASON.NOT_AUTHORIZED });
    }
    const payload = typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload;
    const routed = this.publish(topic, payload, qos, p.retain, outProps);
    if (routed === null) return;
    const noMatch = this.protocolVersion === 5 && routed === 0;
    if (qos === 1) this.send({ cmd: "puback", messageId: id, ...(noMatch && { reasonCode: REASON.NO_MATCHING_SUBSCRIBERS }) });
    else if (qos === 2) {
      this.session!.inboundQos2.add(id);
      this.send({ cmd: "pubrec", messageId: id, ...(noMatch && { reasonCode: REASON.NO_MATCHING_SUBSCRIBERS }) });
    }
  }

  /** Write on amq.topic, then the topic permission on the routing key (RabbitMQ's MQTT checks). */
  private publishDenied(topic: string): BrokerError | null {
    const access = this.access!;
    const x = this.vhost!.exchange(MQTT_EXCHANGE);
    return access.check("exchange", MQTT_EXCHANGE, "write")
      ?? (x instanceof BrokerError ? null : access.checkTopic(MQTT_EXCHANGE, x.type, filterToBindingKey(topic), "write"));
  }

  /**
   * A subscription needs what RabbitMQ's MQTT plugin needs for its queue and binding: configure
   * and write on the subscription queue, read on amq.topic and the topic read permission.
   */
  private subscribeDenied(filter: string, qos: QoS): BrokerError | null {
    const access = this.access!;
    const shared = parseSharedFilter(filter);
    const key = filterToBindingKey(shared ? shared.filter : filter);
    const queue = shared ? null : this.session!.queueName(qos);
    const x = this.vhost!.exchange(MQTT_EXCHANGE);
    return (queue === null ? null : access.check("queue", queue, "configure") ?? access.check("queue", queue, "write"))
      ?? access.check("exchange", MQTT_EXCHANGE, "read")
      ?? (x instanceof BrokerError ? null : access.checkTopic(MQTT_EXCHANGE, x.type, key, "read"));
  }

  /** Routes one message through amq.topic; the number of queues it reached, or null on failure. */
  private publish(topic: string, payload: Buffer, qos: QoS, retain: boolean, props: IPublishPacket["properties"]): number | null {
    const vhost = this.vhost!;
    const message = fromPublish(topic, payload, qos, retain, props, this.client, Date.now());
    if (retain) this.server.retained.set(vhost.name, topic, message);
    const r = vhost.publish(MQTT_EXCHANGE, message.routingKey, message);
    if (r instanceof BrokerError) {
      this.log.warn({ err: r.text }, "publish failed");
      this.disconnect(REASON.UNSPECIFIED);
      return null;
    }
    return r.routed;
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
    for (const [filter, options] of retained) session.sendRetained(filter, options);
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    const session = this.session!;
    const codes = p.unsubscriptions.map((f) => (session.unsubscribe(f) ? REASON.SUCCESS : REASON.NO_SUBSCRIPTION_EXISTED));
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
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    const session = this.session;
    if (session) {
      const key = this.sessionKey;
      if (this.server.live.get(key) === this) this.server.live.delete(key);
      session.detach();
      this.vhost!.clientClosed(this.client);
      this.log.info({ user: this.access?.user.name, vhost: this.vhost!.name }, "connection closed");
      if (this.will) this.publishWill(this.will, key);
      if (!session.persistent) {
        session.end();
        if (this.server.sessions.get(key) === session) this.server.sessions.delete(key);
      } else if (this.protocolVersion === 5 && this.sessionExpiry !== NEVER) {
        session.expiryTimer = setTimeout(() => {
          if (session.link !== null || this.server.sessions.get(key) !== session) return;
          session.end();
          this.server.sessions.delete(key);
        }, this.sessionExpiry * 1000);
        session.expiryTimer.unref();
      }
    }
    this.onClosed(this);
  }

  /** [MQTT-3.1.2-8]: the will goes out when the connection ends without DISCONNECT. */
  private publishWill(will: Will, key: string): void {
    const vhost = this.vhost!;
    const client = this.client;
    const retained = this.server.retained;
    const go = () => {
      const m = fromPublish(will.topic, will.payload, will.qos, will.retain, will.properties, client, Date.now());
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

  sendPublish(packet: IPublishPacket): boolean {
    const newAlias = this.outboundAliases?.apply(packet) ?? null;
    // most deliveries carry no v5 properties: those skip mqtt-packet's general encoder
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
    this.send({ cmd: "pubrel", messageId: packetId });
  }
}

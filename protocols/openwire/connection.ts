import type { Socket } from "node:net";
import {
  type AccessControl,
  type Broker,
  BrokerError,
  type ClientRef,
  compileSelector,
  type ConnectionDetails,
  InvalidSelector,
  type ConnectionSource,
  LoginRefused,
  OrderedCommits,
  type Queue,
  type QueueEntry,
  type User,
  type VirtualHost,
} from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { heartbeats } from "../../src/transport/heartbeats.js";
import { isLoopback } from "../../src/transport/listen.js";
import {
  type AnyBaseCommand,
  type ConnectionInfo,
  type ConsumerInfo,
  DataType,
  type DataStructure,
  decodeBody,
  encodeBody,
  makeBrokerId,
  makeBrokerInfo,
  makeConnectionError,
  makeExceptionResponse,
  makeKeepAliveInfo,
  makeMessageDispatch,
  makeResponse,
  type MessageAck,
  type ProducerInfo,
  type RemoveInfo,
  type SessionInfo,
  type WireFormatInfo,
  type AnyMessage,
} from "./codec/commands.generated.js";
import { DecodeError, Reader, Writer } from "./codec/primitives.js";
import { OpenWireConsumer, type ConsumerHost } from "./consumer.js";
import { isAdvisory, publishTarget, targetOf, topicBindingKey } from "./destinations.js";
import {
  INVALID_CLIENT_ID,
  INVALID_DESTINATION,
  INVALID_SELECTOR,
  OpenWireRefusal,
  refusalOf,
  SECURITY,
  UNSUPPORTED,
} from "./exceptions.js";
import { FrameReader } from "./frame-reader.js";
import { coreMessage, dispatchMessage, isMessageType, messageProblem } from "./message.js";
import type { OpenWireServer } from "./server.js";
import { negotiate, ourWireFormatInfo, type WireFormat } from "./wire-format.js";

/** Before the client's WireFormatInfo, before its ConnectionInfo, logged in, or closed. */
export type OpenWireState = "wire-format" | "connection-info" | "open" | "closed";

/** MessageAck types (ActiveMQ's MessageAck constants). */
const ACK_DELIVERED = 0;
const ACK_POISON = 1;
const ACK_STANDARD = 2;
const ACK_REDELIVERED = 3;
const ACK_INDIVIDUAL = 4;
const ACK_UNMATCHED = 5;
const ACK_EXPIRED = 6;

/** The map key of a connection, session, consumer or producer id. */
const idKey = (id: { connectionId: string | null; sessionId: number; value: number }) => `${id.connectionId}:${id.sessionId}:${id.value}`;
/** The map key of a session, from its SessionId or from a ConsumerId's session part. */
const sessionKey = (connectionId: string | null, session: number) => `${connectionId}:${session}`;

/**
 * One OpenWire connection: frames from the socket (frame-reader.ts), the WireFormatInfo exchange,
 * then one switch on each command's type. Login is ConnectionInfo's user name and password through
 * the broker's login (vhost: the front-end's default); consumers are OpenWireConsumers on queues.
 */
export class OpenWireConnection implements ConnectionSource, DrainListener, ConsumerHost {
  state: OpenWireState = "wire-format";
  private readonly reader: FrameReader;
  readonly writer: BatchedWriter;
  private readonly out = new Writer(1024);
  readonly client: ClientRef;
  readonly log: Logger;
  wire: WireFormat | null = null;
  user: User | null = null;
  vhost: VirtualHost | null = null;
  access: AccessControl | null = null;
  clientId: string | null = null;
  private connectionInfo: ConnectionInfo | null = null;
  /** Sessions by SessionId key → the consumers' keys in it. */
  private readonly sessions = new Map<string, Set<string>>();
  private readonly consumers = new Map<string, OpenWireConsumer>();
  /** Queues this connection declared already (queue://x is declared durable on first use). */
  private readonly declared = new Set<string>();
  /** Responses to persistent sends wait here until the store has the message. */
  private readonly held = new OrderedCommits<number>({ release: (id, ok) => this.released(id, ok) });
  private registered = false;
  heartbeatTimeoutMs = 0;
  heartbeatSendMs = 0;
  lastRead = Date.now();
  readonly connectedAt = Date.now();

  constructor(
    private readonly socket: Socket,
    readonly broker: Broker,
    private readonly server: OpenWireServer,
    log: Logger,
    private readonly handshake: HandshakeDeadlines,
  ) {
    this.client = broker.newClient();
    this.log = log.child({ conn: this.client.id, protocol: "openwire", peer: `${socket.remoteAddress}:${socket.remotePort}` });
    this.reader = new FrameReader(server.options.maxFrameSize);
    this.writer = new BatchedWriter(socket, this);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    socket.on("close", () => this.teardown());
    // both sides send their WireFormatInfo at once (ActiveMQ's broker does not wait for the client's)
    this.send(ourWireFormatInfo(server.options.maxInactivityMs, server.options.maxFrameSize));
  }

  get backedUp(): boolean {
    return this.writer.backedUp;
  }

  get lastWrite(): number {
    return this.writer.lastWrite;
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.state === "closed") return;
    try {
      this.reader.push(chunk);
      for (;;) {
        if ((this.state as OpenWireState) === "closed") return;
        const frame = this.reader.next();
        if (frame === null) return;
        this.frame(frame);
      }
    } catch (err) {
      if (err instanceof DecodeError || err instanceof RangeError) return this.fail(err.message);
      this.log.error({ err }, "OpenWire connection failed");
      this.fail("internal error");
    }
  }

  private frame(frame: Buffer): void {
    const version = this.wire?.version ?? 1;
    const r = new Reader(frame, 1, frame.length, version, this.wire?.stackTraces ?? false);
    const type = frame[0]!;
    if (this.state === "wire-format") {
      if (type !== DataType.WireFormatInfo) throw new DecodeError(`command of type ${type} before WireFormatInfo`);
      this.wireFormat(decodeBody(type, r) as WireFormatInfo);
      return;
    }
    const cmd = decodeBody(type, r);
    if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} bytes left over after a command of type ${type}`);
    this.command(cmd, frame);
  }

  private wireFormat(info: WireFormatInfo): void {
    const o = this.server.options;
    const w = negotiate(info, { maxInactivityMs: o.maxInactivityMs });
    this.wire = w;
    this.out.version = w.version;
    this.out.stackTraces = w.stackTraces;
    this.state = "connection-info";
    this.send(
      makeBrokerInfo({
        brokerId: makeBrokerId({ value: `ID:${o.brokerName}-${process.pid}` }),
        brokerURL: `tcp://${this.socket.localAddress}:${this.socket.localPort}`,
        brokerName: o.brokerName,
      }),
    );
    if (w.maxInactivityMs > 0) {
      // ActiveMQ checks for input once per inactivity period, so a peer is gone after one to two
      // periods of silence; we allow two, and write at least every third of one, as its client does
      this.heartbeatTimeoutMs = 2 * w.maxInactivityMs;
      this.heartbeatSendMs = Math.max(1, Math.floor(w.maxInactivityMs / 3));
      heartbeats.watch(this);
    }
  }

  sendHeartbeat(): void {
    this.send(makeKeepAliveInfo());
  }

  heartbeatTimedOut(): void {
    this.fail(`no data from the client for ${this.heartbeatTimeoutMs} ms (MaxInactivityDuration)`);
  }

  /** One command after the wire format is agreed. */
  private command(cmd: DataStructure, frame: Buffer): void {
    if (!("commandId" in cmd)) throw new DecodeError(`data structure of type ${cmd.dataType} sent as a command`);
    const c = cmd as AnyBaseCommand;
    if (this.log.isLevelEnabled("trace"))
      this.log.trace(
        {
          command: c.dataType,
          ...(c.dataType === DataType.MessageAck && { ackType: c.ackType, tag: c.lastMessageId?.brokerSequenceId, count: c.messageCount }),
        },
        "OpenWire command",
      );
    // the failover transport opens a reconnection with ConnectionControl (faultTolerant), then
    // replays its ConnectionInfo; ActiveMQ takes it at any time
    if (
      this.state === "connection-info" &&
      c.dataType !== DataType.ConnectionInfo &&
      c.dataType !== DataType.KeepAliveInfo &&
      c.dataType !== DataType.ConnectionControl
    ) {
      if (c.dataType === DataType.ShutdownInfo) return this.shutdown();
      throw new DecodeError(`command of type ${c.dataType} before ConnectionInfo`);
    }
    let refused: OpenWireRefusal | null = null;
    switch (c.dataType) {
      case DataType.ConnectionInfo:
        refused = this.connectionInfoCommand(c);
        break;
      case DataType.SessionInfo:
        refused = this.sessionInfo(c);
        break;
      case DataType.ProducerInfo:
        refused = this.producerInfo(c);
        break;
      case DataType.ConsumerInfo:
        refused = this.consumerInfo(c);
        break;
      case DataType.RemoveInfo:
        refused = this.removeInfo(c);
        break;
      case DataType.MessageAck:
        refused = this.messageAck(c);
        break;
      case DataType.KeepAliveInfo:
        // a keep-alive asking for an answer gets one of its own kind
        if (c.responseRequired) this.send(makeKeepAliveInfo());
        return;
      case DataType.ShutdownInfo:
        return this.shutdown();
      case DataType.ConnectionControl:
      case DataType.ConsumerControl:
      case DataType.FlushCommand:
        break;
      case DataType.DestinationInfo:
        refused = new OpenWireRefusal(UNSUPPORTED, "temporary destinations are not supported yet");
        break;
      case DataType.TransactionInfo:
        refused = new OpenWireRefusal(UNSUPPORTED, "transactions are not supported yet");
        break;
      case DataType.MessagePull:
        refused = new OpenWireRefusal(UNSUPPORTED, "MessagePull (prefetch 0) is not supported yet");
        break;
      case DataType.RemoveSubscriptionInfo:
        refused = new OpenWireRefusal(UNSUPPORTED, "durable subscriptions are not supported yet");
        break;
      default:
        if (isMessageType(c.dataType)) {
          const persisted = this.publish(c as AnyMessage, frame);
          if (persisted instanceof OpenWireRefusal) refused = persisted;
          else if (persisted && c.responseRequired && this.vhost?.durability) {
            this.held.hold(c.commandId, this.vhost.durability);
            return;
          } else if (c.responseRequired && this.held.holdBehind(c.commandId)) return;
          break;
        }
        refused = new OpenWireRefusal(UNSUPPORTED, `command type ${c.dataType} is not supported`);
    }
    this.answer(c, refused);
    // ActiveMQ drops the connection after refusing its ConnectionInfo
    if (refused !== null && c.dataType === DataType.ConnectionInfo) this.shutdown();
  }

  private answer(c: AnyBaseCommand, refused: OpenWireRefusal | null): void {
    if (refused !== null) {
      this.log.warn({ exception: refused.className }, `OpenWire command refused: ${refused.message}`);
      if (c.responseRequired) this.send(makeExceptionResponse({ correlationId: c.commandId, exception: refused.toThrowable() }));
      // an async command's refusal has no response to ride on: ActiveMQ sends a ConnectionError
      else this.send(makeConnectionError({ exception: refused.toThrowable(), connectionId: this.connectionInfo?.connectionId ?? null }));
      return;
    }
    if (c.responseRequired) this.send(makeResponse({ correlationId: c.commandId }));
  }

  private released(commandId: number, ok: boolean): void {
    if (this.state === "closed") return;
    if (ok) this.send(makeResponse({ correlationId: commandId }));
    else
      this.send(
        makeExceptionResponse({
          correlationId: commandId,
          exception: new OpenWireRefusal("javax.jms.JMSException", "the broker could not write the message to disk").toThrowable(),
        }),
      );
  }

  private connectionInfoCommand(info: ConnectionInfo): OpenWireRefusal | null {
    if (this.state === "open") return null; // a repeated ConnectionInfo (the client's reconnect path) changes nothing
    const o = this.server.options;
    const username = info.userName ?? "guest";
    const password = info.password ?? (info.userName === null ? "guest" : "");
    const granted = this.broker.login({
      username,
      password,
      loopback: isLoopback(this.socket.remoteAddress),
      vhost: o.defaultVhost,
      protocol: "openwire",
    });
    if (granted instanceof LoginRefused) {
      this.log.warn({ user: username, reason: granted.reason }, `OpenWire login refused: ${granted.reason}`);
      return new OpenWireRefusal(SECURITY, `User name [${username}] or password is invalid.`);
    }
    const clientId = info.clientId ?? "";
    const key = `${granted.vhost.name}\u0000${clientId}`;
    if (clientId !== "" && this.server.clientIds.has(key)) {
      const other = this.server.clientIds.get(key)!;
      return new OpenWireRefusal(INVALID_CLIENT_ID, `Broker: ${o.brokerName} - Client: ${clientId} already connected from ${other.remote}`);
    }
    if (clientId !== "") this.server.clientIds.set(key, this);
    this.clientId = clientId;
    this.user = granted.user;
    this.vhost = granted.vhost;
    this.access = granted.access;
    this.connectionInfo = info;
    this.state = "open";
    this.handshake.settle(this.socket);
    this.broker.connections.register(this, granted.vhost.name);
    this.registered = true;
    return null;
  }

  get remote(): string {
    return `tcp://${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private sessionInfo(info: SessionInfo): OpenWireRefusal | null {
    if (info.sessionId === null) return new OpenWireRefusal(UNSUPPORTED, "SessionInfo without a session id");
    const k = sessionKey(info.sessionId.connectionId, info.sessionId.value);
    if (!this.sessions.has(k)) this.sessions.set(k, new Set());
    return null;
  }

  private producerInfo(info: ProducerInfo): OpenWireRefusal | null {
    if (info.destination === null) return null;
    const t = targetOf(info.destination);
    return typeof t === "string" ? new OpenWireRefusal(INVALID_DESTINATION, t) : null;
  }

  /** queue://x is declared (durable, as STOMP's /queue/x) on first use in this connection. */
  private queueFor(name: string): Queue | OpenWireRefusal {
    const v = this.vhost!;
    if (!this.declared.has(name)) {
      const denied = this.access!.check("queue", name, "configure");
      if (denied) return refusalOf(denied);
      const ok = v.declareQueue(name, { durable: true, autoDelete: false, exclusive: false, args: {} }, this.client);
      if (ok instanceof BrokerError) return refusalOf(ok);
      this.declared.add(name);
    }
    const q = v.queue(name, this.client);
    return q instanceof BrokerError ? refusalOf(q) : q;
  }

  private consumerInfo(info: ConsumerInfo): OpenWireRefusal | null {
    const id = info.consumerId;
    const dest = info.destination;
    if (id === null || dest === null) return new OpenWireRefusal(INVALID_DESTINATION, "a consumer needs a destination");
    // Warren sends no advisories: the Java client's advisory consumer is accepted and stays idle
    if (isAdvisory(dest)) return null;
    // compiled before anything is declared, so a bad selector leaves nothing behind
    const selector = info.selector !== null && info.selector !== "" ? compileSelector(info.selector) : undefined;
    if (selector instanceof InvalidSelector) return new OpenWireRefusal(INVALID_SELECTOR, selector.description);
    if (info.subscriptionName !== null) return new OpenWireRefusal(UNSUPPORTED, "durable subscriptions are not supported yet");
    if (info.browser) return new OpenWireRefusal(UNSUPPORTED, "queue browsers are not supported yet");
    if (info.prefetchSize <= 0) return new OpenWireRefusal(UNSUPPORTED, "prefetch 0 (MessagePull) is not supported yet");
    const t = targetOf(dest);
    if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
    const key = idKey(id);
    if (this.consumers.has(key)) return new OpenWireRefusal("javax.jms.JMSException", `consumer ${key} already exists`);
    const v = this.vhost!;
    let q: Queue | OpenWireRefusal;
    if (t.kind === "queue") {
      const denied = this.access!.check("queue", t.name, "read");
      if (denied) return refusalOf(denied);
      q = this.queueFor(t.name);
    } else {
      const name = `openwire.sub.${this.client.id}.${id.sessionId}.${id.value}`;
      const bindingKey = topicBindingKey(t.name);
      const denied = this.access!.checkSubscribe(name, "amq.topic", bindingKey);
      if (denied) return refusalOf(denied);
      const ok = v.declareQueue(name, { durable: false, autoDelete: true, exclusive: true, args: {} }, this.client);
      if (ok instanceof BrokerError) return refusalOf(ok);
      const b = v.bindQueue(ok.queue, "amq.topic", bindingKey, {}, this.client);
      if (b instanceof BrokerError) return refusalOf(b);
      const found = v.queue(ok.queue, this.client);
      q = found instanceof BrokerError ? refusalOf(found) : found;
    }
    if (q instanceof OpenWireRefusal) return q;
    const c = new OpenWireConsumer(this, id, key, sessionKey(id.connectionId, id.sessionId), dest, info.prefetchSize);
    const sub = q.consume(c, {
      tag: key,
      noAck: false,
      exclusive: info.exclusive,
      priority: info.priority,
      prefetch: info.prefetchSize,
      ...(selector !== undefined && { selector }),
      // a topic consumer's own queue drops what it does not select; a queue keeps it for others
      ...(selector !== undefined && t.kind !== "queue" && { discardUnselected: true }),
      ...(info.noLocal && { noLocal: true }),
    });
    if (sub instanceof BrokerError) return refusalOf(sub);
    c.subscription = sub;
    this.consumers.set(key, c);
    this.sessions.get(c.sessionKey)?.add(key);
    return null;
  }

  private publish(m: AnyMessage, frame: Buffer): boolean | OpenWireRefusal {
    if (m.destination === null) return new OpenWireRefusal(INVALID_DESTINATION, "a message needs a destination");
    const problem = messageProblem(m);
    if (problem !== null) return new OpenWireRefusal(UNSUPPORTED, problem);
    const t = targetOf(m.destination);
    if (typeof t === "string") return new OpenWireRefusal(INVALID_DESTINATION, t);
    if (t.kind === "queue") {
      const q = this.queueFor(t.name);
      if (q instanceof OpenWireRefusal) return q;
    }
    const [exchange, key] = publishTarget(t);
    const denied = this.access!.checkPublish(exchange, key);
    if (denied) return refusalOf(denied);
    const msg = coreMessage(exchange, key, m, frame, this.wire!.version);
    msg.publisher = this.client; // for noLocal consumers
    const r = this.vhost!.publish(exchange, key, msg);
    if (r instanceof BrokerError) return refusalOf(r);
    return r.persisted > 0;
  }

  private messageAck(ack: MessageAck): OpenWireRefusal | null {
    if (ack.consumerId === null) return null;
    const c = this.consumers.get(idKey(ack.consumerId));
    const tag = ack.lastMessageId?.brokerSequenceId ?? 0;
    if (c === undefined) return null;
    switch (ack.ackType) {
      case ACK_DELIVERED:
        c.markDelivered(tag);
        break;
      case ACK_STANDARD:
      case ACK_UNMATCHED:
      case ACK_EXPIRED:
        c.ack(tag, false);
        break;
      case ACK_INDIVIDUAL:
        c.ack(tag, true);
        break;
      case ACK_POISON:
        c.discard(tag);
        break;
      case ACK_REDELIVERED:
        break;
    }
    return null;
  }

  private removeInfo(info: RemoveInfo): OpenWireRefusal | null {
    const id = info.objectId;
    if (id === null) return null;
    switch (id.dataType) {
      case DataType.ConsumerId: {
        const key = idKey(id);
        const c = this.consumers.get(key);
        if (c !== undefined) this.removeConsumer(c);
        break;
      }
      case DataType.SessionId: {
        const k = sessionKey(id.connectionId, id.value);
        const keys = this.sessions.get(k);
        this.sessions.delete(k);
        for (const k of keys ?? []) {
          const c = this.consumers.get(k);
          if (c !== undefined) this.removeConsumer(c);
        }
        break;
      }
      case DataType.ConnectionId:
        this.releaseConsumers();
        break;
    }
    return null;
  }

  private removeConsumer(c: OpenWireConsumer): void {
    this.consumers.delete(c.key);
    this.sessions.get(c.sessionKey)?.delete(c.key);
    c.close();
  }

  dispatch(c: OpenWireConsumer, entry: QueueEntry, tag: number): void {
    const m = dispatchMessage(entry.message, tag, entry.redelivered ? Math.max(1, entry.deliveryCount - 1) : 0);
    this.send(makeMessageDispatch({ consumerId: c.id, destination: c.destination, message: m, redeliveryCounter: m.redeliveryCounter }));
  }

  consumerCancelled(c: OpenWireConsumer): void {
    this.consumers.delete(c.key);
    this.sessions.get(c.sessionKey)?.delete(c.key);
    c.unacked.clear();
  }

  streamDrained(): void {
    for (const c of this.consumers.values()) c.subscription.resume();
  }

  /** One command, size-prefixed, to the socket (batched with the rest of this turn's). */
  send(cmd: DataStructure): void {
    if (this.state === "closed") return;
    const w = this.out;
    w.ensure(5);
    w.pos = 4;
    w.byte(cmd.dataType);
    encodeBody(w, cmd);
    w.buf.writeInt32BE(w.pos - 4, 0);
    this.writer.write(w.take(0));
  }

  /** Input we cannot go on from: logged once, then the socket closes. */
  fail(reason: string): void {
    if (this.state === "closed") return;
    this.log.warn(`OpenWire connection closed: ${reason}`);
    this.shutdown();
  }

  /** No more input; pending output goes, then the socket ends. */
  private shutdown(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.releaseConsumers();
    this.writer.end();
    // a peer that never closes its side is not waited for
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private releaseConsumers(): void {
    const all = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of all) c.close();
  }

  private teardown(): void {
    this.state = "closed";
    heartbeats.unwatch(this);
    this.held.clear();
    this.releaseConsumers();
    this.writer.discard();
    this.handshake.settle(this.socket);
    if (this.clientId !== null && this.clientId !== "" && this.vhost !== null) {
      const key = `${this.vhost.name}\u0000${this.clientId}`;
      if (this.server.clientIds.get(key) === this) this.server.clientIds.delete(key);
    }
    if (this.registered) {
      this.broker.connections.unregister(this.client);
      this.registered = false;
    }
    this.vhost?.clientClosed(this.client);
    this.server.forget(this);
  }

  /** The broker is stopping, or an operator closed the connection: a ConnectionError, then close. */
  forceClose(reason: string): void {
    if (this.state === "open") {
      this.send(
        makeConnectionError({
          exception: { className: "javax.jms.JMSException", message: reason, stack: [], cause: null },
          connectionId: this.connectionInfo?.connectionId ?? null,
        }),
      );
      this.shutdown();
    } else this.socket.destroy();
  }

  connectionDetails(): ConnectionDetails {
    const s = this.socket;
    return {
      protocol: "OpenWire",
      peerHost: s.remoteAddress ?? "",
      peerPort: s.remotePort ?? 0,
      host: s.localAddress ?? "",
      port: s.localPort ?? 0,
      user: this.user?.name ?? "",
      vhost: this.vhost?.name ?? "",
      clientProperties: { client_id: this.clientId ?? "", openwire_version: this.wire?.version ?? 0 },
      authMechanism: "PLAIN",
      tls: null,
      frameMax: this.server.options.maxFrameSize,
      channelMax: 0,
      timeout: Math.round((this.wire?.maxInactivityMs ?? 0) / 1000),
      channels: () =>
        [...this.sessions.entries()].map(([, keys], i) => ({
          number: i + 1,
          consumerCount: keys.size,
          unacked: [...keys].reduce((n, k) => n + (this.consumers.get(k)?.unacked.size ?? 0), 0),
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

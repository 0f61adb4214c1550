import type { QueueBrowsing } from "./browser.js";
import type { Socket } from "node:net";
import type {
  AccessControl,
  Broker,
  ClientRef,
  ConnectionDetails,
  ConnectionSource,
  QueueEntry,
  User,
  VirtualHost,
} from "../../src/core/index.js";
import { OrderedCommits } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { BatchedWriter, type DrainListener } from "../../src/transport/batched-writer.js";
import { readSocket } from "../../src/transport/socket-reads.js";
import type { HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { heartbeats } from "../../src/transport/heartbeats.js";
import {
  type AnyBaseCommand,
  type AnyTransactionId,
  type ConnectionId,
  type ConnectionInfo,
  DataType,
  type DataStructure,
  decodeBody,
  encodeBody,
  looseToTightBody,
  tightDecodeBody,
  tightEncodeBody,
  tightToLooseBody,
  tightWriteKept,
  makeActiveMQQueue,
  makeBrokerId,
  makeBrokerInfo,
  makeConnectionError,
  makeExceptionResponse,
  makeKeepAliveInfo,
  makeMessageDispatch,
  makeResponse,
  type WireFormatInfo,
  writeNested,
} from "./codec/commands.generated.js";
import { DecodeError, MarshalCache, Reader, TightReader, TightWriter, Writer } from "./codec/primitives.js";
import type { ConsumerHost, OpenWireConsumer } from "./consumer.js";
import { deadLetter } from "./dead-letter.js";
import { JMS_EXCEPTION, OpenWireRefusal, UNSUPPORTED } from "./exceptions.js";
import { FrameReader } from "./frame-reader.js";
import { connectionInfo } from "./handlers/connection-info.js";
import { consumerInfo } from "./handlers/consumer-info.js";
import { destinationInfo } from "./handlers/destination-info.js";
import { messageAck, quickAck } from "./handlers/message-ack.js";
import { messagePull } from "./handlers/message-pull.js";
import { messageSend, type SendTarget } from "./handlers/message-send.js";
import { producerInfo } from "./handlers/producer-info.js";
import { removeInfo } from "./handlers/remove-info.js";
import { removeSubscriptionInfo } from "./handlers/remove-subscription-info.js";
import { sessionInfo } from "./handlers/session-info.js";
import { transactionInfo } from "./handlers/transaction-info.js";
import { dispatchMessage, isMessageType, OpenWireEncoding } from "./message.js";
import { DestinationMemo, type MessageType, ScanResult, sameBytes, scanMessage, type ScannedMessage } from "./message-scan.js";
import type { OpenWireServer } from "./server.js";
import { localTxKey, type OpenWireTransaction, txText } from "./transactions.js";
import { negotiate, ourWireFormatInfo, type WireFormat } from "./wire-format.js";
import { tempsOf } from "./temp-destinations.js";
import { tlsInfo } from "../../src/transport/tls.js";

const TWO_32 = 4294967296;
const NO_BYTES = Buffer.alloc(0);
/** Where a tight connection's messages are re-encoded loose (then copied out as their stored bytes). */
const looseScratch = new Writer(1024);
/** Where a stored message is copied to have its per-delivery fields patched before it is transcoded. */
let patchScratch = Buffer.allocUnsafe(1024);

/** `looseScratch`, emptied and started on a message of `type` at the negotiated `version`. */
function startLoose(type: MessageType, version: number): Writer {
  const w = looseScratch;
  w.version = version;
  w.pos = 0;
  w.byte(type);
  return w;
}

/**
 * Patches a copy of a stored message, starting at `b[m]`, for one delivery: command id 0, no
 * response, the broker sequence (the delivery tag acks name), the redelivery counter and
 * ActiveMQ's JMSXGroupFirstForConsumer (this delivery gave the message's group to the consumer).
 */
function patchDelivery(b: Buffer, m: number, enc: OpenWireEncoding, tag: number, redeliveries: number, groupFirst: boolean): void {
  b.writeInt32BE(0, m + 1); // commandId
  b[m + 5] = 0; // responseRequired
  if (enc.sequenceAt >= 0) {
    b.writeInt32BE(Math.floor(tag / TWO_32), m + enc.sequenceAt);
    b.writeUInt32BE(tag % TWO_32, m + enc.sequenceAt + 4);
  }
  b.writeInt32BE(redeliveries, m + enc.redeliveryAt);
  if (enc.groupFirstAt >= 0) b[m + enc.groupFirstAt] = groupFirst ? 1 : 0;
}

/** What answering a command needs of it. */
type CommandHead = Pick<AnyBaseCommand, "dataType" | "commandId" | "responseRequired">;

/** Before the client's WireFormatInfo, before its ConnectionInfo, logged in, or closed. */
export type OpenWireState = "wire-format" | "connection-info" | "open" | "closed";

/**
 * One OpenWire connection: frames from the socket (frame-reader.ts), the WireFormatInfo exchange,
 * then one switch on each command's type to its handler (handlers/, one file per command class),
 * and the state they share: sessions, consumers, the login, the writer.
 */
export class OpenWireConnection implements ConnectionSource, DrainListener, ConsumerHost {
  state: OpenWireState = "wire-format";
  private readonly reader: FrameReader;
  readonly writer: BatchedWriter;
  /** Every command but a spliced dispatch is encoded here (tight or loose, as negotiated). */
  private readonly out = new TightWriter(1024);
  /** Every loose uncached frame is read with this one reader, pointed at it (no Reader per command). */
  private readonly in = new Reader(NO_BYTES, 0, 0, 1, false);
  /** The destination of the last message sent on this connection, decoded once for a run of sends to it. */
  readonly sentTo = new DestinationMemo();
  /** What the scan of the message being handled read (one object, refilled by every loose send). */
  private readonly scanned = new ScanResult();
  /** What handlers/message-send.ts made of that destination object: its target and route, kept with it. */
  sendTarget: SendTarget | null = null;
  /** What the peer's cached fields refer to, when the marshal cache was negotiated. */
  private unmarshalCache: MarshalCache | null = null;
  readonly client: ClientRef;
  readonly log: Logger;
  wire: WireFormat | null = null;
  user: User | null = null;
  vhost: VirtualHost | null = null;
  access: AccessControl | null = null;
  clientId: string | null = null;
  private connectionInfo: ConnectionInfo | null = null;
  /** Sessions by SessionId key → the consumers' keys in it. */
  readonly sessions = new Map<string, Set<string>>();
  readonly consumers = new Map<string, OpenWireConsumer>();
  /** Queue browsers by ConsumerId key (browser.ts): paced by their acks, not core consumers. */
  readonly browsers = new Map<string, QueueBrowsing>();
  /** Open local transactions by LocalTransactionId key (transactions.ts). */
  readonly transactions = new Map<string, OpenWireTransaction>();
  /** Queues this connection declared already (queue://x is declared durable on first use). */
  readonly declared = new Set<string>();
  /** Dead letters go to one DLQ per destination (options.ts `deadLetterStrategy`). */
  get individualDlq(): boolean {
    return this.server.options.deadLetterStrategy === "individual";
  }
  /** Responses to persistent sends wait here until the store has the message. */
  private readonly commits = new OrderedCommits<number>({ release: (id, ok) => this.released(id, ok) });
  private registered = false;
  private lastAcked: OpenWireConsumer | undefined = undefined;
  heartbeatTimeoutMs = 0;
  heartbeatSendMs = 0;
  lastRead = Date.now();
  readonly connectedAt = Date.now();

  constructor(
    readonly socket: Socket,
    readonly broker: Broker,
    readonly server: OpenWireServer,
    log: Logger,
    private readonly handshake: HandshakeDeadlines,
  ) {
    this.client = broker.newClient();
    this.log = log.child({ conn: this.client.id, protocol: "openwire", peer: `${socket.remoteAddress}:${socket.remotePort}` });
    this.reader = new FrameReader(server.options.maxFrameSize);
    this.writer = new BatchedWriter(socket, this);
    socket.setNoDelay(true);
    readSocket(socket, (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    socket.on("close", () => this.teardown());
    // both sides send their WireFormatInfo at once (ActiveMQ's broker does not wait for the client's)
    this.send(ourWireFormatInfo(server.options));
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
      const reader = this.reader;
      for (;;) {
        if ((this.state as OpenWireState) === "closed") return;
        const buf = reader.advance();
        if (buf === null) return;
        this.frame(buf, reader.start, reader.end);
      }
    } catch (err) {
      if (err instanceof DecodeError || err instanceof RangeError) return this.fail(err.message);
      this.log.error({ err }, "OpenWire connection failed");
      this.fail("internal error");
    }
  }

  /** One frame: `buf[start, end)`, type octet first (`buf` is the socket's chunk, read in place). */
  private frame(buf: Buffer, start: number, end: number): void {
    const type = buf[start]!;
    if (this.state === "wire-format") {
      if (type !== DataType.WireFormatInfo) throw new DecodeError(`command of type ${type} before WireFormatInfo`);
      this.wireFormat(decodeBody(type, new Reader(buf, start + 1, end, 1, false)) as WireFormatInfo);
      return;
    }
    if (this.unmarshalCache !== null || this.wire!.tightEncoding) return this.decodedFrame(buf.subarray(start, end), type);
    const r = this.in.reset(buf, start + 1, end);
    if (type === DataType.MessageAck && this.state === "open" && !this.traced && quickAck(this, r)) return;
    if (isMessageType(type)) {
      // a message is only scanned: its bytes, copied out of the chunk once (a frame split across
      // reads is a copy already), are what it is stored and delivered as
      let bytes = buf;
      if (!this.reader.owned) {
        bytes = Buffer.allocUnsafe(end - start);
        buf.copy(bytes, 0, start, end);
      }
      r.reset(bytes, 1, bytes.length);
      const s = scanMessage(type, r, this.sentTo, this.scanned);
      if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} bytes left over after a command of type ${type}`);
      return this.command(s, bytes);
    }
    r.pos = start + 1;
    const cmd = decodeBody(type, r);
    if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} bytes left over after a command of type ${type}`);
    this.command(cmd, NO_BYTES);
  }

  /**
   * A command in tight encoding or with the marshal cache, decoded in full. A message becomes the
   * loose uncached bytes the core keeps (what a loose sender's would be), scanned as those are:
   * one stored form whatever the wire format.
   */
  private decodedFrame(frame: Buffer, type: number): void {
    const { version, stackTraces, tightEncoding } = this.wire!;
    if (tightEncoding && isMessageType(type)) return this.tightMessage(frame, type);
    let cmd: DataStructure;
    let r: Reader;
    if (tightEncoding) {
      const t = new TightReader(frame, 1, frame.length, version, stackTraces);
      t.cache = this.unmarshalCache;
      t.booleanStream();
      cmd = tightDecodeBody(type, t);
      r = t;
    } else {
      r = new Reader(frame, 1, frame.length, version, stackTraces);
      r.cache = this.unmarshalCache;
      cmd = decodeBody(type, r);
    }
    if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} bytes left over after a command of type ${type}`);
    if (!isMessageType(type)) return this.command(cmd, frame);
    encodeBody(startLoose(type, version), cmd);
    this.storedMessage(type);
  }

  /**
   * A message in tight encoding, transcoded field by field into the loose bytes the core keeps
   * (no values built but the small ids, which the marshal cache needs), then scanned.
   */
  private tightMessage(frame: Buffer, type: MessageType): void {
    const { version, stackTraces } = this.wire!;
    const r = new TightReader(frame, 1, frame.length, version, stackTraces);
    r.cache = this.unmarshalCache;
    r.booleanStream();
    tightToLooseBody(type, r, startLoose(type, version));
    if (r.pos !== r.end) throw new DecodeError(`${r.end - r.pos} bytes left over after a command of type ${type}`);
    this.storedMessage(type);
  }

  /** The message `looseScratch` now holds, copied out as the bytes the core keeps, scanned and handled. */
  private storedMessage(type: MessageType): void {
    const bytes = looseScratch.take(0);
    this.command(scanMessage(type, new Reader(bytes, 1, bytes.length, this.wire!.version, false)), bytes);
  }

  private wireFormat(info: WireFormatInfo): void {
    const o = this.server.options;
    const w = negotiate(info, o);
    this.wire = w;
    this.in.version = w.version;
    this.in.stackTraces = w.stackTraces;
    this.out.version = w.version;
    this.out.stackTraces = w.stackTraces;
    if (w.cache) {
      this.out.cache = new MarshalCache(w.cacheSize);
      this.unmarshalCache = new MarshalCache(w.cacheSize);
    }
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

  /** Whether the stored bytes go out as they are: loose encoding without the marshal cache. */
  private get spliceable(): boolean {
    return !this.wire!.tightEncoding && this.out.cache === null;
  }

  /** Whether commands are logged (trace): the quick ack path would skip that. */
  private get traced(): boolean {
    return this.log.isLevelEnabled("trace");
  }

  /**
   * The consumer whose ConsumerId, encoded as we encode it, is `buf[start, end)` (an ack's bytes),
   * without decoding it: the last one found first.
   */
  consumerByIdBytes(buf: Buffer, start: number, end: number): OpenWireConsumer | undefined {
    const last = this.lastAcked;
    const n = end - start;
    if (last !== undefined && last.idBytes.length === n && sameBytes(last.idBytes, buf, start) && this.consumers.get(last.key) === last) {
      return last;
    }
    for (const c of this.consumers.values()) {
      if (c.idBytes.length === n && sameBytes(c.idBytes, buf, start)) {
        this.lastAcked = c;
        return c;
      }
    }
    return undefined;
  }

  /**
   * One command after the wire format is agreed (a message scanned, anything else decoded);
   * `frame`: a message's own bytes, type octet first (empty for other commands).
   */
  private command(cmd: DataStructure | ScannedMessage, frame: Buffer): void {
    if (!("commandId" in cmd)) throw new DecodeError(`data structure of type ${cmd.dataType} sent as a command`);
    const c = cmd as AnyBaseCommand | ScannedMessage;
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
        refused = connectionInfo(this, c);
        break;
      case DataType.SessionInfo:
        refused = sessionInfo(this, c);
        break;
      case DataType.ProducerInfo:
        refused = producerInfo(this, c);
        break;
      case DataType.ConsumerInfo:
        refused = consumerInfo(this, c);
        break;
      case DataType.RemoveInfo:
        refused = removeInfo(this, c);
        break;
      case DataType.MessageAck:
        refused = messageAck(this, c);
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
        refused = destinationInfo(this, c);
        break;
      case DataType.TransactionInfo: {
        const r = transactionInfo(this, c);
        if (r instanceof OpenWireRefusal) refused = r;
        else if (this.held(c, r)) return;
        break;
      }
      case DataType.MessagePull:
        refused = messagePull(this, c);
        break;
      case DataType.RemoveSubscriptionInfo:
        refused = removeSubscriptionInfo(this, c);
        break;
      default:
        if (isMessageType(c.dataType)) {
          const persisted = messageSend(this, c as ScannedMessage, frame);
          if (persisted instanceof OpenWireRefusal) refused = persisted;
          else if (this.held(c, persisted)) return;
          break;
        }
        refused = new OpenWireRefusal(UNSUPPORTED, `command type ${c.dataType} is not supported`);
    }
    this.answer(c, refused);
    // ActiveMQ drops the connection after refusing its ConnectionInfo
    if (refused !== null && c.dataType === DataType.ConnectionInfo) this.shutdown();
  }

  /**
   * Whether the Response to `c` waits: for the disk when it put a persistent message on a durable
   * queue, or behind an earlier answer that does.
   */
  private held(c: CommandHead, persisted: boolean): boolean {
    if (!c.responseRequired) return false;
    if (persisted && this.vhost?.durability) {
      this.commits.hold(c.commandId, this.vhost.durability);
      return true;
    }
    return this.commits.holdBehind(c.commandId);
  }

  /** The open local transaction `id` names, or why there is none. */
  transaction(id: AnyTransactionId): OpenWireTransaction | OpenWireRefusal {
    const key = localTxKey(id);
    const tx = key === null ? undefined : this.transactions.get(key);
    return tx ?? new OpenWireRefusal(JMS_EXCEPTION, `Transaction '${txText(id)}' has not been started.`);
  }

  private answer(c: CommandHead, refused: OpenWireRefusal | null): void {
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

  /** ConnectionInfo accepted (handlers/connection-info.ts): the connection is open and registered. */
  opened(info: ConnectionInfo, clientId: string, user: User, vhost: VirtualHost, access: AccessControl): void {
    this.clientId = clientId;
    this.user = user;
    this.vhost = vhost;
    this.access = access;
    this.connectionInfo = info;
    this.state = "open";
    this.handshake.settle(this.socket);
    this.broker.connections.register(this, vhost.name);
    this.registered = true;
  }

  /** The ConnectionId of the client's ConnectionInfo (null before it). */
  get connectionId(): ConnectionId | null {
    return this.connectionInfo?.connectionId ?? null;
  }

  get remote(): string {
    // ActiveMQ names the connector's scheme: ssl:// for the TLS listener
    const scheme = (this.socket as Socket & { encrypted?: boolean }).encrypted === true ? "ssl" : "tcp";
    return `${scheme}://${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  removeConsumer(c: OpenWireConsumer): void {
    this.consumers.delete(c.key);
    this.sessions.get(c.sessionKey)?.delete(c.key);
    c.close();
  }

  dispatch(c: OpenWireConsumer, entry: QueueEntry, tag: number): void {
    const redeliveries = entry.redelivered ? Math.max(1, entry.deliveryCount - 1) : 0;
    // a virtual topic's copy names its consumer queue, and the topic as where it was sent
    const virtual = c.virtual && entry.message.exchange === "amq.topic";
    const enc = entry.message.encoded;
    // the publisher's bytes as they are, unless this delivery changes more than the counters
    // (a consumer speaking tight or with the cache gets the message decoded and encoded again:
    // the stored bytes are loose and uncached)
    if (enc instanceof OpenWireEncoding && enc.codec.version === this.wire!.version && !virtual) {
      if (this.spliceable) return this.splice(c, enc, tag, redeliveries, entry.groupFirst);
      if (this.wire!.tightEncoding) return this.tightSplice(c, enc, tag, redeliveries, entry.groupFirst);
    }
    const m = dispatchMessage(entry.message, tag, redeliveries);
    if (entry.groupFirst) m.jmsxGroupFirstForConsumer = true;
    if (virtual) {
      m.originalDestination = m.destination;
      m.destination = makeActiveMQQueue({ physicalName: (entry.holder ?? c.subscription).queue.name });
    }
    this.send(makeMessageDispatch({ consumerId: c.id, destination: c.destination, message: m, redeliveryCounter: m.redeliveryCounter }));
  }

  /**
   * A MessageDispatch around the publisher's own bytes, written straight into the writer's slab:
   * the consumer's head (type, command id, consumer id, destination) encoded once per consumer,
   * the message as it came, with its command id, response flag, broker sequence (the delivery
   * tag acks name), redelivery counter and JMSXGroupFirstForConsumer flag patched, then the
   * dispatch's redelivery counter.
   */
  private splice(c: OpenWireConsumer, enc: OpenWireEncoding, tag: number, redeliveries: number, groupFirst: boolean): void {
    if (this.state === "closed") return;
    const head = c.dispatchHead ?? (c.dispatchHead = this.dispatchHeadOf(c));
    const bytes = enc.bytes;
    const size = head.length + 1 + bytes.length + 4;
    const at = this.writer.reserve(4 + size);
    const b = this.writer.slab;
    b.writeInt32BE(size, at);
    head.copy(b, at + 4);
    const m = at + 4 + head.length + 1;
    b[m - 1] = 1; // the message is not null
    bytes.copy(b, m);
    patchDelivery(b, m, enc, tag, redeliveries, groupFirst);
    b.writeInt32BE(redeliveries, m + bytes.length);
  }

  /**
   * A tight MessageDispatch from the stored bytes: they are copied aside with the per-delivery
   * fields patched as `splice` patches them, then transcoded to tight behind the dispatch's head
   * (the consumer id and destination cached if the cache is on), without decoding the message.
   */
  private tightSplice(c: OpenWireConsumer, enc: OpenWireEncoding, tag: number, redeliveries: number, groupFirst: boolean): void {
    if (this.state === "closed") return;
    const bytes = enc.bytes;
    if (patchScratch.length < bytes.length) patchScratch = Buffer.allocUnsafe(Math.max(bytes.length, 2 * patchScratch.length));
    const m = patchScratch;
    bytes.copy(m, 0);
    patchDelivery(m, 0, enc, tag, redeliveries, groupFirst);
    const w = this.out;
    w.pos = 0;
    w.resetBits();
    w.int(0); // the dispatch's commandId
    w.bit(false); // responseRequired
    // the same two objects in every dispatch to this consumer: kept, then referred to
    tightWriteKept(w, c.id);
    tightWriteKept(w, c.destination);
    w.bit(true); // the message: not null,
    w.bit(false); // not in a cached marshalled form
    w.byte(bytes[0]!);
    looseToTightBody(bytes[0]!, new Reader(m, 1, bytes.length, this.wire!.version, false), w);
    w.int(redeliveries);
    this.writeTight(DataType.MessageDispatch);
  }

  /** A MessageDispatch to `c` up to its message: type, commandId 0, no response, consumer id, destination. */
  private dispatchHeadOf(c: OpenWireConsumer): Buffer {
    const w = new Writer(64);
    w.version = this.wire!.version;
    w.byte(DataType.MessageDispatch);
    w.int(0);
    w.boolean(false);
    writeNested(w, c.id);
    writeNested(w, c.destination);
    return w.take(0);
  }

  pullEnded(c: OpenWireConsumer): void {
    this.send(makeMessageDispatch({ consumerId: c.id, destination: c.destination, message: null }));
  }

  deadLetter(entry: QueueEntry, cause: string | null): void {
    deadLetter(this, entry, cause);
  }

  consumerCancelled(c: OpenWireConsumer): void {
    this.consumers.delete(c.key);
    this.sessions.get(c.sessionKey)?.delete(c.key);
    c.unacked.clear();
  }

  streamDrained(): void {
    for (const c of this.consumers.values()) c.resume();
  }

  /** One command, size-prefixed, to the socket (batched with the rest of this turn's). */
  send(cmd: DataStructure): void {
    if (this.state === "closed") return;
    if (this.wire?.tightEncoding === true) return this.sendTight(cmd);
    const w = this.out;
    w.pos = 0;
    w.ensure(5);
    w.pos = 4;
    w.byte(cmd.dataType);
    encodeBody(w, cmd);
    const n = w.pos;
    w.buf.writeInt32BE(n - 4, 0);
    // copied into the writer's slab: no Buffer per command
    const at = this.writer.reserve(n);
    w.buf.copy(this.writer.slab, at, 0, n);
    w.pos = 0;
  }

  /** One command in tight encoding: size, type, the boolean stream, then the data, into the slab. */
  private sendTight(cmd: DataStructure): void {
    const w = this.out;
    w.pos = 0;
    w.resetBits();
    tightEncodeBody(w, cmd);
    this.writeTight(cmd.dataType);
  }

  /** The command of `dataType` whose body `out` holds (bits and data), framed into the slab. */
  private writeTight(dataType: number): void {
    const w = this.out;
    const n = w.pos;
    const size = 1 + w.booleanStreamSize() + n;
    const at = this.writer.reserve(4 + size);
    const b = this.writer.slab;
    b.writeInt32BE(size, at);
    b[at + 4] = dataType;
    w.buf.copy(b, w.writeBooleanStream(b, at + 5), 0, n);
    w.pos = 0;
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

  releaseConsumers(): void {
    this.browsers.clear();
    const all = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of all) c.close();
  }

  private teardown(): void {
    this.state = "closed";
    heartbeats.unwatch(this);
    this.commits.clear();
    this.transactions.clear();
    this.dropTemporaries();
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

  /** This connection's temporary destinations go with it, announced as removed. */
  dropTemporaries(): void {
    const temps = tempsOf(this.server);
    temps.unsubscribe(this, null);
    if (this.vhost === null) return;
    for (const d of temps.ownedBy(this)) {
      if (d.dataType === DataType.ActiveMQTempQueue) this.vhost.deleteQueue(d.physicalName ?? "", {}, this.client);
      temps.remove(this.vhost.name, d);
    }
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
      tls: tlsInfo(s),
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

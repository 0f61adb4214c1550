import { randomBytes } from "node:crypto";
import type { ChannelInfo } from "../../src/core/index.js";
import {
  BrokerError, streamUnsupported, type Consumer, OrderedCommits, type FieldTable, publishPropertiesProblem, integerValue, Message, type MessageProperties, type Queue, type QueueEntry, rabbitType, ReplyCode, REPLY_TO, stringValue, Subscription,
} from "../../src/core/index.js";
import type { AmqpMethod } from "./codec/methods.js";
import { encodeMethodFrame, METHOD_IDS } from "./codec/methods.js";
import { encodeDelivery, encodeGetOk, encodeReturn } from "./codec/delivery.js";
import { decodeContentHeader } from "./codec/frames.js";
import { amqpPropertiesCodec, decodeProperties, encodeProperties } from "./codec/properties.js";
import { CodecError } from "./codec/errors.js";
import type { ConnectionContext } from "./connection.js";
import { DEFAULT_LIMITS } from "./limits.js";

/** A delivery the client still has to settle, by channel delivery tag. */
interface Unacked {
  readonly tag: number;
  readonly entry: QueueEntry;
  readonly queue: Queue;
  /** null for basic.get deliveries, which no consumer's prefetch counts. */
  readonly consumer: ChannelConsumer | null;
}

interface PendingPublish {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  bodySize: number;
  properties: Buffer | null;
  body: Buffer | null;
  received: number;
}

interface TxSettle {
  picked: Unacked[];
  how: "ack" | "nack";
  requeue: boolean;
}

/** What a tx.select channel holds until commit (AMQP 0-9-1 §1.9). */
interface Transaction {
  publishes: TxPublish[];
  settles: TxSettle[];
}

interface TxPublish {
  exchange: string;
  routingKey: string;
  mandatory: boolean;
  message: Message;
}

/** A basic.consume on this channel; the queue calls it while it has credit. */
class ChannelConsumer implements Consumer {
  subscription!: Subscription;
  /** Per-consumer prefetch (basic.qos global=false at consume time); 0 = unlimited. */
  constructor(
    readonly channel: Channel,
    readonly tag: string,
    readonly noAck: boolean,
    readonly prefetch: number,
  ) {}

  get client() {
    return this.channel.ctx.client;
  }
  /** For the management API's consumer listing. */
  get channelNumber(): number {
    return this.channel.id;
  }
  get prefetchCount(): number {
    return this.prefetch;
  }

  hasCredit(): boolean {
    const ch = this.channel;
    if (ch.ctx.writer.backedUp || ch.state !== "open") return false;
    // per-consumer prefetch ignores no-ack consumers, but the channel-wide limit holds them back
    // too while it is used up (RabbitMQ's limiter: they wait, without counting towards it)
    if (!this.noAck && this.prefetch !== 0 && this.subscription.unacked >= this.prefetch) return false;
    return ch.globalPrefetch === 0 || ch.limiterVolume < ch.globalPrefetch;
  }

  deliver(entry: QueueEntry, sub: Subscription): void {
    const ch = this.channel;
    const tag = ++ch.deliveryTag;
    if (!this.noAck) {
      ch.trackUnacked(tag, entry, sub.queue, this);
      if (ch.globalPrefetch !== 0) ch.limiterVolume++;
    } else sub.queue.ack(entry);
    const m = entry.message;
    ch.ctx.writer.write(
      encodeDelivery(ch.id, this.tag, tag, entry.redelivered, m.exchange, m.routingKey, propertiesBytes(m), m.body, ch.ctx.frameMax),
    );
  }

  cancelledByBroker(): void {
    this.channel.consumerCancelledByBroker(this);
  }
}

/** The publisher's property bytes when they came from AMQP, else an encoding of the neutral form. */
function propertiesBytes(m: Message): Buffer {
  return m.encodedWith(amqpPropertiesCodec, encodeProperties);
}

const BASIC_PUBLISH = METHOD_IDS["basic.publish"];
const ROUTING_HEADERS = ["CC", "BCC"] as const;


const hasCrLf = (name: string): boolean => name.includes("\n") || name.includes("\r");
const stripCrLf = (name: string): string => (hasCrLf(name) ? name.replace(/[\r\n]/g, "") : name);

/**
 * RabbitMQ 3.10 strips CR and LF from exchange and queue names in the declare, delete and bind
 * methods (rabbit_channel's strip_cr_lf), so `x\n` declares `x`; basic.publish, basic.get,
 * basic.consume and queue.purge take names as they are. Copies the method only when it has one.
 */
function withNamesStripped(m: AmqpMethod): AmqpMethod {
  switch (m.kind) {
    case "exchange.declare":
    case "exchange.delete":
      return hasCrLf(m.exchange) ? { ...m, exchange: stripCrLf(m.exchange) } : m;
    case "exchange.bind":
    case "exchange.unbind":
      return hasCrLf(m.source) || hasCrLf(m.destination) ? { ...m, source: stripCrLf(m.source), destination: stripCrLf(m.destination) } : m;
    case "queue.declare":
    case "queue.delete":
      return hasCrLf(m.queue) ? { ...m, queue: stripCrLf(m.queue) } : m;
    case "queue.bind":
    case "queue.unbind":
      return hasCrLf(m.queue) || hasCrLf(m.exchange) ? { ...m, queue: stripCrLf(m.queue), exchange: stripCrLf(m.exchange) } : m;
    default:
      return m;
  }
}

function randomTag(prefix: string): string {
  return `${prefix}-${randomBytes(16).toString("base64url").slice(0, 22)}`;
}

/**
 * One AMQP channel: a session with the core (AMQP 0-9-1 §2.2.5). Each method becomes one call
 * into the vhost; failures become channel.close (soft errors) or connection.close (hard ones).
 */
export class Channel {
  state: "open" | "closing" | "closed" = "open";
  deliveryTag = 0;
  private readonly unacked = new Map<number, Unacked>();
  private readonly consumers = new Map<string, ChannelConsumer>();
  /** The consumers as an array for resumeConsumers' rotation; null after the set changed. */
  private resumeOrder: ChannelConsumer[] | null = null;
  private resumeFrom = 0;
  /** basic.qos global=false: applies to consumers created afterwards. */
  private consumerPrefetch = 0;
  /** basic.qos global=true: one limit shared by the whole channel. */
  globalPrefetch = 0;
  /**
   * What the channel-wide prefetch counts, as RabbitMQ's limiter does: consumer deliveries that
   * need an ack, made while the limit is set, less the consumer deliveries settled since. basic.get
   * deliveries do not count (though the unacked ones at the time the limit is set do).
   */
  limiterVolume = 0;
  private pending: PendingPublish | null = null;
  private confirming = false;
  private publishSeq = 0;
  private confirmedUpTo = 0;
  private confirmFlushScheduled = false;
  /** Set by route() when a publish went to disk (tx.commit-ok then waits for the commit). */
  private routedPersistent = false;
  /**
   * Confirms held back until the disk has what they confirm, in sequence order: a persisted
   * publish's seq, or -seq for a refused one whose nack waits its turn behind them.
   */
  private readonly confirms = new OrderedCommits<number>({
    release: (seq, ok) => this.confirmReleased(seq, ok),
    released: () => this.flushConfirms(),
  });
  private tx: Transaction | null = null;
  private readonly flushConfirmsBound = () => this.flushConfirms();
  /** Messages published on this channel and confirms sent, for the management API. */
  private publishCount = 0;
  private confirmCount = 0;

  constructor(
    readonly id: number,
    readonly ctx: ConnectionContext,
  ) {}

  get unackedCount(): number {
    return this.unacked.size;
  }

  private send(m: AmqpMethod): void {
    this.ctx.writer.write(encodeMethodFrame(this.id, m));
  }

  onMethod(m: AmqpMethod): void {
    if (this.state === "closing") {
      // §4.2.8 (channel.close): ignore everything until the peer's close-ok. A crossed close is
      // answered and the close-ok to ours still awaited, as RabbitMQ's reader does.
      if (m.kind === "channel.close-ok") this.finishClose();
      else if (m.kind === "channel.close") this.send({ kind: "channel.close-ok" });
      return;
    }
    if (this.pending !== null) {
      return this.ctx.connectionError(
        ReplyCode.UNEXPECTED_FRAME,
        `UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead`,
        BASIC_PUBLISH[0], BASIC_PUBLISH[1],
      );
    }
    const err = this.dispatch(m);
    if (err instanceof BrokerError) this.fail(err, METHOD_IDS[m.kind]);
  }

  /** Soft errors close the channel; hard ones close the connection (AMQP 0-9-1 §1.2). */
  private fail(err: BrokerError, [classId, methodId]: readonly [number, number]): void {
    if (err.isConnectionError) return this.ctx.connectionError(err.code, err.text, classId, methodId);
    this.ctx.log.info({ channel: this.id, code: err.code, text: err.text }, "channel error");
    this.release();
    this.state = "closing";
    this.send({ kind: "channel.close", replyCode: err.code, replyText: err.text, classId, methodId });
  }

  private dispatch(method: AmqpMethod): BrokerError | void {
    const m = withNamesStripped(method);
    const v = this.ctx.vhost;
    const client = this.ctx.client;
    const access = this.ctx.access;
    switch (m.kind) {
      case "channel.open":
        if (this.state !== "open" || this.opened) return new BrokerError(ReplyCode.CHANNEL_ERROR, "second 'channel.open' seen");
        this.opened = true;
        return this.send({ kind: "channel.open-ok", reserved1: Buffer.alloc(0) });
      case "channel.close":
        this.release();
        this.send({ kind: "channel.close-ok" });
        return this.finishClose();
      case "channel.close-ok":
        return;
      case "channel.flow":
        if (!m.active) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, "active=false");
        return this.send({ kind: "channel.flow-ok", active: true });
      case "channel.flow-ok":
        return;

      case "exchange.declare": {
        const denied = m.passive || m.exchange === "" ? null : access.check("exchange", m.exchange, "configure");
        if (denied) return denied;
        const r = v.declareExchange(m.exchange, {
          type: m.type, passive: m.passive, durable: m.durable, autoDelete: m.autoDelete, internal: m.internal, args: m.arguments,
        });
        if (r instanceof BrokerError) return r;
        if (!m.nowait) this.send({ kind: "exchange.declare-ok" });
        return;
      }
      case "exchange.delete": {
        const denied = m.exchange === "" ? null : access.check("exchange", m.exchange, "configure");
        if (denied) return denied;
        const r = v.deleteExchange(m.exchange, m.ifUnused);
        // deleting a missing exchange is not an error in RabbitMQ 3.10
        if (r instanceof BrokerError && r.code !== ReplyCode.NOT_FOUND) return r;
        if (!m.nowait) this.send({ kind: "exchange.delete-ok" });
        return;
      }
      case "exchange.bind": {
        const denied = access.checkBind("exchange", m.destination, m.source, m.routingKey);
        if (denied) return denied;
        const r = v.bindExchange(m.destination, m.source, m.routingKey, m.arguments);
        if (r) return r;
        if (!m.nowait) this.send({ kind: "exchange.bind-ok" });
        return;
      }
      case "exchange.unbind": {
        const denied = access.checkBind("exchange", m.destination, m.source, m.routingKey);
        if (denied) return denied;
        const r = v.unbindExchange(m.destination, m.source, m.routingKey, m.arguments);
        if (r) return r;
        if (!m.nowait) this.send({ kind: "exchange.unbind-ok" });
        return;
      }

      case "queue.declare": {
        if (!m.passive) {
          // a server-named queue is checked under a name like the one it would get, as RabbitMQ does
          const checked = m.queue === "" ? randomTag("amq.gen") : m.queue;
          const denied = access.check("queue", checked, "configure") ?? this.deadLetterDenied(checked, m.arguments);
          if (denied) return denied;
        }
        const r = v.declareQueue(m.queue, {
          passive: m.passive, durable: m.durable, exclusive: m.exclusive, autoDelete: m.autoDelete, args: m.arguments,
        }, client);
        if (r instanceof BrokerError) return r;
        this.lastQueue = r.queue;
        if (!m.nowait) this.send({ kind: "queue.declare-ok", queue: r.queue, messageCount: r.messageCount, consumerCount: r.consumerCount });
        return;
      }
      case "queue.bind": {
        const queue = this.queueName(m.queue);
        if (queue instanceof BrokerError) return queue;
        const key = this.bindingKeyFor(m.queue, m.routingKey);
        const denied = access.checkBind("queue", queue, m.exchange, key);
        if (denied) return denied;
        const r = v.bindQueue(queue, m.exchange, key, m.arguments, client);
        if (r) return r;
        if (!m.nowait) this.send({ kind: "queue.bind-ok" });
        return;
      }
      case "queue.unbind": {
        const queue = this.queueName(m.queue);
        if (queue instanceof BrokerError) return queue;
        const key = this.bindingKeyFor(m.queue, m.routingKey);
        const denied = access.checkBind("queue", queue, m.exchange, key);
        if (denied) return denied;
        const r = v.unbindQueue(queue, m.exchange, key, m.arguments, client);
        if (r) return r;
        return this.send({ kind: "queue.unbind-ok" });
      }
      case "queue.purge": {
        const queue = this.queueName(m.queue);
        if (queue instanceof BrokerError) return queue;
        const denied = access.check("queue", queue, "read");
        if (denied) return denied;
        const r = v.purgeQueue(queue, client);
        if (r instanceof BrokerError) return r;
        if (!m.nowait) this.send({ kind: "queue.purge-ok", messageCount: r });
        return;
      }
      case "queue.delete": {
        const queue = this.queueName(m.queue);
        if (queue instanceof BrokerError) return queue;
        const denied = access.check("queue", queue, "configure");
        if (denied) return denied;
        const r = v.deleteQueue(queue, { ifUnused: m.ifUnused, ifEmpty: m.ifEmpty }, client);
        if (r instanceof BrokerError) return r;
        if (!m.nowait) this.send({ kind: "queue.delete-ok", messageCount: r });
        return;
      }

      case "basic.qos":
        if (m.prefetchSize !== 0) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, `prefetch_size!=0 (${m.prefetchSize})`);
        if (m.global && m.prefetchCount !== 0) {
          // rabbit_limiter:limit_prefetch: the count starts from what is unacked when the limit starts
          if (this.globalPrefetch === 0) this.limiterVolume = this.unacked.size;
          this.globalPrefetch = m.prefetchCount;
        } else {
          // RabbitMQ 3.10 quirk, observed: a per-consumer qos also lifts the channel-wide limit
          if (!m.global) this.consumerPrefetch = m.prefetchCount;
          this.globalPrefetch = 0;
          this.limiterVolume = 0;
        }
        this.send({ kind: "basic.qos-ok" });
        return this.resumeConsumers();
      case "basic.consume":
        return this.consume(m.queue, m.consumerTag, m.noAck, m.exclusive, m.nowait, m.arguments);
      case "basic.cancel": {
        const c = this.consumers.get(m.consumerTag);
        if (c) {
          this.consumers.delete(m.consumerTag);
          this.resumeOrder = null;
          c.subscription.cancel();
        }
        if (!m.nowait) this.send({ kind: "basic.cancel-ok", consumerTag: m.consumerTag });
        return;
      }
      case "basic.publish": {
        if (m.immediate) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, "immediate=true");
        // refused at the method: the channel closes and the content frames that follow are dropped
        const denied = access.checkPublish(m.exchange, m.routingKey);
        if (denied) return denied;
        this.pending = {
          exchange: m.exchange, routingKey: m.routingKey, mandatory: m.mandatory,
          bodySize: -1, properties: null, body: null, received: 0,
        };
        return;
      }
      case "basic.get":
        return this.get(m.queue, m.noAck);
      case "basic.ack":
        return this.settle(m.deliveryTag, m.multiple, "ack", false);
      case "basic.nack":
        return this.settle(m.deliveryTag, m.multiple, "nack", m.requeue);
      case "basic.reject":
        return this.settle(m.deliveryTag, false, "nack", m.requeue);
      case "basic.recover":
      case "basic.recover-async":
        if (!m.requeue) return new BrokerError(ReplyCode.NOT_IMPLEMENTED, "requeue=false");
        this.requeueAll();
        if (m.kind === "basic.recover") this.send({ kind: "basic.recover-ok" });
        return;

      case "confirm.select":
        if (this.tx) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "cannot switch from tx to confirm mode");
        this.confirming = true;
        if (!m.nowait) this.send({ kind: "confirm.select-ok" });
        return;
      case "tx.select":
        if (this.confirming) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "cannot switch from confirm to tx mode");
        this.tx ??= { publishes: [], settles: [] };
        return this.send({ kind: "tx.select-ok" });
      case "tx.commit":
        if (!this.tx) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
        return this.commit();
      case "tx.rollback":
        if (!this.tx) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "channel is not transactional");
        this.rollback();
        return this.send({ kind: "tx.rollback-ok" });

      default:
        return new BrokerError(ReplyCode.COMMAND_INVALID, `unexpected method ${m.kind}`);
    }
  }

  private opened = false;
  /** This channel's direct reply-to queue, once it consumes from amq.rabbitmq.reply-to. */
  private replyQueue: Queue | null = null;
  /** The last queue declared on this channel: an empty queue name in later methods means it (AMQP 0-9-1 domain queue-name). */
  private lastQueue = "";

  /**
   * A new queue with a dead-letter exchange: RabbitMQ also wants read on the queue and write on the
   * exchange, since the queue will publish there on the declarer's behalf. Redeclares are not checked.
   */
  private deadLetterDenied(queue: string, args: FieldTable): BrokerError | null {
    const value = args["x-dead-letter-exchange"];
    const dlx = value === undefined ? undefined : stringValue(value);
    if (dlx === undefined || this.ctx.vhost.queues.has(queue)) return null;
    return this.ctx.access.check("queue", queue, "read") ?? this.ctx.access.check("exchange", dlx, "write");
  }

  /** An empty queue name means the channel's last declared queue; 404 when it declared none (RabbitMQ 3.10). */
  private queueName(name: string): string | BrokerError {
    if (name !== "") return name;
    return this.lastQueue !== "" ? this.lastQueue : new BrokerError(ReplyCode.NOT_FOUND, "no previously declared queue");
  }

  /** queue.bind/unbind with an empty queue name and an empty key: the key is that queue's name (RabbitMQ's shortcut). */
  private bindingKeyFor(queue: string, routingKey: string): string {
    return queue === "" && routingKey === "" ? this.lastQueue : routingKey;
  }

  // ---- consuming -------------------------------------------------------------------------

  private consume(queueName: string, requestedTag: string, noAck: boolean, exclusive: boolean, nowait: boolean, args: FieldTable): BrokerError | void {
    let q: Queue | BrokerError;
    if (queueName === REPLY_TO) {
      if (!noAck) return new BrokerError(ReplyCode.PRECONDITION_FAILED, "reply consumer cannot acknowledge");
      if (this.replyQueue !== null && !this.replyQueue.deleted) {
        return new BrokerError(ReplyCode.PRECONDITION_FAILED, "reply consumer already set");
      }
      q = this.replyQueue = this.ctx.vhost.declareReplyToQueue(this.ctx.client);
    } else {
      const name = this.queueName(queueName);
      if (name instanceof BrokerError) return name;
      const denied = this.ctx.access.check("queue", name, "read");
      if (denied) return denied;
      q = this.ctx.vhost.queue(name, this.ctx.client);
    }
    if (q instanceof BrokerError) return q;
    const tag = requestedTag === "" ? randomTag("amq.ctag") : requestedTag;
    if (this.consumers.has(tag)) return new BrokerError(ReplyCode.NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`);
    const priorityArg = args["x-priority"];
    const priority = priorityArg === undefined ? 0 : integerValue(priorityArg);
    if (priority === undefined) {
      return new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid arg 'x-priority' for queue '${q.name}' in vhost '${this.ctx.vhost.name}'`);
    }
    const consumer = new ChannelConsumer(this, tag, noAck, this.consumerPrefetch);
    const sub = q.consume(consumer, { tag, noAck, exclusive, priority, prefetch: this.consumerPrefetch, args });
    if (sub instanceof BrokerError) return sub;
    consumer.subscription = sub;
    this.consumers.set(tag, consumer);
    this.resumeOrder = null;
    // the queue delivers once this turn is done: consume-ok goes first
    if (!nowait) this.send({ kind: "basic.consume-ok", consumerTag: tag });
  }

  /** The queue was deleted under a consumer: basic.cancel if the client understands it. */
  consumerCancelledByBroker(c: ChannelConsumer): void {
    if (this.consumers.get(c.tag) !== c) return;
    this.consumers.delete(c.tag);
    this.resumeOrder = null;
    if (this.ctx.capabilities["consumer_cancel_notify"] === true && this.state === "open") {
      this.send({ kind: "basic.cancel", consumerTag: c.tag, nowait: true });
    }
  }

  trackUnacked(tag: number, entry: QueueEntry, queue: Queue, consumer: ChannelConsumer | null): void {
    this.unacked.set(tag, { tag, entry, queue, consumer });
  }

  private get(queueName: string, noAck: boolean): BrokerError | void {
    const name = this.queueName(queueName);
    if (name instanceof BrokerError) return name;
    const denied = this.ctx.access.check("queue", name, "read");
    if (denied) return denied;
    const q = this.ctx.vhost.queue(name, this.ctx.client);
    if (q instanceof BrokerError) return q;
    if (q.type === "stream") return streamUnsupported("basic.get", q.name, this.ctx.vhost.name);
    const entry = q.get(noAck);
    if (entry === null) return this.send({ kind: "basic.get-empty", reserved1: "" });
    const tag = ++this.deliveryTag;
    if (noAck) q.ack(entry);
    else this.trackUnacked(tag, entry, q, null);
    const m = entry.message;
    this.ctx.writer.write(
      encodeGetOk(this.id, tag, entry.redelivered, m.exchange, m.routingKey, q.messageCount, propertiesBytes(m), m.body, this.ctx.frameMax),
    );
  }

  /** basic.ack / nack / reject, with RabbitMQ's reading of `multiple` and tag 0 (§1.8.3.13). */
  private settle(tag: number, multiple: boolean, how: "ack" | "nack", requeue: boolean): BrokerError | void {
    const picked = this.pickUnacked(tag, multiple);
    if (picked instanceof BrokerError) return picked;
    if (this.tx) this.tx.settles.push({ picked, how, requeue });
    else this.applySettle(picked, how, requeue);
  }

  private applySettle(picked: Unacked[], how: "ack" | "nack", requeue: boolean): void {
    this.limiterSettled(picked);
    if (how === "ack") {
      for (let i = 0; i < picked.length; i++) picked[i]!.queue.ack(picked[i]!.entry);
    } else {
      // a requeue makes its queue dispatch once this turn's requeues are all back
      for (const u of picked) {
        if (requeue) u.queue.requeue(u.entry);
        else u.queue.discard(u.entry);
      }
    }
    this.resumeConsumers();
  }

  /** tx.rollback: settlements not committed go back to being unacked, in delivery-tag order. */
  private rollback(): void {
    const tx = this.tx!;
    this.tx = { publishes: [], settles: [] };
    if (tx.settles.length === 0) return;
    const all = [...this.unacked.values()];
    for (const s of tx.settles) all.push(...s.picked);
    all.sort((a, b) => a.tag - b.tag);
    this.unacked.clear();
    for (const u of all) this.unacked.set(u.tag, u);
  }

  private pickUnacked(tag: number, multiple: boolean): Unacked[] | BrokerError {
    if (multiple && tag === 0) {
      const all = [...this.unacked.values()];
      this.unacked.clear();
      return all;
    }
    if (!multiple) {
      const u = this.unacked.get(tag);
      if (!u) return new BrokerError(ReplyCode.PRECONDITION_FAILED, `unknown delivery tag ${tag}`);
      this.unacked.delete(tag);
      return [u];
    }
    if (!this.unacked.has(tag)) return new BrokerError(ReplyCode.PRECONDITION_FAILED, `unknown delivery tag ${tag}`);
    // Map iteration follows insertion, which is delivery-tag order
    const out: Unacked[] = [];
    for (const [t, u] of this.unacked) {
      if (t > tag) break;
      out.push(u);
    }
    for (const u of out) this.unacked.delete(u.tag);
    return out;
  }

  /** Consumer deliveries were settled (ack, nack, reject, recover): the channel-wide limit frees up. */
  private limiterSettled(settled: readonly Unacked[]): void {
    if (this.globalPrefetch === 0 || this.limiterVolume === 0) return;
    let n = 0;
    for (let i = 0; i < settled.length; i++) if (settled[i]!.consumer !== null) n++;
    // rabbit_limiter's ack: subtracted as is (never below zero only when it was zero)
    this.limiterVolume -= n;
  }

  private requeueAll(): void {
    const all = [...this.unacked.values()];
    this.unacked.clear();
    this.limiterSettled(all);
    // Reverse order keeps the cost of sorted re-insertion near the queue's head
    for (let i = all.length - 1; i >= 0; i--) all[i]!.queue.requeue(all[i]!.entry);
  }

  /** Credit may be back (ack, qos change, socket drained): let the queues deliver again. */
  resumeConsumers(): void {
    if (this.state !== "open" || this.consumers.size === 0) return;
    const order = (this.resumeOrder ??= [...this.consumers.values()]);
    const n = order.length;
    // A channel-wide prefetch freed by one ack goes to whichever queue dispatches first: starting
    // one consumer further each time lets every queue have its turn (RabbitMQ's fairness).
    const start = this.resumeFrom % n;
    this.resumeFrom = start + 1;
    for (let i = 0; i < n; i++) order[(start + i) % n]!.subscription.resume();
  }

  // ---- publishing ------------------------------------------------------------------------

  onHeader(payload: Buffer): void {
    if (this.state === "closing") return;
    const p = this.pending;
    if (p === null || p.bodySize !== -1) {
      return this.ctx.connectionError(ReplyCode.UNEXPECTED_FRAME, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", 0, 0);
    }
    const h = decodeContentHeader(payload);
    if (h.classId !== 60) {
      return this.ctx.connectionError(
        ReplyCode.UNEXPECTED_FRAME,
        `UNEXPECTED_FRAME - expected content header for class 60, got one for class ${h.classId} instead`,
        BASIC_PUBLISH[0], BASIC_PUBLISH[1],
      );
    }
    if (h.bodySize > this.ctx.maxMessageSize) {
      this.pending = null;
      return this.fail(
        new BrokerError(
          ReplyCode.PRECONDITION_FAILED,
          // RabbitMQ words it differently when the limit is its built-in one
          `message size ${h.bodySize} is larger than ${this.ctx.maxMessageSize === DEFAULT_LIMITS.maxMessageSize ? "" : "configured "}max size ${this.ctx.maxMessageSize}`,
        ),
        BASIC_PUBLISH,
      );
    }
    p.bodySize = h.bodySize;
    // Keep our own copy: the payload is a view into a socket read buffer we don't own for long
    p.properties = Buffer.from(h.properties);
    if (h.bodySize === 0) this.completePublish(p, Buffer.alloc(0));
  }

  onBody(payload: Buffer): void {
    if (this.state === "closing") return;
    const p = this.pending;
    if (p === null || p.bodySize === -1) {
      return this.ctx.connectionError(ReplyCode.UNEXPECTED_FRAME, "UNEXPECTED_FRAME - expected method frame, got non method frame instead", 0, 0);
    }
    if (p.received + payload.length > p.bodySize) {
      return this.ctx.connectionError(ReplyCode.FRAME_ERROR, "FRAME_ERROR - body larger than declared in the content header", 0, 0);
    }
    if (p.received === 0 && payload.length === p.bodySize) {
      // Whole body in one frame: copy only when the view would pin a much larger read buffer
      const body = payload.length * 2 >= payload.buffer.byteLength ? payload : Buffer.from(payload);
      return this.completePublish(p, body);
    }
    p.body ??= Buffer.allocUnsafe(p.bodySize);
    payload.copy(p.body, p.received);
    p.received += payload.length;
    if (p.received === p.bodySize) this.completePublish(p, p.body);
  }

  private completePublish(p: PendingPublish, body: Buffer): void {
    this.pending = null;
    const bytes = p.properties!;
    // Decoded once here, as RabbitMQ does: malformed properties are refused before any consumer sees them
    let props: MessageProperties;
    try {
      props = decodeProperties(bytes, 0, bytes.length);
    } catch (err) {
      if (err instanceof CodecError) return this.ctx.connectionError(err.replyCode, err.text, BASIC_PUBLISH[0], BASIC_PUBLISH[1]);
      throw err;
    }
    const invalid = this.validateProperties(props);
    if (invalid) return this.fail(invalid, BASIC_PUBLISH);
    let message: Message;
    if (this.replyQueue !== null && props.replyTo === REPLY_TO) {
      // the responder answers to this channel's own reply queue
      message = new Message(p.exchange, p.routingKey, body, { ...props, replyTo: this.replyQueue.name }, null);
    } else {
      message = new Message(p.exchange, p.routingKey, body, props, { codec: amqpPropertiesCodec, bytes });
      // what queues look at (TTL, priority, CC/BCC), worked out once here
      message.noteProperties(props);
    }
    if (this.tx) {
      // RabbitMQ checks the exchange at publish time even inside a transaction
      const x = this.ctx.vhost.exchange(p.exchange);
      if (x instanceof BrokerError) return this.fail(x, BASIC_PUBLISH);
      this.tx.publishes.push({ exchange: p.exchange, routingKey: p.routingKey, mandatory: p.mandatory, message });
      return;
    }
    this.route(p.exchange, p.routingKey, p.mandatory, message);
  }

  /** RabbitMQ checks user-id against the login, that expiration is a non-negative integer, and direct reply-to. */
  private validateProperties(props: MessageProperties): BrokerError | null {
    if (props.replyTo === REPLY_TO && (this.replyQueue === null || this.replyQueue.deleted)) {
      return new BrokerError(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
    }
    const invalid = publishPropertiesProblem(props, this.ctx.user.name);
    if (invalid !== null) return invalid;
    // sender-selected distribution (rabbit_basic:header_routes): CC and BCC must be arrays
    const headers = props.headers;
    if (headers !== undefined) {
      for (const name of ROUTING_HEADERS) {
        const v = headers[name];
        if (v !== undefined && !Array.isArray(v)) {
          return new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid message: {unacceptable_type_in_header,"${name}",${rabbitType(v)}}`);
        }
      }
    }
    return null;
  }

  private route(exchange: string, routingKey: string, mandatory: boolean, message: Message): void {
    const seq = this.confirming ? ++this.publishSeq : 0;
    const r = this.ctx.vhost.publish(exchange, routingKey, message);
    if (r instanceof BrokerError) return this.fail(r, BASIC_PUBLISH);
    this.publishCount++;
    if (r.routed === 0 && r.refused === 0 && mandatory) {
      this.ctx.vhost.counters.returnUnroutable++;
      this.ctx.writer.write(
        encodeReturn(this.id, ReplyCode.NO_ROUTE, "NO_ROUTE", exchange, routingKey, propertiesBytes(message), message.body, this.ctx.frameMax),
      );
    }
    if (r.persisted > 0) this.routedPersistent = true;
    if (seq === 0) return;
    if (r.refused > 0 && r.routed === 0) {
      // behind confirms still waiting for the disk: the nack takes its turn
      if (this.confirms.holdBehind(-seq)) return;
      // acks before a nack must go out first so `multiple` never covers the nacked one
      this.flushConfirms(seq - 1);
      this.send({ kind: "basic.nack", deliveryTag: seq, multiple: false, requeue: false });
      this.confirmedUpTo = seq;
      return;
    }
    if (r.persisted > 0) {
      // confirms mean disk: this seq is acked only after the group commit it joined
      this.confirms.hold(seq, this.ctx.vhost.durability!);
      return;
    }
    if (!this.confirmFlushScheduled) {
      this.confirmFlushScheduled = true;
      process.nextTick(this.flushConfirmsBound);
    }
  }

  /**
   * One basic.ack with multiple=true for every publish confirmed since the last one, stopping
   * before the first publish still waiting for the disk.
   */
  flushConfirms(upTo = this.publishSeq): void {
    this.confirmFlushScheduled = false;
    if (this.state !== "open") return;
    const first = this.confirms.first;
    this.ackUpTo(first === undefined ? upTo : Math.min(upTo, first - 1));
  }

  /** A held confirm may go: acks wait for flushConfirms' one `multiple`; a nack goes now, in order. */
  private confirmReleased(seq: number, ok: boolean): void {
    if (this.state !== "open" || (seq > 0 && ok)) return;
    const tag = seq < 0 ? -seq : seq;
    this.ackUpTo(tag - 1);
    this.send({ kind: "basic.nack", deliveryTag: tag, multiple: false, requeue: false });
    this.confirmedUpTo = tag;
  }

  private ackUpTo(upTo: number): void {
    if (upTo <= this.confirmedUpTo) return;
    const multiple = upTo - this.confirmedUpTo > 1;
    this.confirmCount += upTo - this.confirmedUpTo;
    this.ctx.vhost.counters.confirm += upTo - this.confirmedUpTo;
    this.send({ kind: "basic.ack", deliveryTag: upTo, multiple });
    this.confirmedUpTo = upTo;
  }

  private commit(): void {
    const tx = this.tx!;
    this.tx = { publishes: [], settles: [] };
    this.routedPersistent = false;
    for (const p of tx.publishes) this.route(p.exchange, p.routingKey, p.mandatory, p.message);
    for (const s of tx.settles) this.applySettle(s.picked, s.how, s.requeue);
    const durability = this.ctx.vhost.durability;
    if (this.routedPersistent && durability !== null) {
      // a committed transaction's persistent messages are on disk before commit-ok (as RabbitMQ)
      durability.afterCommit({
        committed: () => {
          if (this.state === "open") this.send({ kind: "tx.commit-ok" });
        },
      });
      return;
    }
    this.send({ kind: "tx.commit-ok" });
  }

  /** What the management API shows for this channel. */
  info(): ChannelInfo {
    return {
      number: this.id,
      consumerCount: this.consumers.size,
      unacked: this.unacked.size,
      prefetchCount: this.consumerPrefetch,
      globalPrefetchCount: this.globalPrefetch,
      confirm: this.confirming,
      transactional: this.tx !== null,
      publish: this.publishCount,
      confirmed: this.confirmCount,
    };
  }

  // ---- closing ---------------------------------------------------------------------------

  /** Requeues what the client held and cancels its consumers (channel or connection closing). */
  release(): void {
    if (this.state === "closed") return;
    this.pending = null;
    for (const c of this.consumers.values()) c.subscription.cancel();
    this.consumers.clear();
    this.resumeOrder = null;
    // acks and rejects of a transaction never committed did not happen: they go back with the rest
    if (this.tx !== null) this.rollback();
    this.requeueAll();
    this.tx = null;
  }

  private finishClose(): void {
    this.state = "closed";
    this.ctx.channelClosed(this.id);
  }
}

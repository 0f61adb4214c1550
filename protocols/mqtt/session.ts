/**
 * An MQTT session (MQTT 3.1.1 §4.1): subscriptions, QoS 1/2 flows and packet identifiers. It can
 * outlive its network connection (persistent sessions), so the connection is only a `SessionLink`.
 *
 * Each subscription is backed the way RabbitMQ's MQTT plugin backs it: one queue per QoS level,
 * `mqtt-subscription-<clientid>qos<n>`, bound to amq.topic with the converted filter. Clean
 * sessions use exclusive auto-delete queues; persistent ones durable-flagged queues that keep
 * collecting while the client is away.
 */
import type { IPublishPacket } from "mqtt-packet";
import {
  BrokerError,
  type ClientRef,
  type Consumer,
  type Message,
  type Queue,
  type QueueEntry,
  type Subscription,
  type ClockTimer,
  type VirtualHost,
} from "../../src/core/index.js";
import { originOf, publishedQos, type QoS, topicOf, v5Properties } from "./message.js";
import type { RetainedStore } from "./retained.js";
import { filterToBindingKey, MQTT_EXCHANGE, parseSharedFilter, routingKeyToTopic, topicMatches } from "./topics.js";

/** v5 session expiry 0xFFFFFFFF: never expires (MQTT 5 §3.1.2.11.2); 3.1.1 persistent sessions too. */
export const NEVER = 0xffffffff;

export interface SubscriptionOptions {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  /** v5 subscription identifier [MQTT-3.8.2.1.2]. */
  id: number | undefined;
}

/** What a session needs from the connection it is attached to. */
export interface SessionLink {
  readonly client: ClientRef;
  readonly protocolVersion: number;
  /** The client's receive maximum: QoS 1/2 publishes it will accept unacknowledged. */
  readonly receiveMaximum: number;
  readonly backedUp: boolean;
  /** False when the packet was not sent (larger than the client's maximum packet size). */
  sendPublish(packet: IPublishPacket): boolean;
  /** `sendPublish` for a PUBLISH without v5 properties, the common case, with no packet object. */
  sendPlainPublish(topic: string, payload: Buffer, qos: QoS, retain: boolean, dup: boolean, packetId: number): boolean;
  sendPubrel(packetId: number): void;
  /** A new connection with the same client id arrived: this one must go [MQTT-3.1.4-3]. */
  takenOver(): void;
}

interface InFlight {
  qos: 1 | 2;
  /** The queue entry held until PUBACK / PUBREC; null for retained messages and after PUBREC. */
  entry: QueueEntry | null;
  queue: Queue | null;
  /** PUBREC received and PUBREL sent: waiting for PUBCOMP. */
  released: boolean;
}

/** One core consumer on one of the session's queues. */
class QueueConsumer implements Consumer {
  subscription!: Subscription;
  constructor(
    private readonly session: MqttSession,
    readonly client: ClientRef,
    readonly qos: QoS,
    /** A shared subscription's filter: its queue holds only that filter's messages. */
    readonly shared: string | null,
  ) {}

  hasCredit(): boolean {
    return this.session.hasCredit(this.qos);
  }

  deliver(entry: QueueEntry, sub: Subscription): void {
    this.session.deliver(entry, sub, this);
  }

  cancelledByBroker(): void {
    this.session.consumerGone(this);
  }
}

const MAX_PACKET_ID = 65535;
/** Shared empty list: never pushed to (sendRetained makes a list of its own first). */
const NONE_PENDING: never[] = [];

export class MqttSession {
  // The collections are made on first use: most of 10,000 idle connections never need them, and
  // an empty Map or Set costs a couple of hundred bytes.
  private subs: Map<string, SubscriptionOptions> | null = null;
  /** Consumers on the per-QoS queues, index = QoS. */
  private readonly consumers: (QueueConsumer | null)[] = [null, null, null];
  private shared: Map<string, QueueConsumer> | null = null;
  /** QoS levels whose queue this session declared. */
  private levels: Set<QoS> | null = null;
  private inFlight: Map<number, InFlight> | null = null;
  private qos2: Set<number> | null = null;
  private nextPacketId = 1;
  /** Retained messages for new subscriptions not yet sent (no room in the in-flight window). */
  private pendingRetained: { m: Message; topic: string; qos: QoS; ids: number[] | undefined }[] = NONE_PENDING;
  /** Whether some subscription needs per-message filter matching (v5 options). */
  private needsMatch = false;
  link: SessionLink | null = null;
  expiryTimer: ClockTimer | null = null;
  /** Session expiry in seconds while persistent (0xFFFFFFFF: never, as 3.1.1 sessions). */
  expiry = 0;
  /** When the connection went (ms since the epoch); null while attached. */
  disconnectedAt: number | null = null;

  constructor(
    readonly vhost: VirtualHost,
    readonly clientId: string,
    /** Kept after the connection goes (clean session 0, or v5 session expiry > 0). */
    public persistent: boolean,
    private readonly retained: RetainedStore,
  ) {}

  get subscriptions(): Map<string, SubscriptionOptions> {
    return (this.subs ??= new Map());
  }

  private get sharedConsumers(): Map<string, QueueConsumer> {
    return (this.shared ??= new Map());
  }

  private get queueLevels(): Set<QoS> {
    return (this.levels ??= new Set());
  }

  private get outbound(): Map<number, InFlight> {
    return (this.inFlight ??= new Map());
  }

  /** QoS 2 packet ids received and routed, waiting for PUBREL: no duplicate delivery [MQTT-4.3.3-2]. */
  get inboundQos2(): Set<number> {
    return (this.qos2 ??= new Set());
  }

  get inboundQos2Count(): number {
    return this.qos2?.size ?? 0;
  }

  /** Consumers and unacknowledged deliveries, for the management API's channel listing. */
  stats(): { consumers: number; unacked: number } {
    let consumers = this.shared?.size ?? 0;
    for (const c of this.consumers) if (c !== null) consumers++;
    return { consumers, unacked: this.inFlightCount };
  }

  queueName(qos: QoS): string {
    return `mqtt-subscription-${this.clientId}qos${qos}`;
  }

  /** A session saved by an earlier run: its subscriptions, over queues the store kept. */
  restore(subscriptions: [string, SubscriptionOptions][]): void {
    for (const [filter, o] of subscriptions) {
      this.subscriptions.set(filter, o);
      if (!parseSharedFilter(filter) && this.vhost.queues.has(this.queueName(o.qos))) this.queueLevels.add(o.qos);
    }
    this.recomputeNeedsMatch();
  }

  // ---- connection lifecycle -------------------------------------------------------------

  attach(link: SessionLink): void {
    this.link = link;
    this.disconnectedAt = null;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    // [MQTT-4.4.0-1]: unacknowledged PUBRELs are sent again on reconnect
    if (this.inFlight !== null) for (const [id, f] of this.inFlight) if (f.released) link.sendPubrel(id);
    if (this.levels !== null) for (const qos of this.levels) this.startConsumer(qos);
    if (this.subs !== null)
      for (const [filter, o] of this.subs) {
        const shared = parseSharedFilter(filter);
        if (shared) this.startSharedConsumer(filter, shared.group, shared.filter, o.qos);
      }
  }

  /** The connection went: unacknowledged deliveries go back to their queues, flagged redelivered. */
  detach(): void {
    if (this.inFlight !== null)
      for (const [id, f] of this.inFlight) {
        if (f.released && this.persistent) continue;
        if (f.entry !== null && f.queue !== null && !f.queue.deleted) f.queue.requeue(f.entry);
        this.outbound.delete(id);
      }
    for (let q = 0; q < 3; q++) {
      const c = this.consumers[q];
      this.consumers[q] = null;
      c?.subscription.cancel();
    }
    if (this.shared !== null) {
      for (const c of this.shared.values()) c.subscription.cancel();
      this.shared.clear();
    }
    this.pendingRetained = NONE_PENDING;
    this.link = null;
    this.disconnectedAt = this.vhost.timers.now();
  }

  /** The session ends for good: its queues go. */
  end(): void {
    if (this.link) this.detach();
    this.expiryTimer?.cancel();
    if (this.levels !== null) for (const qos of this.levels) this.vhost.deleteQueue(this.queueName(qos), {}, null);
    this.levels = null;
    this.subs = null;
    this.inFlight = null;
  }

  // ---- subscriptions --------------------------------------------------------------------

  /** Adds or replaces a subscription [MQTT-3.8.4-3]; answers the granted QoS or a BrokerError. */
  subscribe(filter: string, options: SubscriptionOptions): QoS | BrokerError {
    const link = this.link!;
    const previous = this.subscriptions.get(filter);
    const shared = parseSharedFilter(filter);
    if (shared) {
      if (previous) this.unsubscribe(filter);
      const err = this.startSharedConsumer(filter, shared.group, shared.filter, options.qos);
      if (err) return err;
    } else {
      if (previous && previous.qos !== options.qos) {
        this.vhost.unbindQueue(this.queueName(previous.qos), MQTT_EXCHANGE, filterToBindingKey(filter), {}, link.client);
      }
      const declared = this.ensureQueue(options.qos);
      if (declared instanceof BrokerError) return declared;
      const bound = this.vhost.bindQueue(this.queueName(options.qos), MQTT_EXCHANGE, filterToBindingKey(filter), {}, link.client);
      if (bound instanceof BrokerError) return bound;
    }
    this.subscriptions.set(filter, options);
    this.recomputeNeedsMatch();
    return options.qos;
  }

  /** Whether a subscription existed [MQTT-3.10.4-1]. */
  unsubscribe(filter: string): boolean {
    const o = this.subscriptions.get(filter);
    if (!o) return false;
    this.subscriptions.delete(filter);
    const sc = this.sharedConsumers.get(filter);
    if (sc) {
      this.sharedConsumers.delete(filter);
      sc.subscription.cancel();
    } else if (!parseSharedFilter(filter)) {
      this.vhost.unbindQueue(this.queueName(o.qos), MQTT_EXCHANGE, filterToBindingKey(filter), {}, this.link?.client ?? null);
    }
    this.recomputeNeedsMatch();
    return true;
  }

  private recomputeNeedsMatch(): void {
    let needs = false;
    for (const o of this.subscriptions.values()) if (o.noLocal || o.retainAsPublished || o.id !== undefined) needs = true;
    this.needsMatch = needs;
  }

  private ensureQueue(qos: QoS): null | BrokerError {
    if (this.queueLevels.has(qos) && this.vhost.queues.has(this.queueName(qos))) {
      if (!this.consumers[qos]) this.startConsumer(qos);
      return null;
    }
    const client = this.link!.client;
    const ok = this.vhost.declareQueue(
      this.queueName(qos),
      this.persistent ? { durable: true, exclusive: false, autoDelete: false } : { durable: false, exclusive: true, autoDelete: true },
      client,
    );
    if (ok instanceof BrokerError) return ok;
    this.queueLevels.add(qos);
    return this.startConsumer(qos);
  }

  private startConsumer(qos: QoS): null | BrokerError {
    const link = this.link!;
    const q = this.vhost.queue(this.queueName(qos), link.client);
    if (q instanceof BrokerError) {
      this.queueLevels.delete(qos);
      return q;
    }
    const c = new QueueConsumer(this, link.client, qos, null);
    // QoS 0 deliveries are settled when sent (no ack in MQTT for them)
    const sub = q.consume(c, { tag: `mqtt-${this.clientId}-${qos}`, noAck: qos === 0, exclusive: false, priority: 0 });
    if (sub instanceof BrokerError) return sub;
    c.subscription = sub;
    this.consumers[qos] = c;
    sub.resume();
    return null;
  }

  /** MQTT 5 §4.8.2: one queue per group and filter, its consumers competing. */
  private startSharedConsumer(full: string, group: string, filter: string, qos: QoS): null | BrokerError {
    const link = this.link!;
    const name = `mqtt-shared-${group}-${filterToBindingKey(filter)}`;
    const ok = this.vhost.declareQueue(name, { durable: false, exclusive: false, autoDelete: true }, null);
    if (ok instanceof BrokerError) return ok;
    const bound = this.vhost.bindQueue(name, MQTT_EXCHANGE, filterToBindingKey(filter), {}, null);
    if (bound instanceof BrokerError) return bound;
    const q = this.vhost.queue(name, null) as Queue;
    const c = new QueueConsumer(this, link.client, qos, full);
    const sub = q.consume(c, { tag: `mqtt-${this.clientId}-${full}`, noAck: qos === 0, exclusive: false, priority: 0 });
    if (sub instanceof BrokerError) return sub;
    c.subscription = sub;
    this.sharedConsumers.set(full, c);
    sub.resume();
    return null;
  }

  consumerGone(c: QueueConsumer): void {
    if (this.consumers[c.qos] === c) {
      this.consumers[c.qos] = null;
      this.queueLevels.delete(c.qos);
    }
    if (c.shared !== null && this.sharedConsumers.get(c.shared) === c) this.sharedConsumers.delete(c.shared);
  }

  // ---- deliveries -----------------------------------------------------------------------

  hasCredit(qos: QoS): boolean {
    const link = this.link;
    if (link === null || link.backedUp) return false;
    return qos === 0 || this.inFlightCount < link.receiveMaximum;
  }

  /** Credit came back (an ack, a drained socket): let the queues dispatch again. */
  resume(): void {
    if (this.pendingRetained.length > 0) this.drainRetained();
    for (let q = 0; q < 3; q++) this.consumers[q]?.subscription.resume();
    if (this.shared !== null) for (const c of this.shared.values()) c.subscription.resume();
  }

  deliver(entry: QueueEntry, sub: Subscription, consumer: QueueConsumer): void {
    const link = this.link!;
    const m = entry.message;
    const topic = topicOf(m);
    let ids: number[] | undefined;
    let retain = false;
    if (consumer.shared === null && (this.needsMatch || topic.charCodeAt(0) === 36) /* $ */) {
      // one queue carries every filter of this QoS: find which ones this message matched, on the
      // routing key's levels as amq.topic saw them (an MQTT topic "a.b" was routed as a/b)
      const origin = originOf(m);
      const routed = routingKeyToTopic(m.routingKey);
      let matched = false;
      for (const [filter, o] of this.subscriptions) {
        if (o.qos !== consumer.qos || !topicMatches(filter, routed)) continue;
        if (o.noLocal && origin !== undefined && origin.publisher === link.client) continue;
        matched = true;
        if (o.id !== undefined) (ids ??= []).push(o.id);
        if (o.retainAsPublished && origin?.retain) retain = true;
      }
      if (!matched) {
        if (!sub.noAck) sub.queue.ack(entry);
        return;
      }
    } else if (consumer.shared !== null) {
      const o = this.subscriptions.get(consumer.shared);
      if (o?.id !== undefined) ids = [o.id];
    }
    const qos = Math.min(publishedQos(m, consumer.qos), consumer.qos) as QoS;
    if (!this.send(m, topic, qos, retain, entry.redelivered, ids, entry, sub.queue) && !sub.noAck) sub.queue.ack(entry);
  }

  /** Retained messages for a new subscription, sent as retained [MQTT-3.3.1-8]. */
  sendRetained(filter: string, options: SubscriptionOptions): void {
    for (const [topic, m] of this.retained.matching(this.vhost.name, filter)) {
      const qos = Math.min(publishedQos(m, options.qos), options.qos) as QoS;
      if (this.pendingRetained === NONE_PENDING) this.pendingRetained = [];
      this.pendingRetained.push({ m, topic, qos, ids: options.id !== undefined ? [options.id] : undefined });
    }
    this.drainRetained();
  }

  /** Retained QoS 1/2 messages wait for room in the client's receive maximum like queued ones. */
  private drainRetained(): void {
    const pending = this.pendingRetained;
    let i = 0;
    while (i < pending.length && this.link !== null) {
      const r = pending[i]!;
      if (r.qos > 0 && !this.hasCredit(r.qos)) break;
      this.send(r.m, r.topic, r.qos, true, false, r.ids, null, null);
      i++;
    }
    if (i > 0) pending.splice(0, i);
  }

  /** Sends one PUBLISH; false when nothing is left to acknowledge (QoS 0, or expired). */
  private send(
    m: Message,
    topic: string,
    qos: QoS,
    retain: boolean,
    dup: boolean,
    ids: number[] | undefined,
    entry: QueueEntry | null,
    queue: Queue | null,
  ): boolean {
    const link = this.link!;
    let properties: IPublishPacket["properties"];
    if (link.protocolVersion === 5) {
      const p = v5Properties(m, this.vhost.timers.now());
      if (p === null) return false; // expired [MQTT-3.3.2-5]
      properties = p;
      if (ids !== undefined) (properties ??= {}).subscriptionIdentifier = ids.length === 1 ? ids[0]! : ids;
    }
    if (qos === 0) {
      if (properties === undefined) link.sendPlainPublish(topic, m.body, 0, retain, false, 0);
      else link.sendPublish({ cmd: "publish", topic, payload: m.body, qos, retain, dup: false, properties });
      return false;
    }
    const id = this.allocatePacketId();
    this.outbound.set(id, { qos, entry, queue, released: false });
    const sent =
      properties === undefined
        ? link.sendPlainPublish(topic, m.body, qos, retain, dup, id)
        : link.sendPublish({ cmd: "publish", topic, payload: m.body, qos, retain, dup, messageId: id, properties });
    if (sent) return true;
    // dropped for the client's maximum packet size [MQTT-3.1.2-25]: settled as if acknowledged
    this.outbound.delete(id);
    return false;
  }

  private allocatePacketId(): number {
    let id = this.nextPacketId;
    while (this.outbound.has(id)) id = id === MAX_PACKET_ID ? 1 : id + 1;
    this.nextPacketId = id === MAX_PACKET_ID ? 1 : id + 1;
    return id;
  }

  /** PUBACK [MQTT-4.3.2]: the QoS 1 delivery is done. */
  puback(id: number): boolean {
    const f = this.outbound.get(id);
    if (f === undefined || f.qos !== 1) return false;
    this.outbound.delete(id);
    if (f.entry !== null && !f.queue!.deleted) f.queue!.ack(f.entry);
    this.resume();
    return true;
  }

  /** PUBREC [MQTT-4.3.3]: the client has it; settle the queue entry, answer PUBREL. */
  pubrec(id: number): boolean {
    const f = this.outbound.get(id);
    if (f === undefined || f.qos !== 2) return false;
    if (!f.released) {
      if (f.entry !== null && !f.queue!.deleted) f.queue!.ack(f.entry);
      f.entry = null;
      f.released = true;
    }
    return true;
  }

  /** PUBCOMP: the packet id is free again. */
  pubcomp(id: number): boolean {
    const f = this.outbound.get(id);
    if (f === undefined || !f.released) return false;
    this.outbound.delete(id);
    this.resume();
    return true;
  }

  get inFlightCount(): number {
    return this.inFlight?.size ?? 0;
  }
}

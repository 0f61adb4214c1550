import type { Binding, Destination } from "./exchange.js";
import type { FieldTable, Message } from "./message.js";
import { QueueEntry } from "./queue-entry.js";
import { type ClientRef, type Consumer, type ConsumeOptions, Subscription } from "./consumer.js";
import { BrokerError, errors } from "./errors.js";
import type { QueueArguments, QueueType } from "./queue-arguments.js";
import type { PageFile, PagingLimits, Persistence, QueueStore, RecoveredMessage } from "./durability.js";
import { ReadyMessages, type ReadyOwner } from "./ready-messages.js";
import type { Policy } from "./policies.js";
import { type MessageCounters, QueueCounters } from "./stats.js";

/** What Queue.enqueue did with a message. */
export const Enqueued = {
  Refused: 0,
  Accepted: 1,
  /** Accepted and written to the queue's store: durable after the next group commit. */
  Persisted: 2,
} as const;
export type Enqueued = (typeof Enqueued)[keyof typeof Enqueued];

export interface QueueOptions {
  durable: boolean;
  /** The connection that owns an exclusive queue; null for shared queues. */
  owner: ClientRef | null;
  autoDelete: boolean;
  args: FieldTable;
  parsedArgs: QueueArguments;
}

/** What a queue needs from the vhost that holds it. */
export interface QueueHost {
  readonly name: string;
  /** The broker's store; null keeps every message in memory. */
  readonly persistence: Persistence | null;
  /** The broker-wide counters this queue's deliveries and acks also count in. */
  readonly counters: MessageCounters;
  queueUnused(queue: Queue): void;
}

/**
 * A named FIFO with competing consumers (AMQP 0-9-1 §3.1.4). Entries keep their sequence number so
 * a requeued message goes back to its original position, as RabbitMQ's classic queues do.
 */
export class Queue implements Destination, ReadyOwner {
  readonly kind = "queue" as const;
  routeEpoch = 0;
  /** Bindings that point at this queue, so deleting it removes them. */
  readonly boundBy = new Set<Binding>();
  /** The ready messages, paged to disk when the backlog is deep (see ready-messages.ts). */
  private readonly ready = new ReadyMessages(this);
  protected readonly consumers: Subscription[] = [];
  private rr = 0;
  private nextSeq = 1;
  private unackedCount = 0;
  protected hadConsumer = false;
  private dispatching = false;
  private redispatch = false;
  private mixedPriorities = false;
  deleted = false;
  /** The user policy and operator policy applying to this queue now (the vhost sets them). */
  policy: Policy | null = null;
  operatorPolicy: Policy | null = null;
  /** Durable queues' storage (persistent messages only); null for transient queues. */
  store: QueueStore | null = null;
  /** This queue's own message counters (management rates). */
  readonly counters = new QueueCounters();
  private readonly global: MessageCounters;

  constructor(
    readonly name: string,
    readonly host: QueueHost,
    readonly options: QueueOptions,
  ) {
    this.global = host.counters;
  }

  /** x-queue-type: classic, quorum or stream. */
  get type(): QueueType {
    return this.options.parsedArgs.queueType ?? "classic";
  }

  /** ReadyOwner: when to page (from the broker's store). */
  get paging(): PagingLimits | null {
    return this.host.persistence?.paging ?? null;
  }

  /** ReadyOwner: a page file for messages the queue's store does not keep. */
  openPageFile(): PageFile {
    return this.host.persistence!.openPageFile(this.host.name, this.name);
  }

  get durable(): boolean {
    return this.options.durable;
  }
  get exclusive(): boolean {
    return this.options.owner !== null;
  }
  get autoDelete(): boolean {
    return this.options.autoDelete;
  }
  get messageCount(): number {
    return this.ready.length;
  }
  get unackedMessageCount(): number {
    return this.unackedCount;
  }
  get consumerCount(): number {
    return this.consumers.length;
  }
  get subscriptions(): readonly Subscription[] {
    return this.consumers;
  }

  /** Whether `client` may use this queue: exclusive queues belong to one connection. */
  accessibleBy(client: ClientRef | null): boolean {
    return this.options.owner === null || this.options.owner === client;
  }

  /** Takes a routed message; Refused when the queue refuses it (overflow reject-publish). */
  enqueue(message: Message): Enqueued {
    const args = this.options.parsedArgs;
    if (args.maxLength !== undefined || args.maxLengthBytes !== undefined) {
      const room = this.makeRoom(message.bodySize, args.maxLength ?? Infinity, args.maxLengthBytes ?? Infinity, args.overflow);
      if (room === "reject") return Enqueued.Refused;
      if (room === "drop") return Enqueued.Accepted;
    }
    const entry = new QueueEntry(this.nextSeq++, message);
    this.counters.publish++;
    let result: Enqueued = Enqueued.Accepted;
    // delivery-mode 2 in a durable queue (AMQP 0-9-1 §4.2.6.1 basic.properties delivery-mode)
    const store = this.store;
    if (store !== null && message.properties.deliveryMode === 2) {
      entry.position = store.persist(message);
      result = Enqueued.Persisted;
    }
    this.ready.push(entry);
    if (this.consumers.length > 0) this.dispatch();
    return result;
  }

  /** Puts back a message recovered from the store after a restart (not written again). */
  restore(r: RecoveredMessage, store: QueueStore): void {
    this.store = store;
    this.ready.pushRecovered(this.nextSeq++, r.position, r.bodySize, r.redelivered, () => r.message());
  }

  /** Ready messages that are on disk only. */
  get pagedOutCount(): number {
    return this.ready.pagedCount;
  }

  /**
   * Length limits count ready messages only, as RabbitMQ's do. drop-head (the default) discards the
   * oldest to make room; reject-publish refuses the newcomer instead.
   */
  private makeRoom(size: number, maxLength: number, maxBytes: number, overflow: string | undefined): "fits" | "reject" | "drop" {
    const fits = () => this.ready.length + 1 <= maxLength && this.ready.bytes + size <= maxBytes;
    if (fits()) return "fits";
    if (overflow === "reject-publish" || overflow === "reject-publish-dlx") return "reject";
    while (this.ready.length > 0 && !fits()) {
      this.forget(this.ready.shift()!);
    }
    // with x-max-length 0, or a body over the byte limit on its own, the newcomer is the head to drop
    return fits() ? "fits" : "drop";
  }

  /** Limits changed (a policy came or went): a drop-head queue over its new limits drops its oldest now, as RabbitMQ's does. */
  limitsChanged(): void {
    const args = this.options.parsedArgs;
    if (args.overflow !== undefined && args.overflow !== "drop-head") return;
    const maxLength = args.maxLength ?? Infinity;
    const maxBytes = args.maxLengthBytes ?? Infinity;
    while (this.ready.length > 0 && (this.ready.length > maxLength || this.ready.bytes > maxBytes)) {
      this.forget(this.ready.shift()!);
    }
  }

  consume(consumer: Consumer, options: ConsumeOptions): Subscription | BrokerError {
    if (options.exclusive ? this.consumers.length > 0 : this.consumers.some((s) => s.options.exclusive)) {
      return errors.exclusiveConsumer(this.name, this.host.name);
    }
    const sub = new Subscription(this, consumer, options);
    this.consumers.push(sub);
    this.mixedPriorities = this.consumers.some((s) => s.options.priority !== this.consumers[0]!.options.priority);
    if (this.mixedPriorities) this.consumers.sort((a, b) => b.options.priority - a.options.priority);
    this.hadConsumer = true;
    return sub;
  }

  cancel(sub: Subscription): void {
    if (!sub.active) return;
    sub.active = false;
    const i = this.consumers.indexOf(sub);
    if (i >= 0) this.consumers.splice(i, 1);
    if (this.rr > i) this.rr--;
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) {
      this.host.queueUnused(this);
    }
  }

  /** Hands ready messages to consumers with credit, round-robin (highest consumer priority first). */
  dispatch(): void {
    if (this.dispatching) {
      this.redispatch = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.redispatch = false;
        while (this.ready.length > 0) {
          const sub = this.pickConsumer();
          if (sub === null) break;
          this.handOut(this.ready.shift()!, sub);
        }
      } while (this.redispatch);
    } finally {
      this.dispatching = false;
    }
  }

  private handOut(entry: QueueEntry, sub: Subscription): void {
    entry.deliveryCount++;
    if (entry.redelivered) {
      this.counters.redeliver++;
      this.global.redeliver++;
    }
    if (!sub.options.noAck) {
      if (entry.position >= 0 && this.store !== null) this.store.delivered(entry.position);
      entry.holder = sub;
      entry.awaitingAck = true;
      sub.unacked++;
      this.unackedCount++;
      this.counters.deliver++;
      this.global.deliver++;
    } else {
      this.counters.deliverNoAck++;
      this.global.deliverNoAck++;
    }
    sub.consumer.deliver(entry, sub);
  }

  private pickConsumer(): Subscription | null {
    const subs = this.consumers;
    const n = subs.length;
    if (n === 0) return null;
    let best: Subscription | null = null;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      const s = subs[i]!;
      if (!s.consumer.hasCredit()) continue;
      if (best === null || s.options.priority > best.options.priority) {
        best = s;
        bestIndex = i;
        if (!this.mixedPriorities) break;
      }
    }
    if (best !== null) this.rr = (bestIndex + 1) % n;
    return best;
  }

  /** basic.get: the head entry, or null when the queue is empty. */
  get(noAck: boolean): QueueEntry | null {
    const entry = this.ready.shift();
    if (!entry) {
      this.global.getEmpty++;
      return null;
    }
    entry.deliveryCount++;
    if (entry.redelivered) {
      this.counters.redeliver++;
      this.global.redeliver++;
    }
    if (!noAck) {
      this.unackedCount++;
      entry.awaitingAck = true;
      if (entry.position >= 0 && this.store !== null) this.store.delivered(entry.position);
      this.counters.get++;
      this.global.get++;
    } else {
      this.counters.getNoAck++;
      this.global.getNoAck++;
    }
    return entry;
  }

  /** Settles an entry a consumer or basic.get held. */
  ack(entry: QueueEntry): void {
    if (entry.awaitingAck) {
      this.counters.ack++;
      this.global.ack++;
    }
    this.release(entry);
    this.forget(entry);
  }

  /** The entry is settled for good: its stored copy must not come back after a restart. */
  private forget(entry: QueueEntry): void {
    if (entry.position >= 0) {
      this.store?.ack(entry.position);
      entry.position = -1;
    }
  }

  /** Puts entries back at their original positions, flagged redelivered. */
  requeue(entry: QueueEntry): void {
    this.release(entry);
    entry.redelivered = true;
    if (this.deleted) return;
    this.ready.requeue(entry);
  }

  /** Discards an entry a client rejected without requeue (dead-lettering hooks in here). */
  discard(entry: QueueEntry): void {
    this.release(entry);
    this.forget(entry);
  }

  private release(entry: QueueEntry): void {
    const holder = entry.holder;
    if (holder !== null) {
      holder.unacked--;
      entry.holder = null;
    }
    // no-ack deliveries are settled through here too, but never counted as unacked
    if (entry.awaitingAck) {
      entry.awaitingAck = false;
      if (this.unackedCount > 0) this.unackedCount--;
    }
  }

  purge(): number {
    return this.ready.clear((e) => this.forget(e));
  }

  /** Called by the vhost on delete: consumers hear of it, nothing more is accepted. */
  destroy(): number {
    this.deleted = true;
    this.store?.deleted();
    this.store = null;
    const n = this.ready.length;
    this.ready.destroy();
    const subs = this.consumers.splice(0);
    for (const s of subs) {
      s.active = false;
      s.consumer.cancelledByBroker(s);
    }
    return n;
  }
}

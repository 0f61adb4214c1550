import type { QueueEntry } from "./queue-entry.js";
import type { Queue } from "./queue.js";
import type { FieldTable } from "./message.js";
import type { Selector } from "./selectors/index.js";

/** Who owns an exclusive queue or a consumer: one client connection, whatever its protocol. */
export interface ClientRef {
  readonly id: number;
}

/**
 * Implemented by a front-end for each consumer it registers. The queue calls `deliver` only while
 * `hasCredit()` holds (prefetch, in-flight window, socket not backed up), so a slow client never
 * builds a backlog inside the broker's memory; the front-end calls `subscription.resume()` once
 * credit returns.
 */
export interface Consumer {
  readonly client: ClientRef;
  hasCredit(): boolean;
  deliver(entry: QueueEntry, subscription: Subscription): void;
  /** The broker ended the subscription (queue deleted); the front-end tells its client. */
  cancelledByBroker(subscription: Subscription): void;
  /** The channel this consumer lives on (AMQP), for listings; absent means 1. */
  readonly channelNumber?: number;
  /** Its prefetch limit for listings; absent means 0 (none). */
  readonly prefetchCount?: number;
}

export interface ConsumeOptions {
  tag: string;
  noAck: boolean;
  exclusive: boolean;
  /** Higher first (x-priority); equal priorities share round-robin. */
  priority: number;
  /** The consumer's own prefetch limit (0 = none); stream queues insist on one. */
  prefetch?: number;
  /** basic.consume arguments (x-stream-offset for streams), checked by the queue. */
  args?: FieldTable;
  /**
   * A JMS selector: the consumer gets only the messages it matches. The others stay in the queue,
   * in order, for other consumers (ActiveMQ's queue semantics), unless `discardUnselected`.
   */
  selector?: Selector;
  /** Not the messages its own connection published (`Message.publisher`); they stay for others. */
  noLocal?: boolean;
  /**
   * The queue is this consumer's own (a topic subscriber's): a message its selector (or no-local)
   * excludes is dropped at dispatch instead of kept (ActiveMQ never gives it to the subscription).
   */
  discardUnselected?: boolean;
  /**
   * ActiveMQ's exclusive consumer (JMS `consumer.exclusive`): while one is subscribed, the first
   * such gets every message and the other consumers wait; when it goes, the next takes over.
   * Unlike `exclusive`, other consumers are not refused.
   */
  jmsExclusive?: boolean;
}

export class Subscription {
  active = true;
  /** Messages delivered to this consumer and not yet settled. */
  unacked = 0;
  /** Message groups the queue has assigned to this consumer (freed when it leaves). */
  groups = 0;

  constructor(
    readonly queue: Queue,
    readonly consumer: Consumer,
    readonly options: ConsumeOptions,
  ) {}

  get tag(): string {
    return this.options.tag;
  }
  get noAck(): boolean {
    return this.options.noAck;
  }

  /** Call when the consumer may have credit again (ack, qos raised, socket drained). */
  resume(): void {
    if (this.active) this.queue.dispatch();
  }

  cancel(): void {
    this.queue.cancel(this);
  }
}

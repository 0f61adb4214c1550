import type { Message } from "./message.js";
import type { Subscription } from "./consumer.js";

/**
 * The bits of `QueueEntry.flags`: an entry is what a queue holds per waiting message, and three
 * booleans as fields would take 8 B each.
 */
const REDELIVERED = 1;
const AWAITING_ACK = 2;
const GROUP_FIRST = 4;

/**
 * One message's place in one queue; the message (and its body) is shared with other queues.
 * An entry always holds its message: paged-out messages are not entries at all but compact
 * records in the queue's ReadyMessages tail (see ready-messages.ts), made entries again on page-in.
 */
export class QueueEntry {
  private flags = 0;
  /** Times handed to a consumer (quorum queues expose it as x-delivery-count). */
  deliveryCount = 0;
  /** The subscription holding it unacked, if any (null after basic.get). */
  holder: Subscription | null = null;
  /**
   * When it expires (clock ms), null for no TTL: held as null rather than Infinity because V8 keeps
   * a field that has held a double in a box of its own per object (16 B more for every entry); a
   * field that starts as null holds a clock time as a plain heap number, and nothing otherwise.
   */
  private expiry: number | null = null;
  /** Its priority level in a priority queue (0 in a plain one). */
  level = 0;
  /** Quorum queues: times it was returned to the queue (the x-delivery-count header). */
  returns = 0;
  /**
   * Times a consumer gave it back saying the delivery failed (AMQP 1.0's modified with
   * delivery-failed): the header's delivery-count on its next delivery.
   */
  failedDeliveries = 0;
  /**
   * Where a durable queue's store keeps it, null when not persisted: a store position is past
   * 2^31 (a segment's id times 2^32), a double, and a field that ever held one would box every
   * entry's value, persisted or not (see `expiry`).
   */
  private stored: number | null = null;
  private msg: Message;
  readonly bodySize: number;

  constructor(
    /** Position in the queue: requeued entries go back in this order. */
    readonly seq: number,
    message: Message,
    bodySize = message.bodySize,
  ) {
    this.msg = message;
    this.bodySize = bodySize;
  }

  /** Handed out before: its next delivery says it is a redelivery. */
  get redelivered(): boolean {
    return (this.flags & REDELIVERED) !== 0;
  }

  set redelivered(yes: boolean) {
    this.setFlag(REDELIVERED, yes);
  }

  /** Handed out in a mode that needs an ack, and not settled yet. */
  get awaitingAck(): boolean {
    return (this.flags & AWAITING_ACK) !== 0;
  }

  set awaitingAck(yes: boolean) {
    this.setFlag(AWAITING_ACK, yes);
  }

  /**
   * Its delivery assigned its message group to the consumer (ActiveMQ's JMSXGroupFirstForConsumer,
   * kept on redeliveries as ActiveMQ keeps it on the message).
   */
  get groupFirst(): boolean {
    return (this.flags & GROUP_FIRST) !== 0;
  }

  set groupFirst(yes: boolean) {
    this.setFlag(GROUP_FIRST, yes);
  }

  private setFlag(bit: number, yes: boolean): void {
    this.flags = yes ? this.flags | bit : this.flags & ~bit;
  }

  /** When it expires (clock ms); Infinity for no TTL. */
  get expiresAt(): number {
    return this.expiry ?? Infinity;
  }

  set expiresAt(at: number) {
    this.expiry = at === Infinity ? null : at;
  }

  /** Where a durable queue's store keeps it; -1 when not persisted. */
  get position(): number {
    return this.stored ?? -1;
  }

  set position(at: number) {
    this.stored = at < 0 ? null : at;
  }

  get message(): Message {
    return this.msg;
  }

  /**
   * The broker rewrote the message (quorum queues' x-delivery-count): later deliveries carry the
   * new one. Only requeued entries are rewritten, and those stay in memory (the ReadyMessages
   * head), so a paged copy never goes stale.
   */
  replaceMessage(m: Message): void {
    this.msg = m;
  }
}

import type { Message } from "./message.js";
import type { Subscription } from "./consumer.js";

/** One message's place in one queue; the message (and its body) is shared with other queues. */
export class QueueEntry {
  redelivered = false;
  /** Times handed to a consumer (quorum queues expose it as x-delivery-count). */
  deliveryCount = 0;
  /** Handed out in a mode that needs an ack, and not settled yet. */
  awaitingAck = false;
  /** The subscription holding it unacked, if any (null after basic.get). */
  holder: Subscription | null = null;
  /** Where a durable queue's store keeps it; -1 when not persisted. */
  position = -1;
  readonly message: Message;
  readonly bodySize: number;

  constructor(
    /** Position in the queue: requeued entries go back in this order. */
    readonly seq: number,
    message: Message,
    bodySize = message.bodySize,
  ) {
    this.message = message;
    this.bodySize = bodySize;
  }
}

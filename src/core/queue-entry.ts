import type { Message } from "./message.js";
import type { Subscription } from "./consumer.js";
import type { QueueStore } from "./durability.js";

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
  /** Set while the message is paged out: only the position is in memory, the store has the rest. */
  private pager: QueueStore | null = null;
  private msg: Message | null;
  readonly bodySize: number;

  constructor(
    /** Position in the queue: requeued entries go back in this order. */
    readonly seq: number,
    message: Message | null,
    bodySize = message!.bodySize,
  ) {
    this.msg = message;
    this.bodySize = bodySize;
  }

  /** The message, read back from the store if it was paged out. */
  get message(): Message {
    let m = this.msg;
    if (m === null) {
      m = this.msg = this.pager!.load(this.position);
      this.pager = null;
    }
    return m;
  }

  /** Reads a paged-out message back into memory. */
  pageIn(): void {
    void this.message;
  }

  get pagedOut(): boolean {
    return this.msg === null;
  }

  /** Drops the in-memory message of a stored entry; `message` reads it back on delivery. */
  pageOut(store: QueueStore): void {
    if (this.position < 0) return;
    this.msg = null;
    this.pager = store;
  }
}

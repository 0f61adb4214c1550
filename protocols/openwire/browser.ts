/**
 * A queue browser (QueueBrowser) as ActiveMQ's broker paces it: the queue's ready messages the
 * selector picks, in order, left in the queue, at most the consumer's prefetch outstanding at a
 * time. The Java client acknowledges each browsed message as the enumeration hands it out (a
 * STANDARD ack per message in an auto-acknowledge session, DELIVERED acks in the others: seen on
 * its traffic); each ack frees window for more. A prefetch-0 browser gets one message per
 * MessagePull. After the last message a dispatch without one ends the browse for the client.
 *
 * Only a batch is held: the queue's cursor (Queue.browseCursor) remembers where it is, and
 * paged-out messages are read from disk as the browse reaches them, so browsing a queue of any
 * depth costs memory for one window.
 */
import type { BrowseCursor, Queue, QueueEntry, Selector } from "../../src/core/index.js";
import { type AnyActiveMQDestination, type ConsumerId, makeMessageDispatch } from "./codec/commands.generated.js";
import type { OpenWireConnection } from "./connection.js";
import { dispatchMessage } from "./message.js";

/** Messages read from the queue per step of a prefetch-0 browser or a refill. */
const BATCH = 100;

export class QueueBrowsing {
  private queue = 0;
  private cursor: BrowseCursor;
  /** The last tag dispatched and the highest the client has acknowledged (any ack type). */
  private sent = 0;
  private ackedTag = 0;
  private done = false;
  private readonly batch: QueueEntry[] = [];

  constructor(
    private readonly conn: OpenWireConnection,
    private readonly id: ConsumerId,
    private readonly destination: AnyActiveMQDestination,
    private readonly queues: readonly Queue[],
    private readonly selector: Selector | undefined,
    /** The consumer's prefetch; 0: one message per MessagePull. */
    private readonly prefetch: number,
  ) {
    this.cursor = queues[0]!.browseCursor();
  }

  /** Sends what the window allows (all of it, once exhausted, then the end of the browse). */
  start(): void {
    if (this.prefetch > 0) this.fill(this.prefetch);
  }

  /** An ack up to `tag`: the window has room again. */
  ack(tag: number): void {
    if (tag <= this.ackedTag) return;
    this.ackedTag = Math.min(tag, this.sent);
    if (this.prefetch > 0) this.fill(this.prefetch - (this.sent - this.ackedTag));
  }

  /** A MessagePull (prefetch 0): one more message, or the end. */
  pull(): void {
    if (this.prefetch === 0) this.fill(1);
  }

  /** Dispatches up to `n` selected messages; ends the browse when the queues have no more. */
  private fill(n: number): void {
    const batch = this.batch;
    while (n > 0 && !this.done) {
      batch.length = 0;
      const more = this.queues[this.queue]!.browseNext(this.cursor, Math.min(n, BATCH), batch);
      for (const e of batch) {
        if (this.selector !== undefined && !this.selector.matches(e)) continue;
        const m = dispatchMessage(e.message, ++this.sent, e.redelivered ? Math.max(1, e.deliveryCount) : 0);
        this.conn.send(
          makeMessageDispatch({ consumerId: this.id, destination: this.destination, message: m, redeliveryCounter: m.redeliveryCounter }),
        );
        n--;
      }
      if (!more && !this.nextQueue()) this.end();
    }
    batch.length = 0;
  }

  /** Moves to the next queue of a composite; false when there is none. */
  private nextQueue(): boolean {
    if (this.queue + 1 >= this.queues.length) return false;
    this.queue++;
    this.cursor = this.queues[this.queue]!.browseCursor();
    return true;
  }

  private end(): void {
    this.done = true;
    this.conn.send(makeMessageDispatch({ consumerId: this.id, destination: this.destination, message: null }));
  }
}

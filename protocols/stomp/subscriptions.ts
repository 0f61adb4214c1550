import type { Consumer, Queue, QueueEntry, Subscription } from "../../src/core/index.js";
import { destinationFor } from "./destinations.js";
import { headersFromProperties } from "./message-headers.js";
import { MessageFrames } from "./message-frame.js";
import type { SessionContext } from "./session-context.js";

export type AckMode = "auto" | "client" | "client-individual";

/** One SUBSCRIBE: a consumer on one queue; the queue calls it while it has credit. */
export class StompSubscription implements Consumer {
  subscription!: Subscription;
  /**
   * It consumes an ActiveMQ virtual topic's consumer queue (/queue/Consumer.A.VirtualTopic.X):
   * copies from the topic name the queue as their destination and the topic as
   * original-destination, as ActiveMQ's do.
   */
  virtual = false;
  /** Delivered and not yet acked, by delivery tag; Map order is delivery order. */
  readonly unacked = new Map<number, QueueEntry>();
  /**
   * An ActiveMQ composite of queues: the consumers on its further queues (`subscription` is the
   * first's), and the queue of each unacked delivery (kept only for such subscriptions).
   */
  readonly others: Subscription[] = [];
  unackedQueues: Map<number, Queue> | null = null;
  /** Its MESSAGE frames' constant bytes, encoded once (created at the first delivery). */
  frames: MessageFrames | null = null;

  /** Also consumes `sub` (a further queue of a composite). */
  addOther(sub: Subscription): void {
    this.others.push(sub);
    if (this.ackMode !== "auto") this.unackedQueues ??= new Map();
  }

  /** The queue unacked delivery `tag` came from (forgotten). */
  takeQueueOf(tag: number): Queue {
    const qs = this.unackedQueues;
    if (qs === null) return this.subscription.queue;
    const q = qs.get(tag)!;
    qs.delete(tag);
    return q;
  }

  /** Every unacked delivery back to its queue, in delivery order. */
  requeueUnacked(): void {
    for (const [tag, entry] of this.unacked) this.takeQueueOf(tag).requeue(entry);
    this.unacked.clear();
  }

  cancelAll(): void {
    this.subscription.cancel();
    for (const o of this.others) o.cancel();
  }

  constructor(
    readonly subscriptions: Subscriptions,
    /** The `id` header (or the destination, for STOMP 1.0 clients that send none). */
    readonly id: string,
    readonly destinationHeader: string,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {}

  get client() {
    return this.subscriptions.ctx.client;
  }

  hasCredit(): boolean {
    if (this.subscriptions.closed || this.subscriptions.ctx.transport.backedUp) return false;
    return this.ackMode === "auto" || this.prefetch === 0 || this.unacked.size < this.prefetch;
  }

  deliver(entry: QueueEntry, sub: Subscription): void {
    this.subscriptions.deliver(this, entry, sub.queue);
  }

  cancelledByBroker(): void {
    this.subscriptions.cancelledByBroker(this);
  }
}

/** RabbitMQ's message-id shape, `T_<subscription>@@<session>@@<delivery tag>`; the tag finds the delivery. */
const messageIdFor = (subId: string, session: string, tag: number) => `T_${subId}@@${session}@@${tag}`;

/** The subscription id and delivery tag an ACK/NACK names; null when it is not a message-id of ours. */
export function parseMessageId(messageId: string): { subId: string; tag: number } | null {
  const first = messageId.indexOf("@@");
  const last = messageId.lastIndexOf("@@");
  if (!messageId.startsWith("T_") || first === -1 || first === last) return null;
  const n = messageId.length;
  if (last + 2 === n) return null;
  // the tag's digits read in place; a tag too long to be exact is left to Number, as before
  let tag = 0;
  for (let i = last + 2; i < n; i++) {
    const d = messageId.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    tag = tag * 10 + d;
  }
  if (n - last - 2 > 15) tag = Number(messageId.slice(last + 2));
  return { subId: messageId.slice(2, first), tag };
}

/**
 * A session's subscriptions by id, and their deliveries: one delivery-tag sequence for the
 * session, MESSAGE frames, and what is delivered but not yet acked.
 */
export class Subscriptions {
  /** The session ended: no subscription has credit any more. */
  closed = false;
  private deliveryTag = 0;
  private readonly byId = new Map<string, StompSubscription>();

  constructor(readonly ctx: SessionContext) {}

  get(id: string): StompSubscription | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** `s` consumes now: the queue may deliver to it. */
  add(s: StompSubscription): void {
    this.byId.set(s.id, s);
  }

  deliver(s: StompSubscription, entry: QueueEntry, queue: Queue): void {
    const tag = ++this.deliveryTag;
    if (s.ackMode === "auto") queue.ack(entry);
    else {
      s.unacked.set(tag, entry);
      if (s.unackedQueues !== null) s.unackedQueues.set(tag, queue);
    }
    const ctx = this.ctx;
    const m = entry.message;
    if (!s.virtual || m.exchange !== "amq.topic") {
      // STOMP 1.2 names the delivery to ACK in its own header (§"MESSAGE")
      s.frames ??= new MessageFrames(s.id, ctx.sessionId, ctx.version, s.ackMode !== "auto" && ctx.version === "1.2");
      s.frames.write(ctx.transport, tag, m, entry.redelivered);
      return;
    }
    // a virtual topic's copy names the topic as original-destination: the general encoder
    const messageId = messageIdFor(s.id, ctx.sessionId, tag);
    const headers: [string, string][] = [
      ["subscription", s.id],
      ["destination", destinationFor(m.exchange, m.routingKey)],
      ["message-id", messageId],
      ["redelivered", entry.redelivered ? "true" : "false"],
    ];
    if (s.virtual && m.exchange === "amq.topic") {
      headers.push(["original-destination", headers[1]![1]]);
      headers[1] = ["destination", s.destinationHeader];
    }
    // STOMP 1.2 names the delivery to ACK in its own header (§"MESSAGE")
    if (s.ackMode !== "auto" && ctx.version === "1.2") headers.push(["ack", messageId]);
    headersFromProperties(m.properties, headers);
    ctx.send("MESSAGE", headers, m.body);
  }

  /**
   * ACK/NACK of delivery `tag`, which `s` holds unacked: client mode settles everything up to it
   * (cumulative), client-individual just it.
   */
  settle(s: StompSubscription, tag: number, how: "ack" | "nack", requeue: boolean): void {
    if (s.ackMode === "client") {
      const picked: [number, QueueEntry][] = [];
      for (const e of s.unacked) {
        if (e[0] > tag) break;
        picked.push(e);
      }
      for (const [t, entry] of picked) settleOne(s, t, entry, how, requeue);
    } else {
      // client-individual: just this delivery, without a list of one
      const entry = s.unacked.get(tag);
      if (entry !== undefined) settleOne(s, tag, entry, how, requeue);
    }
    s.subscription.resume();
    for (const o of s.others) o.resume();
  }

  /** UNSUBSCRIBE: the consumer is cancelled and its unacked messages go back to the queue. */
  cancel(s: StompSubscription): void {
    s.cancelAll();
    this.byId.delete(s.id);
    s.requeueUnacked();
  }

  /** The queue went (deleted, or its stream ended): tell the client, as RabbitMQ does. */
  cancelledByBroker(s: StompSubscription): void {
    if (!this.byId.delete(s.id)) return; // another queue of its composite went first
    if (s.others.length > 0) {
      // one queue of a composite went: the subscription ends on the others too
      s.requeueUnacked();
      s.cancelAll();
    }
    s.unacked.clear();
    this.ctx.error(
      "Server cancelled subscription",
      `The server has canceled a subscription.\nNo more messages will be delivered for ${s.destinationHeader}.\n`,
      false,
      undefined,
      [["subscription", s.id]],
    );
  }

  /** Credit may be back (socket drained): let the queues deliver again. */
  resume(): void {
    for (const s of this.byId.values()) {
      s.subscription.resume();
      for (const o of s.others) o.resume();
    }
  }

  /** Subscriptions and unacknowledged messages, for the management API's channel listing. */
  stats(): { consumers: number; unacked: number } {
    // counted when asked, so a delivery and its ack keep no session-wide index
    let unacked = 0;
    for (const s of this.byId.values()) unacked += s.unacked.size;
    return { consumers: this.byId.size, unacked };
  }

  /** The session is going: unacked messages go back to their queues, consumers are cancelled. */
  release(): void {
    this.closed = true;
    const subs = [...this.byId.values()];
    this.byId.clear();
    // requeue in delivery order so messages keep their places
    for (const s of subs) s.requeueUnacked();
    // each queue dispatches to its other consumers once the requeues are all back
    for (const s of subs) s.cancelAll();
  }
}

/** Delivery `tag` of `s` leaves its unacked set: acked, requeued or discarded on its queue. */
function settleOne(s: StompSubscription, tag: number, entry: QueueEntry, how: "ack" | "nack", requeue: boolean): void {
  s.unacked.delete(tag);
  const q = s.takeQueueOf(tag);
  if (how === "ack") q.ack(entry);
  else if (requeue) q.requeue(entry);
  else q.discard(entry);
}

import type { ClientRef, Consumer, Queue, QueueEntry, Subscription } from "../../src/core/index.js";
import { type Flow, writeTransfer } from "./codec/types.generated.js";
import { writeMessage } from "./message.js";
import { seqAdd, type Session } from "./session.js";
import type { QueueLifetime } from "./source-nodes.js";

/** Frame header + the largest transfer performative we write (handle, id, 4-octet tag, format, flags). */
const TRANSFER_OVERHEAD = 8 + 64;
/**
 * The delivery tag being written (the delivery id, 4 octets): the transfer copies it into the
 * output at once, so one buffer serves every delivery instead of a Buffer object per message.
 */
const TAG = Buffer.allocUnsafe(4);

/**
 * A link on which we send: the client attached a receiver to a queue (or to a private queue bound
 * to an exchange). It is the queue's Consumer: the queue hands it messages while it has link
 * credit, the session's remote window is open and the socket keeps up. Each delivery is one
 * transfer, or several when the message is larger than the peer's frames.
 */
export class OutgoingLink implements Consumer {
  readonly role = "sender";
  credit = 0;
  deliveryCount = 0;
  drain = false;
  subscription: Subscription | null = null;
  private closed = false;

  constructor(
    readonly session: Session,
    readonly name: string,
    readonly handle: number,
    readonly queue: Queue,
    /** Pre-settled (snd-settle-mode settled): the queue forgets a message once sent. */
    readonly presettled: boolean,
    /** When the link's queue goes with it: a private or dynamic queue with the link, a durable subscription's when closed. */
    readonly lifetime: QueueLifetime,
  ) {}

  get client(): ClientRef {
    return this.session.conn.client;
  }

  hasCredit(): boolean {
    return this.credit > 0 && this.session.remoteIncomingWindow > 0 && !this.closed && !this.session.conn.writer.backedUp;
  }

  deliver(entry: QueueEntry, _sub: Subscription): void {
    const s = this.session;
    const c = s.conn;
    const deliveryId = s.nextOutgoingId;
    this.credit--;
    this.deliveryCount = seqAdd(this.deliveryCount, 1);
    const tag = TAG;
    tag.writeUInt32BE(deliveryId);
    // the message is encoded after a single-frame transfer; if it turns out larger than the
    // peer's frames, the bytes already written are cut into frames instead
    const w = c.out;
    const start = c.beginFrame(s.channel);
    writeTransfer(w, { handle: this.handle, deliveryId, deliveryTag: tag, messageFormat: 0, settled: this.presettled });
    const payloadAt = w.pos;
    writeMessage(w, entry.message, entry.redelivered, entry.failedDeliveries);
    if (w.pos - start <= c.remoteMaxFrameSize) {
      c.endFrame(start);
      s.nextOutgoingId = seqAdd(s.nextOutgoingId, 1);
      s.remoteIncomingWindow--;
    } else {
      const payload = w.take(payloadAt);
      w.pos = start;
      this.sendFrames(deliveryId, tag, payload);
    }
    if (this.presettled) this.queue.ack(entry);
    else s.unsettled.set(deliveryId, { link: this, entry });
  }

  /** A message larger than one frame: transfers with more=true, then the last. */
  private sendFrames(deliveryId: number, tag: Buffer, payload: Buffer): void {
    const s = this.session;
    const c = s.conn;
    const room = Math.max(1, c.remoteMaxFrameSize - TRANSFER_OVERHEAD);
    let first = true;
    for (let at = 0; at < payload.length; at += room) {
      const end = Math.min(payload.length, at + room);
      const more = end < payload.length;
      const start = c.beginFrame(s.channel);
      writeTransfer(
        c.out,
        first
          ? { handle: this.handle, deliveryId, deliveryTag: tag, messageFormat: 0, settled: this.presettled, more }
          : { handle: this.handle, more },
      );
      c.out.bytes(payload.subarray(at, end));
      c.endFrame(start);
      first = false;
      s.nextOutgoingId = seqAdd(s.nextOutgoingId, 1);
      s.remoteIncomingWindow--;
    }
  }

  /** The client's flow for this link: its credit, drain and echo. */
  flow(f: Flow): void {
    const theirCount = f.deliveryCount ?? 0;
    if (f.linkCredit !== undefined) this.credit = Math.max(0, (theirCount + f.linkCredit - this.deliveryCount) | 0);
    this.drain = f.drain;
    this.resume();
    if (this.drain && this.credit > 0) {
      // whatever the queue could hand us it has handed (dispatch is synchronous): the rest of the
      // credit is used up by advancing the delivery count, and the client is told
      this.deliveryCount = seqAdd(this.deliveryCount, this.credit);
      this.credit = 0;
      this.session.sendFlow(this);
      this.drain = false;
      return;
    }
    if (f.echo) this.session.sendFlow(this);
  }

  resume(): void {
    if (!this.closed) this.subscription?.resume();
  }

  /** The queue was deleted: the link is detached with amqp:resource-deleted. */
  cancelledByBroker(_sub: Subscription): void {
    this.session.detach(this.handle, { condition: "amqp:resource-deleted", description: `queue '${this.queue.name}' was deleted` });
  }

  /**
   * The link is gone: no more deliveries; a private queue goes with it, a durable subscription's
   * only when the client `closed` the link (a detach without closing leaves the subscription).
   */
  detached(closed: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const sub = this.subscription;
    this.subscription = null;
    // messages it holds unsettled stay with the session: a disposition may still settle them
    if (sub !== null && sub.active) sub.cancel();
    if (this.lifetime === "link" || (this.lifetime === "subscription" && closed))
      this.session.conn.vhost.deleteQueue(this.queue.name, {}, this.client);
  }
}

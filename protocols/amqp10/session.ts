import type { QueueEntry } from "../../src/core/index.js";
import { type Begin, type ErrorDetailsInit, writeDetach, writeDisposition, writeEnd, writeFlow } from "./codec/types.generated.js";
import type { ConnectionScope } from "./connection-scope.js";
import type { Amqp10Error } from "./errors.js";
import type { IncomingLink } from "./incoming-link.js";
import type { OutgoingLink } from "./outgoing-link.js";
import { type CoordinatorLink, Transactions } from "./transactions.js";

/** Transfers we take before the client must wait for a flow (re-opened when half is used). */
export const INCOMING_WINDOW = 65536;
/** We never hold transfers back by our outgoing window: the peer's incoming window rules. */
const OUTGOING_WINDOW = 0x7fff_ffff;

/** The outcome every coalesced disposition carries (one object, not one per disposition). */
const ACCEPTED = { kind: "accepted" } as const;

/** A delivery sent and not settled yet: who took it and from where. */
export interface Unsettled {
  readonly link: OutgoingLink;
  readonly entry: QueueEntry;
}

export type Link = IncomingLink | OutgoingLink | CoordinatorLink;

/** Sequence numbers are 32-bit and wrap (RFC 1982 serial arithmetic). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/**
 * One session (a begun channel): its links by the client's handle, the transfer windows both
 * ways, and the deliveries sent and not settled (delivery ids are per session).
 */
export class Session {
  readonly links = new Map<number, Link>();
  /** Link names attached in this session (a name is attached once per direction). */
  readonly names = new Set<string>();
  readonly unsettled = new Map<number, Unsettled>();
  /** Transactions declared through a coordinator link of this session. */
  readonly transactions = new Transactions();
  /** Handles we detached first: the client's detach answers ours, and frames on them meanwhile are dropped. */
  readonly detaching = new Set<number>();
  nextIncomingId: number;
  /** Transfers the client may still send before our next flow. */
  incomingWindow = INCOMING_WINDOW;
  /** A resource alarm closed the window (RabbitMQ 4's way of stopping publishers). */
  private blocked = false;
  /** Transfers still taken past a window the alarm closed: those the client sent before it heard. */
  private excess = 0;
  nextOutgoingId = 0;
  readonly outgoingWindow = OUTGOING_WINDOW;
  /** Transfers the client will still take from us. */
  remoteIncomingWindow: number;
  readonly handleMax = 0xffff_ffff;
  endSent = false;
  private isEnded = false;
  /**
   * Deliveries the client sent us, accepted this turn and not answered yet: the run
   * acceptFirst..acceptLast (-1: none). A publisher with many transfers in flight gets one
   * disposition per run instead of one per message, as it gets one basic.ack multiple in 0-9-1.
   */
  private acceptFirst = -1;
  private acceptLast = 0;

  constructor(
    readonly conn: ConnectionScope,
    readonly channel: number,
    begin: Begin,
  ) {
    this.nextIncomingId = begin.nextOutgoingId;
    this.remoteIncomingWindow = begin.incomingWindow;
    if (conn.broker.alarms.blocked) this.block();
  }

  /**
   * A memory or disk alarm came or went: while one is on, the session's incoming window is 0, so
   * clients send no transfers (the links keep their credit), as RabbitMQ 4 stops AMQP 1.0
   * publishers; transfers already in flight are still taken, up to one window's worth.
   */
  alarmChanged(blocked: boolean): void {
    if (blocked === this.blocked || !this.active) return;
    if (blocked) this.block();
    else {
      this.blocked = false;
      this.excess = 0;
      this.incomingWindow = INCOMING_WINDOW;
    }
    this.sendFlow(null);
  }

  private block(): void {
    this.blocked = true;
    this.incomingWindow = 0;
    this.excess = INCOMING_WINDOW;
  }

  /** Whether a transfer may come now: the window is open, or it was in flight when an alarm closed it. */
  mayReceive(): boolean {
    if (this.incomingWindow > 0) return true;
    if (this.excess <= 0) return false;
    this.excess--;
    return true;
  }

  get consumerCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.role === "sender") n++;
    return n;
  }

  get unsettledCount(): number {
    return this.unsettled.size;
  }

  get active(): boolean {
    return !this.isEnded;
  }

  /** A transfer frame arrived: the window closes by one, and re-opens by a flow at half. */
  transferReceived(): void {
    this.nextIncomingId = seqAdd(this.nextIncomingId, 1);
    // closed by an alarm: it stays closed until the alarm clears
    if (this.blocked) return;
    this.incomingWindow--;
    if (this.incomingWindow < INCOMING_WINDOW / 2) {
      this.incomingWindow = INCOMING_WINDOW;
      this.sendFlow(null);
    }
  }

  /**
   * Settles delivery `deliveryId` (one the client sent) as accepted: joins the run being gathered
   * when it follows it, otherwise the run goes out and a new one starts. The connection sends what
   * is gathered at the end of the read (`flushAccepted`), before any other outcome on this session,
   * and before a detach, end or close.
   */
  accepted(deliveryId: number): void {
    if (this.acceptFirst >= 0) {
      if (deliveryId === seqAdd(this.acceptLast, 1)) {
        this.acceptLast = deliveryId;
        return;
      }
      this.flushAccepted();
    }
    this.acceptFirst = deliveryId;
    this.acceptLast = deliveryId;
  }

  /** Sends the gathered run of accepted deliveries, if any, as one settled disposition. */
  flushAccepted(): void {
    const first = this.acceptFirst;
    if (first < 0) return;
    this.acceptFirst = -1;
    const c = this.conn;
    const start = c.beginFrame(this.channel);
    writeDisposition(c.out, {
      role: true,
      first,
      ...(this.acceptLast !== first && { last: this.acceptLast }),
      settled: true,
      state: ACCEPTED,
    });
    c.endFrame(start);
  }

  /** The session's flow state, with one link's if given. */
  sendFlow(link: { handle: number; deliveryCount: number; credit: number; drain: boolean } | null, echo = false): void {
    const c = this.conn;
    const start = c.beginFrame(this.channel);
    writeFlow(c.out, {
      nextIncomingId: this.nextIncomingId,
      incomingWindow: this.incomingWindow,
      nextOutgoingId: this.nextOutgoingId,
      outgoingWindow: this.outgoingWindow,
      ...(link !== null && { handle: link.handle, deliveryCount: link.deliveryCount, linkCredit: link.credit, drain: link.drain }),
      ...(echo && { echo: true }),
    });
    c.endFrame(start);
  }

  /**
   * Sends detach for `handle`, with an error if any, and forgets the link. `answering`: the
   * client detached first, `closed` or not (our answer says the same); otherwise its detach is
   * still to come and answers ours, and we close the link.
   */
  detach(handle: number, error?: ErrorDetailsInit, answering = false, closed = true): void {
    if (!answering) this.detaching.add(handle);
    const link = this.links.get(handle);
    if (link !== undefined) {
      this.links.delete(handle);
      this.names.delete(`${link.role}:${link.name}`);
      link.detached(closed);
    }
    this.flushAccepted();
    const c = this.conn;
    const start = c.beginFrame(this.channel);
    writeDetach(c.out, { handle, closed, ...(error !== undefined && { error }) });
    c.endFrame(start);
  }

  /** An error of a link (detach), the session (end) or the connection (close). */
  fail(err: Amqp10Error, handle?: number): void {
    const error = { condition: err.condition, description: err.description };
    if (err.scope === "link" && handle !== undefined) {
      this.conn.log.warn({ condition: err.condition, handle }, `AMQP 1.0 link error: ${err.condition} - ${err.description}`);
      this.detach(handle, error);
      return;
    }
    if (err.scope === "connection") {
      this.conn.fail(err);
      return;
    }
    this.conn.log.warn({ condition: err.condition }, `AMQP 1.0 session error: ${err.condition} - ${err.description}`);
    this.conn.sessions.delete(this.channel);
    this.conn.ending.add(this.channel);
    this.ended();
    this.endSent = true;
    const c = this.conn;
    const start = c.beginFrame(this.channel);
    writeEnd(c.out, { error });
    c.endFrame(start);
  }

  /** The peer caught up or a window opened: links with credit may deliver again. */
  resumeLinks(): void {
    for (const l of this.links.values()) if (l.role === "sender") l.resume();
  }

  /** The session is over: its links go and what they held unsettled goes back to the queues. */
  ended(): void {
    if (this.isEnded) return;
    // what was accepted before the end is still answered, ahead of our end
    this.flushAccepted();
    this.isEnded = true;
    // links end with their session without being closed (a durable subscription stays)
    for (const l of this.links.values()) l.detached(false);
    this.links.clear();
    // outcomes given in a transaction never committed were not given: the deliveries go back too
    if (this.transactions.size > 0) this.transactions.rollbackAll(this);
    for (const u of this.unsettled.values()) u.link.queue.requeue(u.entry);
    this.unsettled.clear();
  }
}

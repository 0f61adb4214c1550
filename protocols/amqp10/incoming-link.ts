import {
  type BacklogWatcher,
  BrokerError,
  type ClockTimer,
  type Message,
  OrderedCommits,
  type PublishResult,
  publishPropertiesProblem,
  type Queue,
} from "../../src/core/index.js";
import { type Address, parseAddress } from "./addresses.js";
import { type AmqpValue, DecodeError } from "./codec/primitives.js";
import { TransactionError, type Transfer, writeDisposition } from "./codec/types.generated.js";
import { Amqp10Error, fromBrokerError } from "./errors.js";
import { coreMessage, parseMessage } from "./message.js";
import { seqAdd, type Session } from "./session.js";
import { txnIdOf } from "./transactions.js";

/**
 * Link credit we give a sender, topped up when half is used (RabbitMQ 3.10's INCOMING_CREDIT).
 * It also bounds what a sender can have waiting for the disk: credit + held ≤ this.
 */
export const INCOMING_CREDIT = 65536;
/** A held item for a pre-settled transfer: counted against the credit, answered with nothing. */
const SETTLED = -1;
/** The outcome of a transfer a queue refused (overflow reject-publish): rejected, as RabbitMQ 4 answers. */
const REFUSED = { kind: "rejected" } as const;
/**
 * How long a link waits for a backed-up queue whose consumers take nothing at all: consumers that
 * stopped (no credit given, a paused client) are not slow, and their queue must not hold its
 * publishers back for good. After this long without a delivery the link goes on, and does not
 * wait for that queue again until it has delivered something.
 */
export const BACKLOG_STALL_MS = 1000;
/**
 * The credit window while a queue the link's messages go to has a backlog (`Queue.backlogged`):
 * what the sender can still have in flight when the queue backs up, so the backlog overshoots
 * BACKLOG_HIGH_MARK by at most this much (with 65536, the transfers in flight when the credit was
 * withdrawn kept queues 3-4 times over the mark). It doubles back towards INCOMING_CREDIT at each
 * top-up with no backlog met since the one before.
 */
export const THROTTLED_CREDIT = 2000;

/**
 * A link on which we receive: the client attached a sender to a queue or exchange address (or to
 * none, naming each message's destination in its `to`). Each whole message is published to the
 * core; unsettled ones get their outcome back in a disposition. `accepted` means what a publisher
 * confirm means: a message that reached a durable queue is accepted only once the group commit
 * holding it is on disk (the core's OrderedCommits, one waiter per link per batch); a queue that
 * refuses it (reject-publish) makes it `rejected`. Credit comes back only as the disk keeps up:
 * the credit given plus the transfers still waiting for the disk never exceed INCOMING_CREDIT,
 * so a fast sender and a slow disk cannot pile messages up in memory without bound.
 *
 * Credit also waits for consumers (publisher flow control, as RabbitMQ 4 withholds credit from a
 * sender whose target queue cannot keep up): while the messages go to a queue with a backlog
 * (`PublishResult.backlogged`) the window is THROTTLED_CREDIT; when the queue is backed up (its
 * consumers take less than comes in; Queue.backedUp, BACKLOG_HIGH_MARK), the credit the sender
 * still has is withdrawn (a flow with link-credit 0; transfers it sent before hearing are still
 * taken, §2.6.7) and nothing is granted until the queue calls back (BacklogWatcher): drained to
 * BACKLOG_LOW_MARK, its last consumer gone, or deleted. A queue whose consumers deliver nothing
 * for BACKLOG_STALL_MS releases the link too, and counts as having no backlog while they stay so.
 */
export class IncomingLink implements BacklogWatcher {
  readonly role = "receiver";
  credit = INCOMING_CREDIT;
  deliveryCount: number;
  readonly drain = false;
  /** A delivery arriving in several transfers: its frames so far and its first transfer's fields. */
  private parts: Buffer[] = [];
  private partsSize = 0;
  private partial: { deliveryId: number; settled: boolean; txnId: AmqpValue | undefined } | null = null;
  /** Delivery ids whose `accepted` waits for the disk, in arrival order. */
  private readonly held = new OrderedCommits<number>({
    release: (id, ok) => this.released(id, ok),
    released: () => {
      // a commit landed outside any read: its run of accepts goes now, not at the next read
      this.session.flushAccepted();
      this.topUp();
    },
  });
  private gone = false;
  /** The credit granted at a top-up (less what waits for the disk): INCOMING_CREDIT, or less while queues have a backlog. */
  private window = INCOMING_CREDIT;
  /** Since the last top-up, a message went to a queue with a backlog. */
  private warm = false;
  /** The backed-up queue the link waits for (no credit meanwhile), or null. */
  private waitingOn: Queue | null = null;
  /**
   * Transfers taken past the credit: what a sender may still send under an earlier grant it had
   * not seen withdrawn or replaced by a smaller one (credit + excess = what the largest grant
   * still allows).
   */
  private excess = 0;
  /** The waited-for queue's `handedOut` when the stall timer was armed. */
  private progressMark = 0;
  private stallTimer: ClockTimer | null = null;
  private readonly stallCheckBound = (): void => this.stallCheck();
  /** A queue whose consumers stalled while the link waited, and its `handedOut` then: not waited for again until it moves. */
  private stalled: Queue | null = null;
  private stalledAt = 0;

  constructor(
    readonly session: Session,
    readonly name: string,
    readonly handle: number,
    /** Where messages go; null: each message's `to` says. */
    readonly address: Address | null,
    initialDeliveryCount: number,
  ) {
    this.deliveryCount = initialDeliveryCount;
  }

  /** One transfer frame; the payload is `buf[start, end)`, a view of the read. */
  transfer(t: Transfer, buf: Buffer, start: number, end: number): void {
    const s = this.session;
    if (this.partial === null) {
      if (t.deliveryId === undefined) throw new Amqp10Error("amqp:decode-error", "the first transfer of a delivery needs a delivery-id");
      if (this.credit > 0) this.credit--;
      else if (this.excess > 0) this.excess--;
      else throw new Amqp10Error("amqp:link:transfer-limit-exceeded", "transfer without link credit", "link");
      this.deliveryCount = seqAdd(this.deliveryCount, 1);
      if (!t.more && !t.aborted) {
        this.complete(t.deliveryId, t.settled === true, buf.subarray(start, end), txnIdOf(t.state));
        this.topUp();
        return;
      }
      this.partial = { deliveryId: t.deliveryId, settled: t.settled === true, txnId: txnIdOf(t.state) };
    } else if (t.settled === true) {
      this.partial.settled = true;
    }
    if (t.aborted) {
      // the sender gave the delivery up: nothing of it is kept, nothing is answered
      this.dropPartial();
      this.topUp();
      return;
    }
    const size = end - start;
    if (this.partsSize + size > s.conn.options.maxMessageSize) {
      this.dropPartial();
      throw new Amqp10Error("amqp:link:message-size-exceeded", `message larger than ${s.conn.options.maxMessageSize} octets`, "link");
    }
    // frames of one read share its buffer: a part that must outlive the read is copied
    this.parts.push(Buffer.from(buf.subarray(start, end)));
    this.partsSize += size;
    if (t.more) return;
    const { deliveryId, settled, txnId } = this.partial!;
    const bytes = Buffer.concat(this.parts, this.partsSize);
    this.dropPartial();
    this.complete(deliveryId, settled, bytes, txnId);
    this.topUp();
  }

  private dropPartial(): void {
    this.parts = [];
    this.partsSize = 0;
    this.partial = null;
  }

  /**
   * Half the window used: top it up again, to the window less what still waits for the disk;
   * while more than half waits, nothing (the releases call this again as commits land). The
   * window is THROTTLED_CREDIT when a message since the last top-up went to a queue with a
   * backlog, otherwise it doubles back towards INCOMING_CREDIT.
   */
  private topUp(): void {
    if (this.credit > this.window / 2 || this.waitingOn !== null || this.gone || !this.session.active) return;
    const window = this.warm ? THROTTLED_CREDIT : Math.min(INCOMING_CREDIT, this.window * 2);
    const held = this.held.size;
    if (held > window / 2) return;
    const credit = window - held;
    if (credit <= this.credit) return;
    this.window = window;
    this.warm = false;
    // transfers in flight under an earlier grant count against this one, as the sender counts
    // them; what that grant allowed beyond this one may still come
    this.excess = Math.max(0, this.credit + this.excess - credit);
    this.credit = credit;
    this.session.sendFlow(this);
  }

  /**
   * A message went to `q`, which has a backlog: the window shrinks at the next top-up; if `q` is
   * backed up, the sender's credit is withdrawn until `q` calls back. Neither when `q`'s consumers
   * stalled the last time and have delivered nothing since.
   */
  private backlog(q: Queue): void {
    if (this.stalled !== null) {
      if (q === this.stalled && q.handedOut === this.stalledAt) return;
      this.stalled = null;
    }
    this.warm = true;
    if (this.waitingOn !== null || !q.backedUp || this.gone || !this.session.active) return;
    if (!q.watchBacklog(this)) return;
    this.waitingOn = q;
    this.excess += this.credit;
    this.credit = 0;
    this.session.sendFlow(this);
    this.armStallTimer(q);
  }

  private armStallTimer(q: Queue): void {
    this.progressMark = q.handedOut;
    this.stallTimer = this.session.conn.vhost.timers.schedule(this.stallCheckBound, BACKLOG_STALL_MS);
  }

  /** BACKLOG_STALL_MS went by while waiting: consumers that delivered nothing are not slow but stopped. */
  private stallCheck(): void {
    this.stallTimer = null;
    const q = this.waitingOn;
    if (q === null) return;
    const now = q.handedOut;
    if (now !== this.progressMark) {
      this.armStallTimer(q);
      return;
    }
    q.unwatchBacklog(this);
    this.stalled = q;
    this.stalledAt = now;
    this.stopWaiting();
  }

  /** BacklogWatcher: the queue drained, lost its consumers or was deleted. */
  backlogCleared(q: Queue): void {
    if (q === this.waitingOn) this.stopWaiting();
  }

  /** The credit withheld while waiting is granted (as far as the disk allows). */
  private stopWaiting(): void {
    this.waitingOn = null;
    this.stallTimer?.cancel();
    this.stallTimer = null;
    this.topUp();
  }

  /** A whole message: published (or held by its transaction); an unsettled one is answered with its outcome. */
  private complete(deliveryId: number, settled: boolean, bytes: Buffer, txnId: AmqpValue | undefined): void {
    if (txnId !== undefined) {
      this.completeInTransaction(deliveryId, settled, bytes, txnId);
      return;
    }
    const outcome = this.publish(bytes);
    if (!(outcome instanceof Amqp10Error) && outcome.backlogged !== null) this.backlog(outcome.backlogged);
    if (settled) {
      if (outcome instanceof Amqp10Error) throw outcome;
      // nothing to answer, but it counts against the credit until it is on disk
      if (outcome.persisted > 0) this.held.hold(SETTLED, this.session.conn.vhost.durability);
      return;
    }
    if (outcome instanceof Amqp10Error) {
      this.dispose(deliveryId, outcome);
      return;
    }
    if (outcome.refused > 0) {
      this.dispose(deliveryId, REFUSED);
      return;
    }
    const durability = outcome.persisted > 0 ? this.session.conn.vhost.durability : null;
    if (!this.held.hold(deliveryId, durability)) this.dispose(deliveryId, null);
  }

  /** A held delivery's batch is on disk (ok) or the store failed it. */
  private released(deliveryId: number, ok: boolean): void {
    if (!this.session.active || deliveryId === SETTLED) return;
    this.dispose(deliveryId, ok ? null : new Amqp10Error("amqp:internal-error", "the message could not be written to disk", "link"));
  }

  /**
   * Settles one delivery with its outcome: accepted (null: joins the session's run of accepts),
   * rejected with the error, or `REFUSED`.
   */
  private dispose(deliveryId: number, error: Amqp10Error | typeof REFUSED | null): void {
    if (error === null) {
      this.session.accepted(deliveryId);
      return;
    }
    // outcomes leave in the order the transfers came: the accepted run before this one goes first
    this.session.flushAccepted();
    const c = this.session.conn;
    const start = c.beginFrame(this.session.channel);
    writeDisposition(c.out, {
      role: true,
      first: deliveryId,
      settled: true,
      state:
        error instanceof Amqp10Error ? { kind: "rejected", error: { condition: error.condition, description: error.description } } : error,
    });
    c.endFrame(start);
  }

  /**
   * A message sent in a transaction: checked now (address, permission, user-id) and held until the
   * discharge; its outcome is accepted within the transaction (transactional-state).
   */
  private completeInTransaction(deliveryId: number, settled: boolean, bytes: Buffer, txnId: AmqpValue): void {
    const tx = this.session.transactions.get(txnId);
    const held =
      tx === undefined
        ? new Amqp10Error(TransactionError.unknownId, "no transaction with this txn-id is open in the session", "link")
        : this.resolve(bytes);
    if (held instanceof Amqp10Error) {
      if (settled) throw held;
      this.dispose(deliveryId, held);
      return;
    }
    tx!.publish(held.exchange, held.routingKey, held.message);
    if (settled) return;
    this.session.flushAccepted();
    const c = this.session.conn;
    const start = c.beginFrame(this.session.channel);
    writeDisposition(c.out, {
      role: true,
      first: deliveryId,
      settled: true,
      state: { kind: "transactional-state", txnId: tx!.id, outcome: { kind: "accepted" } },
    });
    c.endFrame(start);
  }

  /** Routes one message: what the core did with it, or why it did not go (link-scoped). */
  private publish(bytes: Buffer): Amqp10Error | PublishResult {
    const m = this.resolve(bytes);
    if (m instanceof Amqp10Error) return m;
    const result = this.session.conn.vhost.publish(m.exchange, m.routingKey, m.message);
    if (result instanceof BrokerError) return fromBrokerError(result, "link");
    return result;
  }

  /** Where a message goes and the core message, once its address and the permissions are checked. */
  private resolve(bytes: Buffer): Amqp10Error | { exchange: string; routingKey: string; message: Message } {
    const c = this.session.conn;
    let m: ReturnType<typeof parseMessage>;
    try {
      m = parseMessage(bytes);
    } catch (err) {
      if (err instanceof DecodeError) return new Amqp10Error("amqp:decode-error", err.message, "link");
      throw err;
    }
    let address = this.address;
    if (address === null) {
      const to = m.properties?.to;
      if (typeof to !== "string")
        return new Amqp10Error("amqp:precondition-failed", "a message on an anonymous link needs a 'to' address", "link");
      const a = parseAddress(to);
      if ("description" in a) return new Amqp10Error("amqp:not-found", a.description, "link");
      address = a;
    }
    let exchange: string;
    let key: string;
    if (address.kind === "queue") {
      exchange = "";
      key = address.name;
    } else {
      exchange = address.exchange;
      key = address.key ?? m.properties?.subject ?? "";
    }
    const denied = c.access.checkPublish(exchange, key);
    if (denied !== null) return fromBrokerError(denied, "link");
    const msg = coreMessage(exchange, key, m);
    msg.publisher = c.client; // for no-local receivers
    if (m.properties?.userId !== undefined) {
      const problem = publishPropertiesProblem(msg.properties, c.user.name);
      if (problem !== null) return fromBrokerError(problem, "link");
    }
    return { exchange, routingKey: key, message: msg };
  }

  detached(_closed: boolean): void {
    this.gone = true;
    this.waitingOn?.unwatchBacklog(this);
    this.waitingOn = null;
    this.stallTimer?.cancel();
    this.stallTimer = null;
    this.dropPartial();
    // the link is gone: its deliveries can no longer be settled (links are not resumed)
    this.held.clear();
  }
}

/**
 * Local transactions through the coordinator (AMQP 1.0 §4), mapped onto the core as AMQP 0-9-1's
 * tx class is (protocols/amqp/tx.ts): a transaction holds the messages sent in it (routed only at
 * commit) and the outcomes given in it to deliveries we sent (applied only at commit); a rollback
 * drops the messages and gives the deliveries back to the session, unsettled. Transactions belong
 * to their session (no amqp:multi-ssns-per-txn) and roll back when it ends.
 */
import { BrokerError, type Message } from "../../src/core/index.js";
import { type AmqpValue, Cursor, DecodeError, readAny } from "./codec/primitives.js";
import {
  type Declare,
  type Discharge,
  Descriptor,
  decodeDeclareFields,
  decodeDischargeFields,
  type Disposition,
  readDescriptorCode,
  TransactionError,
  type Transfer,
  writeDisposition,
} from "./codec/types.generated.js";
import { Amqp10Error } from "./errors.js";
import type { Session, Unsettled } from "./session.js";

/** An outcome given to one of our deliveries inside a transaction. */
export type HeldOutcome = NonNullable<Disposition["state"]>;

interface HeldPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly message: Message;
}

interface HeldSettle {
  readonly deliveryId: number;
  readonly unsettled: Unsettled;
  readonly outcome: HeldOutcome | undefined;
}

/** One declared transaction: what commit will do. */
export class Transaction {
  readonly publishes: HeldPublish[] = [];
  readonly settles: HeldSettle[] = [];
  constructor(readonly id: Buffer) {}

  publish(exchange: string, routingKey: string, message: Message): void {
    this.publishes.push({ exchange, routingKey, message });
  }

  settle(deliveryId: number, unsettled: Unsettled, outcome: HeldOutcome | undefined): void {
    this.settles.push({ deliveryId, unsettled, outcome });
  }
}

/** How a session applies an outcome to one of its deliveries (handlers/disposition.ts). */
export type ApplyOutcome = (u: Unsettled, outcome: HeldOutcome | undefined) => void;

/** A session's transactions by id. */
export class Transactions {
  private readonly open = new Map<string, Transaction>();
  private next = 0;

  get size(): number {
    return this.open.size;
  }

  declare(): Transaction {
    const id = Buffer.allocUnsafe(4);
    id.writeUInt32BE(this.next);
    this.next = (this.next + 1) >>> 0;
    const tx = new Transaction(id);
    this.open.set(id.toString("hex"), tx);
    return tx;
  }

  /** The open transaction a txn-id names, or undefined. */
  get(txnId: AmqpValue | undefined): Transaction | undefined {
    return Buffer.isBuffer(txnId) ? this.open.get(txnId.toString("hex")) : undefined;
  }

  /** The transaction named, taken out of the open ones (it is being discharged). */
  take(txnId: AmqpValue | undefined): Transaction | undefined {
    const tx = this.get(txnId);
    if (tx !== undefined) this.open.delete(tx.id.toString("hex"));
    return tx;
  }

  /** The session ended: every open transaction rolls back (its deliveries are unsettled again). */
  rollbackAll(s: Session): void {
    for (const tx of this.open.values()) rollback(s, tx);
    this.open.clear();
  }
}

/** The txn-id a transfer or disposition is sent under, if any. */
export function txnIdOf(state: Transfer["state"]): AmqpValue | undefined {
  return state?.kind === "transactional-state" ? state.txnId : undefined;
}

/**
 * Commit: the held messages are routed, in order, then the held outcomes applied. Returns whether
 * a message reached a durable queue on disk, so the discharge's answer waits for the disk.
 */
export function commit(s: Session, tx: Transaction, apply: ApplyOutcome): boolean {
  const v = s.conn.vhost;
  let persisted = false;
  for (const p of tx.publishes) {
    const r = v.publish(p.exchange, p.routingKey, p.message);
    // what became of each message was told when it was sent: unroutable ones are dropped, as in 0-9-1
    if (!(r instanceof BrokerError) && r.persisted > 0) persisted = true;
  }
  for (const h of tx.settles) apply(h.unsettled, h.outcome);
  return persisted;
}

/** Rollback: the held messages are dropped; the deliveries settled in the transaction are unsettled again. */
export function rollback(s: Session, tx: Transaction): void {
  for (const h of tx.settles) s.unsettled.set(h.deliveryId, h.unsettled);
}

/**
 * The coordinator link (§4.2): the client's transaction controller. Each message it sends holds
 * a declare or a discharge in an amqp-value section; the outcome answers it (declared with the
 * new txn-id, accepted for a discharge, rejected with amqp:transaction:unknown-id).
 */
export class CoordinatorLink {
  readonly role = "receiver";
  credit: number;
  deliveryCount: number;
  readonly drain = false;

  constructor(
    readonly session: Session,
    readonly name: string,
    readonly handle: number,
    initialDeliveryCount: number,
    /** The credit given, and given again once used up. */
    private readonly window: number,
    private readonly apply: ApplyOutcome,
  ) {
    this.deliveryCount = initialDeliveryCount;
    this.credit = window;
  }

  /** One transfer: control messages are small, so a delivery in several frames is refused. */
  transfer(t: Transfer, buf: Buffer, start: number, end: number): void {
    if (t.more) throw new Amqp10Error("amqp:not-implemented", "a transaction control message must fit in one frame", "link");
    if (t.deliveryId === undefined) throw new Amqp10Error("amqp:decode-error", "the first transfer of a delivery needs a delivery-id");
    if (this.credit <= 0) throw new Amqp10Error("amqp:link:transfer-limit-exceeded", "transfer without link credit", "link");
    this.deliveryCount = (this.deliveryCount + 1) >>> 0;
    if (--this.credit <= 0) {
      this.credit = this.window;
      this.session.sendFlow(this);
    }
    const control = readControl(buf, start, end);
    const s = this.session;
    if (control.kind === "declare") {
      const tx = s.transactions.declare();
      this.answer(t.deliveryId, { kind: "declared", txnId: tx.id });
      return;
    }
    const tx = s.transactions.take(control.txnId);
    if (tx === undefined) {
      this.answer(t.deliveryId, {
        kind: "rejected",
        error: { condition: TransactionError.unknownId, description: "no transaction with this txn-id is open in the session" },
      });
      return;
    }
    if (control.fail) {
      rollback(s, tx);
      this.answer(t.deliveryId, { kind: "accepted" });
      return;
    }
    const durability = commit(s, tx, this.apply) ? s.conn.vhost.durability : null;
    const deliveryId = t.deliveryId;
    if (durability === null) {
      this.answer(deliveryId, { kind: "accepted" });
      return;
    }
    // a commit that stored messages is accepted once they are on disk (as 0-9-1's commit-ok)
    durability.afterCommit({
      committed: (ok: boolean) => {
        if (!s.active) return;
        this.answer(
          deliveryId,
          ok
            ? { kind: "accepted" }
            : { kind: "rejected", error: { condition: TransactionError.transactionRollback, description: "the store failed" } },
        );
      },
    });
  }

  private answer(deliveryId: number, state: NonNullable<Parameters<typeof writeDisposition>[1]>["state"]): void {
    const s = this.session;
    s.flushAccepted();
    const c = s.conn;
    const start = c.beginFrame(s.channel);
    writeDisposition(c.out, { role: true, first: deliveryId, settled: true, state });
    c.endFrame(start);
  }

  detached(_closed: boolean): void {}
}

/** The declare or discharge a control message carries in its amqp-value section (other sections are skipped). */
function readControl(buf: Buffer, start: number, end: number): Declare | Discharge {
  const c = new Cursor(buf, start, end);
  while (c.pos < c.end) {
    if (buf[c.pos] !== 0x00) throw new DecodeError("a message section must be a described type");
    c.pos++;
    if (readDescriptorCode(c) !== Descriptor.amqpValue) {
      readAny(c);
      continue;
    }
    if (buf[c.pos] !== 0x00) break;
    c.pos++;
    const code = readDescriptorCode(c);
    if (code === Descriptor.declare) return decodeDeclareFields(c);
    if (code === Descriptor.discharge) return decodeDischargeFields(c);
    throw new DecodeError(`not a declare or discharge: descriptor 0x${code.toString(16)}`);
  }
  throw new DecodeError("a transaction control message holds a declare or a discharge");
}

import { DeclaredQueues } from "./declared-queues.js";
import type { StompFrame } from "./frame-parser.js";
import { settle } from "./frames/ack.js";
import { disconnect } from "./frames/disconnect.js";
import { send } from "./frames/send.js";
import { subscribe } from "./frames/subscribe.js";
import { holdInTransaction, transaction } from "./frames/transaction.js";
import { unsubscribe } from "./frames/unsubscribe.js";
import { Receipts } from "./receipts.js";
import { fail, type Outcome } from "./refusals.js";
import type { SessionContext } from "./session-context.js";
import type { SessionState, Transactions } from "./session-state.js";
import { Subscriptions } from "./subscriptions.js";
import { TempQueues } from "./temp-queues.js";

/**
 * The frames of a connected STOMP session: each goes to its handler in frames/ (SEND → publish,
 * SUBSCRIBE → declare/bind/consume, ACK/NACK → settle, BEGIN/COMMIT/ABORT → held frames), then
 * its RECEIPT, if it asked for one, goes out or waits for the disk.
 */
export class Session implements SessionState {
  closed = false;
  readonly subscriptions: Subscriptions;
  readonly queues: DeclaredQueues;
  readonly tempQueues: TempQueues;
  readonly transactions: Transactions = new Map();
  readonly receipts: Receipts;

  constructor(readonly ctx: SessionContext) {
    this.subscriptions = new Subscriptions(ctx);
    this.queues = new DeclaredQueues(ctx);
    this.tempQueues = new TempQueues(ctx, this.subscriptions);
    this.receipts = new Receipts(ctx);
  }

  handle(f: StompFrame): void {
    let outcome: Outcome;
    switch (f.command) {
      case "SEND":
        outcome = holdInTransaction(this, f) ?? send(this, f);
        break;
      case "ACK":
        outcome = holdInTransaction(this, f) ?? settle(this, f, "ack");
        break;
      case "NACK":
        outcome = holdInTransaction(this, f) ?? settle(this, f, "nack");
        break;
      case "SUBSCRIBE":
        outcome = subscribe(this, f);
        break;
      case "UNSUBSCRIBE":
        outcome = unsubscribe(this, f);
        break;
      case "BEGIN":
      case "COMMIT":
      case "ABORT":
        outcome = transaction(this, f);
        break;
      case "DISCONNECT":
        // answers its own receipt
        return disconnect(this, f);
      default:
        outcome = fail(this.ctx, "Bad command", `Could not interpret command "${f.command}"\n`, f);
    }
    // a failed frame got its ERROR (carrying receipt-id) instead of a RECEIPT
    if (outcome === "failed") return;
    const receipt = f.headers["receipt"];
    if (receipt !== undefined) this.receipts.afterFrame(receipt, f.command, outcome === "persisted");
  }

  /** Credit may be back (socket drained): let the queues deliver again. */
  resume(): void {
    this.subscriptions.resume();
  }

  /** Subscriptions and unacknowledged messages, for the management API's channel listing. */
  stats(): { consumers: number; unacked: number } {
    return this.subscriptions.stats();
  }

  /** The connection is going: unacked messages go back to their queues, consumers are cancelled. */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    this.transactions.clear();
    this.receipts.close();
    this.subscriptions.release();
  }
}

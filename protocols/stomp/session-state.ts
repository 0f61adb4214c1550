import type { DeclaredQueues } from "./declared-queues.js";
import type { StompFrame } from "./frame-parser.js";
import type { Receipts } from "./receipts.js";
import type { SessionContext } from "./session-context.js";
import type { Subscriptions } from "./subscriptions.js";
import type { TempQueues } from "./temp-queues.js";

/** Open transactions by name, each with the SEND/ACK/NACK frames it holds until COMMIT. */
export type Transactions = Map<string, StompFrame[]>;

/**
 * A session's parts, handed to the frame handlers (frames/*), each of which names the parts it
 * uses (`Pick<SessionState, …>`). Session implements it.
 */
export interface SessionState {
  readonly ctx: SessionContext;
  /** The connection is gone (set by Session.release). */
  readonly closed: boolean;
  readonly subscriptions: Subscriptions;
  readonly queues: DeclaredQueues;
  readonly tempQueues: TempQueues;
  readonly transactions: Transactions;
  readonly receipts: Receipts;
}

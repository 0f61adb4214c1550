import type { StompFrame } from "../frame-parser.js";
import { fail, type Outcome } from "../refusals.js";
import type { SessionState } from "../session-state.js";
import { settle } from "./ack.js";
import { send } from "./send.js";

/** A SEND/ACK/NACK inside a transaction is kept until COMMIT; null when it is not transactional. */
export function holdInTransaction(s: Pick<SessionState, "ctx" | "transactions">, f: StompFrame): Outcome | null {
  const tx = f.headers["transaction"];
  if (tx === undefined) return null;
  const frames = s.transactions.get(tx);
  if (frames === undefined) return fail(s.ctx, "Bad transaction", `Invalid transaction identifier: "${tx}"\n`, f);
  frames.push(f);
  return "done";
}

/** BEGIN, COMMIT (the held frames in order; the first failure ends it) or ABORT (they are dropped). */
export function transaction(s: SessionState, f: StompFrame): Outcome {
  const tx = f.headers["transaction"];
  if (tx === undefined) return fail(s.ctx, "Missing transaction", `"${f.command}" must include a 'transaction' header\n`, f);
  const frames = s.transactions.get(tx);
  if (f.command === "BEGIN") {
    if (frames !== undefined) return fail(s.ctx, "Bad transaction", `Transaction ${tx} already active\n`, f);
    s.transactions.set(tx, []);
    return "done";
  }
  if (frames === undefined) return fail(s.ctx, "Bad transaction", `Invalid transaction identifier: "${tx}"\n`, f);
  s.transactions.delete(tx);
  if (f.command === "ABORT") return "done";
  let outcome: Outcome = "done";
  for (const t of frames) {
    const o = t.command === "SEND" ? send(s, t) : settle(s, t, t.command === "ACK" ? "ack" : "nack");
    if (o === "failed" || s.closed) return "failed";
    if (o === "persisted") outcome = "persisted";
  }
  return outcome;
}

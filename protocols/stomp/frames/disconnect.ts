import type { StompFrame } from "../frame-parser.js";
import { DISCONNECT } from "../receipts.js";
import type { SessionState } from "../session-state.js";

/**
 * DISCONNECT: its RECEIPT says every frame before it is done, so while receipts wait for the
 * disk it waits behind them, and the connection closes once they are out.
 */
export function disconnect(s: Pick<SessionState, "ctx" | "receipts">, f: StompFrame): void {
  const receipt = f.headers["receipt"];
  if (s.receipts.waiting) {
    if (receipt !== undefined) s.receipts.holdBehind(receipt);
    s.receipts.holdBehind(DISCONNECT);
    return;
  }
  if (receipt !== undefined) s.ctx.send("RECEIPT", [["receipt-id", receipt]], null);
  s.ctx.close();
}

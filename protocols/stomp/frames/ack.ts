import { BrokerError, ReplyCode } from "../../../src/core/index.js";
import type { StompFrame } from "../frame-parser.js";
import { boolHeader } from "../message-headers.js";
import { fail, type Outcome } from "../refusals.js";
import type { SessionState } from "../session-state.js";
import { parseMessageId } from "../subscriptions.js";

/** ACK/NACK of a MESSAGE a subscription in client or client-individual mode holds unacked. */
export function settle(s: Pick<SessionState, "ctx" | "subscriptions">, f: StompFrame, how: "ack" | "nack"): Outcome {
  const ctx = s.ctx;
  const command = f.command;
  // STOMP 1.2 acks by the MESSAGE's `ack` header, sent back as `id`; earlier versions by `message-id`
  const header = ctx.version === "1.2" ? "id" : "message-id";
  const value = f.headers[header];
  if (value === undefined) return fail(ctx, "Missing header", `"${command}" must include the "${header}" header\n`, f);
  const parsed = parseMessageId(value);
  if (parsed === null) return fail(ctx, "Invalid header", `"${command}" must include a valid "${header}" header\n`, f);
  const sub = s.subscriptions.get(parsed.subId);
  if (sub === undefined) return fail(ctx, "Subscription not found", `Message with id "${value}" has no subscription`, f);
  const tag = parsed.tag;
  // RabbitMQ turns this into basic.ack of an unknown tag: a channel error that ends the connection
  if (!sub.unacked.has(tag)) {
    ctx.brokerError(new BrokerError(ReplyCode.PRECONDITION_FAILED, `unknown delivery tag ${tag}`), f.headers["receipt"]);
    return "failed";
  }
  const requeue = how === "nack" && boolHeader(f.headers["requeue"], true);
  s.subscriptions.settle(sub, tag, how, requeue);
  return "done";
}

import type { BrokerError } from "../../src/core/index.js";
import type { StompFrame } from "./frame-parser.js";
import type { SessionContext } from "./session-context.js";

/**
 * What a frame handler did, which decides the frame's RECEIPT: none after "failed" (the ERROR
 * carried the receipt-id instead), at once after "done", and once the disk has the message after
 * "persisted" (a SEND whose message a durable queue wrote to the store).
 */
export type Outcome = "failed" | "done" | "persisted";

/** An ERROR for the frame, carrying its receipt-id; `close` ends the connection after it. */
export function fail(ctx: SessionContext, message: string, detail: string, f: StompFrame, close = false): "failed" {
  ctx.error(message, detail, close, f.headers["receipt"]);
  return "failed";
}

/** A core refusal as RabbitMQ's STOMP reports it (an ERROR naming the reply code, then close). */
export function brokerFail(ctx: SessionContext, e: BrokerError, f: StompFrame): "failed" {
  ctx.brokerError(e, f.headers["receipt"]);
  return "failed";
}

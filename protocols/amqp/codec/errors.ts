/**
 * The codec's one error type. Whatever the peer sends, decoding either succeeds or throws a
 * CodecError carrying the AMQP reply code the connection must close with. Every codec error is a
 * hard error (AMQP 0-9-1 §1.2, the reply-code table), so the answer is always connection.close.
 *
 * Texts follow RabbitMQ's (rabbit_reader / rabbit_misc:frame_error) so clients, logs and the
 * conformance suite see what RabbitMQ would say.
 */

import { ReplyCode } from "../../../src/core/index.js";
import { erlangBinary } from "../../../src/core/index.js";

/** 501: "The sender sent a malformed frame that the recipient could not decode" — bad framing, truncated or over-long payloads. */
export const FRAME_ERROR = ReplyCode.FRAME_ERROR;
/** 502: "The sender sent a frame that contained illegal values for one or more fields" — bad UTF-8, unknown field type, … */
export const SYNTAX_ERROR = ReplyCode.SYNTAX_ERROR;
/** 540: a class/method id this broker does not know. */
export const NOT_IMPLEMENTED = ReplyCode.NOT_IMPLEMENTED;

export class CodecError extends Error {
  override readonly name = "CodecError";

  /**
   * @param replyCode the AMQP reply code for connection.close (501, 502 or 540)
   * @param text the reply text, RabbitMQ-style: "FRAME_ERROR - …"
   * @param classId the failing method's class, for connection.close's class-id (0 when not in a method)
   * @param methodId the failing method's id, for connection.close's method-id
   */
  constructor(
    readonly replyCode: number,
    readonly text: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(text);
  }
}

/** A frame or field ran past the bytes it was given (§4.2.3 sizes disagree with the data). */
export function frameError(detail: string): CodecError {
  return new CodecError(FRAME_ERROR, `FRAME_ERROR - ${detail}`);
}

/** A well-framed value the protocol forbids. */
export function syntaxError(detail: string): CodecError {
  return new CodecError(SYNTAX_ERROR, `SYNTAX_ERROR - ${detail}`);
}

/** The one quoting of bytes in error texts (src/core/reply-text.ts), re-exported for the codec. */
export { erlangBinary };

/**
 * RabbitMQ's description of a frame in FRAME_ERROR / UNEXPECTED_FRAME texts:
 * "type 2, all octets = <<...>>", or "first 16 octets" for longer payloads.
 */
export function describeFrame(type: number, payload: Uint8Array): string {
  const all = payload.length <= 16;
  return `type ${type}, ${all ? "all" : "first 16"} octets = ${erlangBinary(all ? payload : payload.subarray(0, 16))}`;
}

/**
 * The codec's one error type. Whatever the peer sends, decoding either succeeds or throws a
 * CodecError carrying the AMQP reply code the connection must close with (connection.close is the
 * answer to every codec error: all of them are hard errors, AMQP 0-9-1 §1.2 / the reply-code table).
 */

/** 501: "The sender sent a malformed frame that the recipient could not decode" — bad framing, truncated or over-long payloads. */
export const FRAME_ERROR = 501;
/** 502: "The sender sent a frame that contained illegal values for one or more fields" — bad UTF-8, unknown field type, … */
export const SYNTAX_ERROR = 502;
/** 540: a class/method id this broker does not know. */
export const NOT_IMPLEMENTED = 540;

export class CodecError extends Error {
  override readonly name = "CodecError";

  /**
   * @param replyCode the AMQP reply code for connection.close (501, 502 or 540)
   * @param text the reply text, RabbitMQ-style: "FRAME_ERROR - …"
   */
  constructor(
    readonly replyCode: number,
    readonly text: string,
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

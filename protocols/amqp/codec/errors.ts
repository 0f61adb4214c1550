/**
 * The codec's one error type. Whatever the peer sends, decoding either succeeds or throws a
 * CodecError carrying the AMQP reply code the connection must close with. Every codec error is a
 * hard error (AMQP 0-9-1 §1.2, the reply-code table), so the answer is always connection.close.
 *
 * Texts follow RabbitMQ's (rabbit_reader / rabbit_misc:frame_error) so clients, logs and the
 * conformance suite see what RabbitMQ would say.
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

/** Bytes quoted in an error text beyond this many are cut ("...") — reply texts hold 255 bytes. */
const QUOTE_LIMIT = 48;

/**
 * A binary as Erlang prints it, which is how RabbitMQ quotes bytes in error texts: `<<1,2,3>>`,
 * or with `~p` (style "p") `<<"text">>` when every byte is printable. Erlang's line wrapping of
 * long terms is not reproduced.
 */
export function erlangBinary(bytes: Uint8Array, style: "p" | "w" = "p"): string {
  const n = Math.min(bytes.length, QUOTE_LIMIT);
  const more = bytes.length > n ? ",..." : "";
  if (style === "p" && n > 0 && more === "" && isPrintable(bytes, n)) {
    let s = "";
    for (let i = 0; i < n; i++) s += ESCAPES[bytes[i]!] ?? String.fromCharCode(bytes[i]!);
    return `<<"${s}">>`;
  }
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(String(bytes[i]));
  return `<<${parts.join(",")}${more}>>`;
}

const ESCAPES: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 27: "\\e", 34: '\\"', 92: "\\\\" };

/** io_lib:printable_latin1_list, for the bytes Erlang would print as a string. */
function isPrintable(bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (!((b >= 32 && b <= 126) || b >= 160 || (b >= 8 && b <= 13) || b === 27)) return false;
  }
  return true;
}

/**
 * RabbitMQ's description of a frame in FRAME_ERROR / UNEXPECTED_FRAME texts:
 * "type 2, all octets = <<...>>", or "first 16 octets" for longer payloads.
 */
export function describeFrame(type: number, payload: Uint8Array): string {
  const all = payload.length <= 16;
  return `type ${type}, ${all ? "all" : "first 16"} octets = ${erlangBinary(all ? payload : payload.subarray(0, 16))}`;
}

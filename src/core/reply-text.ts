/**
 * RabbitMQ's error-text formatting, in one place for every protocol: how bytes are quoted inside a
 * text (Erlang's printed binaries) and how a text longer than a shortstr is cut. No wire format:
 * AMQP writes the cut text into connection.close / channel.close / basic.return, STOMP into the
 * ERROR frame's body — RabbitMQ sends the same bytes on both (checked on 3.10.8).
 */

/** A reply text is an AMQP shortstr: at most 255 bytes. */
export const REPLY_TEXT_MAX = 255;

/**
 * rabbit_binary_generator:amqp_exception_explanation: a text over 255 bytes keeps its first 252
 * bytes and "..." — cut in bytes, even inside a multi-byte character, as RabbitMQ does (a client
 * then sees a stray lead byte before the dots; 3.10.8 sends `\xc3...` for a cut `é`).
 */
export function replyTextBytes(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= REPLY_TEXT_MAX) return bytes;
  const cut = Buffer.allocUnsafe(REPLY_TEXT_MAX);
  bytes.copy(cut, 0, 0, REPLY_TEXT_MAX - 3);
  cut.write("...", REPLY_TEXT_MAX - 3, "latin1");
  return cut;
}

/**
 * Bytes quoted beyond this many cannot show: every byte prints as at least one character and the
 * text is cut at 252 bytes, so quoting stops here (a 128 KiB frame is not turned into a 500 KiB
 * string only to be cut) and what would follow is never seen.
 */
const QUOTE_LIMIT = REPLY_TEXT_MAX;

const ESCAPES: Record<number, string> = {
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
  27: "\\e",
  34: '\\"',
  92: "\\\\",
};

/** io_lib:printable_latin1_list: the bytes Erlang's ~p prints as a string. */
const printable = (b: number): boolean => (b >= 32 && b <= 126) || b >= 160 || ESCAPES[b] !== undefined;

/**
 * A binary as Erlang prints it, which is how RabbitMQ quotes bytes in error texts: with `~p`
 * (style "p") `<<"text">>` when every byte is printable, else `<<1,2,3>>`, which is also `~w`'s
 * form (style "w"). Erlang's line wrapping of long `~p` terms is not reproduced.
 */
export function erlangBinary(bytes: Uint8Array, style: "p" | "w" = "p"): string {
  const n = Math.min(bytes.length, QUOTE_LIMIT);
  const cut = bytes.length > n;
  if (style === "p" && bytes.length > 0 && bytes.every(printable)) {
    let s = "";
    for (let i = 0; i < n; i++) s += ESCAPES[bytes[i]!] ?? String.fromCharCode(bytes[i]!);
    return `<<"${s}${cut ? "..." : ""}">>`;
  }
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(String(bytes[i]));
  return `<<${parts.join(",")}${cut ? ",..." : ""}>>`;
}

import type { StompVersion } from "./frame-parser.js";

/** Header pairs in the order they are written. */
export type HeaderList = readonly (readonly [string, string])[];

/** Escapes a header name or value for the version (STOMP 1.2 §"Value Encoding"); 1.0 has no escaping. */
export function escapeHeader(s: string, version: StompVersion): string {
  // 1.0 cannot carry an EOL in a header at all: drop it rather than let a value end the header
  if (version === "1.0") return /[\r\n]/.test(s) ? s.replace(/[\r\n]/g, "") : s;
  if (!/[\\\n:\r]/.test(s)) return s;
  let out = "";
  for (const c of s) {
    if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\\n";
    else if (c === ":") out += "\\c";
    else if (c === "\r" && version === "1.2") out += "\\r";
    else out += c;
  }
  return out;
}

/**
 * One frame in one buffer, sized first. Frames with a body carry content-length so binary bodies
 * with NULs survive (STOMP 1.2 §"Header content-length"); CONNECTED is never escaped.
 */
export function encodeFrame(command: string, headers: HeaderList, body: Buffer | null, version: StompVersion): Buffer {
  const esc = command !== "CONNECTED";
  let head = command + "\n";
  for (const [k, v] of headers) {
    head += esc ? `${escapeHeader(k, version)}:${escapeHeader(v, version)}\n` : `${k}:${v}\n`;
  }
  if (body !== null) head += `content-length:${body.length}\n`;
  head += "\n";
  const headLen = Buffer.byteLength(head);
  const bodyLen = body === null ? 0 : body.length;
  const out = Buffer.allocUnsafe(headLen + bodyLen + 1);
  out.write(head, 0, "utf8");
  if (body !== null) body.copy(out, headLen);
  out[headLen + bodyLen] = 0;
  return out;
}

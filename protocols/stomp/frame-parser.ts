/**
 * A resumable STOMP frame parser (STOMP 1.2 §"Augmented BNF"). Bytes may arrive split anywhere;
 * a frame's body is a slice of the buffer it arrived in, and chunks are concatenated only when a
 * frame spans reads. No I/O: the connection pushes chunks and pulls frames.
 */
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from "./limits.js";

export { DEFAULT_PARSER_LIMITS, type ParserLimits };

export type StompVersion = "1.0" | "1.1" | "1.2";

/** Headers as received, decoded per version; a repeated header keeps its first value (STOMP 1.2 §"Repeated Header Entries"). */
export type StompHeaders = Record<string, string>;

export interface StompFrame {
  command: string;
  headers: StompHeaders;
  body: Buffer;
}

/** Why bytes are not a frame: `message` goes in the ERROR frame's header, `detail` in its body. */
export class FrameError {
  constructor(
    readonly message: string,
    readonly detail: string,
  ) {}
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const COLON = 0x3a;

/**
 * Frames that never carry a body, taken as soon as their headers end: a client whose Nagle holds
 * back the NUL that closes an ACK (stompit without heart-beats writes the frame and its NUL
 * separately) would otherwise wait for this broker's delayed TCP ACK, ~40 ms, with nothing else
 * to send while its consumer's prefetch window is full. Their NUL (or any stray body) is skipped.
 */
const BODILESS_COMMANDS = new Set(["ACK", "NACK"]);

/** A zero-length body, shared: frames without one allocate no Buffer for it. */
const NO_BODY = Buffer.alloc(0);

/**
 * Names read as these bytes become these strings without decoding (an ACK's three header names,
 * a SEND's two): a table by length of [bytes, string].
 */
class Interned {
  /** By length: the known words' bytes, and the words at the same indexes. */
  private readonly bytes: Buffer[][] = [];
  private readonly words: string[][] = [];

  constructor(words: readonly string[]) {
    for (const w of words) {
      (this.bytes[w.length] ??= []).push(Buffer.from(w, "latin1"));
      (this.words[w.length] ??= []).push(w);
    }
  }

  /** The string of bytes `start`..`end` of `b` when they are a known word, else null. */
  find(b: Buffer, start: number, end: number): string | null {
    const n = end - start;
    const candidates = this.bytes[n];
    if (candidates === undefined) return null;
    outer: for (let c = 0; c < candidates.length; c++) {
      const bytes = candidates[c]!;
      for (let i = 0; i < n; i++) if (b[start + i] !== bytes[i]) continue outer;
      return this.words[n]![c]!;
    }
    return null;
  }
}

const COMMANDS = new Interned([
  "SEND",
  "ACK",
  "NACK",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "BEGIN",
  "COMMIT",
  "ABORT",
  "DISCONNECT",
  "CONNECT",
  "STOMP",
  "MESSAGE",
  "RECEIPT",
  "ERROR",
  "CONNECTED",
]);

const HEADER_NAMES = new Interned([
  "destination",
  "content-length",
  "content-type",
  "id",
  "ack",
  "subscription",
  "message-id",
  "receipt",
  "transaction",
  "persistent",
  "requeue",
  "prefetch-count",
  "reply-to",
  "correlation-id",
  "expiration",
  "priority",
  "host",
  "login",
  "passcode",
  "accept-version",
  "heart-beat",
]);

/**
 * A frame's headers: an object of its own hidden class (fast properties, unlike
 * `Object.create(null)`, which V8 keeps as a dictionary), whose prototype chain has no
 * properties, so a header named `constructor` or `__proto__` is just a header.
 */
const HeaderTable = function HeaderTable() {} as unknown as new () => StompHeaders;
HeaderTable.prototype = Object.create(null) as StompHeaders;

/**
 * `s` when bytes `start`..`end` of `b` are its characters and all ASCII (as UTF-8 they decode
 * to `s`), else null: a header value seen before is used again instead of decoded anew.
 */
function sameAscii(b: Buffer, start: number, end: number, s: string | undefined): string | null {
  if (s === undefined || s.length !== end - start) return null;
  // from the end: values that differ (message-ids, counters) usually differ there
  for (let i = end - 1, j = s.length - 1; i >= start; i--, j--) {
    const c = b[i]!;
    if (c >= 0x80 || c !== s.charCodeAt(j)) return null;
  }
  return s;
}

/** CONNECT and CONNECTED headers are never escaped (STOMP 1.2 §"Value Encoding"), nor STOMP. */
const UNESCAPED_COMMANDS = new Set(["CONNECT", "STOMP", "CONNECTED"]);

export class FrameParser {
  /** Negotiated version: decides header unescaping. Set by the connection after CONNECT. */
  version: StompVersion = "1.0";
  private buf: Buffer = NO_BODY;
  /** Bytes of `buf` already parsed: frames advance it instead of slicing `buf` again. */
  private pos = 0;
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before parsing again is worth it. */
  private need = 0;
  /** While scanning for a body's NUL: where the body starts, so chunks without NUL can just queue up. */
  private scanning = false;
  private bodyStart = 0;
  /** A bodiless frame was taken before its NUL: bytes up to and including that NUL are skipped. */
  private owedNul = false;
  /**
   * Set when parsing skipped the NUL owed by a frame already taken; the connection reads and
   * clears it (a read that carried only that NUL is one the client expects no answer to).
   */
  owedNulSkipped = false;
  private failed: FrameError | null = null;
  /**
   * The last value (as read, before unescaping) of each known header name, by the name: a SEND
   * names the same destination each time, and stompit's ACK repeats its message-id as its id.
   */
  private readonly lastValues = new Map<string, string>();

  constructor(private readonly limits: ParserLimits = DEFAULT_PARSER_LIMITS) {}

  push(chunk: Buffer): void {
    if (this.failed !== null || chunk.length === 0) return;
    if (this.buf.length === this.pos && this.pendingBytes === 0) {
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // a body without content-length: nothing to do until a NUL arrives or the limit is passed
    if (this.scanning && chunk.indexOf(NUL) === -1) {
      this.need = this.buf.length - this.pos + this.pendingBytes + 1;
    }
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.buf.length - this.pos + this.pendingBytes;
  }

  /** The next complete frame, an error (after which the parser yields nothing more), or null for "need more bytes". */
  next(): StompFrame | FrameError | null {
    if (this.failed !== null) return null;
    const total = this.buf.length - this.pos + this.pendingBytes;
    if (total < this.need) {
      if (this.scanning && total - this.bodyStart > this.limits.maxBodyLength + 1) return this.fail(bodyTooLarge(this.limits));
      return null;
    }
    if (this.pendingBytes > 0) {
      this.buf = Buffer.concat([this.pos === 0 ? this.buf : this.buf.subarray(this.pos), ...this.pending], total);
      this.pos = 0;
      this.pending.length = 0;
      this.pendingBytes = 0;
    }
    const r = this.parse();
    if (r instanceof FrameError) return this.fail(r);
    return r;
  }

  private fail(e: FrameError): FrameError {
    this.failed = e;
    this.buf = NO_BODY;
    this.pos = 0;
    this.pending.length = 0;
    this.pendingBytes = 0;
    return e;
  }

  private parse(): StompFrame | FrameError | null {
    const b = this.buf;
    const len = b.length;
    // the frame starts at o; positions below are offsets in b, sizes handed to needMore are from o
    const o = this.pos;
    if (this.owedNul) {
      const nul = b.indexOf(NUL, o);
      if (nul === -1) {
        this.release();
        return this.needMore(1);
      }
      this.owedNul = false;
      this.owedNulSkipped = true;
      this.pos = nul + 1;
      return this.parse();
    }
    let i = o;
    // heart-beats: EOLs between frames (STOMP 1.2 §"Heart-beating")
    while (i < len && (b[i] === LF || b[i] === CR)) {
      if (b[i] === CR) {
        if (i + 1 >= len) break;
        if (b[i + 1] !== LF) return new FrameError("Invalid frame", "Could not parse frame: bare carriage return between frames");
      }
      i++;
    }
    if (i > o) {
      this.pos = i;
      return this.parse();
    }
    const avail = len - o;
    if (avail === 0 || (avail === 1 && b[o] === CR)) return this.needMore(avail + 1);

    const cmdEnd = b.indexOf(LF, o);
    if (cmdEnd === -1) return this.lineTooLong(avail) ?? this.needMore(avail + 1);
    const cmdStop = stripCR(b, o, cmdEnd);
    const command = COMMANDS.find(b, o, cmdStop) ?? b.toString("utf8", o, cmdStop);
    if (cmdEnd - o > this.limits.maxLineLength) return this.lineTooLong(cmdEnd - o)!;
    const connect = UNESCAPED_COMMANDS.has(command);
    const escaped = this.version !== "1.0" && !connect;
    const headers = new HeaderTable();
    const last = this.lastValues;
    /** The value of this frame's header before, as read: `id` repeats `message-id`. */
    let previous: string | undefined;
    let count = 0;
    let p = cmdEnd + 1;
    for (;;) {
      const eol = b.indexOf(LF, p);
      if (eol === -1) return this.lineTooLong(len - p) ?? this.needMore(avail + 1);
      if (eol - p > this.limits.maxLineLength) return this.lineTooLong(eol - p)!;
      const end = stripCR(b, p, eol);
      if (end === p) {
        p = eol + 1;
        break;
      }
      if (++count > this.limits.maxHeaders) {
        return new FrameError("Invalid frame", `Could not parse frame: more than ${this.limits.maxHeaders} headers`);
      }
      const colon = b.indexOf(COLON, p);
      if (colon === -1 || colon >= end) {
        return new FrameError("Invalid frame", "Could not parse frame: header line without a colon");
      }
      const known = HEADER_NAMES.find(b, p, colon);
      let name = known ?? b.toString("utf8", p, colon);
      let value: string;
      // CONNECT's values (a passcode among them) are not kept
      if (known === null || connect) value = b.toString("utf8", colon + 1, end);
      else {
        value =
          sameAscii(b, colon + 1, end, last.get(known)) ?? sameAscii(b, colon + 1, end, previous) ?? b.toString("utf8", colon + 1, end);
        last.set(known, value);
      }
      previous = value;
      if (escaped) {
        // a known name has no backslash: unescaping leaves it as it is
        const n = known ?? unescape(name, this.version);
        const v = unescape(value, this.version);
        if (n === null || v === null) return new FrameError("Invalid frame", "Could not parse frame: bad header escape sequence");
        name = n;
        value = v;
      }
      if (!(name in headers)) headers[name] = value;
      p = eol + 1;
    }

    const cl = headers["content-length"];
    if (cl !== undefined) {
      const n = /^\s*\d+\s*$/.test(cl) ? Number(cl) : NaN;
      if (!Number.isSafeInteger(n)) return new FrameError("Invalid frame", `Could not parse frame: invalid content-length '${cl}'`);
      if (n > this.limits.maxBodyLength) return bodyTooLarge(this.limits);
      if (len < p + n + 1) return this.needMore(p + n + 1 - o);
      if (b[p + n] !== NUL) return new FrameError("Invalid frame", "Could not parse frame: missing NUL after content-length body");
      return this.take(command, headers, p, p + n);
    }
    const nul = b.indexOf(NUL, p);
    if (nul === -1 && p === len && BODILESS_COMMANDS.has(command)) {
      this.owedNul = true;
      this.release();
      this.need = 0;
      this.scanning = false;
      return { command, headers, body: NO_BODY };
    }
    if (nul === -1) {
      if (len - p > this.limits.maxBodyLength) return bodyTooLarge(this.limits);
      this.scanning = true;
      this.bodyStart = p - o;
      return this.needMore(avail + 1);
    }
    if (nul - p > this.limits.maxBodyLength) return bodyTooLarge(this.limits);
    return this.take(command, headers, p, nul);
  }

  private take(command: string, headers: StompHeaders, start: number, end: number): StompFrame {
    const body = start === end ? NO_BODY : this.buf.subarray(start, end);
    this.pos = end + 1;
    if (this.pos === this.buf.length) this.release();
    this.need = 0;
    this.scanning = false;
    return { command, headers, body };
  }

  /** Everything read is parsed: the read buffer is let go (an idle connection holds none). */
  private release(): void {
    this.buf = NO_BODY;
    this.pos = 0;
  }

  private needMore(bytes: number): null {
    this.need = bytes;
    return null;
  }

  private lineTooLong(n: number): FrameError | null {
    if (n <= this.limits.maxLineLength) return null;
    return new FrameError("Invalid frame", `Could not parse frame: line longer than ${this.limits.maxLineLength} bytes`);
  }
}

function bodyTooLarge(l: ParserLimits): FrameError {
  return new FrameError("Invalid frame", `Could not parse frame: body larger than ${l.maxBodyLength} bytes`);
}

/** STOMP 1.2 allows CRLF line ends; earlier versions' clients send them too, so accept everywhere. */
function stripCR(b: Buffer, start: number, eol: number): number {
  return eol > start && b[eol - 1] === CR ? eol - 1 : eol;
}

/** STOMP 1.1 escapes \n \c \\; 1.2 adds \r. Any other escape is a fatal error (STOMP 1.2 §"Value Encoding"). */
export function unescape(s: string, version: StompVersion): string | null {
  if (s.indexOf("\\") === -1) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = s[++i];
    if (e === "n") out += "\n";
    else if (e === "c") out += ":";
    else if (e === "\\") out += "\\";
    else if (e === "r" && version === "1.2") out += "\r";
    else return null;
  }
  return out;
}

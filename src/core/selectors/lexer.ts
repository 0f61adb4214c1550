/**
 * Tokens of a JMS message selector (JMS 1.1 §3.8.1.1), with the literal forms ActiveMQ 5.17's
 * grammar takes: decimal, hex (0x1F) and octal (017) exact numerics with an optional L suffix,
 * approximate numerics (7., .5, 1.5E3), strings in single quotes with '' for a quote.
 */

export const Tok = {
  End: 0,
  Ident: 1,
  Keyword: 2,
  String: 3,
  Exact: 4,
  Approx: 5,
  Op: 6,
  LParen: 7,
  RParen: 8,
  Comma: 9,
} as const;
export type Tok = (typeof Tok)[keyof typeof Tok];

export interface Token {
  readonly kind: Tok;
  /** Keywords upper-cased; operators as written; string literals unquoted; identifiers as written. */
  readonly text: string;
  /** Numeric literals' value. */
  readonly value: number;
  /** 1-based column in the selector, for error messages. */
  readonly column: number;
}

const KEYWORDS = new Set(["NOT", "AND", "OR", "BETWEEN", "LIKE", "ESCAPE", "IN", "IS", "NULL", "TRUE", "FALSE"]);

/** A selector the lexer or parser refuses: the reason and the column it was found at. */
export class SelectorSyntaxError {
  constructor(
    readonly reason: string,
    readonly column: number,
  ) {}
}

/**
 * Java's identifier classes, built at the first selector: V8 parses a regex literal when it is
 * evaluated, and these Unicode property classes cost ~7 M instructions (~2 ms) at every start of a
 * broker that may never see a selector (bench/README.md, "Start-up: node:http at first use").
 */
let identClasses: { start: RegExp; part: RegExp } | undefined;
function ident(): { start: RegExp; part: RegExp } {
  identClasses ??= {
    start: /[\p{L}\p{Nl}\p{Sc}\p{Pc}]/u,
    part: /[\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}]/u,
  };
  return identClasses;
}
const EXPONENT = /^[eE][+-]?\d+/;

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
}

export function tokenize(src: string): Token[] | SelectorSyntaxError {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const column = i + 1;
    if (c === "'") {
      let text = "";
      let j = i + 1;
      for (;;) {
        if (j >= n) return new SelectorSyntaxError("unterminated string literal", column);
        const d = src[j]!;
        if (d === "'") {
          if (src[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += d;
        j++;
      }
      out.push({ kind: Tok.String, text, value: 0, column });
      i = j + 1;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(src[i + 1]))) {
      const t = number(src, i);
      if (t instanceof SelectorSyntaxError) return t;
      out.push(t.token);
      i = t.end;
      continue;
    }
    const cp = src.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const classes = ident();
    if (classes.start.test(ch)) {
      let j = i + ch.length;
      while (j < n) {
        const p = String.fromCodePoint(src.codePointAt(j)!);
        if (!classes.part.test(p)) break;
        j += p.length;
      }
      const word = src.slice(i, j);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) out.push({ kind: Tok.Keyword, text: upper, value: 0, column });
      else out.push({ kind: Tok.Ident, text: word, value: 0, column });
      i = j;
      continue;
    }
    if (c === "(") out.push({ kind: Tok.LParen, text: c, value: 0, column });
    else if (c === ")") out.push({ kind: Tok.RParen, text: c, value: 0, column });
    else if (c === ",") out.push({ kind: Tok.Comma, text: c, value: 0, column });
    else if (c === "<" && (src[i + 1] === ">" || src[i + 1] === "=")) {
      out.push({ kind: Tok.Op, text: c + src[i + 1], value: 0, column });
      i++;
    } else if (c === ">" && src[i + 1] === "=") {
      out.push({ kind: Tok.Op, text: ">=", value: 0, column });
      i++;
    } else if (c === "=" || c === "<" || c === ">" || c === "+" || c === "-" || c === "*" || c === "/") {
      out.push({ kind: Tok.Op, text: c, value: 0, column });
    } else return new SelectorSyntaxError(`unexpected character '${ch}'`, column);
    i++;
  }
  out.push({ kind: Tok.End, text: "", value: 0, column: n + 1 });
  return out;
}

function number(src: string, start: number): { token: Token; end: number } | SelectorSyntaxError {
  const column = start + 1;
  let i = start;
  if (src[i] === "0" && (src[i + 1] === "x" || src[i + 1] === "X")) {
    let j = i + 2;
    while (j < src.length && /[0-9a-fA-F]/.test(src[j]!)) j++;
    if (j === i + 2) return new SelectorSyntaxError("hexadecimal literal without digits", column);
    return {
      token: { kind: Tok.Exact, text: src.slice(i, j), value: Number.parseInt(src.slice(i + 2, j), 16), column },
      end: suffix(src, j),
    };
  }
  while (isDigit(src[i])) i++;
  let approx = false;
  if (src[i] === ".") {
    approx = true;
    i++;
    while (isDigit(src[i])) i++;
  }
  const exp = EXPONENT.exec(src.slice(i, i + 40));
  if (exp !== null) {
    approx = true;
    i += exp[0].length;
  }
  const text = src.slice(start, i);
  if (approx)
    return { token: { kind: Tok.Approx, text, value: Number.parseFloat(text.startsWith(".") ? `0${text}` : text), column }, end: i };
  // a leading 0 makes an octal literal, as in Java
  if (text.length > 1 && text[0] === "0") {
    if (!/^[0-7]+$/.test(text)) return new SelectorSyntaxError(`invalid octal literal '${text}'`, column);
    return { token: { kind: Tok.Exact, text, value: Number.parseInt(text, 8), column }, end: suffix(src, i) };
  }
  return { token: { kind: Tok.Exact, text, value: Number(text), column }, end: suffix(src, i) };
}

/** Java's long suffix on an exact literal. */
function suffix(src: string, i: number): number {
  return src[i] === "l" || src[i] === "L" ? i + 1 : i;
}

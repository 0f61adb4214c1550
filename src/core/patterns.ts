import { createRequire } from "node:module";
import type { RE2JS } from "re2js";

/**
 * Policy, permission and topic-permission patterns, matched in linear time. JavaScript's RegExp
 * backtracks: `^(a+)+$` against 29 a's and a `!` stalled every client for about 2 s, doubling
 * per character, and a user who may set a policy or a permission could stop the broker with
 * one. RE2's automata (re2js, pure JavaScript) take time proportional to pattern × name.
 *
 * RE2 syntax is PCRE's (RabbitMQ's `re`) less backreferences and lookaround, which cannot be
 * matched in linear time: a pattern using them is refused as invalid, as RabbitMQ refuses one
 * that does not compile.
 */
export interface NamePattern {
  /** Whether the pattern matches anywhere in `name` (unanchored, as RabbitMQ's re:run). */
  test(name: string): boolean;
}

/**
 * re2js costs ~20 ms of CPU to import (its Unicode tables), a sixth of a broker's start-up, and
 * most brokers only ever see `.*` and plain names: it is required at the first pattern that needs
 * an automaton, synchronously (its CommonJS build), so compiling stays a plain call.
 */
const nodeRequire = createRequire(import.meta.url);
let re2: typeof RE2JS | undefined;
const engine = (): typeof RE2JS => (re2 ??= (nodeRequire("re2js") as typeof import("re2js")).RE2JS);

/** The compiled pattern, or the reason it is not one. */
export function compilePattern(source: string): NamePattern | PatternError {
  const plain = plainPattern(source);
  if (plain !== null) return plain;
  try {
    return engine().compile(source);
  } catch (err) {
    return new PatternError(err instanceof Error ? err.message : String(err));
  }
}

export class PatternError {
  readonly name = "PatternError";
  constructor(readonly message: string) {}
}

const ANYTHING: NamePattern = { test: () => true };

/**
 * `.*`, `^$` and a literal with optional anchors (`^amq\.`, `^orders$`, `\.dlq$`), matched as RE2
 * does without an automaton: an unanchored `.*` matches the empty string anywhere, and `$` is the
 * end of the text (RE2 has no PCRE "before a final newline"). A literal is letters, digits and
 * `-_/:@ ` or a backslash before punctuation; anything else is left to RE2. Null when not plain.
 */
export function plainPattern(source: string): NamePattern | null {
  if (source === "" || source === ".*") return ANYTHING;
  let start = 0;
  let end = source.length;
  const head = source.startsWith("^");
  if (head) start = 1;
  // a `$` ends the pattern unless it is escaped (`\$`, a literal dollar)
  const tail = end > start && source[end - 1] === "$" && !escapedAt(source, end - 1);
  if (tail) end--;
  let literal = "";
  for (let i = start; i < end; i++) {
    const c = source[i]!;
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined || i + 1 >= end || !/[!-/:-@[-`{-~]/.test(next)) return null;
      literal += next;
      i++;
    } else if (/[A-Za-z0-9\-_/:@ ]/.test(c)) {
      literal += c;
    } else {
      return null;
    }
  }
  if (head && tail) return { test: (name) => name === literal };
  if (head) return { test: (name) => name.startsWith(literal) };
  if (tail) return { test: (name) => name.endsWith(literal) };
  return { test: (name) => name.includes(literal) };
}

/** Whether the character at `i` follows an odd number of backslashes. */
function escapedAt(source: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && source[j] === "\\"; j--) n++;
  return n % 2 === 1;
}

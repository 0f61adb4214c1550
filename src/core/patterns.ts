import { RE2JS } from "re2js";

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

/** The compiled pattern, or the reason it is not one. */
export function compilePattern(source: string): NamePattern | PatternError {
  try {
    return RE2JS.compile(source);
  } catch (err) {
    return new PatternError(err instanceof Error ? err.message : String(err));
  }
}

export class PatternError {
  readonly name = "PatternError";
  constructor(readonly message: string) {}
}

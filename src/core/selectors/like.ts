/**
 * SQL LIKE patterns (`%` any run, `_` one character, an optional escape character), compiled once
 * into character codes and matched without a regular expression: the greedy wildcard walk with
 * one back-track point is O(pattern × value) at worst, allocates nothing, and cannot blow up on
 * patterns like '%a%a%a%b' the way a backtracking regex can.
 */

const ANY_RUN = -1;
const ANY_ONE = -2;

export class LikePattern {
  private constructor(private readonly codes: Int32Array) {}

  /** The compiled pattern, or why the escape makes it invalid. */
  static compile(pattern: string, escape: string | null): LikePattern | string {
    const codes: number[] = [];
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (escape !== null && c === escape) {
        i++;
        if (i >= pattern.length) return `LIKE pattern '${pattern}' ends with its escape character`;
        codes.push(pattern.charCodeAt(i));
      } else if (c === "%") {
        if (codes[codes.length - 1] !== ANY_RUN) codes.push(ANY_RUN);
      } else if (c === "_") codes.push(ANY_ONE);
      else codes.push(pattern.charCodeAt(i));
    }
    return new LikePattern(Int32Array.from(codes));
  }

  matches(s: string): boolean {
    const p = this.codes;
    const pl = p.length;
    const sl = s.length;
    let si = 0;
    let pi = 0;
    let star = -1;
    let mark = 0;
    while (si < sl) {
      const c = pi < pl ? p[pi]! : 0;
      if (pi < pl && (c === ANY_ONE || c === s.charCodeAt(si))) {
        si++;
        pi++;
      } else if (pi < pl && c === ANY_RUN) {
        star = pi++;
        mark = si;
      } else if (star >= 0) {
        pi = star + 1;
        si = ++mark;
      } else return false;
    }
    while (pi < pl && p[pi] === ANY_RUN) pi++;
    return pi === pl;
  }
}

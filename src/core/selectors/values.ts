/**
 * The values a selector computes with and the operations on them, following JMS 1.1 §3.8.1.2 and
 * ActiveMQ 5.17's observable choices where JMS leaves room:
 * - `null` is SQL's unknown (a missing property); AND/OR/NOT are three-valued, and anything that
 *   is not a boolean counts as unknown there.
 * - Equality converts a string to the other side's type (STOMP and AMQP headers carry numbers as
 *   text): `n = 20` holds for the string "20", `b = TRUE` for "true". A string that does not
 *   convert is simply unequal (false, not unknown), as a number and a boolean are.
 * - Ordering (<, >, <=, >=, BETWEEN) converts a string the same way: `n > 10` and `10 < n` hold
 *   for "20"; "2.5" does not convert to compare with the exact 2 (false), it does with 2.0.
 * - Two unknowns are equal (ActiveMQ: `missing = missing` selects every message).
 * - Arithmetic takes numbers only (a string operand gives unknown); `/` divides as doubles (5/2
 *   is 2.5 in ActiveMQ).
 */

export type Value = string | number | boolean | null;

/**
 * How a string converts to the number it is compared with: to a long when the other side is an
 * exact numeric, to a double otherwise. `undefined`: decided by the other value at run time.
 */
export type Exactness = boolean | undefined;

const LONG = /^[+-]?\d+$/;
const DOUBLE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;

/** A string as Java's Long.valueOf / Double.valueOf read it, or null when it is not one. */
export function stringToNumber(s: string, exact: boolean): number | null {
  if (exact) return LONG.test(s) ? Number(s) : null;
  const t = s.trim();
  if (!DOUBLE.test(t)) return null;
  const last = t[t.length - 1]!;
  return Number(last === "f" || last === "F" || last === "d" || last === "D" ? t.slice(0, -1) : t);
}

function convertedEquals(s: string, other: number | boolean, exact: Exactness): boolean {
  if (typeof other === "boolean") return (s.toLowerCase() === "true") === other;
  const n = stringToNumber(s, exact ?? Number.isInteger(other));
  return n !== null && n === other;
}

export function equals(l: Value, r: Value, lExact: Exactness, rExact: Exactness): boolean | null {
  if (l === null) return r === null ? true : null;
  if (r === null) return null;
  const lt = typeof l;
  if (lt === typeof r) return l === r;
  if (lt === "string") return typeof r === "string" ? false : convertedEquals(l as string, r, rExact);
  if (typeof r === "string") return convertedEquals(r, l as number | boolean, lExact);
  return false;
}

export const LT = 0;
export const GT = 1;
export const LE = 2;
export const GE = 3;
export type Ordering = typeof LT | typeof GT | typeof LE | typeof GE;

function order(op: Ordering, l: number | string | boolean, r: number | string | boolean): boolean {
  switch (op) {
    case LT:
      return l < r;
    case GT:
      return l > r;
    case LE:
      return l <= r;
    default:
      return l >= r;
  }
}

export function compare(op: Ordering, l: Value, r: Value, lExact: Exactness, rExact: Exactness): boolean | null {
  if (l === null || r === null) return null;
  const lt = typeof l;
  const rt = typeof r;
  if (lt === rt) return order(op, l, r);
  if (lt === "string" && rt === "number") {
    const n = stringToNumber(l as string, rExact ?? Number.isInteger(r));
    return n === null ? false : order(op, n, r);
  }
  if (lt === "number" && rt === "string") {
    const n = stringToNumber(r as string, lExact ?? Number.isInteger(l));
    return n === null ? false : order(op, l, n);
  }
  return false;
}

export const and = (l: Value, r: Value): boolean | null => (l === false || r === false ? false : l === true && r === true ? true : null);
export const or = (l: Value, r: Value): boolean | null => (l === true || r === true ? true : l === false && r === false ? false : null);
export const not = (v: Value): boolean | null => (v === true ? false : v === false ? true : null);

/**
 * Cron expressions as ActiveMQ 5.17's scheduler takes them (AMQ_SCHEDULED_CRON): five fields
 * separated by white space, minute hour day-of-month month day-of-week, each `*` (or `?`), a
 * number, a range `a-b`, a list `a,b-c`, or a step `x/n`: the values of x divisible by n, so
 * `0-59/15` is 0,15,30,45 and `10-40/15` is 15,30 (n divides the value; it does not count from
 * the range's start). Numbers only: no month or day names, no `L`, `W` or `#`. Bounds as ActiveMQ
 * checks them: minute 0-60, hour 0-24, day 1-32, month 1-12, weekday 0-6 (0 is Sunday).
 *
 * Times are evaluated in the broker's local time zone, as ActiveMQ's Calendar does; a time
 * matches when its minute, hour and month are in their fields and both its day of month and its
 * weekday are (a restricted day and weekday must both match). Values ActiveMQ's bounds let through
 * but no clock shows (minute 60, hour 24, day 32) never match.
 */

/** Why an expression is refused, in the terms of the Java exception ActiveMQ's parser throws. */
export class CronError extends Error {
  override readonly name = "CronError";
  constructor(
    /** tokens: not five fields; number: not a number; range: outside the field's bounds; zero-step: `/0`. */
    readonly code: "tokens" | "number" | "range" | "zero-step",
    message: string,
  ) {
    super(message);
  }
}

export interface CronSchedule {
  readonly text: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
}

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

const FIELDS: readonly Field[] = [
  { name: "Minutes", min: 0, max: 60 },
  { name: "Hours", min: 0, max: 24 },
  { name: "DayOfMonth", min: 1, max: 32 },
  { name: "Month", min: 1, max: 12 },
  { name: "DayOfWeek", min: 0, max: 6 },
];

/** Parses `text`; a CronError says why it is refused (the texts are ActiveMQ's). */
export function parseCron(text: string): CronSchedule | CronError {
  const tokens = text.split(/[ \t\n\r\f]+/).filter((t) => t !== "");
  if (tokens.length !== FIELDS.length) {
    return new CronError("tokens", `Not a valid cron entry - wrong number of tokens(${tokens.length}): ${text}`);
  }
  const sets: Set<number>[] = [];
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i]!;
    const values = valuesOf(tokens[i]!, f);
    if (values instanceof CronError) return values;
    values.sort((a, b) => a - b);
    if (values.length === 0 || values[0]! < f.min || values[values.length - 1]! > f.max) {
      return new CronError("range", `Invalid token: ${f.name}:${tokens[i]}`);
    }
    sets.push(new Set(values));
  }
  return { text, minutes: sets[0]!, hours: sets[1]!, days: sets[2]!, months: sets[3]!, weekdays: sets[4]! };
}

/** One field's values, checked in ActiveMQ's order: all, step, list, range, number. */
function valuesOf(token: string, f: Field): number[] | CronError {
  if (token === "*" || token === "?") {
    const all: number[] = [];
    for (let v = f.min; v <= f.max; v++) all.push(v);
    return all;
  }
  const slash = token.indexOf("/");
  if (slash >= 0) {
    const n = javaInt(token.slice(slash + 1));
    if (n instanceof CronError) return n;
    const base = valuesOf(token.slice(0, slash), f);
    if (base instanceof CronError) return base;
    if (n === 0) return base.length === 0 ? base : new CronError("zero-step", "/ by zero");
    return base.filter((v) => v % n === 0);
  }
  if (token.includes(",")) {
    const out: number[] = [];
    for (const part of token.split(",")) {
      if (part === "") continue; // Java's StringTokenizer skips empty parts
      const vs = valuesOf(part, f);
      if (vs instanceof CronError) return vs;
      out.push(...vs);
    }
    return out;
  }
  const dash = token.indexOf("-");
  if (dash >= 0) {
    const first = javaInt(token.slice(0, dash));
    if (first instanceof CronError) return first;
    const last = javaInt(token.slice(dash + 1));
    if (last instanceof CronError) return last;
    const out: number[] = [];
    for (let v = first; v <= last && out.length <= f.max + 1; v++) out.push(v);
    return out;
  }
  const v = javaInt(token);
  return v instanceof CronError ? v : [v];
}

/** Integer.parseInt: an optional sign and decimal digits, within 32 bits. */
function javaInt(s: string): number | CronError {
  if (/^[+-]?\d+$/.test(s)) {
    const n = Number(s);
    if (n >= -2147483648 && n <= 2147483647) return n;
  }
  return new CronError("number", `For input string: "${s}"`);
}

/** How far ahead nextCronTime looks: a weekday-and-29-February expression can wait 28 years. */
const HORIZON_DAYS = 366 * 29;

/**
 * The first minute boundary strictly after `after` (ms since the epoch) that `c` matches, in the
 * local time zone (`utc`: in UTC, for tests); null when none comes within 29 years (an
 * expression such as `0 0 31 2 *`).
 */
export function nextCronTime(c: CronSchedule, after: number, utc = false): number | null {
  // a field with no value a clock shows never matches (then the loops below would not end)
  if (!some(c.minutes, 59) || !some(c.hours, 23) || !some(c.days, 31)) return null;
  const d = new Date(after);
  const f = utc ? UTC : LOCAL;
  f.setSeconds(d, 0);
  f.setMinutes(d, f.minutes(d) + 1);
  let days = 0;
  while (days <= HORIZON_DAYS) {
    if (!c.months.has(f.month(d) + 1)) {
      f.setDate(d, 1);
      f.setMonth(d, f.month(d) + 1);
      f.setHours(d, 0);
      days += 28;
      continue;
    }
    if (!c.days.has(f.date(d)) || !c.weekdays.has(f.weekday(d))) {
      f.setDate(d, f.date(d) + 1);
      f.setHours(d, 0);
      days++;
      continue;
    }
    if (!c.hours.has(f.hours(d))) {
      const day = f.date(d);
      f.setHours(d, f.hours(d) + 1);
      if (f.date(d) !== day) days++;
      continue;
    }
    if (!c.minutes.has(f.minutes(d))) {
      f.setMinutes(d, f.minutes(d) + 1);
      continue;
    }
    return d.getTime();
  }
  return null;
}

/** Whether `set` holds a value up to `max`. */
function some(set: ReadonlySet<number>, max: number): boolean {
  for (const v of set) if (v <= max) return true;
  return false;
}

/** Date's local or UTC fields; setHours and setMonth also zero what is below them. */
interface Fields {
  minutes(d: Date): number;
  hours(d: Date): number;
  date(d: Date): number;
  month(d: Date): number;
  weekday(d: Date): number;
  setSeconds(d: Date, s: number): void;
  setMinutes(d: Date, m: number): void;
  setHours(d: Date, h: number): void;
  setDate(d: Date, day: number): void;
  setMonth(d: Date, m: number): void;
}

const LOCAL: Fields = {
  minutes: (d) => d.getMinutes(),
  hours: (d) => d.getHours(),
  date: (d) => d.getDate(),
  month: (d) => d.getMonth(),
  weekday: (d) => d.getDay(),
  setSeconds: (d, s) => d.setSeconds(s, 0),
  setMinutes: (d, m) => d.setMinutes(m, 0, 0),
  setHours: (d, h) => d.setHours(h, 0, 0, 0),
  setDate: (d, day) => d.setDate(day),
  setMonth: (d, m) => d.setMonth(m),
};

const UTC: Fields = {
  minutes: (d) => d.getUTCMinutes(),
  hours: (d) => d.getUTCHours(),
  date: (d) => d.getUTCDate(),
  month: (d) => d.getUTCMonth(),
  weekday: (d) => d.getUTCDay(),
  setSeconds: (d, s) => d.setUTCSeconds(s, 0),
  setMinutes: (d, m) => d.setUTCMinutes(m, 0, 0),
  setHours: (d, h) => d.setUTCHours(h, 0, 0, 0),
  setDate: (d, day) => d.setUTCDate(day),
  setMonth: (d, m) => d.setUTCMonth(m),
};

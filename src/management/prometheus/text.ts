/**
 * Prometheus' text exposition format (0.0.4) as RabbitMQ's plugin writes it: `# TYPE` before
 * `# HELP`, families without samples still announced (RabbitMQ's way of saying "not known"), and
 * one blank line at the end. Written by hand rather than through a client library so that a scrape
 * of 10,000 queues is one pass of string building with no object per sample.
 */

export type MetricType = "gauge" | "counter" | "untyped" | "summary";

/** One metric family: a name, its type and help text. */
export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
}

/** `undefined` leaves the sample out (the family is still announced); NaN is written as `NaN`. */
export type SampleValue = number | undefined;

/** A label value escaped as the format requires (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;
}

/** `a="x",b="y"` from pairs, values escaped. */
export function labels(pairs: Readonly<Record<string, string>>): string {
  let out = "";
  for (const k in pairs) out += `${out === "" ? "" : ","}${k}="${escapeLabel(pairs[k]!)}"`;
  return out;
}

/** A number as the exposition format writes it (Erlang's prometheus client: `NaN`, `+Inf`). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Accumulates families into one text body. */
export class TextWriter {
  private out = "";

  /** Starts a family: its `# TYPE` and `# HELP` lines. */
  family(name: string, type: MetricType, help: string): void {
    this.out += `# TYPE ${name} ${type}\n# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n`;
  }

  /** One sample of the family last started; `labelText` is already `k="v",…` (or empty). */
  sample(name: string, labelText: string, value: SampleValue): void {
    if (value === undefined) return;
    this.out += labelText === "" ? `${name} ${formatValue(value)}\n` : `${name}{${labelText}} ${formatValue(value)}\n`;
  }

  /** Text produced elsewhere (another registry's output), appended as is. */
  raw(text: string): void {
    this.out += text;
  }

  /** The body, ended by the blank line RabbitMQ's plugin ends it with. */
  finish(): string {
    return `${this.out}\n`;
  }
}

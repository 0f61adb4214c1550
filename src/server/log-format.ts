/**
 * Human log lines for a terminal (rabbitmq.conf's `log.console.formatter = plaintext`), written
 * by hand on pino's destination instead of loading pino-pretty: pino still builds each JSON line,
 * this turns it into
 *
 *   2026-12-06 16:20:01.123+00:00 [info] AMQP 0-9-1 listening on port 5672 protocol=amqp port=5672
 *
 * — RabbitMQ's time and level layout, the message, then the fields that are not noise. Log lines
 * are per event, never per message, so parsing each line back costs nothing that matters.
 */

/** pino's numeric levels as RabbitMQ's level words. */
const LEVEL_WORDS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warning",
  50: "error",
  60: "critical",
};

/** Fields every line carries that a person does not need to read. */
const HIDDEN = new Set(["level", "time", "msg", "app", "pid", "hostname"]);

/** `2026-12-06 16:20:01.123+01:00`: local time with its offset, as RabbitMQ prints it. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}` +
    `${sign}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`
  );
}

/** A field's value: bare when it is a plain word, quoted when it has spaces, JSON when structured. */
function fieldValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** One pino JSON line as a human line (with a trailing newline); a line that is not JSON passes through. */
export function formatLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const level = LEVEL_WORDS[o.level as number] ?? String(o.level);
  let line = `${formatTime(typeof o.time === "number" ? o.time : Date.now())} [${level}] ${String(o.msg ?? "")}`;
  let stack = "";
  for (const [k, v] of Object.entries(o)) {
    if (HIDDEN.has(k) || v === undefined) continue;
    if (k === "err" && v !== null && typeof v === "object") {
      const e = v as { message?: string; stack?: string; code?: string };
      line += ` err=${fieldValue(e.message ?? "")}${e.code !== undefined ? ` code=${e.code}` : ""}`;
      if (e.stack) stack = `\n${e.stack.split("\n").slice(1).join("\n")}`;
      continue;
    }
    line += ` ${k}=${fieldValue(v)}`;
  }
  return `${line}${stack}\n`;
}

/** A pino destination that writes human lines to another destination (stderr, a file). */
export function plaintextDestination(out: Destination): Destination {
  return {
    write: (s: string) => out.write(formatLine(s)),
    ...(out.flush !== undefined && { flush: (cb?: (err?: Error) => void) => out.flush!(cb) }),
    ...(out.flushSync !== undefined && { flushSync: () => out.flushSync!() }),
  };
}

/** What pino writes to: a stream's write, and (sonic-boom's) flushes when it has them. */
export interface Destination {
  write(s: string): unknown;
  flush?(cb?: (err?: Error) => void): unknown;
  flushSync?(): unknown;
}

import { pino, type Logger } from "pino";

export type { Logger };
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** One JSON line per event on stderr; debug calls cost nothing when the level is higher. */
export function createLogger(level: LogLevel = "info", destination?: { write(line: string): unknown }): Logger {
  return pino({ level, base: { app: "warren" } }, destination ?? pino.destination({ fd: 2, sync: false }));
}

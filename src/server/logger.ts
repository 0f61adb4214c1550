import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { pino, type Logger } from "pino";

export type { Logger };
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** A log file beside the console (rabbitmq.conf's log.file), opened by openLogFile, with its own level. */
export interface LogFile {
  fd: number;
  level: LogLevel;
}

/**
 * Opens (appends to) the log file, synchronously, so a path that cannot be written is a startup
 * error naming it. The caller closes the descriptor when the broker stops.
 */
export function openLogFile(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, "a");
  } catch (err) {
    throw new Error(`log.file: cannot open ${path}: ${(err as Error).message}`);
  }
}

const LEVEL_ORDER: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/**
 * One JSON line per event on stderr (and in the log file when one is set); debug calls cost nothing
 * when the level is higher. File lines are written synchronously: they are few (one per event,
 * never one per message) and none is lost when the process exits.
 */
export function createLogger(level: LogLevel = "info", destination?: { write(line: string): unknown }, file?: LogFile): Logger {
  const console = destination ?? pino.destination({ fd: 2, sync: false });
  if (file === undefined || file.level === "silent") return pino({ level, base: { app: "warren" } }, console);
  const streams: pino.StreamEntry[] = [{ level: file.level as pino.Level, stream: pino.destination({ fd: file.fd, sync: true }) }];
  if (level !== "silent") streams.push({ level: level as pino.Level, stream: console });
  const lowest = LEVEL_ORDER[Math.min(LEVEL_ORDER.indexOf(level), LEVEL_ORDER.indexOf(file.level))]!;
  return pino({ level: lowest, base: { app: "warren" } }, pino.multistream(streams));
}

import { mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { pino, type Logger } from "pino";
import { plaintextDestination } from "./log-format.js";

export type { Logger };
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
/** RabbitMQ's log.console.formatter / log.file.formatter: human lines or one JSON object a line. */
export type LogFormat = "plaintext" | "json";

/** A log file beside the console (rabbitmq.conf's log.file), opened by openLogFile, with its own level. */
export interface LogFile {
  fd: number;
  level: LogLevel;
  /** Default json. */
  format?: LogFormat;
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
 * The console's format when none is asked for: human lines on a terminal, JSON for anything else
 * (a pipe, a file, a log collector) — and JSON for an embedder's destination.
 */
export function defaultConsoleFormat(embedded: boolean): LogFormat {
  return !embedded && process.stderr.isTTY === true ? "plaintext" : "json";
}

/**
 * One line per event on stderr (and in the log file when one is set), JSON or human
 * (`consoleFormat`, default per defaultConsoleFormat); debug calls cost nothing when the level is
 * higher. File lines are written synchronously: they are few (one per event, never one per
 * message) and none is lost when the process exits.
 */
export function createLogger(
  level: LogLevel = "info",
  destination?: { write(line: string): unknown },
  file?: LogFile,
  consoleFormat?: LogFormat,
): Logger {
  const format = consoleFormat ?? defaultConsoleFormat(destination !== undefined);
  // human lines go to a terminal: written synchronously (they are per event), so the last ones
  // before an exit are never lost in a buffer
  const raw = destination ?? pino.destination({ fd: 2, sync: format === "plaintext" });
  const console = format === "plaintext" ? plaintextDestination(raw) : raw;
  if (file === undefined || file.level === "silent") return pino({ level, base: { app: "warren" } }, console);
  const fileStream = pino.destination({ fd: file.fd, sync: true });
  const streams: pino.StreamEntry[] = [
    { level: file.level as pino.Level, stream: file.format === "plaintext" ? plaintextDestination(fileStream) : fileStream },
  ];
  if (level !== "silent") streams.push({ level: level as pino.Level, stream: console });
  const lowest = LEVEL_ORDER[Math.min(LEVEL_ORDER.indexOf(level), LEVEL_ORDER.indexOf(file.level))]!;
  return pino({ level: lowest, base: { app: "warren" } }, pino.multistream(streams));
}

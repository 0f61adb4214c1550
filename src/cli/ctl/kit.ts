/**
 * What every `warren ctl` command family is given: the global options, the API client, and the
 * output and failure conventions of rabbitmqctl (banners on stdout, `Error:` on stderr, sysexits
 * exit codes), so a family module only says what its commands ask the API and print.
 */
import type { Command } from "commander";
import { type Json, ManagementClient, ManagementError } from "../management-client.js";
import { type Column, plain } from "./columns.js";

export type Row = { [key: string]: Json };

export type Formatter = "table" | "json";

export interface GlobalOptions {
  url: string;
  user: string;
  password: string;
  vhost: string;
  tableHeaders: boolean;
  quiet: boolean;
  silent: boolean;
  formatter: Formatter;
}

/** Where `warren ctl` writes and how it reports its exit code: the process, or a test's buffers. */
export interface CtlIo {
  out(text: string): void;
  err(text: string): void;
  exitCode(code: number): void;
  /** Whether err is a terminal (the import progress line redraws itself there). */
  readonly errIsTTY: boolean;
}

/** rabbitmqctl's exit codes, which are sysexits.h's. */
export const ExitCode = {
  ok: 0,
  /** bad usage: unknown command, option or column, wrong number of arguments */
  usage: 64,
  /** bad input data: a file that is not definitions, a vhost that does not exist */
  dataError: 65,
  /** the user named does not exist */
  noUser: 67,
  /** the node is unreachable, or refused the operation (rabbitmqctl's catch-all) */
  unavailable: 69,
  /** the broker refused the operation for another reason */
  software: 70,
  /** bad credentials */
  noPermission: 77,
} as const;

/**
 * A command's failure: rabbitmqctl's message and exit code. rabbitmqctl prints most after a line
 * "Error:", usage errors after "Error (argument validation): ", and some (a vhost that does not
 * exist) bare.
 */
export class CtlFailure extends Error {
  override readonly name = "CtlFailure";
  constructor(
    readonly exitCode: number,
    message: string,
    readonly style: "error" | "bare" | "usage" = exitCode === ExitCode.usage ? "usage" : "error",
  ) {
    super(message);
  }
}

export interface CtlKit {
  readonly io: CtlIo;
  globals(): GlobalOptions;
  client(): ManagementClient;
  /** A banner ("Listing queues for vhost / ..."): on stdout, left out by -q, -s and --formatter json. */
  info(text: string): void;
  /** Prints rows in the chosen format; `empty` is what rabbitmqctl prints for no rows in table format. */
  rows(rows: Row[], columns: readonly string[], table: Record<string, Column>, empty?: "nothing" | "blank line"): void;
  /** run() for a command that changes something: with --formatter json it ends as rabbitmqctl's {"node":…,"result":"ok"}. */
  change<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
  /** Wraps a command's action: a CtlFailure or API error becomes rabbitmqctl's message and exit code. */
  run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
}

/** A command family: adds its subcommands to `warren ctl`. */
export type CommandFamily = (ctl: Command, kit: CtlKit) => void;

/** rabbitmqctl's JSON list: one row per line, commas leading the rows after the first. */
const jsonList = (rows: Json[]): string => (rows.length === 0 ? "[\n]\n" : `[\n${rows.map((r) => JSON.stringify(r)).join("\n,")}\n]\n`);

export function createKit(ctl: Command, io: CtlIo): CtlKit {
  const globals = (): GlobalOptions => ctl.opts<GlobalOptions>();
  const kit: CtlKit = {
    io,
    globals,
    client: () => new ManagementClient(globals()),
    info(text) {
      const g = globals();
      if (!g.quiet && !g.silent && g.formatter !== "json") io.out(text + "\n");
    },
    rows(rows, columns, table, empty = "nothing") {
      const g = globals();
      const cells = rows.map((row) => columns.map((c) => (table[c] ?? (() => plain(undefined)))(row)));
      // a list rabbitmqctl prints whole (not streamed) is "[]" when empty
      if (g.formatter === "json" && rows.length === 0 && empty === "blank line") {
        io.out("[]\n");
        return;
      }
      if (g.formatter === "json") {
        io.out(jsonList(cells.map((r) => Object.fromEntries(r.map((cell, i) => [columns[i], cell.json])))));
        return;
      }
      if (rows.length === 0) {
        if (empty === "blank line") io.out("\n");
        return;
      }
      const out: string[] = [];
      if (g.tableHeaders && !g.silent) out.push(columns.join("\t"));
      for (const r of cells) out.push(r.map((cell) => cell.table).join("\t"));
      io.out(out.join("\n") + "\n");
    },
    change: <A extends unknown[]>(body: (...args: A) => Promise<void>) =>
      kit.run(async (...args: A) => {
        await body(...args);
        if (globals().formatter !== "json") return;
        const overview = await kit.client().get<Row>("/api/overview");
        io.out(`${JSON.stringify({ node: overview.node ?? null, result: "ok" })}\n`);
      }),
    run:
      <A extends unknown[]>(body: (...args: A) => Promise<void>) =>
      async (...args: A): Promise<void> => {
        try {
          await body(...args);
        } catch (err) {
          const failure = asFailure(err, globals().url);
          if (failure === null) throw err;
          io.err(failure.text);
          io.exitCode(failure.code);
        }
      },
  };
  return kit;
}

/** What rabbitmqctl prints for a failure, and its exit code; null for a bug (left to crash). */
function asFailure(err: unknown, url: string): { text: string; code: number } | null {
  if (err instanceof CtlFailure) {
    const head = { error: "Error:\n", usage: "Error (argument validation): ", bare: "" }[err.style];
    return { text: `${head}${err.message}\n`, code: err.exitCode };
  }
  if (!(err instanceof ManagementError)) return null;
  if (err.status === 0) {
    // rabbitmqctl's words for a node it cannot reach, with the URL in place of the node name
    return { text: `Error: unable to perform an operation on node at ${url}: ${err.reason}\n`, code: ExitCode.unavailable };
  }
  const code = err.status === 401 ? ExitCode.noPermission : ExitCode.software;
  return { text: `Error:\n${err.message}\n`, code };
}

/** Turns the API's 404 for the named thing into rabbitmqctl's message and exit code. */
export async function notFoundAs<T>(request: Promise<T>, failure: CtlFailure): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof ManagementError && err.status === 404) throw failure;
    throw err;
  }
}

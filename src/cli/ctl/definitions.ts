/**
 * export_definitions and import_definitions over /api/definitions, with rabbitmqctl's refusals
 * (exit 65 for a file that is missing or not JSON, or definitions the broker refuses). An import
 * goes in batches with a progress line, so a large file shows progress and no request is huge.
 */
// synchronous file I/O (a one-shot command): node:fs/promises would be loaded at every broker
// start, which imports this module with the rest of the CLI
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InvalidArgumentError } from "commander";
import { apiPath, type Json, type ManagementClient, ManagementError } from "../management-client.js";
import { plain } from "./columns.js";
import { type CommandFamily, CtlFailure, type CtlIo, ExitCode, type Row } from "./kit.js";

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};

const badArgument = (text: string): CtlFailure => new CtlFailure(ExitCode.dataError, `Bad argument: ${text}`, "usage");

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export const definitionCommands: CommandFamily = (ctl, kit) => {
  ctl
    .command("export_definitions <path>")
    .description('write every definition to a JSON file ("-" for stdout)')
    .action(
      kit.run(async (path: string) => {
        if (path !== "-" && !existsSync(dirname(path))) throw badArgument(`Directory ${dirname(path)} does not exist`);
        if (path !== "-") kit.info(`Exporting definitions in JSON to a file at "${path}" ...`);
        const definitions = await kit.client().get(apiPath("definitions"));
        const text = JSON.stringify(definitions, null, 2) + "\n";
        if (path === "-") kit.io.out(text);
        else writeFileSync(path, text);
      }),
    );
  ctl
    .command("import_definitions <path>")
    .description('import definitions from a JSON file ("-" for stdin), in batches with a progress line')
    .option("--batch-size <n>", "objects per request", positive, 500)
    .action(
      kit.change(async (path: string, opts: { batchSize: number }) => {
        if (path !== "-" && !existsSync(path)) throw badArgument(`File ${path} does not exist`);
        kit.info(
          path === "-"
            ? "Importing definitions in JSON from standard input ..."
            : `Importing definitions in JSON from a file at "${path}" ...`,
        );
        const text = path === "-" ? await readStdin() : readFileSync(path, "utf8");
        let file: Json;
        try {
          file = JSON.parse(text) as Json;
        } catch (err) {
          throw new CtlFailure(ExitCode.dataError, `Failed to deserialise input (format: JSON) (error: ${(err as Error).message})`);
        }
        if (file === null || typeof file !== "object" || Array.isArray(file)) {
          throw new CtlFailure(ExitCode.dataError, "Failed to deserialise input (format: JSON) (error: not a JSON object)");
        }
        try {
          await importInBatches(kit.client(), file, opts.batchSize, kit.io, kit.globals().quiet || kit.globals().silent);
        } catch (err) {
          // rabbitmqctl prints the broker's refusal bare and exits 65
          if (err instanceof ManagementError && err.status === 400) throw new CtlFailure(ExitCode.dataError, err.reason, "bare");
          throw err;
        }
      }),
    );
};

/** Objects that depend on vhosts and users go after them, so each batch is importable on its own. */
const batchedKeys = ["exchanges", "queues", "bindings"] as const;

/**
 * Posts the file's vhosts, users, permissions and policies in one request, then its exchanges,
 * queues and bindings in batches. Every batch is itself a valid definitions document, which
 * RabbitMQ's API accepts too.
 */
async function importInBatches(client: ManagementClient, file: Row, batchSize: number, io: CtlIo, quiet: boolean): Promise<void> {
  const head: Row = {};
  for (const [key, value] of Object.entries(file)) {
    if (!(batchedKeys as readonly string[]).includes(key)) head[key] = value;
  }
  const total = batchedKeys.reduce((n, k) => n + (Array.isArray(file[k]) ? file[k].length : 0), 0);
  const tty = io.errIsTTY;
  let done = 0;
  const progress = (final: boolean): void => {
    if (quiet) return;
    if (tty || final) io.err(`${tty ? "\r" : ""}imported ${done}/${total} exchanges, queues and bindings${final ? "\n" : ""}`);
  };
  // Warren's answer says what it kept without acting on (RabbitMQ's is empty): pass that on
  const warn = (answer: Json) => {
    const w = answer !== null && typeof answer === "object" && !Array.isArray(answer) ? answer.warnings : undefined;
    if (Array.isArray(w)) for (const line of w) io.err(`warning: ${plain(line).table}\n`);
  };
  // ?report=true: Warren then answers with the report; RabbitMQ ignores it and answers 204
  const importPath = `${apiPath("definitions")}?report=true`;
  warn(await client.post(importPath, head));
  for (const key of batchedKeys) {
    const items = file[key];
    if (!Array.isArray(items)) continue;
    for (let i = 0; i < items.length; i += batchSize) {
      const batch = items.slice(i, i + batchSize);
      warn(await client.post(importPath, { [key]: batch }));
      done += batch.length;
      progress(false);
    }
  }
  progress(true);
}

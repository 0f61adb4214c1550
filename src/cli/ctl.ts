/**
 * `warren ctl`: operate a running broker the way rabbitmqctl does, through the management HTTP API.
 * Command names, arguments, column names, output formats and exit codes are rabbitmqctl's, so
 * operators' scripts keep working. Each family of commands is a module in ./ctl/; this file holds
 * the global options and is the one place families are registered (one line each, below).
 */
import { Command, CommanderError, Option } from "commander";
import { accessCommands } from "./ctl/access.js";
import { clusterCommands } from "./ctl/cluster.js";
import { definitionCommands } from "./ctl/definitions.js";
import { type CommandFamily, type CtlIo, createKit, ExitCode } from "./ctl/kit.js";
import { listCommands } from "./ctl/lists.js";
import { nodeCommands } from "./ctl/node.js";
import { operationCommands } from "./ctl/operations.js";
import { parameterCommands } from "./ctl/parameters.js";
import { policyCommands } from "./ctl/policies.js";

export type { CtlIo } from "./ctl/kit.js";

/** Every family of `warren ctl` commands, in the order `--help` lists them. */
const families: CommandFamily[] = [
  nodeCommands,
  listCommands,
  accessCommands,
  policyCommands,
  operationCommands,
  definitionCommands,
  parameterCommands,
  clusterCommands,
];

const processIo: CtlIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  exitCode: (code) => void (process.exitCode = code),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
};

export function ctlCommand(io: CtlIo = processIo): Command {
  const ctl = new Command("ctl")
    .description("operate a running broker like rabbitmqctl, through its management API")
    .option("--url <url>", "management API base URL", process.env.WARREN_MANAGEMENT_URL ?? "http://localhost:15672")
    .option("-u, --user <name>", "management user", process.env.WARREN_CTL_USER ?? "guest")
    .option("--password <password>", "that user's password", process.env.WARREN_CTL_PASSWORD ?? "guest")
    .option("-p, --vhost <vhost>", "virtual host", "/")
    .option("--no-table-headers", "print rows without the header line")
    .addOption(new Option("--formatter <format>", "output format").choices(["table", "json"]).default("table"))
    .option("-q, --quiet", "suppress informational messages")
    .option("-s, --silent", "suppress informational messages and table headers")
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    // usage errors (unknown command, option or argument count) exit 64 as rabbitmqctl's do;
    // set before the subcommands are added, so they inherit it
    .exitOverride((err: CommanderError) => {
      io.exitCode(err.exitCode === 0 ? ExitCode.ok : ExitCode.usage);
      throw err;
    });
  const kit = createKit(ctl, io);
  for (const register of families) register(ctl, kit);
  return ctl;
}

export { CommanderError };

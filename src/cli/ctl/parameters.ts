/**
 * `warren ctl`'s vhost limit, runtime parameter and global parameter commands, as rabbitmqctl 3.10
 * names and prints them (set_vhost_limits, clear_vhost_limits, list_vhost_limits, set_parameter,
 * clear_parameter, list_parameters, set_global_parameter, clear_global_parameter,
 * list_global_parameters), over the management API's /api/parameters, /api/vhost-limits and
 * /api/global-parameters — so they work against RabbitMQ too.
 */
import { type Command, InvalidArgumentError } from "commander";
import { apiPath, type Json, type ManagementClient, ManagementError } from "../management-client.js";
import type { CommandFamily } from "./kit.js";

/** What these commands need from `warren ctl`: its client, options and output. */
interface CtlKit {
  client(): ManagementClient;
  vhost(): string;
  /** Whether rows are printed under a header line (--no-table-headers turns it off). */
  tableHeaders(): boolean;
  /** An informational line ("Listing … ..."), left out under --quiet. */
  info(text: string): void;
  out(text: string): void;
  /** Wraps a command's action so API errors become rabbitmqctl's message and exit code. */
  run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void>;
}

type Row = { [key: string]: Json };

/** A JSON argument of a set_* command as given (for the info line) and decoded; commander refuses text that is not JSON. */
interface JsonArg {
  text: string;
  value: Json;
}
function json(text: string): JsonArg {
  try {
    return { text, value: JSON.parse(text) as Json };
  } catch {
    throw new InvalidArgumentError(`JSON decoding error: ${text}`);
  }
}

/** rabbitmqctl's answer to clearing what is not there, instead of the API's plain 404. */
async function clearing(p: Promise<Json>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ManagementError && err.status === 404) throw new ManagementError(404, "Parameter does not exist", err.path);
    throw err;
  }
}

/** A PUT to /api/parameters, whose validation texts RabbitMQ HTML-escapes; rabbitmqctl prints them plain. */
async function setting(p: Promise<Json>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ManagementError)) throw err;
    throw new ManagementError(err.status, err.reason.replace(/&lt;/g, "<").replace(/&gt;/g, ">"), err.path);
  }
}

/** Rows as rabbitmqctl prints them: tab-separated, values as compact JSON (strings quoted, as it does). */
function rows(kit: CtlKit, columns: string[], list: Row[], asJson: string[]): void {
  const lines = kit.tableHeaders() && list.length > 0 ? [columns.join("\t")] : [];
  for (const r of list) lines.push(columns.map((c) => (asJson.includes(c) ? JSON.stringify(r[c] ?? null) : String(r[c] ?? ""))).join("\t"));
  if (lines.length > 0) kit.out(`${lines.join("\n")}\n`);
}

function registerParameterCommands(ctl: Command, kit: CtlKit): void {
  // ---- vhost limits ------------------------------------------------------------------------------
  ctl
    .command("set_vhost_limits")
    .argument("<definition>", "the limits, JSON", json)
    .description(`set the vhost's (-p) limits, e.g. '{"max-connections": 10, "max-queues": 100}'; a negative value is no limit`)
    .action(
      kit.run(async (definition: JsonArg) => {
        const vhost = kit.vhost();
        kit.info(`Setting vhost limits to "${definition.text}" for vhost "${vhost}" ...`);
        await setting(kit.client().put(apiPath("parameters", "vhost-limits", vhost, "limits"), { value: definition.value }));
      }),
    );
  ctl
    .command("clear_vhost_limits")
    .description("remove every limit of the vhost (-p)")
    .action(
      kit.run(async () => {
        const vhost = kit.vhost();
        kit.info(`Clearing vhost "${vhost}" limits ...`);
        await clearing(kit.client().delete(apiPath("parameters", "vhost-limits", vhost, "limits")));
      }),
    );
  ctl
    .command("list_vhost_limits")
    .description("show the vhost's (-p) limits, or every vhost's with --global")
    .option("--global", "list the limits of every vhost")
    .action(
      kit.run(async (opts: { global?: boolean }) => {
        if (opts.global === true) {
          kit.info("Listing limits for all vhosts ...");
          const list = await kit.client().get<Row[]>(apiPath("vhost-limits"));
          rows(
            kit,
            ["vhost", "limits"],
            list.map((r) => ({ vhost: r.vhost ?? null, limits: r.value ?? null })),
            ["limits"],
          );
          return;
        }
        const vhost = kit.vhost();
        kit.info(`Listing limits for vhost "${vhost}" ...`);
        const [found] = await kit.client().get<Row[]>(apiPath("vhost-limits", vhost));
        if (found !== undefined) kit.out(`${JSON.stringify(found.value ?? {})}\n`);
      }),
    );

  // ---- runtime parameters ------------------------------------------------------------------------
  ctl
    .command("set_parameter <component> <name>")
    .argument("<value>", "the value, JSON", json)
    .description(`set a runtime parameter in the vhost (-p); value is JSON, e.g. set_parameter vhost-limits limits '{"max-queues": 5}'`)
    .action(
      kit.run(async (component: string, name: string, value: JsonArg) => {
        const vhost = kit.vhost();
        kit.info(`Setting runtime parameter "${name}" for component "${component}" to "${value.text}" in vhost "${vhost}" ...`);
        await setting(kit.client().put(apiPath("parameters", component, vhost, name), { value: value.value }));
      }),
    );
  ctl
    .command("clear_parameter <component> <name>")
    .description("remove a runtime parameter from the vhost (-p)")
    .action(
      kit.run(async (component: string, name: string) => {
        const vhost = kit.vhost();
        kit.info(`Clearing runtime parameter "${name}" for component "${component}" on vhost "${vhost}" ...`);
        await clearing(kit.client().delete(apiPath("parameters", component, vhost, name)));
      }),
    );
  ctl
    .command("list_parameters")
    .description("list the vhost's (-p) runtime parameters: component, name, value")
    .action(
      kit.run(async () => {
        const vhost = kit.vhost();
        kit.info(`Listing runtime parameters for vhost "${vhost}" ...`);
        // the API lists a vhost's parameters only per component; this is every component's
        const list = await kit.client().get<Row[]>(apiPath("parameters"));
        rows(
          kit,
          ["component", "name", "value"],
          list.filter((r) => r.vhost === vhost),
          ["value"],
        );
      }),
    );

  // ---- global parameters -------------------------------------------------------------------------
  ctl
    .command("set_global_parameter <name>")
    .argument("<value>", "the value, JSON", json)
    .description(`set a global runtime parameter; value is JSON, e.g. set_global_parameter cluster_name '"eu-1"'`)
    .action(
      kit.run(async (name: string, value: JsonArg) => {
        kit.info(`Setting global runtime parameter "${name}" to "${value.text}" ...`);
        await kit.client().put(apiPath("global-parameters", name), { value: value.value });
      }),
    );
  ctl
    .command("clear_global_parameter <name>")
    .description("remove a global runtime parameter")
    .action(
      kit.run(async (name: string) => {
        kit.info(`Clearing global runtime parameter "${name}" ...`);
        await clearing(kit.client().delete(apiPath("global-parameters", name)));
      }),
    );
  ctl
    .command("list_global_parameters")
    .description("list the global runtime parameters: name, value")
    .action(
      kit.run(async () => {
        kit.info("Listing global runtime parameters ...");
        rows(kit, ["name", "value"], await kit.client().get<Row[]>(apiPath("global-parameters")), ["value"]);
      }),
    );
}

/** The family as `warren ctl` registers it. */
export const parameterCommands: CommandFamily = (ctl, kit) =>
  registerParameterCommands(ctl, {
    client: kit.client,
    vhost: () => kit.globals().vhost,
    tableHeaders: () => kit.globals().tableHeaders && !kit.globals().silent,
    info: kit.info,
    out: kit.io.out,
    run: kit.run,
  });

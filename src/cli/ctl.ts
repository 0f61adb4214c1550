/**
 * `warren ctl`: operate a running broker the way rabbitmqctl does, through the management HTTP API.
 * Command names, arguments and column names are rabbitmqctl's, so operators' scripts keep working.
 */
import { readFile, writeFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import { apiPath, type Json, ManagementClient, ManagementError } from "./management-client.js";
import { registerParameterCommands } from "./ctl-parameters.js";

interface GlobalOptions {
  url: string;
  user: string;
  password: string;
  vhost: string;
  tableHeaders: boolean;
  quiet: boolean;
}

type Row = { [key: string]: Json };
/** A row of GET /api/topic-permissions/<vhost>/<user>, as RabbitMQ and Warren give it. */
type TopicPermissionRow = { user: string; vhost: string; exchange: string; write: string; read: string };

/** rabbitmqctl column names that the API spells differently. */
const columnAliases: Record<string, (row: Row) => Json> = {
  source_name: (r) => r.source ?? null,
  source_kind: () => "exchange",
  destination_name: (r) => r.destination ?? null,
  destination_kind: (r) => r.destination_type ?? null,
  queue_name: (r) => (isRow(r.queue) ? (r.queue.name ?? null) : null),
  channel_pid: (r) => (isRow(r.channel_details) ? (r.channel_details.name ?? null) : null),
};

const isRow = (v: Json | undefined): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);

const cell = (v: Json | undefined): string => {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  // rabbitmqctl prints lists of names (user tags) as [a, b]
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return `[${v.join(", ")}]`;
  return JSON.stringify(v);
};

/** Exit codes as rabbitmqctl uses them (sysexits.h). */
const exitCodeFor = (err: ManagementError): number => (err.status === 0 ? 69 : err.status === 401 ? 77 : 70);

/** Where `warren ctl` writes and how it reports its exit code: the process, or a test's buffers. */
export interface CtlIo {
  out(text: string): void;
  err(text: string): void;
  exitCode(code: number): void;
  /** Whether err is a terminal (the import progress line redraws itself there). */
  readonly errIsTTY: boolean;
}

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
    .option("-q, --quiet", "suppress informational messages");

  const globals = (): GlobalOptions => ctl.opts<GlobalOptions>();
  const client = (): ManagementClient => new ManagementClient(globals());
  const info = (text: string): void => {
    if (!globals().quiet) io.err(text + "\n");
  };
  const table = (rows: Row[], columns: string[], aliases: Record<string, string>): void => {
    const out: string[] = [];
    if (globals().tableHeaders) out.push(columns.join("\t"));
    const value = (row: Row, c: string): Json | undefined => (columnAliases[c] ? columnAliases[c](row) : row[aliases[c] ?? c]);
    for (const row of rows) out.push(columns.map((c) => cell(value(row, c))).join("\t"));
    if (out.length > 0) io.out(out.join("\n") + "\n");
  };
  /** Runs one command, turning API errors into rabbitmqctl-style messages and exit codes. */
  const run =
    <A extends unknown[]>(body: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      try {
        await body(...args);
      } catch (err) {
        if (!(err instanceof ManagementError)) throw err;
        io.err(`Error: ${err.message}\n`);
        io.exitCode(exitCodeFor(err));
      }
    };

  const list = (
    name: string,
    what: string,
    path: (vhost: string) => string,
    defaults: string[],
    perVhost = true,
    aliases: Record<string, string> = {},
  ): void => {
    ctl
      .command(`${name} [columns...]`)
      .description(`list ${what} (columns as rabbitmqctl's; default: ${defaults.join(" ")})`)
      .action(
        run(async (columns: string[]) => {
          const vhost = globals().vhost;
          info(perVhost ? `Listing ${what} for vhost ${vhost} ...` : `Listing ${what} ...`);
          const rows = await client().get<Row[]>(path(vhost));
          table(rows, columns.length > 0 ? columns : defaults, aliases);
        }),
      );
  };

  registerParameterCommands(ctl, {
    client,
    vhost: () => globals().vhost,
    tableHeaders: () => globals().tableHeaders,
    info,
    out: io.out,
    run,
  });
  list("list_queues", "queues", (v) => apiPath("queues", v), ["name", "messages"]);
  list("list_exchanges", "exchanges", (v) => apiPath("exchanges", v), ["name", "type"]);
  list("list_bindings", "bindings", (v) => apiPath("bindings", v), [
    "source_name",
    "source_kind",
    "destination_name",
    "destination_kind",
    "routing_key",
    "arguments",
  ]);
  list("list_connections", "connections", () => apiPath("connections"), ["user", "peer_host", "peer_port", "state"], false);
  list("list_consumers", "consumers", (v) => apiPath("consumers", v), [
    "queue_name",
    "channel_pid",
    "consumer_tag",
    "ack_required",
    "prefetch_count",
    "active",
    "arguments",
  ]);
  list("list_users", "users", () => apiPath("users"), ["user", "tags"], false, { user: "name" });
  list("list_vhosts", "vhosts", () => apiPath("vhosts"), ["name"], false);
  list("list_policies", "policies", (v) => apiPath("policies", v), ["vhost", "name", "pattern", "apply-to", "definition", "priority"]);
  list("list_permissions", "permissions", (v) => apiPath("vhosts", v, "permissions"), ["user", "configure", "write", "read"]);
  list("list_topic_permissions", "topic permissions", (v) => apiPath("vhosts", v, "topic-permissions"), [
    "user",
    "exchange",
    "write",
    "read",
  ]);

  ctl
    .command("status")
    .description("show the broker's node, version, listeners, resource use and alarms")
    .action(
      run(async () => {
        const c = client();
        const overview = await c.get<Row>(apiPath("overview"));
        const nodes = await c.get<Row[]>(apiPath("nodes"));
        const node = nodes[0] ?? {};
        info(`Status of node ${cell(overview.node)} ...`);
        const totals = isRow(overview.object_totals) ? overview.object_totals : {};
        const lines = [
          `Product: ${cell(overview.product_name)} ${cell(overview.product_version)}`,
          `Node: ${cell(overview.node)}`,
          `Uptime (seconds): ${Math.round(Number(node.uptime ?? 0) / 1000)}`,
          `Memory used (bytes): ${cell(node.mem_used)}`,
          `Memory high watermark (bytes): ${cell(node.mem_limit)}`,
          `Memory alarm: ${cell(node.mem_alarm)}`,
          `Free disk (bytes): ${cell(node.disk_free)}`,
          `Disk free limit (bytes): ${cell(node.disk_free_limit)}`,
          `Disk alarm: ${cell(node.disk_free_alarm)}`,
          `File descriptors used: ${cell(node.fd_used)}`,
          `Connections: ${cell(totals.connections)}, channels: ${cell(totals.channels)}, queues: ${cell(totals.queues)}, consumers: ${cell(totals.consumers)}`,
          "Listeners:",
          ...(Array.isArray(overview.listeners) ? overview.listeners : [])
            .filter(isRow)
            .map((l) => `  ${cell(l.protocol)} on ${cell(l.ip_address)}:${cell(l.port)}`),
        ];
        io.out(lines.join("\n") + "\n");
      }),
    );

  ctl
    .command("add_user <username> <password>")
    .description("create a user with no tags")
    .action(
      run(async (username: string, password: string) => {
        info(`Adding user "${username}" ...`);
        await client().put(apiPath("users", username), { password, tags: "" });
      }),
    );
  ctl
    .command("delete_user <username>")
    .description("delete a user")
    .action(
      run(async (username: string) => {
        info(`Deleting user "${username}" ...`);
        await client().delete(apiPath("users", username));
      }),
    );
  ctl
    .command("change_password <username> <password>")
    .description("change a user's password, keeping its tags")
    .action(
      run(async (username: string, password: string) => {
        info(`Changing password for user "${username}" ...`);
        const c = client();
        const user = await c.get<Row>(apiPath("users", username));
        await c.put(apiPath("users", username), { password, tags: tagsOf(user.tags) });
      }),
    );
  ctl
    .command("set_user_tags <username> [tags...]")
    .description("replace a user's tags (administrator, monitoring, management, policymaker)")
    .action(
      run(async (username: string, tags: string[]) => {
        info(`Setting tags for user "${username}" to [${tags.join(", ")}] ...`);
        const c = client();
        const user = await c.get<Row>(apiPath("users", username));
        await c.put(apiPath("users", username), { password_hash: cell(user.password_hash), tags: tags.join(",") });
      }),
    );
  ctl
    .command("set_permissions <username> <conf> <write> <read>")
    .description("set a user's configure, write and read patterns in the vhost (-p)")
    .action(
      run(async (username: string, configure: string, write: string, read: string) => {
        const vhost = globals().vhost;
        info(`Setting permissions for user "${username}" in vhost "${vhost}" ...`);
        await client().put(apiPath("permissions", vhost, username), { configure, write, read });
      }),
    );
  ctl
    .command("clear_permissions <username>")
    .description("remove a user's permissions in the vhost (-p)")
    .action(
      run(async (username: string) => {
        const vhost = globals().vhost;
        info(`Clearing permissions for user "${username}" in vhost "${vhost}" ...`);
        await client().delete(apiPath("permissions", vhost, username));
      }),
    );
  ctl
    .command("set_topic_permissions <username> <exchange> <write> <read>")
    .description("set a user's write and read routing-key patterns on a topic exchange in the vhost (-p)")
    .action(
      run(async (username: string, exchange: string, write: string, read: string) => {
        const vhost = globals().vhost;
        info(`Setting topic permissions on "${exchange}" for user "${username}" in vhost "${vhost}" ...`);
        await client().put(apiPath("topic-permissions", vhost, username), { exchange, write, read });
      }),
    );
  ctl
    .command("clear_topic_permissions <username> [exchange]")
    .description("remove a user's topic permissions in the vhost (-p), on every exchange or on one")
    .action(
      run(async (username: string, exchange: string | undefined) => {
        const vhost = globals().vhost;
        const c = client();
        const path = apiPath("topic-permissions", vhost, username);
        if (exchange === undefined) {
          info(`Clearing topic permissions for user "${username}" in vhost "${vhost}" ...`);
          await c.delete(path);
          return;
        }
        info(`Clearing topic permissions on "${exchange}" for user "${username}" in vhost "${vhost}" ...`);
        // the API deletes a user's topic permissions in a vhost all at once: put back the others
        const kept = (await c.get<TopicPermissionRow[]>(path)).filter((p) => p.exchange !== exchange);
        await c.delete(path);
        for (const p of kept) await c.put(path, { exchange: p.exchange, write: p.write, read: p.read });
      }),
    );
  ctl
    .command("add_vhost <vhost>")
    .description("create a virtual host")
    .action(
      run(async (vhost: string) => {
        info(`Adding vhost "${vhost}" ...`);
        await client().put(apiPath("vhosts", vhost));
      }),
    );
  ctl
    .command("delete_vhost <vhost>")
    .description("delete a virtual host and everything in it")
    .action(
      run(async (vhost: string) => {
        info(`Deleting vhost "${vhost}" ...`);
        await client().delete(apiPath("vhosts", vhost));
      }),
    );
  ctl
    .command("purge_queue <queue>")
    .description("remove every ready message from a queue in the vhost (-p)")
    .action(
      run(async (queue: string) => {
        const vhost = globals().vhost;
        info(`Purging queue '${queue}' in vhost '${vhost}' ...`);
        await client().delete(apiPath("queues", vhost, queue, "contents"));
      }),
    );
  ctl
    .command("delete_queue <queue>")
    .description("delete a queue in the vhost (-p)")
    .option("--if-empty", "only if it has no messages")
    .option("--if-unused", "only if it has no consumers")
    .action(
      run(async (queue: string, opts: { ifEmpty?: boolean; ifUnused?: boolean }) => {
        const vhost = globals().vhost;
        info(`Deleting queue '${queue}' on vhost '${vhost}' ...`);
        const query = new URLSearchParams();
        if (opts.ifEmpty) query.set("if-empty", "true");
        if (opts.ifUnused) query.set("if-unused", "true");
        const suffix = query.size > 0 ? `?${query}` : "";
        await client().delete(apiPath("queues", vhost, queue) + suffix);
      }),
    );
  ctl
    .command("set_policy <name> <pattern> <definition>")
    .description("set a policy in the vhost (-p); definition is JSON, e.g. '{\"max-length\":10}'")
    .option("--priority <n>", "policy priority", (v) => integer(v), 0)
    .option("--apply-to <kind>", "queues, exchanges or all", "all")
    .action(
      run(async (name: string, pattern: string, definition: string, opts: { priority: number; applyTo: string }) => {
        const vhost = globals().vhost;
        let parsed: Json;
        try {
          parsed = JSON.parse(definition) as Json;
        } catch {
          throw new InvalidArgumentError(`the policy definition is not JSON: ${definition}`);
        }
        info(
          `Setting policy "${name}" for pattern "${pattern}" to "${definition}" with priority "${opts.priority}" for vhost "${vhost}" ...`,
        );
        await client().put(apiPath("policies", vhost, name), {
          pattern,
          definition: parsed,
          priority: opts.priority,
          "apply-to": opts.applyTo,
        });
      }),
    );
  ctl
    .command("clear_policy <name>")
    .description("remove a policy from the vhost (-p)")
    .action(
      run(async (name: string) => {
        const vhost = globals().vhost;
        info(`Clearing policy "${name}" on vhost "${vhost}" ...`);
        await client().delete(apiPath("policies", vhost, name));
      }),
    );
  ctl
    .command("close_connection <name> <explanation>")
    .description("close a client connection (name as list_connections shows it via the API)")
    .action(
      run(async (name: string, explanation: string) => {
        info(`Closing connection ${name}, reason: ${explanation}...`);
        await client().delete(apiPath("connections", name), { "x-reason": explanation });
      }),
    );
  ctl
    .command("export_definitions <path>")
    .description('write every definition to a JSON file ("-" for stdout)')
    .action(
      run(async (path: string) => {
        const definitions = await client().get(apiPath("definitions"));
        const text = JSON.stringify(definitions, null, 2) + "\n";
        if (path === "-") {
          io.out(text);
        } else {
          info(`Exporting definitions in JSON to a file at "${path}" ...`);
          await writeFile(path, text);
        }
      }),
    );
  ctl
    .command("import_definitions <path>")
    .description("import definitions from a JSON file, in batches with a progress line")
    .option("--batch-size <n>", "objects per request", (v) => integer(v), 500)
    .action(
      run(async (path: string, opts: { batchSize: number }) => {
        const file = JSON.parse(await readFile(path, "utf8")) as Row;
        info(`Importing definitions in JSON from a file at "${path}" ...`);
        await importInBatches(client(), file, opts.batchSize, io);
      }),
    );

  return ctl;
}

const integer = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
};

const tagsOf = (tags: Json | undefined): string => (Array.isArray(tags) ? tags.map(cell).join(",") : cell(tags));

/** Objects that depend on vhosts and users go after them, so each batch is importable on its own. */
const batchedKeys = ["exchanges", "queues", "bindings"] as const;

/**
 * Posts the file's vhosts, users, permissions and policies in one request, then its exchanges,
 * queues and bindings in batches, so a large import shows progress and no request is huge.
 * Every batch is itself a valid definitions document, which RabbitMQ's API accepts too.
 */
async function importInBatches(client: ManagementClient, file: Row, batchSize: number, io: CtlIo): Promise<void> {
  const head: Row = {};
  for (const [key, value] of Object.entries(file)) {
    if (!(batchedKeys as readonly string[]).includes(key)) head[key] = value;
  }
  const total = batchedKeys.reduce((n, k) => n + (Array.isArray(file[k]) ? file[k].length : 0), 0);
  const tty = io.errIsTTY;
  let done = 0;
  const progress = (final: boolean): void => {
    if (tty || final) io.err(`${tty ? "\r" : ""}imported ${done}/${total} exchanges, queues and bindings${final ? "\n" : ""}`);
  };
  // Warren's answer says what it kept without acting on (RabbitMQ's is empty): pass that on
  const warn = (answer: Json) => {
    const w = answer !== null && typeof answer === "object" && !Array.isArray(answer) ? answer.warnings : undefined;
    if (Array.isArray(w)) for (const line of w) io.err(`warning: ${cell(line)}\n`);
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

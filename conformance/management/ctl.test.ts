// `warren ctl` (rabbitmqctl's commands over the management API) against the broker under test:
// the same commands, output and exit codes whether it is RabbitMQ or Warren.
import { Command, CommanderError } from "commander";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ctlCommand } from "../../src/cli/ctl.js";
import { eventually, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
let dir: string;

beforeAll(async () => {
  broker = await useManagementBroker();
  dir = mkdtempSync(join(tmpdir(), "warren-ctl-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await broker?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `warren ctl` as the target's admin user: the command's own code (src/cli/ctl.ts) parsing
 * the same argv, in this process with its output captured, so a scenario costs no process start-up.
 * test/management/dist.test.ts starts the built `warren` binary itself.
 */
async function ctl(args: string[], options: { user?: string; password?: string; url?: string } = {}): Promise<Run> {
  const run: Run = { code: 0, stdout: "", stderr: "" };
  const command = ctlCommand({
    out: (t) => void (run.stdout += t),
    err: (t) => void (run.stderr += t),
    exitCode: (c) => void (run.code = c),
    errIsTTY: false,
  });
  const program = new Command("warren").exitOverride().addCommand(command);
  // a usage error sets the exit code (64) through the io and throws to stop the parse
  await program
    .parseAsync(
      [
        "ctl",
        "--url",
        options.url ?? broker.url,
        "--user",
        options.user ?? broker.user,
        "--password",
        options.password ?? broker.password,
        ...args,
      ],
      { from: "user" },
    )
    .catch((err: unknown) => {
      if (!(err instanceof CommanderError)) throw err;
    });
  return run;
}

async function apiPut(path: string, body: object): Promise<void> {
  const auth = "Basic " + Buffer.from(`${broker.user}:${broker.password}`).toString("base64");
  const res = await fetch(broker.url + path, {
    method: "PUT",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
}

async function ok(...args: string[]): Promise<Run> {
  const r = await ctl(args);
  if (r.code !== 0) throw new Error(`warren ctl ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

const rows = (stdout: string): string[][] =>
  stdout
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"));

// RabbitMQ's listings lag by its statistics interval: the scenarios that poll them need more than the default
describe("warren ctl", { timeout: 60_000 }, () => {
  it("adds a vhost and a user, sets permissions, lists, purges and deletes queues", async () => {
    const vhost = unique("ctl-v");
    const user = unique("ctl-u");
    const q = unique("ctl-q");
    expect((await ok("add_vhost", vhost)).stdout).toBe(`Adding vhost "${vhost}" ...\n`);
    expect((await ok("add_user", user, "s3cret")).stdout).toBe(
      `Adding user "${user}" ...\nDone. Don't forget to grant the user permissions to some virtual hosts! See 'rabbitmqctl help set_permissions' to learn more.\n`,
    );
    await ok("set_user_tags", user, "management");
    const perms = await ok("-p", vhost, "set_permissions", user, ".*", ".*", ".*");
    expect(perms.stdout).toBe(`Setting permissions for user "${user}" in vhost "${vhost}" ...\n`);
    await ok("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*");
    expect(rows((await ok("-q", "-p", vhost, "list_permissions")).stdout)).toContainEqual([user, ".*", ".*", ".*"]);
    expect(rows((await ok("-q", "list_users")).stdout)).toContainEqual([user, "[management]"]);
    expect(rows((await ok("-q", "list_vhosts")).stdout)).toContainEqual([vhost]);

    // the new user can use the new vhost through the API
    const base = `${broker.url}/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(q)}`;
    const auth = "Basic " + Buffer.from(`${user}:s3cret`).toString("base64");
    expect(
      (await fetch(base, { method: "PUT", headers: { authorization: auth, "content-type": "application/json" }, body: "{}" })).status,
    ).toBe(201);
    for (let i = 0; i < 3; i++) {
      await fetch(`${broker.url}/api/exchanges/${encodeURIComponent(vhost)}/amq.default/publish`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({ routing_key: q, payload: "m", payload_encoding: "string", properties: {} }),
      });
    }
    // RabbitMQ's message counts follow its statistics interval: poll until the depth shows
    const listed = await eventually(
      async () => {
        const r = await ok("-p", vhost, "list_queues");
        return rows(r.stdout)[3]?.[1] === "3" ? r : undefined;
      },
      20_000,
      "depth 3 in list_queues",
    );
    expect(listed.stdout).toBe(`Timeout: 60.0 seconds ...\nListing queues for vhost ${vhost} ...\nname\tmessages\n${q}\t3\n`);
    expect(rows((await ok("-s", "-p", vhost, "list_queues", "name", "durable", "auto_delete")).stdout)).toEqual([[q, "false", "false"]]);

    expect((await ok("-p", vhost, "purge_queue", q)).stdout).toBe(`Purging queue '${q}' in vhost '${vhost}' ...\n`);
    await eventually(
      async () => (rows((await ok("-s", "-p", vhost, "list_queues")).stdout)[0]?.[1] === "0" ? true : undefined),
      20_000,
      "depth 0 after the purge",
    );
    expect((await ok("-p", vhost, "delete_queue", q)).stdout).toBe(
      `Deleting queue '${q}' on vhost '${vhost}' ...\nQueue was successfully deleted with 0 ready messages\n`,
    );
    // as rabbitmqctl: no rows, no header
    expect((await ok("-p", vhost, "list_queues")).stdout).toBe(`Timeout: 60.0 seconds ...\nListing queues for vhost ${vhost} ...\n`);

    await ok("delete_user", user);
    await ok("delete_vhost", vhost);
    expect(rows((await ok("-q", "list_vhosts")).stdout)).not.toContainEqual([vhost]);
  });

  it("exits as rabbitmqctl does: 64 for a queue that does not exist, 77 for bad credentials, 69 when the broker is unreachable", async () => {
    const missing = await ctl(["delete_queue", unique("no-such-queue")]);
    // rabbitmqctl's delete_queue exits 64 for a queue that does not exist
    expect(missing.code).toBe(64);
    expect(missing.stderr).toBe("Error:\nQueue not found\n");

    const refused = await ctl(["list_queues"], { password: "wrong-password" });
    expect(refused.code).toBe(77);
    expect(refused.stderr).toBe("Error:\nLogin failed (HTTP 401 on /api/queues/%2F)\n");

    const unreachable = await ctl(["list_queues"], { url: "http://127.0.0.1:1" });
    expect(unreachable.code).toBe(69);
    expect(unreachable.stderr).toContain("cannot reach the management API at http://127.0.0.1:1");
  });

  it("set_policy applies a policy that list_policies shows and clear_policy removes", async () => {
    const vhost = unique("ctl-pol");
    const name = unique("limit");
    await ok("add_vhost", vhost);
    await ok("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*");
    const set = await ok("-p", vhost, "set_policy", "--priority", "2", "--apply-to", "queues", name, "^orders$", '{"max-length":5}');
    expect(set.stdout).toBe(
      `Setting policy "${name}" for pattern "^orders$" to "{"max-length":5}" with priority "2" for vhost "${vhost}" ...\n`,
    );
    expect(rows((await ok("-s", "-p", vhost, "list_policies")).stdout)).toEqual([
      [vhost, name, "^orders$", "queues", '{"max-length":5}', "2"],
    ]);
    expect((await ok("-p", vhost, "clear_policy", name)).stdout).toBe(`Clearing policy "${name}" on vhost "${vhost}" ...\n`);
    expect((await ok("-p", vhost, "list_policies")).stdout).toBe(`Listing policies for vhost "${vhost}" ...\n\n`);
    await ok("delete_vhost", vhost);
  });

  it("set_policy with a setting the broker does not recognise is refused alike; clear_policy of an unknown policy fails", async () => {
    const name = unique("ctl-policy");
    const r = await ctl(["set_policy", name, "^nothing$", '{"no-such-setting":1}']);
    // rabbitmqctl's words and exit code (69); the API HTML-escapes the Erlang term, rabbitmqctl does not
    expect(r.code).toBe(69);
    expect(r.stderr).toBe('Error:\nValidation failed\n\n[{<<"no-such-setting">>,1}] are not recognised policy settings\n');
    const notJson = await ctl(["set_policy", name, "^nothing$", "{not json"]);
    expect([notJson.code, notJson.stderr]).toEqual([69, "Error:\nJSON decoding error. Reason: badarg\n"]);
    const cleared = await ctl(["clear_policy", name]);
    expect([cleared.code, cleared.stderr]).toEqual([69, "Error:\nParameter does not exist\n"]);
  });

  it("set_topic_permissions, list_topic_permissions and clear_topic_permissions (all, or one exchange)", async () => {
    const user = unique("ctl-tp");
    await ok("add_user", user, "pw");
    try {
      const set = await ok("set_topic_permissions", user, "amq.topic", "^a", "^b");
      expect(set.stdout).toBe(`Setting topic permissions on "amq.topic" for user "${user}" in vhost "/" ...\n`);
      await ok("set_topic_permissions", user, "amq.direct", "x", "y");
      const mine = async () =>
        rows((await ok("-q", "list_topic_permissions")).stdout)
          .filter((r) => r[0] === user)
          .sort();
      expect(await mine()).toEqual([
        [user, "amq.direct", "x", "y"],
        [user, "amq.topic", "^a", "^b"],
      ]);
      await ok("clear_topic_permissions", user, "amq.direct");
      expect(await mine()).toEqual([[user, "amq.topic", "^a", "^b"]]);
      await ok("clear_topic_permissions", user);
      expect(await mine()).toEqual([]);
    } finally {
      await ok("delete_user", user);
    }
  });

  it("exports definitions and imports them back in batches with a progress line", async () => {
    const vhost = unique("ctl-defs");
    await ok("add_vhost", vhost);
    await ok("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*");
    const exported = join(dir, "export.json");
    expect((await ok("export_definitions", exported)).stdout).toBe(`Exporting definitions in JSON to a file at "${exported}" ...\n`);
    const defs = JSON.parse(readFileSync(exported, "utf8")) as { vhosts: { name: string }[]; users: { name: string }[] };
    expect(defs.vhosts.map((v) => v.name)).toContain(vhost);
    expect(defs.users.map((u) => u.name)).toContain(broker.user);

    const queues = Array.from({ length: 5 }, (_, i) => ({
      name: `imported-${i}`,
      vhost,
      durable: true,
      auto_delete: false,
      arguments: {},
    }));
    const bindings = queues.map((q) => ({
      source: "amq.direct",
      vhost,
      destination: q.name,
      destination_type: "queue",
      routing_key: q.name,
      arguments: {},
    }));
    const file = join(dir, "import.json");
    writeFileSync(file, JSON.stringify({ vhosts: [{ name: vhost }], queues, exchanges: [], bindings }));
    const imported = await ok("import_definitions", "--batch-size", "2", file);
    expect(imported.stdout).toBe(`Importing definitions in JSON from a file at "${file}" ...\n`);
    expect(imported.stderr).toBe("imported 10/10 exchanges, queues and bindings\n");
    const listed = rows((await ok("-s", "-p", vhost, "list_queues", "name")).stdout)
      .map((r) => r[0])
      .sort();
    expect(listed).toEqual(queues.map((q) => q.name));
    const bound = rows((await ok("-s", "-p", vhost, "list_bindings", "source_name", "destination_name")).stdout);
    expect(bound).toContainEqual(["amq.direct", "imported-3"]);
    await ok("delete_vhost", vhost);
  });

  it("close_connection closes a client connection with CONNECTION_FORCED and the explanation", async () => {
    expect(broker.amqpUrl, "the close_connection scenario needs the broker's AMQP URL (--amqp)").not.toBeNull();
    const tag = unique("ctl-conn");
    const conn = await amqp.connect(broker.amqpUrl!, { clientProperties: { connection_name: tag } });
    const closed = new Promise<Error | undefined>((resolve) => conn.on("close", resolve));
    conn.on("error", () => undefined);
    // RabbitMQ lists a new connection once its statistics are emitted (every few seconds)
    const name = await eventually(
      async () => {
        const r = await ok("--formatter", "json", "list_connections", "name", "client_properties");
        const listed = JSON.parse(r.stdout) as { name: string; client_properties: [string, string, unknown][] }[];
        return listed.find((c) => c.client_properties.some(([k, , v]) => k === "connection_name" && v === tag))?.name;
      },
      20_000,
      "the connection in list_connections",
    );
    const r = await ok("close_connection", name, "go away");
    expect(r.stdout).toBe(`Closing connection ${name}, reason: go away...\n`);
    const err = await closed;
    expect(err?.message).toContain("CONNECTION_FORCED - go away");
  });

  it("list_channels shows rabbitmqctl's default columns and the ones asked for", async () => {
    expect(broker.amqpUrl, "the list_channels scenario needs the broker's AMQP URL (--amqp)").not.toBeNull();
    const q = unique("ctl-ch-q");
    const conn = await amqp.connect(broker.amqpUrl!);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(q, { durable: false });
      await ch.prefetch(7);
      await ch.consume(q, () => undefined);
      const confirming = await conn.createConfirmChannel();
      await confirming.checkQueue(q);
      // the pid column shows the channel's name, "peer -> host (n)": other scenario files run
      // against the same broker at once, so only this connection's channels count
      const localPort = (conn.connection as unknown as { stream: { localPort: number } }).stream.localPort;
      const mine = (r: Run) => rows(r.stdout).filter((row) => row[0]?.includes(`:${localPort} -> `));
      // RabbitMQ lists a channel once its statistics are emitted
      const listed = await eventually(
        async () => {
          const r = await ok("-s", "list_channels", "pid", "user", "consumer_count", "prefetch_count", "confirm", "number");
          const found = mine(r);
          return found.length >= 2 && found.some((row) => row[2] === "1") ? found : undefined;
        },
        20_000,
        "two channels in list_channels",
      );
      expect(listed.map((row) => row.slice(1)).sort()).toEqual(
        [
          [broker.user, "1", "7", "false", "1"],
          [broker.user, "0", "0", "true", "2"],
        ].sort(),
      );
      const defaults = await ok("list_channels");
      expect(defaults.stdout.split("\n").slice(0, 2)).toEqual([
        "Listing channels ...",
        "pid\tuser\tconsumer_count\tmessages_unacknowledged",
      ]);
      await confirming.deleteQueue(q);
    } finally {
      await conn.close();
    }
  });

  it("set_operator_policy, list_operator_policies and clear_operator_policy", async () => {
    const vhost = unique("ctl-op");
    const name = unique("cap");
    await ok("add_vhost", vhost);
    try {
      await ok("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*");
      const set = await ok(
        "-p",
        vhost,
        "set_operator_policy",
        "--apply-to",
        "queues",
        "--priority",
        "1",
        name,
        "^capped",
        '{"max-length":5}',
      );
      expect(set.stdout).toBe(
        `Setting operator policy override "${name}" for pattern "^capped" to "{"max-length":5}" with priority "1" for vhost "${vhost}" ...\n`,
      );
      expect((await ok("-p", vhost, "list_operator_policies")).stdout).toBe(
        `Listing operator policy overrides for vhost "${vhost}" ...\nvhost\tname\tpattern\tapply-to\tdefinition\tpriority\n${vhost}\t${name}\t^capped\tqueues\t{"max-length":5}\t1\n`,
      );
      expect(JSON.parse((await ok("-p", vhost, "--formatter", "json", "list_operator_policies")).stdout)).toEqual([
        { vhost, name, pattern: "^capped", "apply-to": "queues", definition: '{"max-length":5}', priority: 1 },
      ]);
      // user policies are listed apart
      expect((await ok("-p", vhost, "list_policies")).stdout).toBe(`Listing policies for vhost "${vhost}" ...\n\n`);
      const bad = await ctl(["-p", vhost, "set_operator_policy", name, "^x", '{"max-length":"x"}']);
      expect([bad.code, bad.stderr]).toEqual([69, 'Error:\nValidation failed\n\n<<"x">> is not a valid maximum length\n']);
      expect((await ok("-p", vhost, "clear_operator_policy", name)).stdout).toBe(
        `Clearing operator policy "${name}" on vhost "${vhost}" ...\n`,
      );
      expect((await ok("-q", "-p", vhost, "list_operator_policies")).stdout).toBe("\n");
      const again = await ctl(["-p", vhost, "clear_operator_policy", name]);
      expect([again.code, again.stderr]).toEqual([69, "Error:\nParameter does not exist\n"]);
    } finally {
      await ok("delete_vhost", vhost);
    }
  });

  it("--formatter json, --quiet, --silent and --no-table-headers print as rabbitmqctl's", async () => {
    const vhost = unique("ctl-fmt");
    await ok("add_vhost", vhost);
    try {
      await ok("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*");
      const q = unique("fmt-q");
      await apiPut(`/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(q)}`, {
        durable: true,
        arguments: { "x-max-length": 10, "x-queue-mode": "lazy" },
      });
      const banner = `Timeout: 60.0 seconds ...\nListing queues for vhost ${vhost} ...\n`;
      const line = `${q}\t[{"x-max-length",10},{"x-queue-mode","lazy"}]\ttrue\n`;
      expect((await ok("-p", vhost, "list_queues", "name", "arguments", "durable")).stdout).toBe(
        `${banner}name\targuments\tdurable\n${line}`,
      );
      expect((await ok("-p", vhost, "-q", "list_queues", "name", "arguments", "durable")).stdout).toBe(`name\targuments\tdurable\n${line}`);
      expect((await ok("-p", vhost, "list_queues", "--quiet", "name", "arguments", "durable")).stdout).toBe(
        `name\targuments\tdurable\n${line}`,
      );
      expect((await ok("-p", vhost, "list_queues", "-s", "name", "arguments", "durable")).stdout).toBe(line);
      expect((await ok("-p", vhost, "--no-table-headers", "list_queues", "name", "arguments", "durable")).stdout).toBe(`${banner}${line}`);
      expect((await ok("-p", vhost, "--formatter", "table", "list_queues", "name")).stdout).toBe(`${banner}name\n${q}\n`);
      // rabbitmqctl's cluster filters, on one node
      expect((await ok("-p", vhost, "list_queues", "--online", "--local", "name")).stdout).toBe(`${banner}name\n${q}\n`);
      expect((await ok("-p", vhost, "list_queues", "--offline", "name")).stdout).toBe(banner);
      expect((await ok("-p", vhost, "--formatter", "json", "list_queues", "name", "arguments", "durable")).stdout).toBe(
        `[\n${JSON.stringify({
          name: q,
          arguments: [
            ["x-max-length", "long", 10],
            ["x-queue-mode", "longstr", "lazy"],
          ],
          durable: true,
        })}\n]\n`,
      );
      expect((await ok("-p", vhost, "--formatter", "json", "list_exchanges", "name", "type")).stdout).toMatch(
        /^\[\n\{"name":"","type":"direct"\}\n(,\{"name":"amq\.[a-z.]+","type":"[a-z]+"\}\n)+\]\n$/,
      );
      expect((await ok("-p", vhost, "--formatter", "json", "list_consumers")).stdout).toBe("[\n]\n");
      expect((await ok("-p", vhost, "--formatter", "json", "list_topic_permissions")).stdout).toBe("[]\n");
      // a command that changes something answers rabbitmqctl's result object in JSON
      const other = unique("ctl-json");
      expect((await ok("--formatter", "json", "add_vhost", other)).stdout).toMatch(/^\{"node":"[^"]+","result":"ok"\}\n$/);
      expect((await ok("--formatter", "json", "delete_vhost", other)).stdout).toMatch(/^\{"node":"[^"]+","result":"ok"\}\n$/);
      // a vhost that does not exist has nothing to list, as rabbitmqctl says
      const none = unique("no-such-vhost");
      expect((await ok("-p", none, "list_queues")).stdout).toBe(`Timeout: 60.0 seconds ...\nListing queues for vhost ${none} ...\n`);
    } finally {
      await ok("delete_vhost", vhost);
    }
  });

  it("refuses bad usage with rabbitmqctl's exit code 64", async () => {
    const unknown = await ctl(["list_queues", "name", "nosuch", "another"]);
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([
      64,
      "",
      "Error (argument validation): Info key(s) another,nosuch are not supported\n",
    ]);
    expect((await ctl(["list_exchanges", "messages"])).code).toBe(64);
    // these commands take no columns in rabbitmqctl
    for (const command of ["list_users", "list_permissions", "list_policies", "list_operator_policies", "list_topic_permissions"]) {
      expect((await ctl([command, "name"])).code, command).toBe(64);
    }
    expect((await ctl(["no_such_command"])).code).toBe(64);
    expect((await ctl(["list_queues", "--no-such-flag"])).code).toBe(64);
    expect((await ctl(["--formatter", "yaml", "list_queues"])).code).toBe(64);
    expect((await ctl(["add_user", "only-a-name"])).code).toBe(64);
  });

  it("refuses missing users, vhosts and objects with rabbitmqctl's texts and exit codes", async () => {
    const user = unique("ctl-nouser");
    const vhost = unique("ctl-novhost");
    const run = async (...args: string[]) => {
      const r = await ctl(args);
      return [r.code, r.stderr];
    };
    expect(await run("delete_user", user)).toEqual([67, `Error:\nUser "${user}" does not exist\n`]);
    expect(await run("change_password", user, "x")).toEqual([67, `Error:\nUser "${user}" does not exist\n`]);
    expect(await run("set_user_tags", user, "management")).toEqual([67, `Error:\nUser "${user}" does not exist\n`]);
    expect(await run("set_permissions", user, ".*", ".*", ".*")).toEqual([67, `Error:\nUser ${user} does not exist\n`]);
    expect(await run("clear_permissions", user)).toEqual([67, `Error:\nUser ${user} does not exist\n`]);
    expect(await run("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*")).toEqual([
      69,
      `Error:\nVirtual host ${vhost} does not exist\n`,
    ]);
    expect(await run("delete_vhost", vhost)).toEqual([65, `Virtual host '${vhost}' does not exist\n`]);
    expect(await run("-p", vhost, "set_policy", "p", "^a", '{"max-length":1}')).toEqual([65, `Virtual host '${vhost}' does not exist\n`]);
    expect(await run("purge_queue", unique("no-such-queue"))).toEqual([69, "Error:\nnot_found\n"]);
    expect(await run("add_user", broker.user, "x")).toEqual([70, `Error:\nUser "${broker.user}" already exists\n`]);
    // clearing what a user does not have is fine
    await ok("add_user", user, "pw");
    try {
      expect(await run("clear_permissions", user)).toEqual([0, ""]);
      expect(await run("clear_topic_permissions", user)).toEqual([0, ""]);
    } finally {
      await ok("delete_user", user);
    }
  });

  it("status shows the node's listeners, alarms and memory; ping and environment answer", async () => {
    const status = await ok("status");
    const text = status.stdout;
    expect(text).toMatch(/^Status of node \S+ \.\.\.\n/);
    expect(text).toContain("\nAlarms\n\n(none)\n");
    expect(text).toMatch(/\nTotal memory used: [0-9.]+ gb\n/);
    expect(text).toMatch(/\nLow free disk space watermark: [0-9.]+ gb\n/);
    expect(text).toMatch(/\nInterface: \S+, port: \d+, protocol: http, purpose: HTTP API\n/);
    if (broker.amqpUrl !== null) {
      const port = new URL(broker.amqpUrl).port;
      expect(text).toContain(`, port: ${port}, protocol: amqp, purpose: AMQP 0-9-1 and AMQP 1.0\n`);
    }
    const json = JSON.parse((await ok("--formatter", "json", "status")).stdout) as {
      alarms: string[];
      listeners: { protocol: string; port: number; purpose: string }[];
      totals: { virtual_host_count: number };
      vm_memory_high_watermark_limit: number;
    };
    expect(json.alarms).toEqual([]);
    expect(json.listeners).toContainEqual(expect.objectContaining({ protocol: "http", port: broker.port, purpose: "HTTP API" }));
    expect(json.totals.virtual_host_count).toBeGreaterThanOrEqual(1);
    expect(json.vm_memory_high_watermark_limit).toBeGreaterThan(0);

    expect((await ok("ping")).stdout).toBe(
      `Will ping ${broker.url}. This only checks that the node's management API answers.\nPing succeeded\n`,
    );
    expect((await ok("-q", "ping")).stdout).toBe("Ping succeeded\n");
    expect((await ok("--formatter", "json", "ping")).stdout).toBe('{"message":"Ping succeeded"}\n');
    expect((await ok("await_startup", "--timeout", "5")).stdout).toBe("");
    const env = await ok("environment");
    expect(env.stdout).toMatch(/^Application environment of node \S+ \.\.\.\n/);
    expect(env.stdout).toMatch(/\nexchange_types: \[[a-z, -]*direct[a-z, -]*\]\n/);
  });
});

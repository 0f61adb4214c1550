// `warren ctl` (rabbitmqctl's commands over the management API) against the broker under test:
// the same commands, output and exit codes whether it is RabbitMQ or Warren.
import { Command } from "commander";
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
  command.exitOverride().configureOutput({ writeOut: (t) => void (run.stdout += t), writeErr: (t) => void (run.stderr += t) });
  await program.parseAsync(
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
  );
  return run;
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
    expect((await ok("add_vhost", vhost)).stderr).toBe(`Adding vhost "${vhost}" ...\n`);
    expect((await ok("add_user", user, "s3cret")).stderr).toBe(`Adding user "${user}" ...\n`);
    await ok("set_user_tags", user, "management");
    const perms = await ok("-p", vhost, "set_permissions", user, ".*", ".*", ".*");
    expect(perms.stderr).toBe(`Setting permissions for user "${user}" in vhost "${vhost}" ...\n`);
    await ok("-p", vhost, "set_permissions", broker.user, ".*", ".*", ".*");
    expect(rows((await ok("-p", vhost, "list_permissions")).stdout)).toContainEqual([user, ".*", ".*", ".*"]);
    expect(rows((await ok("list_users")).stdout)).toContainEqual([user, "[management]"]);
    expect(rows((await ok("list_vhosts")).stdout)).toContainEqual([vhost]);

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
        return rows(r.stdout)[1]?.[1] === "3" ? r : undefined;
      },
      20_000,
      "depth 3 in list_queues",
    );
    expect(listed.stderr).toBe(`Listing queues for vhost ${vhost} ...\n`);
    expect(rows(listed.stdout)).toEqual([
      ["name", "messages"],
      [q, "3"],
    ]);
    expect(rows((await ok("-p", vhost, "--no-table-headers", "list_queues", "name", "durable", "auto_delete")).stdout)).toEqual([
      [q, "false", "false"],
    ]);

    expect((await ok("-p", vhost, "purge_queue", q)).stderr).toBe(`Purging queue '${q}' in vhost '${vhost}' ...\n`);
    await eventually(
      async () => (rows((await ok("-p", vhost, "--no-table-headers", "list_queues")).stdout)[0]?.[1] === "0" ? true : undefined),
      20_000,
      "depth 0 after the purge",
    );
    await ok("-p", vhost, "delete_queue", q);
    expect((await ok("-p", vhost, "list_queues")).stdout).toBe("name\tmessages\n");

    await ok("delete_user", user);
    await ok("delete_vhost", vhost);
    expect(rows((await ok("list_vhosts")).stdout)).not.toContainEqual([vhost]);
  });

  it("exits as rabbitmqctl does: 70 for an API refusal, 77 for bad credentials, 69 when the broker is unreachable", async () => {
    const missing = await ctl(["delete_queue", unique("no-such-queue")]);
    expect(missing.code).toBe(70);
    expect(missing.stderr).toMatch(/Error: .*\(HTTP 404 on \/api\/queues\/%2F\//);

    const refused = await ctl(["list_queues"], { password: "wrong-password" });
    expect(refused.code).toBe(77);
    expect(refused.stderr).toContain("Error: Login failed (HTTP 401 on /api/queues/%2F)");

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
    expect(set.stderr).toBe(
      `Setting policy "${name}" for pattern "^orders$" to "{"max-length":5}" with priority "2" for vhost "${vhost}" ...\n`,
    );
    expect(rows((await ok("-p", vhost, "--no-table-headers", "list_policies")).stdout)).toEqual([
      [vhost, name, "^orders$", "queues", '{"max-length":5}', "2"],
    ]);
    expect((await ok("-p", vhost, "clear_policy", name)).stderr).toBe(`Clearing policy "${name}" on vhost "${vhost}" ...\n`);
    expect((await ok("-p", vhost, "list_policies")).stdout).toBe("vhost\tname\tpattern\tapply-to\tdefinition\tpriority\n");
    await ok("delete_vhost", vhost);
  });

  it("set_policy with a setting the broker does not recognise is refused alike; clear_policy of an unknown policy fails", async () => {
    const name = unique("ctl-policy");
    const r = await ctl(["set_policy", name, "^nothing$", '{"no-such-setting":1}']);
    expect(r.code).toBe(70);
    // RabbitMQ HTML-escapes the Erlang term in this reason; Warren sends the same text
    expect(r.stderr).toContain(
      'Error: Validation failed\n\n[{&lt;&lt;"no-such-setting"&gt;&gt;,1}] are not recognised policy settings\n (HTTP 400',
    );
    const cleared = await ctl(["clear_policy", name]);
    expect(cleared.code).toBe(70);
    expect(cleared.stderr).toContain("HTTP 404");
  });

  it("set_topic_permissions, list_topic_permissions and clear_topic_permissions (all, or one exchange)", async () => {
    const user = unique("ctl-tp");
    await ok("add_user", user, "pw");
    try {
      const set = await ok("set_topic_permissions", user, "amq.topic", "^a", "^b");
      expect(set.stderr).toBe(`Setting topic permissions on "amq.topic" for user "${user}" in vhost "/" ...\n`);
      await ok("set_topic_permissions", user, "amq.direct", "x", "y");
      const mine = async () =>
        rows((await ok("list_topic_permissions")).stdout)
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
    expect((await ok("export_definitions", exported)).stderr).toBe(`Exporting definitions in JSON to a file at "${exported}" ...\n`);
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
    expect(imported.stderr).toBe(
      `Importing definitions in JSON from a file at "${file}" ...\nimported 10/10 exchanges, queues and bindings\n`,
    );
    const listed = rows((await ok("-p", vhost, "--no-table-headers", "list_queues", "name")).stdout)
      .map((r) => r[0])
      .sort();
    expect(listed).toEqual(queues.map((q) => q.name));
    const bound = rows((await ok("-p", vhost, "--no-table-headers", "list_bindings", "source_name", "destination_name")).stdout);
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
        const r = await ok("--no-table-headers", "list_connections", "name", "user_provided_name");
        return rows(r.stdout).find((row) => row[1] === tag)?.[0];
      },
      20_000,
      "the connection in list_connections",
    );
    const r = await ok("close_connection", name, "go away");
    expect(r.stderr).toBe(`Closing connection ${name}, reason: go away...\n`);
    const err = await closed;
    expect(err?.message).toContain("CONNECTION_FORCED - go away");
  });
});

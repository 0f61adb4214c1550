// rabbitmqadmin (the management plugin's CLI, shipped in Debian's rabbitmq-server package) against
// the broker under test: every command it has — list and show, declare and delete of each object
// type, close, purge, export, import, publish and get, its output formats (-f) — and its error
// reporting. Parameters, vhost limits and global parameters have their own scenario.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

const PYTHON = "/usr/bin/python3";
const RABBITMQADMIN = "/usr/bin/rabbitmqadmin";

let broker: ManagementBrokerUnderTest;

beforeAll(async () => {
  if (!existsSync(RABBITMQADMIN)) {
    throw new Error(`${RABBITMQADMIN} not found: it ships with Debian's rabbitmq-server (bash conformance/rabbitmq.sh deps)`);
  }
  broker = await useManagementBroker();
  dir = mkdtempSync(join(tmpdir(), "warren-rabbitmqadmin-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await broker?.close();
});

let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function admin(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [
      RABBITMQADMIN,
      "-H",
      broker.host,
      "-P",
      String(broker.port),
      "-u",
      broker.user,
      "-p",
      broker.password,
      ...args,
    ]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("error", reject);
    p.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** rabbitmqadmin's raw_json output of a command, parsed. */
async function json<T>(...args: string[]): Promise<T> {
  return JSON.parse(await ok("-f", "raw_json", ...args)) as T;
}

/** A vhost of the scenario's own (its creator gets full permissions in it, as RabbitMQ grants), deleted after. */
async function withVhost(body: (vhost: string) => Promise<void>): Promise<void> {
  const vhost = unique("admin-v");
  expect(await ok("declare", "vhost", `name=${vhost}`)).toBe("vhost declared\n");
  try {
    await body(vhost);
  } finally {
    await admin("delete", "vhost", `name=${vhost}`);
  }
}

async function ok(...args: string[]): Promise<string> {
  const r = await admin(...args);
  if (r.code !== 0) throw new Error(`rabbitmqadmin ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

// each step is a Python process: generous on a busy machine
describe("rabbitmqadmin", { timeout: 120_000 }, () => {
  it("declares a queue, exchange and binding, publishes, lists, gets and deletes", async () => {
    const q = unique("admin-q");
    const x = unique("admin-x");
    expect(await ok("declare", "queue", `name=${q}`, "durable=false")).toBe("queue declared\n");
    expect(await ok("declare", "exchange", `name=${x}`, "type=fanout", "durable=false")).toBe("exchange declared\n");
    expect(await ok("declare", "binding", `source=${x}`, `destination=${q}`, "routing_key=k")).toBe("binding declared\n");

    expect(await ok("publish", "exchange=amq.default", `routing_key=${q}`, "payload=first")).toBe("Message published\n");
    expect(await ok("publish", `exchange=${x}`, "routing_key=anything", "payload=second")).toBe("Message published\n");
    expect(await ok("publish", "exchange=amq.default", `routing_key=${unique("nowhere")}`, "payload=lost")).toBe(
      "Message published but NOT routed\n",
    );

    const queues = JSON.parse(await ok("-f", "raw_json", "list", "queues", "name", "messages")) as { name: string; messages?: number }[];
    expect(queues.map((r) => r.name)).toContain(q);
    const exchanges = JSON.parse(await ok("-f", "raw_json", "list", "exchanges", "name", "type")) as { name: string; type: string }[];
    expect(exchanges).toContainEqual({ name: x, type: "fanout" });
    const bindings = JSON.parse(await ok("-f", "raw_json", "list", "bindings", "source", "destination", "routing_key")) as object[];
    expect(bindings).toContainEqual({ source: x, destination: q, routing_key: "k" });
    expect(bindings).toContainEqual({ source: "", destination: q, routing_key: q });

    const got = JSON.parse(await ok("-f", "raw_json", "get", `queue=${q}`, "count=2", "ackmode=ack_requeue_false")) as {
      payload: string;
      routing_key: string;
      exchange: string;
      redelivered: boolean;
      payload_encoding: string;
    }[];
    expect(got.map((m) => [m.payload, m.exchange, m.routing_key, m.redelivered, m.payload_encoding])).toEqual([
      ["first", "", q, false, "string"],
      ["second", x, "anything", false, "string"],
    ]);
    expect(JSON.parse(await ok("-f", "raw_json", "get", `queue=${q}`))).toEqual([]);

    // the table format prints the columns it was asked for
    const table = await ok("list", "queues", "name");
    expect(table).toMatch(new RegExp(`\\| ${q} +\\|`));

    expect(await ok("delete", "binding", `source=${x}`, "destination_type=queue", `destination=${q}`, "properties_key=k")).toBe(
      "binding deleted\n",
    );
    expect(await ok("delete", "exchange", `name=${x}`)).toBe("exchange deleted\n");
    expect(await ok("purge", "queue", `name=${q}`)).toBe("queue purged\n");
    expect(await ok("delete", "queue", `name=${q}`)).toBe("queue deleted\n");
    const after = JSON.parse(await ok("-f", "raw_json", "list", "queues", "name")) as { name: string }[];
    expect(after.map((r) => r.name)).not.toContain(q);
  });

  it("reports the API's errors as rabbitmqadmin does: 404 as Not found, 400 with the reason", async () => {
    const missing = unique("missing-q");
    const notFound = await admin("delete", "queue", `name=${missing}`);
    expect(notFound.code).not.toBe(0);
    expect(notFound.stderr + notFound.stdout).toContain(`Not found: /api/queues/%2F/${missing}`);

    const q = unique("admin-args");
    const bad = await admin("declare", "queue", `name=${q}`, 'arguments={"x-max-length":"ten"}');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toContain(`invalid arg 'x-max-length' for queue '${q}' in vhost '/'`);

    const refused = await new Promise<Run>((resolve) => {
      const p = spawn(PYTHON, [
        RABBITMQADMIN,
        "-H",
        broker.host,
        "-P",
        String(broker.port),
        "-u",
        broker.user,
        "-p",
        "wrong-password",
        "list",
        "queues",
      ]);
      let out = "";
      p.stdout.on("data", (d: Buffer) => (out += d.toString()));
      p.stderr.on("data", (d: Buffer) => (out += d.toString()));
      p.once("close", (code) => resolve({ code, stdout: out, stderr: "" }));
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain("Access refused: /api/queues");
  });

  it("declares a vhost, a user and permissions, lists them and deletes them", async () => {
    const user = unique("admin-u");
    await withVhost(async (vhost) => {
      // RabbitMQ gives the vhost's creator full permissions in it
      const mine = async () =>
        (await json<{ user: string; vhost: string; configure: string; write: string; read: string }[]>("list", "permissions")).filter(
          (p) => p.vhost === vhost,
        );
      expect(await mine()).toEqual([{ user: broker.user, vhost, configure: ".*", write: ".*", read: ".*" }]);
      expect(await json<{ name: string }[]>("list", "vhosts", "name")).toContainEqual({ name: vhost });

      expect(await ok("declare", "user", `name=${user}`, "password=s3cret", "tags=management,policymaker")).toBe("user declared\n");
      expect(await json<{ name: string; tags: unknown }[]>("list", "users", "name")).toContainEqual({ name: user });
      const listed = (await json<{ name: string; tags: string | string[] }[]>("list", "users", "name", "tags")).find(
        (u) => u.name === user,
      );
      expect(listed?.tags).toEqual(["management", "policymaker"]);
      expect(await ok("declare", "permission", `vhost=${vhost}`, `user=${user}`, "configure=^c", "write=^w", "read=^r")).toBe(
        "permission declared\n",
      );
      expect((await mine()).sort((a, b) => a.user.localeCompare(b.user))).toEqual(
        [
          { user: broker.user, vhost, configure: ".*", write: ".*", read: ".*" },
          { user, vhost, configure: "^c", write: "^w", read: "^r" },
        ].sort((a, b) => a.user.localeCompare(b.user)),
      );
      // the new user logs in with its password
      const whoami = await fetch(`${broker.url}/api/whoami`, {
        headers: { authorization: "Basic " + Buffer.from(`${user}:s3cret`).toString("base64") },
      });
      expect(await whoami.json()).toEqual({ name: user, tags: ["management", "policymaker"] });

      expect(await ok("delete", "permission", `vhost=${vhost}`, `user=${user}`)).toBe("permission deleted\n");
      expect((await mine()).map((p) => p.user)).toEqual([broker.user]);
      expect(await ok("delete", "user", `name=${user}`)).toBe("user deleted\n");
      expect((await json<{ name: string }[]>("list", "users", "name")).map((u) => u.name)).not.toContain(user);
    });
    const bad = await admin("declare", "user", `name=${user}`, "password_hash=xyz", "tags=");
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain("*** ['not_base64', 'xyz']");
    const gone = await admin("delete", "user", `name=${unique("no-such-user")}`);
    expect(gone.stdout + gone.stderr).toMatch(/\*\*\* Not found: \/api\/users\//);
  });

  it("declares, lists and deletes policies and operator policies", async () => {
    await withVhost(async (vhost) => {
      const name = unique("admin-p");
      expect(
        await ok(
          "-V",
          vhost,
          "declare",
          "policy",
          `name=${name}`,
          "pattern=^capped",
          'definition={"max-length":10}',
          "priority=2",
          "apply-to=queues",
        ),
      ).toBe("policy declared\n");
      expect(
        await ok(
          "-V",
          vhost,
          "declare",
          "operator_policy",
          `name=${name}-op`,
          "pattern=^capped",
          'definition={"max-length":3}',
          "apply-to=queues",
        ),
      ).toBe("operator_policy declared\n");
      const policies = await json<
        { vhost: string; name: string; pattern: string; definition: object; priority: number; "apply-to": string }[]
      >("list", "policies");
      expect(policies).toContainEqual({
        vhost,
        name,
        pattern: "^capped",
        definition: { "max-length": 10 },
        priority: 2,
        "apply-to": "queues",
      });
      const operator = await json<{ vhost: string; name: string; definition: object; priority: number }[]>("list", "operator_policies");
      expect(operator.find((p) => p.vhost === vhost)).toMatchObject({ name: `${name}-op`, definition: { "max-length": 3 }, priority: 0 });

      // a queue shows both, and the operator policy's lower limit applies
      await ok("-V", vhost, "declare", "queue", "name=capped-q", "durable=false");
      const q = await eventually(
        async () => {
          const rows = await json<{ name: string; policy?: string; operator_policy?: string }[]>(
            "-V",
            vhost,
            "list",
            "queues",
            "name",
            "policy",
            "operator_policy",
          );
          const row = rows.find((r) => r.name === "capped-q");
          return row?.policy === name && row.operator_policy === `${name}-op` ? row : undefined;
        },
        20_000,
        "the policies on the queue",
      );
      expect(q).toEqual({ name: "capped-q", policy: name, operator_policy: `${name}-op` });

      const refused = await admin("-V", vhost, "declare", "policy", "name=bad", "pattern=.*", 'definition={"no-such-key":1}');
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain("are not recognised policy settings");

      expect(await ok("-V", vhost, "delete", "policy", `name=${name}`)).toBe("policy deleted\n");
      expect(await ok("-V", vhost, "delete", "operator_policy", `name=${name}-op`)).toBe("operator_policy deleted\n");
      expect((await json<{ vhost: string }[]>("list", "policies")).filter((p) => p.vhost === vhost)).toEqual([]);
      expect((await json<{ vhost: string }[]>("list", "operator_policies")).filter((p) => p.vhost === vhost)).toEqual([]);
      const missing = await admin("-V", vhost, "delete", "policy", `name=${name}`);
      expect(missing.stdout + missing.stderr).toContain(`*** Not found: /api/policies/${vhost}/${name}`);
    });
  });

  it("lists connections, channels and consumers, and closes a connection", async () => {
    expect(broker.amqpUrl, "this scenario needs the broker's AMQP URL (--amqp)").not.toBeNull();
    const tag = unique("admin-conn");
    const q = unique("admin-cq");
    const conn = await amqp.connect(broker.amqpUrl!, { clientProperties: { connection_name: tag } });
    const closed = new Promise<Error | undefined>((resolve) => conn.on("close", resolve));
    conn.on("error", () => undefined);
    const ch = await conn.createChannel();
    await ch.assertQueue(q, { durable: false });
    await ch.prefetch(3);
    const { consumerTag } = await ch.consume(q, () => undefined);

    type Connection = { name: string; user: string; user_provided_name?: string; channels?: number };
    // RabbitMQ lists them once its statistics are emitted
    const connection = await eventually(
      async () =>
        (await json<Connection[]>("list", "connections", "name", "user", "user_provided_name", "channels")).find(
          (c) => c.user_provided_name === tag && c.channels === 1,
        ),
      20_000,
      "the connection in list connections",
    );
    expect(connection.user).toBe(broker.user);
    const channels = await eventually(
      async () =>
        (
          await json<{ name: string; consumer_count?: number; prefetch_count?: number }[]>(
            "list",
            "channels",
            "name",
            "consumer_count",
            "prefetch_count",
          )
        ).filter((c) => c.name.startsWith(`${connection.name} (`)),
      20_000,
      "the channel in list channels",
    );
    expect(channels).toEqual([{ name: `${connection.name} (1)`, consumer_count: 1, prefetch_count: 3 }]);
    const consumers = await json<{ consumer_tag: string; queue: { name: string }; prefetch_count: number; ack_required: boolean }[]>(
      "list",
      "consumers",
    );
    expect(consumers.find((c) => c.consumer_tag === consumerTag)).toMatchObject({
      queue: { name: q },
      prefetch_count: 3,
      ack_required: true,
    });

    expect(await ok("close", "connection", `name=${connection.name}`)).toBe("connection closed\n");
    expect((await closed)?.message).toContain("CONNECTION_FORCED - Closed via management plugin");
    await ok("delete", "queue", `name=${q}`);
    const again = await admin("close", "connection", `name=${connection.name}`);
    expect(again.stdout + again.stderr).toContain("*** Not found: /api/connections/");
  });

  it("shows the overview and lists the node", async () => {
    const overview = await json<{ rabbitmq_version: string; management_version: string }[]>(
      "show",
      "overview",
      "rabbitmq_version",
      "management_version",
    );
    expect(overview).toEqual([{ rabbitmq_version: "3.10.8", management_version: "3.10.8" }]);
    const nodes = await json<{ name: string; type: string; running: boolean }[]>("list", "nodes", "name", "type", "running");
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ type: "disc", running: true });
    expect(await ok("show", "overview", "rabbitmq_version")).toBe(
      "+------------------+\n| rabbitmq_version |\n+------------------+\n| 3.10.8           |\n+------------------+\n",
    );
  });

  it("prints every output format (-f) alike", async () => {
    await withVhost(async (vhost) => {
      await ok("-V", vhost, "declare", "queue", "name=f1", "durable=true");
      await ok("-V", vhost, "declare", "queue", "name=f2", "durable=false");
      const list = (format: string) => ok("-V", vhost, "-f", format, "list", "queues", "name", "durable");
      expect(await list("tsv")).toBe("name\tdurable\nf1\tTrue\nf2\tFalse\n");
      expect(await list("table")).toBe(
        "+------+---------+\n| name | durable |\n+------+---------+\n| f1   | True    |\n| f2   | False   |\n+------+---------+\n",
      );
      expect(await list("kvp")).toBe('name="f1" durable="True"\nname="f2" durable="False"\n');
      expect(await list("bash")).toBe("f1 f2\n");
      const rule = "-".repeat(80);
      expect(await list("long")).toBe(`\n${rule}\n\n   name: f1\ndurable: True\n\n${rule}\n\n   name: f2\ndurable: False\n\n${rule}\n\n`);
      expect(JSON.parse(await list("pretty_json"))).toEqual([
        { name: "f1", durable: true },
        { name: "f2", durable: false },
      ]);
      expect(JSON.parse(await list("raw_json"))).toEqual([
        { name: "f1", durable: true },
        { name: "f2", durable: false },
      ]);
      expect(await ok("-V", vhost, "list", "bindings", "source", "destination", "routing_key")).toContain("| f1          | f1          |");
    });
  });

  it("publishes with properties, gets in each ack mode and encoding, and purges", async () => {
    await withVhost(async (vhost) => {
      const q = "props-q";
      await ok("-V", vhost, "declare", "queue", `name=${q}`, "durable=false");
      expect(
        await ok(
          "-V",
          vhost,
          "publish",
          `routing_key=${q}`,
          "payload=with props",
          'properties={"content_type":"text/plain","delivery_mode":2,"headers":{"h":"v","n":1}}',
        ),
      ).toBe("Message published\n");
      expect(await ok("-V", vhost, "publish", `routing_key=${q}`, "payload=aGVsbG8=", "payload_encoding=base64")).toBe(
        "Message published\n",
      );

      type Got = { payload: string; payload_encoding: string; properties: unknown; redelivered: boolean; message_count: number };
      const peek = await json<Got[]>("-V", vhost, "get", `queue=${q}`, "count=2", "ackmode=ack_requeue_true");
      expect(peek.map((m) => [m.payload, m.redelivered])).toEqual([
        ["with props", false],
        ["hello", false],
      ]);
      expect(peek[0]!.properties).toEqual({ content_type: "text/plain", delivery_mode: 2, headers: { h: "v", n: 1 } });
      // a message without properties shows them as RabbitMQ's empty list
      expect(peek[1]!.properties).toEqual([]);

      const b64 = await json<Got[]>("-V", vhost, "get", `queue=${q}`, "count=1", "ackmode=reject_requeue_true", "encoding=base64");
      expect(b64.map((m) => [m.payload, m.payload_encoding, m.redelivered])).toEqual([["d2l0aCBwcm9wcw==", "base64", true]]);

      const file = join(dir, `payload-${vhost}`);
      expect(await ok("-V", vhost, "get", `queue=${q}`, "ackmode=ack_requeue_true", `payload_file=${file}`)).toContain("routing_key");
      expect(readFileSync(file, "utf8")).toBe("with props");

      expect(await ok("-V", vhost, "purge", "queue", `name=${q}`)).toBe("queue purged\n");
      expect(await json<Got[]>("-V", vhost, "get", `queue=${q}`)).toEqual([]);
    });
  });

  it("exports definitions and imports them", async () => {
    await withVhost(async (vhost) => {
      await ok("-V", vhost, "declare", "exchange", "name=exported-x", "type=topic", "durable=true");
      await ok("-V", vhost, "declare", "queue", "name=exported-q", "durable=true", 'arguments={"x-max-length":7}');
      await ok("-V", vhost, "declare", "binding", "source=exported-x", "destination=exported-q", "routing_key=a.*");
      const file = join(dir, `export-${vhost}.json`);
      expect(await ok("export", file)).toBe(`Exported definitions for ${broker.host} to "${file}"\n`);
      type Defs = {
        vhosts: { name: string }[];
        queues: { name: string; vhost: string; durable: boolean; arguments: object }[];
        exchanges: { name: string; vhost: string; type: string }[];
        bindings: { source: string; vhost: string; destination: string; routing_key: string }[];
      };
      const defs = JSON.parse(readFileSync(file, "utf8")) as Defs;
      expect(defs.vhosts.map((v) => v.name)).toContain(vhost);
      expect(defs.queues).toContainEqual(
        expect.objectContaining({ name: "exported-q", vhost, durable: true, arguments: { "x-max-length": 7 } }),
      );
      expect(defs.exchanges).toContainEqual(expect.objectContaining({ name: "exported-x", vhost, type: "topic" }));
      expect(defs.bindings).toContainEqual(
        expect.objectContaining({ source: "exported-x", vhost, destination: "exported-q", routing_key: "a.*" }),
      );

      const toImport = join(dir, `import-${vhost}.json`);
      writeFileSync(
        toImport,
        JSON.stringify({
          queues: [{ name: "imported-q", vhost, durable: true, auto_delete: false, arguments: {} }],
          bindings: [
            { source: "exported-x", vhost, destination: "imported-q", destination_type: "queue", routing_key: "b.#", arguments: {} },
          ],
        }),
      );
      expect(await ok("import", toImport)).toBe(
        `Uploaded definitions from "${broker.host}" to ${toImport}. The import process may take some time. Consult server logs to track progress.\n`,
      );
      expect((await json<{ name: string }[]>("-V", vhost, "list", "queues", "name")).map((r) => r.name).sort()).toEqual([
        "exported-q",
        "imported-q",
      ]);
      expect(await json<object[]>("-V", vhost, "list", "bindings", "source", "destination", "routing_key")).toContainEqual({
        source: "exported-x",
        destination: "imported-q",
        routing_key: "b.#",
      });

      const broken = join(dir, `broken-${vhost}.json`);
      writeFileSync(
        broken,
        JSON.stringify({ queues: [{ name: "q", vhost: unique("no-such-vhost"), durable: true, auto_delete: false, arguments: {} }] }),
      );
      const refused = await admin("import", broken);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/\*\*\* /);
    });
  });

  it("declares an exchange-to-exchange binding, internal exchanges and quorum queues, and deletes them", async () => {
    await withVhost(async (vhost) => {
      await ok("-V", vhost, "declare", "exchange", "name=src", "type=direct", "durable=false");
      expect(await ok("-V", vhost, "declare", "exchange", "name=inner", "type=headers", "durable=true", "internal=true")).toBe(
        "exchange declared\n",
      );
      expect(await ok("-V", vhost, "declare", "queue", "name=qq", "queue_type=quorum", "durable=true")).toBe("queue declared\n");
      expect(
        await ok("-V", vhost, "declare", "binding", "source=src", "destination=inner", "destination_type=exchange", "routing_key=r"),
      ).toBe("binding declared\n");
      expect(await json<object[]>("-V", vhost, "list", "exchanges", "name", "type", "durable", "internal")).toContainEqual({
        name: "inner",
        type: "headers",
        durable: true,
        internal: true,
      });
      expect(await json<object[]>("-V", vhost, "list", "queues", "name", "type", "durable")).toEqual([
        { name: "qq", type: "quorum", durable: true },
      ]);
      expect(await json<object[]>("-V", vhost, "list", "bindings", "source", "destination", "destination_type")).toContainEqual({
        source: "src",
        destination: "inner",
        destination_type: "exchange",
      });
      expect(
        await ok("-V", vhost, "delete", "binding", "source=src", "destination=inner", "destination_type=exchange", "properties_key=r"),
      ).toBe("binding deleted\n");
      expect(await ok("-V", vhost, "delete", "exchange", "name=inner")).toBe("exchange deleted\n");
      const missing = await admin("-V", vhost, "delete", "exchange", "name=inner");
      expect(missing.stdout + missing.stderr).toContain(`*** Not found: /api/exchanges/${vhost}/inner`);
    });
    const vhost = unique("admin-gone");
    const gone = await admin("delete", "vhost", `name=${vhost}`);
    expect(gone.stdout + gone.stderr).toContain(`*** Not found: /api/vhosts/${vhost}`);
  });
});

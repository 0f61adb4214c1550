// rabbitmqadmin (the management plugin's CLI, shipped in Debian's rabbitmq-server package) against
// the broker under test: list, declare, delete, publish and get, and its error reporting.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

const PYTHON = "/usr/bin/python3";
const RABBITMQADMIN = "/usr/bin/rabbitmqadmin";

let broker: ManagementBrokerUnderTest;

beforeAll(async () => {
  if (!existsSync(RABBITMQADMIN)) {
    throw new Error(`${RABBITMQADMIN} not found: it ships with Debian's rabbitmq-server (bash conformance/rabbitmq.sh deps)`);
  }
  broker = await useManagementBroker();
});
afterAll(() => broker?.close());

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
});

// rabbitmqadmin (Debian's, from the management plugin of RabbitMQ 3.10) against the broker under
// test: list parameters, list vhost_limits, declare/delete parameter and vhost_limit, and how it
// reports a refused parameter. 3.10's rabbitmqadmin has no global parameter commands.
//   npm run conformance -- --management http://guest:guest@HOST:PORT conformance/management/rabbitmqadmin-parameters.test.ts
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

const PYTHON = "/usr/bin/python3";
const RABBITMQADMIN = "/usr/bin/rabbitmqadmin";

let broker: ManagementBrokerUnderTest;
const vhost = unique("conf-admin-params");

beforeAll(async () => {
  if (!existsSync(RABBITMQADMIN)) {
    throw new Error(`${RABBITMQADMIN} not found: it ships with Debian's rabbitmq-server (bash conformance/rabbitmq.sh deps)`);
  }
  broker = await useManagementBroker();
  expect((await apiCall(broker, "PUT", `/api/vhosts/${encodeURIComponent(vhost)}`)).status).toBe(201);
});
afterAll(async () => {
  await apiCall(broker, "DELETE", `/api/vhosts/${encodeURIComponent(vhost)}`);
  await broker?.close();
});

interface Run {
  code: number | null;
  out: string;
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
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.once("error", reject);
    p.once("close", (code) => resolve({ code, out }));
  });
}

type Listed = { vhost: string; component?: string; name?: string; value: unknown }[];
const listed = async (what: string): Promise<Listed> => {
  const r = await admin("-f", "raw_json", "list", what);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as Listed).filter((x) => x.vhost === vhost);
};

// each step is a Python process: generous on a busy machine
describe("rabbitmqadmin's parameter and vhost limit commands", { timeout: 120_000 }, () => {
  it("declare parameter, list parameters, declare/delete vhost_limit, list vhost_limits, delete parameter", async () => {
    expect(await admin("-V", vhost, "declare", "parameter", "component=vhost-limits", "name=limits", 'value={"max-queues": 3}')).toEqual({
      code: 0,
      out: "parameter declared\n",
    });
    expect(await listed("parameters")).toEqual([{ vhost, component: "vhost-limits", name: "limits", value: { "max-queues": 3 } }]);
    expect(await admin("declare", "vhost_limit", `vhost=${vhost}`, "name=max-connections", "value=4")).toEqual({
      code: 0,
      out: "vhost_limit declared\n",
    });
    expect(await listed("vhost_limits")).toEqual([{ vhost, value: { "max-queues": 3, "max-connections": 4 } }]);
    expect(await admin("delete", "vhost_limit", `vhost=${vhost}`, "name=max-connections")).toEqual({
      code: 0,
      out: "vhost_limit deleted\n",
    });
    expect(await listed("vhost_limits")).toEqual([{ vhost, value: { "max-queues": 3 } }]);
    expect(await admin("-V", vhost, "delete", "parameter", "component=vhost-limits", "name=limits")).toEqual({
      code: 0,
      out: "parameter deleted\n",
    });
    expect(await listed("parameters")).toEqual([]);
    expect(await admin("-V", vhost, "delete", "parameter", "component=vhost-limits", "name=limits")).toEqual({
      code: 1,
      out: `*** Not found: /api/parameters/vhost-limits/${encodeURIComponent(vhost)}/limits\n\n`,
    });
  });

  it("a parameter RabbitMQ refuses is reported with its validation text", async () => {
    expect(await admin("-V", vhost, "declare", "parameter", "component=no-such-component", "name=x", "value={}")).toEqual({
      code: 1,
      out: "*** Validation failed\n\ncomponent no-such-component not found\n\n\n",
    });
    expect(await admin("-V", vhost, "declare", "parameter", "component=vhost-limits", "name=limits", 'value={"max-queues": "x"}')).toEqual({
      code: 1,
      out: '*** Validation failed\n\nmax-queues should be a number, actually was &lt;&lt;"x"&gt;&gt;\n\n\n',
    });
  });
});

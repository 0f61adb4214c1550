// `warren ctl`'s vhost limit, runtime parameter and global parameter commands (src/cli/ctl/parameters.ts)
// against the broker under test: the same output whether it is RabbitMQ or Warren, and the lines
// rabbitmqctl 3.10 prints (observed: "Setting vhost limits to ... for vhost ...", banners on stdout
// and left out by -q, rows as tab-separated columns with JSON values).
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ctlCommand } from "../../src/cli/ctl.js";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = unique("conf-ctl-params");

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await apiCall(broker, "PUT", `/api/vhosts/${encodeURIComponent(vhost)}`)).status).toBe(201);
});
afterAll(async () => {
  await apiCall(broker, "DELETE", `/api/vhosts/${encodeURIComponent(vhost)}`);
  await broker?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `warren ctl` as the target's admin user, in this process with its output captured. */
async function ctl(...args: string[]): Promise<Run> {
  const run: Run = { code: 0, stdout: "", stderr: "" };
  const command = ctlCommand({
    out: (t) => void (run.stdout += t),
    err: (t) => void (run.stderr += t),
    exitCode: (c) => void (run.code = c),
    errIsTTY: false,
  });
  const program = new Command("warren").exitOverride().addCommand(command);
  command.exitOverride().configureOutput({ writeOut: (t) => void (run.stdout += t), writeErr: (t) => void (run.stderr += t) });
  try {
    await program.parseAsync(["ctl", "--url", broker.url, "--user", broker.user, "--password", broker.password, ...args], { from: "user" });
  } catch (err) {
    run.code = (err as { exitCode?: number }).exitCode ?? 1;
  }
  return run;
}

describe("vhost limits with warren ctl", () => {
  it("set_vhost_limits, list_vhost_limits (one vhost, --global) and clear_vhost_limits print as rabbitmqctl", async () => {
    const set = await ctl("-p", vhost, "set_vhost_limits", '{"max-connections": 10, "max-queues": 20}');
    expect(set).toEqual({
      code: 0,
      stdout: `Setting vhost limits to "{"max-connections": 10, "max-queues": 20}" for vhost "${vhost}" ...\n`,
      stderr: "",
    });
    const one = await ctl("-p", vhost, "list_vhost_limits");
    const banner = `Listing limits for vhost "${vhost}" ...\n`;
    expect(one.stdout.startsWith(banner)).toBe(true);
    expect(JSON.parse(one.stdout.slice(banner.length))).toEqual({ "max-connections": 10, "max-queues": 20 });
    const all = await ctl("-q", "list_vhost_limits", "--global");
    expect(all.stdout.split("\n")[0]).toBe("vhost\tlimits");
    const row = all.stdout.split("\n").find((l) => l.startsWith(`${vhost}\t`))!;
    expect(JSON.parse(row.split("\t")[1]!)).toEqual({ "max-connections": 10, "max-queues": 20 });
    expect(await ctl("-p", vhost, "clear_vhost_limits")).toEqual({ code: 0, stdout: `Clearing vhost "${vhost}" limits ...\n`, stderr: "" });
    expect((await ctl("-q", "-p", vhost, "list_vhost_limits")).stdout).toBe("");
    const again = await ctl("-p", vhost, "clear_vhost_limits");
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("Parameter does not exist");
  });

  it("a limit RabbitMQ refuses is an error naming its validation failure", async () => {
    const r = await ctl("-p", vhost, "set_vhost_limits", '{"max-foo": 10}');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Unrecognised terms [{<<"max-foo">>,10}] in limits');
    // commander refuses an argument that is not JSON before anything is sent
    const notJson = await ctl("-p", vhost, "set_vhost_limits", "notjson");
    expect(notJson.code).not.toBe(0);
    expect((await ctl("-q", "-p", vhost, "list_vhost_limits")).stdout).toBe("");
  });
});

describe("runtime and global parameters with warren ctl", () => {
  it("set_parameter, list_parameters and clear_parameter", async () => {
    expect(await ctl("-p", vhost, "set_parameter", "vhost-limits", "limits", '{"max-queues": 5}')).toEqual({
      code: 0,
      stdout: `Setting runtime parameter "limits" for component "vhost-limits" to "{"max-queues": 5}" in vhost "${vhost}" ...\n`,
      stderr: "",
    });
    expect(await ctl("-p", vhost, "list_parameters")).toEqual({
      code: 0,
      stdout: `Listing runtime parameters for vhost "${vhost}" ...\ncomponent\tname\tvalue\nvhost-limits\tlimits\t{"max-queues":5}\n`,
      stderr: "",
    });
    const unknown = await ctl("-p", vhost, "set_parameter", "no-such-component", "x", "{}");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("component no-such-component not found");
    expect(await ctl("-p", vhost, "clear_parameter", "vhost-limits", "limits")).toEqual({
      code: 0,
      stdout: `Clearing runtime parameter "limits" for component "vhost-limits" on vhost "${vhost}" ...\n`,
      stderr: "",
    });
    expect((await ctl("-p", vhost, "clear_parameter", "vhost-limits", "limits")).stderr).toContain("Parameter does not exist");
  });

  it("set_global_parameter, list_global_parameters and clear_global_parameter; values print as JSON", async () => {
    const name = unique("conf-ctl-global");
    expect(await ctl("set_global_parameter", name, '"x"')).toEqual({
      code: 0,
      stdout: `Setting global runtime parameter "${name}" to ""x"" ...\n`,
      stderr: "",
    });
    const list = await ctl("list_global_parameters");
    expect(list.stdout.split("\n").slice(0, 2)).toEqual(["Listing global runtime parameters ...", "name\tvalue"]);
    expect(list.stdout.split("\n")).toContain(`${name}\t"x"`);
    expect(await ctl("clear_global_parameter", name)).toEqual({
      code: 0,
      stdout: `Clearing global runtime parameter "${name}" ...\n`,
      stderr: "",
    });
    expect((await ctl("clear_global_parameter", name)).stderr).toContain("Parameter does not exist");
  });
});

// The built `warren ctl` (dist/cli/main.js; `npm run build` first) as an operator runs it: its
// exit codes as a process (rabbitmqctl's: 64 usage, 69 unreachable), what goes to stdout and
// stderr, and await_startup against a broker that is not up yet.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "../../src/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function warrenCtl(url: string, ...args: string[]): { done: Promise<Run>; stdin: NodeJS.WritableStream } {
  const child = spawn(process.execPath, ["dist/cli/main.js", "ctl", "--url", url, ...args], { cwd: root });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return { stdin: child.stdin, done: new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr }))) };
}

const ctl = (url: string, ...args: string[]): Promise<Run> => {
  const run = warrenCtl(url, ...args);
  run.stdin.end();
  return run.done;
};

/** A port nothing listens on (taken from the kernel, then let go). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let broker: RunningBroker;
let url: string;

beforeAll(async () => {
  broker = await startBroker({ amqp: { port: 0 }, management: { port: 0 }, logLevel: "silent" });
  url = `http://127.0.0.1:${broker.ports.management}`;
});
afterAll(() => broker?.close());

describe("the built warren ctl", { timeout: 60_000 }, () => {
  it("prints banners and rows on stdout and exits 0", async () => {
    const r = await ctl(url, "list_exchanges", "name", "type");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").slice(0, 3)).toEqual(["Listing exchanges for vhost / ...", "name\ttype", "\tdirect"]);
  });

  it("exits 64 for bad usage, with the message on stderr", async () => {
    const columns = await ctl(url, "list_queues", "name", "nosuch");
    expect(columns).toEqual({ code: 64, stdout: "", stderr: "Error (argument validation): Info key(s) nosuch are not supported\n" });
    const command = await ctl(url, "no_such_command");
    expect(command.code).toBe(64);
    expect(command.stderr).toContain("unknown command 'no_such_command'");
    expect((await ctl(url, "list_users", "name")).code).toBe(64);
    expect((await ctl(url, "--formatter", "yaml", "list_queues")).code).toBe(64);
    const help = await ctl(url, "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("list_channels");
  });

  it("exits 69 when the broker is unreachable", async () => {
    const port = await freePort();
    const r = await ctl(`http://127.0.0.1:${port}`, "list_queues");
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(
      `Error: unable to perform an operation on node at http://127.0.0.1:${port}: cannot reach the management API`,
    );
    expect((await ctl(`http://127.0.0.1:${port}`, "ping")).code).toBe(69);
  });

  it("await_startup waits for a broker that starts later, and gives up with 69 after its timeout", async () => {
    const port = await freePort();
    const gaveUp = await ctl(`http://127.0.0.1:${port}`, "await_startup", "--timeout", "1");
    expect(gaveUp.code).toBe(69);
    expect(gaveUp.stderr).toContain(`did not start within 1 seconds`);

    const waiting = warrenCtl(`http://127.0.0.1:${port}`, "await_startup", "--timeout", "30");
    let settled = false;
    void waiting.done.then(() => (settled = true));
    // it keeps polling while nothing listens: still running once the broker starts after it
    const late = await startBroker({ management: { port }, logLevel: "silent" });
    try {
      expect(settled).toBe(false);
      const r = await waiting.done;
      expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    } finally {
      await late.close();
    }
  });

  it("export_definitions - writes to stdout, import_definitions - reads stdin", async () => {
    const exported = await ctl(url, "export_definitions", "-");
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ vhosts: [{ name: "/" }] });

    const importing = warrenCtl(url, "import_definitions", "-");
    importing.stdin.end(JSON.stringify({ vhosts: [{ name: "from-stdin" }] }));
    const r = await importing.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Importing definitions in JSON from standard input ...\n");
    expect(broker.core.listVhosts().map((v) => v.name)).toContain("from-stdin");

    const bad = warrenCtl(url, "import_definitions", "-");
    bad.stdin.end("not json");
    const refused = await bad.done;
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(/^Error:\nFailed to deserialise input \(format: JSON\)/);
  });
});

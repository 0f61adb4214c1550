// The built `warren` command with a code cache it cannot use: it starts and serves all the same.
// Each case runs a copy of dist/cli (the launcher and the bundle), so the cache beside the shared
// build stays as it is. Needs `npm run build`.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const OFF = ["mqtt", "stomp", "web-mqtt", "web-stomp", "openwire", "management", "prometheus"].flatMap((l) => [`--${l}-port`, "off"]);

let dir: string;
let cli: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "warren-cli-cache-"));
  // laid out as an install is: package.json two levels above the launcher
  cli = join(dir, "warren", "dist", "cli");
  mkdirSync(cli, { recursive: true });
  copyFileSync("package.json", join(dir, "warren", "package.json"));
  for (const f of ["main.js", "package.json", "warren.cjs"]) copyFileSync(join("dist/cli", f), join(cli, f));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the copy with AMQP on a free port; resolves with that port once it has started, and the process. */
async function startCli(): Promise<{ port: number; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [join(cli, "main.js"), "--data-dir", join(dir, "data"), "--amqp-port", "127.0.0.1:0", ...OFF], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, WARREN_LOG_FORMAT: "json" },
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const line = err.split("\n").find((l) => l.includes('"Warren started"'));
      if (line !== undefined) resolve((JSON.parse(line) as { ports: { amqp: number } }).ports.amqp);
    });
    void exited.then(() => reject(new Error(`exited before starting: ${err}`)));
  });
  return {
    port,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/** The AMQP 0-9-1 server's first bytes after a protocol header: connection.start. */
async function greets(port: number): Promise<boolean> {
  const sock = connect(port, "127.0.0.1");
  sock.write(Buffer.from("AMQP\x00\x00\x09\x01", "latin1"));
  const first = await new Promise<Buffer>((resolve, reject) => {
    sock.once("data", resolve);
    sock.once("error", reject);
  });
  sock.destroy();
  // a method frame on channel 0: class 10 (connection), method 10 (start)
  return first[0] === 1 && first.readUInt16BE(7) === 10 && first.readUInt16BE(9) === 10;
}

/** Polls until `check` holds, for at most 10 s. */
async function eventually(check: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met within 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the warren command's code cache", () => {
  it("starts with a damaged cache, serves clients, and replaces the cache with a good one", async () => {
    const bundle = join(cli, "warren.cjs");
    const cache = `${bundle}.cache`;
    const st = statSync(bundle);
    // a stamp that matches this bundle, then bytes V8 must reject
    writeFileSync(cache, `warren-code-cache 1 ${process.version} ${process.arch} ${st.size} ${st.mtimeMs}\n${"x".repeat(4096)}`);
    const broker = await startCli();
    expect(await greets(broker.port)).toBe(true);
    await eventually(() => statSync(cache).size > 64 * 1024);
    expect(await broker.stop()).toBe(0);
    // and the next start, from that cache, serves too
    const again = await startCli();
    expect(await greets(again.port)).toBe(true);
    expect(await again.stop()).toBe(0);
    expect(readFileSync(cache).includes("x".repeat(4096))).toBe(false);
  });

  it("starts where the cache cannot be written", async () => {
    // a directory where the cache file would go: neither readable as a file nor replaceable by one
    mkdirSync(join(cli, "warren.cjs.cache"));
    const broker = await startCli();
    expect(await greets(broker.port)).toBe(true);
    expect(await broker.stop()).toBe(0);
    expect(statSync(join(cli, "warren.cjs.cache")).isDirectory()).toBe(true);
  });
});

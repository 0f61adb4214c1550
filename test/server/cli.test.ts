import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatLine, formatTime } from "../../src/server/log-format.js";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

/** Runs the built CLI to its end (these runs stop by themselves), with stderr a pipe or, through script(1), a terminal. */
function run(args: string[], opts: { tty?: boolean; env?: Record<string, string> } = {}): Promise<{ code: number | null; out: string }> {
  const cmd = [process.execPath, "dist/cli/main.js", ...args];
  const quoted = cmd.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child =
    opts.tty === true
      ? spawn("script", ["-qec", quoted, "/dev/null"], { env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, out: out.replace(/\r\n/g, "\n") })));
}

/** Flags that bind nothing but AMQP on a free loopback port. */
const QUIET = listenerArgs({ amqp: "127.0.0.1:0" });

/** A start that logs an error line and exits 1 by itself: definitions with a refused user. */
async function failingStart(dir: string): Promise<string[]> {
  const bad = join(dir, "bad.json");
  await writeFile(bad, JSON.stringify({ users: [{ name: "x", password_hash: "", hashing_algorithm: "md4" }] }));
  return [...QUIET, "--data-dir", join(dir, "data"), "--load-definitions", bad];
}

const HUMAN = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d \[error\] definitions refused: imported nothing; refused 1: user 'x'/m;
const JSON_LINE = /^\{"level":50,"time":\d+,.*"msg":"definitions refused: /m;

describe("the warren command", () => {
  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    const r = await run(["--version"]);
    expect(r).toEqual({ code: 0, out: `${pkg.version}\n` });
  });

  it("logs human lines on a terminal and JSON into a pipe; log.console.formatter and WARREN_LOG_FORMAT choose", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-cli-"));
    try {
      const args = await failingStart(dir);
      const piped = await run(args);
      expect(piped.code).toBe(1);
      expect(piped.out).toMatch(JSON_LINE);
      const tty = await run(args, { tty: true });
      expect(tty.out).toMatch(HUMAN);
      expect(tty.out).not.toMatch(/^\{"level"/m);
      // asked for: plaintext into a pipe, json on a terminal (the conf key as RabbitMQ's)
      expect((await run(args, { env: { WARREN_LOG_FORMAT: "plaintext" } })).out).toMatch(HUMAN);
      const conf = join(dir, "rabbitmq.conf");
      await writeFile(conf, "log.console.formatter = json\n");
      expect((await run([...args, "--config", conf], { tty: true })).out).toMatch(JSON_LINE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a misspelt rabbitmq.conf key stops start-up with the file, the line and the nearest key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warren-cli-"));
    try {
      const conf = join(dir, "rabbitmq.conf");
      await writeFile(conf, "# migrated\nlistners.tcp.default = 5673\n");
      const r = await run(["--config", conf, ...QUIET, "--data-dir", join(dir, "data")]);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`${conf}:2: unknown configuration key "listners.tcp.default" (did you mean "listeners.tcp.default"?)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("human log lines", () => {
  it("time with offset, RabbitMQ's level word, the message, then the fields worth reading", () => {
    const time = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    const line = formatLine(
      JSON.stringify({
        level: 40,
        time,
        app: "warren",
        pid: 1,
        hostname: "h",
        protocol: "amqp",
        peer: "127.0.0.1:5000",
        user: "bob",
        reason: "user 'bob' - invalid credentials (wrong password)",
        msg: "PLAIN login refused: user 'bob' - invalid credentials (wrong password)",
      }),
    );
    expect(line).toBe(
      `${formatTime(time)} [warning] PLAIN login refused: user 'bob' - invalid credentials (wrong password) protocol=amqp peer=127.0.0.1:5000 user=bob reason="user 'bob' - invalid credentials (wrong password)"\n`,
    );
    expect(formatTime(time)).toMatch(/^2026-01-0[12] \d\d:04:05\.006[+-]\d\d:\d\d$/);
    const err = formatLine(
      JSON.stringify({ level: 50, time, msg: "failed", err: { message: "boom", code: "EIO", stack: "Error: boom\n    at x (y.js:1:1)" } }),
    );
    expect(err).toBe(`${formatTime(time)} [error] failed err=boom code=EIO\n    at x (y.js:1:1)\n`);
    expect(formatLine("not json")).toBe("not json\n");
  });
});

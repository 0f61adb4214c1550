/**
 * Warren as PID 1 of its own PID namespace, as in a container: after kill -9 the next PID 1 must
 * take its data dir back (a pid lock would find "pid 1" alive: itself), while a live one still
 * refuses a second Warren, from its own namespace or another. Needs root and util-linux's unshare:
 * `npm run test:root` (run by .ci/run), not `npm test`; without them it fails, it does not skip.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ChildProcessByStdio, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { startBroker } from "warren";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("test/root needs root (unshare --pid): run it as root, as .ci/run does");
  execFileSync("unshare", ["--version"], { stdio: "ignore" });
});

type Proc = ChildProcessByStdio<null, null, Readable>;
let dir: string;
const running: Proc[] = [];
afterEach(() => {
  for (const p of running.splice(0)) {
    const inner = pid1Of(p);
    if (inner !== null) process.kill(inner, "SIGKILL");
    p.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The host pid of the process unshare forked: PID 1 inside the namespace. */
function pid1Of(p: Proc): number | null {
  try {
    const kids = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim();
    return kids === "" ? null : Number(kids.split(" ")[0]);
  } catch {
    return null;
  }
}

/** The pid a process has in its own (innermost) PID namespace. */
function innermostPid(hostPid: number): number {
  const line = readFileSync(`/proc/${hostPid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("NSpid:"))!;
  return Number(line.trim().split(/\s+/).at(-1));
}

/** Starts dist/cli/main.js as PID 1 of a new PID namespace; resolves with the started line, or rejects with the log. */
async function startAsPid1(): Promise<{ proc: Proc; started: { ports: { amqp: number } } }> {
  const proc = spawn(
    "unshare",
    [
      "--pid",
      "--fork",
      "--mount-proc",
      process.execPath,
      "dist/cli/main.js",
      ...listenerArgs({ amqp: 0 }),
      "--data-dir",
      dir,
      "--log-level",
      "info",
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  running.push(proc);
  let log = "";
  const started = await new Promise<{ ports: { amqp: number } }>((resolve, reject) => {
    proc.stderr.on("data", (d: Buffer) => {
      log += d.toString();
      for (const line of log.split("\n")) if (line.includes("Warren started")) resolve(JSON.parse(line) as { ports: { amqp: number } });
    });
    proc.once("exit", (code) => reject(new Error(`exit ${code}: ${log}`)));
  });
  return { proc, started };
}

function kill9Pid1(proc: Proc): Promise<void> {
  const inner = pid1Of(proc);
  if (inner === null) throw new Error("no PID 1 under unshare");
  return new Promise((resolve) => {
    proc.once("exit", () => resolve());
    process.kill(inner, "SIGKILL");
  });
}

describe("data dir lock in a PID namespace", () => {
  it("PID 1 killed with -9 restarts as PID 1 on the same data dir", { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-pidns-"));
    const first = await startAsPid1();
    expect(innermostPid(pid1Of(first.proc)!)).toBe(1);
    await kill9Pid1(first.proc);
    const again = await startAsPid1();
    expect(innermostPid(pid1Of(again.proc)!)).toBe(1);
  });

  it("a live PID 1 still refuses a second Warren, in another namespace or in the host's", { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-pidns-"));
    const live = await startAsPid1();
    await expect(startAsPid1()).rejects.toThrow(`data dir ${dir} is in use by another Warren (pid 1,`);
    await expect(startBroker({ amqp: { port: 0 }, dataDir: dir, logLevel: "silent" })).rejects.toThrow(
      `data dir ${dir} is in use by another Warren (pid 1,`,
    );
    // and it is still the one serving
    expect(pid1Of(live.proc)).not.toBeNull();
  });
});

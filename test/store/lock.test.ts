/**
 * The data dir lock (src/store/lock.ts): a socket the owner listens on, so it dies with its owner.
 * Holders in other processes are node children running the module through tsx.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { acquireDataDirLock, DataDirInUseError, LOCK_FILE } from "../../src/store/lock.js";

let dir: string;
const children: ChildProcessByStdio<null, Readable, null>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** A node process that takes the lock and holds it until killed; resolves once it holds it. */
async function holder(dataDir: string): Promise<ChildProcessByStdio<null, Readable, null>> {
  const code = `const m = await import(${JSON.stringify(new URL("../../src/store/lock.ts", import.meta.url).pathname)});
await m.acquireDataDirLock(${JSON.stringify(dataDir)}); console.log("held"); setInterval(() => {}, 1 << 30);`;
  const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(proc);
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on("data", (d: Buffer) => d.toString().includes("held") && resolve());
    proc.once("exit", (c) => reject(new Error(`holder exited ${c}`)));
  });
  return proc;
}

const kill9 = (p: ChildProcessByStdio<null, Readable, null>) =>
  new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGKILL");
  });

describe("data dir lock", () => {
  it("refuses a second holder in the same process, naming the pid, until released", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-lock-"));
    const lock = await acquireDataDirLock(dir);
    expect(statSync(join(dir, LOCK_FILE)).isSocket()).toBe(true);
    const second = acquireDataDirLock(dir);
    await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
    await expect(second).rejects.toThrow(`data dir ${dir} is in use by another Warren (pid ${process.pid}, ${join(dir, LOCK_FILE)})`);
    lock.release();
    (await acquireDataDirLock(dir)).release();
  });

  it("refuses while another process holds it, and takes it over once that process was killed with -9", { timeout: 30_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-lock-"));
    const owner = await holder(dir);
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`(pid ${owner.pid},`);
    await kill9(owner);
    // the socket file stays behind, but nobody answers on it any more
    expect(statSync(join(dir, LOCK_FILE)).isSocket()).toBe(true);
    const lock = await acquireDataDirLock(dir);
    lock.release();
  });

  it("works in a data dir whose path is longer than a socket path may be", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-lock-"));
    const deep = join(dir, "d".repeat(100), "e".repeat(100));
    mkdirSync(deep, { recursive: true });
    const lock = await acquireDataDirLock(deep);
    expect(statSync(join(deep, LOCK_FILE)).isSocket()).toBe(true);
    await expect(acquireDataDirLock(deep)).rejects.toThrow(`pid ${process.pid}`);
    lock.release();
    expect(() => statSync(join(deep, LOCK_FILE))).toThrow(/ENOENT/);
    (await acquireDataDirLock(deep)).release();
  });

  it("takes over a pid file an older Warren left when that pid is gone or is this process", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-lock-"));
    const gone = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => gone.once("exit", r));
    writeFileSync(join(dir, LOCK_FILE), `${gone.pid}\n`);
    (await acquireDataDirLock(dir)).release();
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    (await acquireDataDirLock(dir)).release();
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

let child: ChildProcess | null = null;
let dir = "";
afterEach(() => {
  child?.kill("SIGKILL");
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

describe("the shared list of the CLI's default listeners (bench/lib/cli-listeners.mjs)", () => {
  it("names every listener the CLI opens by default: with the rest off, only the one asked for opens", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-listeners-"));
    const proc = spawn(process.execPath, ["dist/cli/main.js", ...listenerArgs({ amqp: "127.0.0.1:0" }), "--data-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child = proc;
    const ports = await new Promise<Record<string, number>>((resolve, reject) => {
      let log = "";
      proc.stderr!.on("data", (d: Buffer) => {
        log += d.toString();
        const line = log.split("\n").find((l) => l.includes("Warren started"));
        if (line !== undefined) resolve((JSON.parse(line) as { ports: Record<string, number> }).ports);
      });
      proc.once("exit", (code) => reject(new Error(`exited ${code} before starting:\n${log}`)));
    });
    // a listener added to the CLI's defaults but not to the list would open here on its standard port
    expect(Object.keys(ports)).toEqual(["amqp"]);
  });
});

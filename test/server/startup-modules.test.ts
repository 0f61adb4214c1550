// What the CLI broker loads before its first client, seen from inside the real process: node's
// TLS, HTTPS and zlib modules cost ~20 ms of start-up CPU and ~3.5 MiB (bench/README.md,
// "Start-up") and no plain listener needs them — node:http (5-7 ms) comes with the first connection
// to a WebSocket, management or Prometheus port (src/transport/deferred-http.ts), node:tls with the first TLS listener,
// node:https with HTTPS management, zlib (ws) with the first WebSocket upgrade. node:assert
// (sonic-boom, when a destination closes) is never needed by a start (tsup.config.ts,
// lazyBuiltins), nor node:v8 (the resource monitor, for its first forced collection), nor
// node:fs/promises (with readline's internals: the start uses node:fs's callbacks). Needs `npm run build`.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const LISTENERS = ["amqp", "mqtt", "stomp", "web-mqtt", "web-stomp", "openwire", "management", "prometheus"];
// node's list of the built-in modules loaded by the time the CLI says it has started ("warren:started",
// src/cli/code-cache.ts), printed when the process exits
const REPORT =
  'data:text/javascript,let l;process.once("warren:started",()=>{l=[...process.moduleLoadList]});process.on("exit",()=>process.stdout.write(JSON.stringify(l||[])))';

/** Starts the built CLI with every standard listener on a free port, stops it once started, and returns its module list. */
async function loadedAtStart(): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "warren-startup-"));
  const args = ["--import", REPORT, "dist/cli/main.js", "--data-dir", dir, "--log-format", "json", "--log-level", "info"];
  for (const l of LISTENERS) args.push(`--${l}-port`, "127.0.0.1:0");
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes('"msg":"Warren started"')) resolve();
    });
    void exited.then(() => reject(new Error(`exited before starting: ${err}`)));
  });
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  await rm(dir, { recursive: true, force: true });
  return JSON.parse(out) as string[];
}

describe("the CLI broker at start", () => {
  it("has every listener up without node:http, node:tls, node:https, node:zlib, node:assert, node:v8 or node:fs/promises loaded", async () => {
    const loaded = await loadedAtStart();
    expect(loaded).toContain("NativeModule net");
    expect(loaded.filter((m) => /^NativeModule (_?http|_http_\w+|tls|_tls_wrap|https|zlib|assert|v8|fs\/promises)$/.test(m))).toEqual([]);
  });
});

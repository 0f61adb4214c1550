// `npm start` runs the bundle in dist/: the web UI must be served from there too (tsup copies
// src/management/ui to dist/ui). `npm test` builds dist before running this.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { listenerArgs } from "../../bench/lib/cli-listeners.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("the built broker", () => {
  it("serves the management UI and API from dist", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "warren-dist-"));
    const child = spawn(
      process.execPath,
      ["dist/cli/main.js", ...listenerArgs({ management: 0 }), "--host", "127.0.0.1", "--data-dir", dataDir],
      { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let log = "";
        child.stderr.on("data", (chunk: Buffer) => {
          log += chunk.toString();
          const m = /management API and UI listening on port (\d+)/.exec(log);
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`warren exited with ${code}: ${log}`)));
      });
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toContain("<title>Warren Management</title>");
      // the UI's ES modules, the page modules in their own folder, as JavaScript (browsers refuse
      // a module of another type)
      for (const file of ["js/main.js", "js/pages/queue.js"]) {
        const js = await fetch(`http://127.0.0.1:${port}/${file}`);
        expect(js.status).toBe(200);
        expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
      }
      const who = await fetch(`http://127.0.0.1:${port}/api/whoami`, {
        headers: { authorization: "Basic " + Buffer.from("guest:guest").toString("base64") },
      });
      expect(await who.json()).toEqual({ name: "guest", tags: ["administrator"] });
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

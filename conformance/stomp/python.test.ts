// stomp.py, as legacy Python scripts use it, against the broker under test: every STOMP version.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type StompBrokerUnderTest, useStompBroker } from "./target.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "python", "roundtrip.py");

let target: StompBrokerUnderTest;
beforeAll(async () => {
  target = await useStompBroker();
});
afterAll(() => target.close());

describe("stomp.py", () => {
  it("sends and receives on /queue and a wildcard /topic with STOMP 1.2, 1.1 and 1.0", async () => {
    const suffix = randomBytes(3).toString("hex");
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        PYTHON,
        ["-u", SCRIPT, target.host, String(target.port), suffix],
        { timeout: 30_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { version: string; ok: boolean; bodies: string[][]; errors: string[] });
    expect(lines.map((l) => l.version)).toEqual(["1.2", "1.1", "1.0"]);
    for (const l of lines) {
      const v = l.version.replace(".", "");
      expect(l).toEqual({
        version: l.version,
        ok: true,
        errors: [],
        bodies: [
          ["published", `/topic/py${suffix}.v${v}.x`, "t"],
          ["queued", `/queue/py-${suffix}-${l.version}`, "q"],
        ],
      });
    }
  });
});

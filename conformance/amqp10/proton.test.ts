// Python Qpid Proton (Debian's python3-qpid-proton under /usr/bin/python3) against the broker:
// SASL PLAIN, unsettled and pre-settled sends, a receiver with credit that accepts.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { amqp10Suite } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "python", "proton_roundtrip.py");
const suite = amqp10Suite();

describe("Qpid Proton (Python)", () => {
  it("sends unsettled and pre-settled, then receives and accepts all", async () => {
    const q = suite.name("a10-proton");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        PYTHON,
        ["-u", SCRIPT, suite.broker.host, String(suite.broker.port), `/amq/queue/${q}`],
        { timeout: 30_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(JSON.parse(out.trim())).toEqual({
      outcomes: ["accepted", "accepted", "accepted"],
      received: ["p1", "p2", "p3", "p4"],
      error: null,
    });
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });
});

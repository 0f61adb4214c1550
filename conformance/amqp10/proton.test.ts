// Python Qpid Proton (Debian's python3-qpid-proton under /usr/bin/python3) against the broker:
// SASL PLAIN, unsettled and pre-settled sends, a receiver with credit that accepts.
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { amqp10Suite } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "python", "proton_roundtrip.py");
const RECEIVE = join(dirname(fileURLToPath(import.meta.url)), "python", "proton_receive.py");

function python(script: string, ...args: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(
      PYTHON,
      ["-u", script, ...args],
      { timeout: 30_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}
const suite = amqp10Suite();

describe("Qpid Proton (Python)", () => {
  it("sends unsettled and pre-settled, then receives and accepts all", async () => {
    const q = suite.name("a10-proton");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const out = await python(SCRIPT, suite.broker.host, String(suite.broker.port), `/amq/queue/${q}`);
    expect(JSON.parse(out.trim())).toEqual({
      outcomes: ["accepted", "accepted", "accepted"],
      received: ["p1", "p2", "p3", "p4"],
      error: null,
    });
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });

  it("receives a message published over AMQP 0-9-1, converted to AMQP 1.0 sections", async () => {
    const q = suite.name("a10-proton-091");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    ch.sendToQueue(q, Buffer.from("from 0-9-1"), {
      persistent: true,
      priority: 2,
      messageId: "m-1",
      correlationId: "c-1",
      contentType: "text/plain",
      headers: { color: "green" },
    });
    const got = JSON.parse((await python(RECEIVE, suite.broker.host, String(suite.broker.port), `/amq/queue/${q}`)).trim());
    expect(got).toEqual({
      body: "from 0-9-1",
      durable: true,
      priority: 2,
      id: "m-1",
      correlation_id: "c-1",
      content_type: "text/plain",
      // Warren maps headers to application-properties as RabbitMQ 4; RabbitMQ 3.10 does not
      properties: suite.broker.kind === "warren" ? { color: "green" } : null,
    });
  });
});

const TRANSACTIONS = join(dirname(fileURLToPath(import.meta.url)), "python", "proton_transactions.py");

// A transaction committed and one rolled back, over the coordinator. RabbitMQ 3.10's plugin has no
// coordinator: it ends the session with amqp:not-implemented "Transactions not supported".
describe("Qpid Proton transactions", () => {
  it("a transaction committed and one rolled back, sending and accepting", async () => {
    const q = suite.name("a10-tx");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false, autoDelete: false });
    const got = JSON.parse((await python(TRANSACTIONS, suite.broker.host, String(suite.broker.port), `/amq/queue/${q}`)).trim());
    if (suite.broker.kind === "rabbitmq") {
      expect(got).toEqual({ events: [], received: [], error: "amqp:not-implemented" });
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
      return;
    }
    expect(got).toEqual({
      // send c1, c2 and commit; send r1 and roll back; accept c1, c2 and roll back; accept them again and commit
      events: ["declared", "committed", "declared", "aborted", "declared", "aborted", "declared", "committed"],
      // r1 never reached the queue; c1 and c2 came back after the rolled-back accept
      received: ["c1", "c2", "c1", "c2"],
      error: null,
    });
    expect((await ch.checkQueue(q)).messageCount).toBe(0);
  });
});

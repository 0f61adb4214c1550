import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import amqp from "amqplib";
import { startBroker, type RunningBroker } from "warren";

let broker: RunningBroker | null = null;
let dir: string | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function start(dataDir?: string) {
  broker = await startBroker({ amqp: { port: 0 }, logLevel: "silent", ...(dataDir && { dataDir }) });
  return amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`);
}

/** Polls basic.get until `n` messages came or the deadline passed. */
async function collect(ch: amqp.Channel, q: string, n: number, ms = 5000) {
  const got: { body: string; at: number; headers: Record<string, unknown> }[] = [];
  const deadline = Date.now() + ms;
  while (got.length < n && Date.now() < deadline) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) await new Promise((r) => setTimeout(r, 10));
    else got.push({ body: m.content.toString(), at: Date.now(), headers: m.properties.headers ?? {} });
  }
  return got;
}

describe("x-delayed-message exchange (rabbitmq-delayed-message-exchange plugin)", () => {
  it("holds messages for x-delay ms, then routes them by the delayed type, earliest first", async () => {
    const conn = await start();
    const ch = await conn.createChannel();
    await ch.assertExchange("later", "x-delayed-message", { arguments: { "x-delayed-type": "direct" } });
    await ch.assertQueue("dq");
    await ch.bindQueue("dq", "later", "k");
    const t0 = Date.now();
    ch.publish("later", "k", Buffer.from("slow"), { headers: { "x-delay": 400 } });
    ch.publish("later", "k", Buffer.from("fast"), { headers: { "x-delay": 150 } });
    ch.publish("later", "k", Buffer.from("now"));
    ch.publish("later", "k", Buffer.from("negative"), { headers: { "x-delay": -5 } });
    ch.publish("later", "other", Buffer.from("unbound"), { headers: { "x-delay": 10 } });
    const got = await collect(ch, "dq", 4);
    expect(got.map((m) => m.body)).toEqual(["now", "negative", "fast", "slow"]);
    expect(got[2]!.at - t0).toBeGreaterThanOrEqual(140);
    expect(got[3]!.at - t0).toBeGreaterThanOrEqual(390);
    // the plugin negates x-delay on release, so a consumer can tell the message was delayed
    expect(got[3]!.headers["x-delay"]).toBe(-400);
    await conn.close();
  });

  it("routes as a topic exchange when x-delayed-type is topic", async () => {
    const conn = await start();
    const ch = await conn.createChannel();
    await ch.assertExchange("tlater", "x-delayed-message", { arguments: { "x-delayed-type": "topic" } });
    await ch.assertQueue("tq");
    await ch.bindQueue("tq", "tlater", "a.*");
    ch.publish("tlater", "a.b", Buffer.from("yes"), { headers: { "x-delay": 50 } });
    ch.publish("tlater", "b.b", Buffer.from("no"), { headers: { "x-delay": 50 } });
    expect((await collect(ch, "tq", 2, 600)).map((m) => m.body)).toEqual(["yes"]);
    await conn.close();
  });

  it("refuses a missing, unknown or recursive x-delayed-type as the plugin does", async () => {
    (await start()).close();
    const cases: [Record<string, unknown>, number, string][] = [
      [{}, 406, "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type"],
      [
        { "x-delayed-type": "x-delayed-message" },
        406,
        "PRECONDITION_FAILED - Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'",
      ],
      [{ "x-delayed-type": "nope" }, 503, "COMMAND_INVALID - unknown exchange type 'nope'"],
    ];
    for (const [args, code, text] of cases) {
      const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker!.ports.amqp}`);
      let closedWith: { code: number; message: string } | null = null;
      conn.on("error", (e: { code: number; message: string }) => (closedWith = e));
      const ch = await conn.createChannel();
      ch.on("error", () => undefined);
      const err = (await ch.assertExchange("bad", "x-delayed-message", { arguments: args }).catch((e: unknown) => e)) as {
        code: number;
        message: string;
      };
      // 503 is a connection error: amqplib reports it on the connection
      const seen = code === 503 ? closedWith! : err;
      expect(seen.code).toBe(code);
      expect(seen.message).toContain(text);
      await conn.close().catch(() => undefined);
    }
  });

  it("a durable delayed exchange keeps its held messages across a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-delayed-"));
    let conn = await start(dir);
    let ch = await conn.createConfirmChannel();
    await ch.assertExchange("dlater", "x-delayed-message", { durable: true, arguments: { "x-delayed-type": "fanout" } });
    await ch.assertQueue("dd", { durable: true });
    await ch.bindQueue("dd", "dlater", "");
    ch.publish("dlater", "", Buffer.from("held"), { persistent: true, headers: { "x-delay": 700 } });
    await ch.waitForConfirms();
    await conn.close();
    await broker!.close();
    conn = await start(dir);
    const c2 = await conn.createChannel();
    const got = await collect(c2, "dd", 1);
    expect(got.map((m) => m.body)).toEqual(["held"]);
    await conn.close();
    // released messages are not held again after another restart
    await broker!.close();
    conn = await start(dir);
    const c3 = await conn.createChannel();
    expect(await collect(c3, "dd", 1, 300)).toEqual([]);
    void ch;
    await conn.close();
  });
});

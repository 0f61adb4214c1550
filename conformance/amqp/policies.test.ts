// Policies and operator policies, set as each broker's operators set them (rabbitmqctl on
// RabbitMQ, the core API on an embedded Warren; see policy-admin.ts), observed with amqplib:
// applied to existing and new queues, highest priority first, x-arguments and operator limits
// taking the lower value, clearing restoring the declared behaviour.

import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { conformanceSuite, eventually, runPython } from "./helpers.js";
import { type PolicyKind, policyAdmin } from "./policy-admin.js";

const suite = conformanceSuite();
const set: [PolicyKind, string][] = [];

afterEach(async () => {
  const admin = policyAdmin(suite.broker);
  for (const [kind, name] of set.splice(0)) await admin.clear(kind, name).catch(() => undefined);
});

/** A policy on queues named like `prefix`, cleared after the test. */
async function policy(
  kind: PolicyKind,
  prefix: string,
  definition: Record<string, unknown>,
  priority = 0,
  applyTo: "queues" | "exchanges" | "all" = "queues",
) {
  const name = `conf-${kind}-${randomBytes(4).toString("hex")}`;
  set.push([kind, name]);
  await policyAdmin(suite.broker).set(kind, name, `^${prefix.replace(/\./g, "\\.")}`, definition, { priority, applyTo });
  return name;
}

async function fill(queue: string, n: number, args: Record<string, unknown> = {}) {
  const { ch } = await suite.confirmChannel();
  await ch.assertQueue(queue, { durable: true, arguments: args });
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
  await ch.waitForConfirms();
}

async function count(queue: string): Promise<number> {
  const { ch } = await suite.channel();
  return (await ch.checkQueue(queue)).messageCount;
}

const expectCount = (queue: string, n: number) => eventually(async () => expect(await count(queue)).toBe(n));

describe("policies", () => {
  it("a max-length policy caps an existing queue (dropping its oldest) and queues declared later", async () => {
    const prefix = suite.queueName("pol-cap");
    await fill(`${prefix}.old`, 5);
    suite.cleanupQueue(`${prefix}.old`);
    const other = suite.queueName("pol-other");
    await fill(other, 5);
    await policy("policy", prefix, { "max-length": 2 });
    await expectCount(`${prefix}.old`, 2);
    suite.cleanupQueue(`${prefix}.new`);
    await fill(`${prefix}.new`, 4);
    expect(await count(`${prefix}.new`)).toBe(2);
    expect(await count(other)).toBe(5);
  });

  it("the highest priority policy wins; clearing it lets the next one apply", async () => {
    const q = suite.queueName("pol-prio");
    await policy("policy", q, { "max-length": 4 }, 1);
    const high = await policy("policy", q, { "max-length": 1 }, 5);
    await fill(q, 3);
    expect(await count(q)).toBe(1);
    await policyAdmin(suite.broker).clear("policy", high);
    await eventually(async () => {
      await fill(q, 5);
      expect(await count(q)).toBe(4);
    });
  });

  it("the lower of x-max-length and the policy's max-length applies", async () => {
    const low = suite.queueName("pol-arglow");
    const high = suite.queueName("pol-arghigh");
    await policy("policy", low, { "max-length": 3 });
    await policy("policy", high, { "max-length": 3 });
    await fill(low, 6, { "x-max-length": 1 });
    await fill(high, 6, { "x-max-length": 10 });
    expect(await count(low)).toBe(1);
    expect(await count(high)).toBe(3);
  });

  it("an operator policy's lower limit overrides the user policy's", async () => {
    const q = suite.queueName("pol-op");
    await policy("policy", q, { "max-length": 5 });
    await policy("operator", q, { "max-length": 2 });
    await fill(q, 6);
    expect(await count(q)).toBe(2);
  });

  it("x-overflow given at declare time wins over the policy's overflow", async () => {
    const q = suite.queueName("pol-overflow");
    await policy("policy", q, { "max-length": 1, overflow: "reject-publish" });
    const { ch } = await suite.confirmChannel();
    await ch.assertQueue(q, { durable: true, arguments: { "x-overflow": "drop-head" } });
    ch.sendToQueue(q, Buffer.from("a"));
    ch.sendToQueue(q, Buffer.from("b"));
    await ch.waitForConfirms();
    const m = await ch.get(q, { noAck: true });
    expect(m && m.content.toString()).toBe("b");
  });

  it("a policy applying to exchanges leaves queues alone", async () => {
    const q = suite.queueName("pol-exchanges");
    await policy("policy", q, { "max-length": 1 }, 0, "exchanges");
    await fill(q, 3);
    expect(await count(q)).toBe(3);
  });
});

describe("policies seen from pika", () => {
  it("a pika publisher's queue is capped by the max-length policy matching it", async () => {
    const q = suite.queueName("pol-pika");
    await policy("policy", q, { "max-length": 3 });
    expect(await runPython(suite, "fill_count.py", [q, "7"])).toEqual({ messages: 3 });
  });
});

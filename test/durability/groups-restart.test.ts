// ActiveMQ's message groups across a restart: a stored message keeps its group (JMSXGroupID), so
// the recovered queue groups it again, as ActiveMQ's KahaDB messages keep their group id. Group
// owners are in memory on both brokers: each group is assigned anew by its first recovered message.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Queue, type RunningBroker, startBroker } from "warren";
import { Message } from "../../src/core/message.js";
import type { VirtualHost } from "../../src/core/vhost.js";
import { FakeConsumer, ok } from "../core/fake-consumer.js";

let dir: string;
let broker: RunningBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

const start = async (pageOutBytes?: number) =>
  (broker = await startBroker({
    amqp: { port: 0 },
    dataDir: dir,
    logLevel: "silent",
    ...(pageOutBytes !== undefined && { pageOutBytes }),
  }));
const vhost = () => broker!.core.vhost("/") as unknown as VirtualHost;
const queue = () => (vhost() as unknown as { queues: Map<string, Queue> }).queues.get("q")!;

/** A persistent message "<group>-<n>" in group <group> ("-<n>": none), as OpenWire and STOMP mark it. */
function grouped(body: string): Message {
  const group = body.slice(0, body.indexOf("-"));
  const m = new Message("", "q", Buffer.from(body), {
    deliveryMode: 2,
    ...(group !== "" && { headers: { JMSXGroupID: group, JMSXGroupSeq: 0 } }),
  });
  if (group !== "") m.group = group;
  return m;
}

/** "<body>" with "*" where the delivery assigned its group (JMSXGroupFirstForConsumer). */
const got = (c: FakeConsumer) => c.delivered.map((e) => e.message.body.toString() + (e.groupFirst ? "*" : ""));

async function publishThenRestart(bodies: string[], pageOutBytes?: number): Promise<Queue> {
  dir = mkdtempSync(join(tmpdir(), "warren-groups-"));
  await start(pageOutBytes);
  ok(vhost().declareQueue("q", { durable: true }, null));
  for (const b of bodies) ok(vhost().publish("", "q", grouped(b)));
  await broker!.close();
  await start(pageOutBytes);
  return queue();
}

function consumeBoth(q: Queue): { a: FakeConsumer; b: FakeConsumer } {
  const a = new FakeConsumer();
  const b = new FakeConsumer();
  ok(q.consume(a, { tag: "a", noAck: false, exclusive: false, priority: 0 }));
  ok(q.consume(b, { tag: "b", noAck: false, exclusive: false, priority: 0 }));
  q.dispatch();
  return { a, b };
}

describe("message groups after a restart", () => {
  it("recovered messages are grouped again: each group goes to one consumer, ungrouped ones round-robin", async () => {
    const q = await publishThenRestart(["g1-0", "g1-1", "g2-0", "-0", "g2-1", "g1-2", "-1", "g2-2"]);
    expect(q.messageCount).toBe(8);
    const { a, b } = consumeBoth(q);
    expect(got(a)).toEqual(["g1-0*", "g1-1", "-0", "g1-2"]);
    expect(got(b)).toEqual(["g2-0*", "g2-1", "-1", "g2-2"]);
  });

  it("recovered messages that stay on disk (paged out) are grouped again when read back", async () => {
    const q = await publishThenRestart(["g1-0", "g2-0", "g1-1", "g2-1", "g1-2", "g2-2"], 0);
    expect(q.pagedOutCount).toBeGreaterThan(0);
    const { a, b } = consumeBoth(q);
    expect(got(a)).toEqual(["g1-0*", "g1-1", "g1-2"]);
    expect(got(b)).toEqual(["g2-0*", "g2-1", "g2-2"]);
  });
});

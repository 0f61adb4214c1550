import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Packet } from "mqtt-packet";
import type { RunningBroker } from "warren";
import { RawClient, startMqttBroker } from "./helpers.js";

let dir: string;
let broker: RunningBroker | null = null;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await broker?.close();
  broker = null;
  rmSync(dir, { recursive: true, force: true });
});

/** Holds the disk: a commit in flight that finishes only when the test says so. */
async function holdCommit(b: RunningBroker, c: RawClient): Promise<() => void> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  b.persistence.commit.markDirty({ flush: () => gate });
  // a round trip: the gated commit has started
  c.send({ cmd: "pingreq" });
  expect((await c.next()).cmd).toBe("pingresp");
  return release;
}

/** Round trips that would have brought any acknowledgement already sent. */
async function settle(c: RawClient): Promise<void> {
  for (let i = 0; i < 3; i++) {
    c.send({ cmd: "pingreq" });
    expect((await c.next()).cmd).toBe("pingresp");
  }
}

describe("MQTT acknowledgements and the disk", () => {
  it("sends PUBACK and PUBREC for messages bound for a durable queue only after the fsync, in order", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mqtt-acks-"));
    broker = await startMqttBroker({ dataDir: dir });
    const port = broker.ports.mqtt!;
    // a persistent session's subscription is a durable queue: QoS 1 messages for it are persistent
    const [sub] = await RawClient.connected(port, { clientId: "durable-sub", clean: false });
    clients.push(sub);
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "d/t", qos: 1 }] });
    expect((await sub.next()).cmd).toBe("suback");

    const [pub] = await RawClient.connected(port, { clientId: "durable-pub" });
    clients.push(pub);
    const release = await holdCommit(broker, pub);
    pub.send({ cmd: "publish", topic: "d/t", payload: Buffer.from("a"), qos: 1, messageId: 1, retain: false, dup: false });
    // a transient route: nothing to wait for, but its PUBACK must not overtake the first [MQTT-4.6.0-2]
    pub.send({ cmd: "publish", topic: "nobody/here", payload: Buffer.from("b"), qos: 1, messageId: 2, retain: false, dup: false });
    pub.send({ cmd: "publish", topic: "d/t", payload: Buffer.from("c"), qos: 2, messageId: 3, retain: false, dup: false });
    await settle(pub);
    expect(pub.buffered).toEqual([]);
    release();
    const acks: Packet[] = [await pub.next(), await pub.next(), await pub.next()];
    expect(acks.map((p) => [p.cmd, (p as { messageId?: number }).messageId])).toEqual([
      ["puback", 1],
      ["puback", 2],
      ["pubrec", 3],
    ]);
  });

  it("acknowledges at once when the message reaches no durable queue, even while a commit is held", async () => {
    dir = mkdtempSync(join(tmpdir(), "warren-mqtt-acks-"));
    broker = await startMqttBroker({ dataDir: dir });
    const [sub] = await RawClient.connected(broker.ports.mqtt!, { clientId: "clean-sub", clean: true });
    clients.push(sub);
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "t/t", qos: 1 }] });
    expect((await sub.next()).cmd).toBe("suback");
    const [pub] = await RawClient.connected(broker.ports.mqtt!, { clientId: "clean-pub" });
    clients.push(pub);
    const release = await holdCommit(broker, pub);
    pub.send({ cmd: "publish", topic: "t/t", payload: Buffer.from("a"), qos: 1, messageId: 5, retain: false, dup: false });
    const ack = await pub.next();
    expect([ack.cmd, (ack as { messageId?: number }).messageId]).toEqual(["puback", 5]);
    release();
  });
});

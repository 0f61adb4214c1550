// ActiveMQ's destination features with its own Java client (java/Destinations.java): composite
// destinations. Each passes against an embedded Warren and against ActiveMQ 5.17
// (npm run conformance -- --openwire tcp://127.0.0.1:<WARREN_ACTIVEMQ_OPENWIRE_PORT>).
import { describe, expect, it } from "vitest";
import { runJava } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios();
const prefix = uniquePrefix;
const run = <T>(scenario: string) => runJava<T>("Destinations", broker.url, scenario, prefix());

/** A message as Destinations.java prints it, names without the scenario's prefix. */
const got = (text: string, destination: string, original: string | null) => ({ text, destination, original });

describe("composite destinations", () => {
  it("a send to queue://a,queue://b, topic://a,topic://b or queue://a,topic://b reaches every member", async () => {
    // the original destination prints as the composite's physical name
    expect(await run("composite-send")).toEqual({
      qa: [got("queues", "queue://qa", "qa,qb")],
      qb: [got("queues", "queue://qb", "qa,qb")],
      ta: [got("topics", "topic://ta", "ta,tb")],
      tb: [got("topics", "topic://tb", "ta,tb")],
      mq: [got("mixed", "queue://mq", "mq,topic://mt")],
      mt: [got("mixed", "topic://mt", "mq,topic://mt")],
    });
  });

  it("a consumer on a composite consumes the members of its own kind", async () => {
    expect(await run("composite-consume")).toEqual({
      queues: [got("to qa", "queue://qa", null), got("to qb", "queue://qb", null)],
      topics: [got("to ta", "topic://ta", null), got("to tb", "topic://tb", null)],
      // ActiveMQ's queue consumer on queue://mq,topic://mt ignores the topic, and the other way round
      mixed: [got("to mq", "queue://mq", null)],
      mixedTopic: [got("to mt", "topic://mt", null)],
    });
  });
});

describe("virtual topics", () => {
  it("VirtualTopic.X fans out to each existing Consumer.<name>.VirtualTopic.X queue, which keeps it while away", async () => {
    // names print without the scenario's prefix: VirtualTopic.orders is VirtualTopic.<prefix>.orders
    const topic = "topic://VirtualTopic.orders";
    const queue = (c: string) => `queue://Consumer.${c}.VirtualTopic.orders`;
    expect(await run("virtual-topic")).toEqual({
      // "early", sent before the queues existed, is in none of them
      a: [got("red", queue("A"), topic), got("blue", queue("A"), topic)],
      plain: [got("red", topic, null), got("blue", topic, null)],
      // Consumer.X.Y.VirtualTopic.X: a consumer name is one word, so this is a plain queue
      twoWords: [],
      // not selector-aware: the queue takes both, its consumer's selector leaves blue queued
      red: [got("red", queue("S"), topic)],
      unselected: [got("blue", queue("S"), topic)],
      bWhileAway: [got("red", queue("B"), topic), got("blue", queue("B"), topic)],
    });
  });
});

describe("scheduled delivery (ActiveMQ with schedulerSupport, as conformance/activemq.sh starts it)", () => {
  it("AMQ_SCHEDULED_DELAY delays a message; _PERIOD and _REPEAT deliver 1 + repeat copies", async () => {
    const copy = (text: string, sameId: boolean, persistent: boolean) => ({
      text,
      sameId,
      persistent,
      // the copies carry a scheduledJobId (the broker's) and none of the AMQ_SCHEDULED_* properties
      hasJobId: true,
      AMQ_SCHEDULED_DELAY: null,
      AMQ_SCHEDULED_PERIOD: null,
      AMQ_SCHEDULED_REPEAT: null,
    });
    expect(await run("scheduled")).toEqual({
      early: false,
      delayed: copy("delayed", true, true),
      waitedAtLeastDelay: true,
      // each repeated copy has a JMSMessageID of its own; a non-persistent message is scheduled too
      repeated: [copy("repeated", false, false), copy("repeated", false, false), copy("repeated", false, false)],
    });
  });
});

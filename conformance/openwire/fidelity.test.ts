// ActiveMQ behaviours the OpenWire front-end matches, with ActiveMQ 5.17's Java client: each passes
// against Warren and against ActiveMQ 5.17 (npm run conformance -- --openwire tcp://127.0.0.1:<port>).
import { describe, expect, it } from "vitest";
import { runJava } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios();
const prefix = uniquePrefix;

describe("OpenWire fidelity", () => {
  it("a durable subscription re-subscribed with another selector is replaced: what it kept is dropped", async () => {
    const r = await runJava<unknown>("Fidelity", broker.url, "durable-selector-change", prefix());
    expect(r).toEqual({ kept: ["red1"], extra: null, afterChange: null, got: ["blue3"], extra2: null });
  });

  it("a queue browser sees every message of a 300-message queue, in order, and leaves them all", async () => {
    const r = await runJava<unknown>("Fidelity", broker.url, "browse-limit", prefix());
    expect(r).toEqual({ browsed: 300, inOrder: true, first: "m0", last: "m299", left: 300 });
  });
});

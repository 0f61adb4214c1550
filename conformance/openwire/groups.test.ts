// ActiveMQ's message groups (JMSXGroupID) with its Java client: each scenario passes against Warren
// and against ActiveMQ 5.17 (npm run conformance -- --openwire tcp://127.0.0.1:<port>).
import { describe, expect, it } from "vitest";
import { runJava } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios();
const prefix = uniquePrefix;

describe("message groups over OpenWire", () => {
  it("interleaved groups stick to one consumer each; a leaving consumer's group moves; seq -1 closes a group", async () => {
    const r = await runJava<unknown>("Groups", broker.url, "groups", prefix());
    // "*": JMSXGroupFirstForConsumer, "+": redelivered
    expect(r).toEqual({
      g1Owner: ["g1-0*", "g1-1", "g1-2"],
      g2Owner: ["g2-0*", "g2-1", "g2-2"],
      afterLeave: ["g1-0*+", "g1-1+", "g1-2+", "g1-3", "g2-3"],
      afterClose: ["g2-4", "g2-5*"],
    });
  });
});

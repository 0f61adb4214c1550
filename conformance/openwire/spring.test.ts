// Spring JMS (JmsTemplate, DefaultMessageListenerContainer) over ActiveMQ 5.17's Java client: each
// scenario passes against Warren and against ActiveMQ 5.17
// (npm run conformance -- --openwire tcp://127.0.0.1:<WARREN_ACTIVEMQ_OPENWIRE_PORT>).
import { describe, expect, it } from "vitest";
import { runJava } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios();
const prefix = uniquePrefix;

describe("Spring JMS over OpenWire", () => {
  it("JmsTemplate: convertAndSend a String and a Map, receive and receiveAndConvert them back", async () => {
    const p = prefix();
    const r = await runJava<unknown>("SpringJms", broker.url, "template", p);
    expect(r).toEqual({
      first: { text: "hello spring", origin: "spring", n: 7, destination: `queue://${p}.template` },
      second: { count: "Integer:3", name: "String:widget" },
      left: false,
    });
  });

  it("a DefaultMessageListenerContainer with two consumers gets each of 50 messages once", async () => {
    const r = await runJava<{ complete: boolean; count: number; received: string[]; left: boolean }>(
      "SpringJms",
      broker.url,
      "listener-container",
      prefix(),
      "50",
    );
    expect(r).toEqual({
      complete: true,
      count: 50,
      received: Array.from({ length: 50 }, (_, i) => `m${i}`),
      left: false,
    });
  }, 40_000);
});

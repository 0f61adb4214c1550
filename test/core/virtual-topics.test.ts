import { describe, expect, it } from "vitest";
import { virtualTopicOf } from "../../src/core/index.js";

describe("ActiveMQ's virtual topic consumer queues", () => {
  it("Consumer.<one word>.VirtualTopic.<name> consumes topic VirtualTopic.<name>", () => {
    expect(virtualTopicOf("Consumer.A.VirtualTopic.Orders")).toBe("VirtualTopic.Orders");
    expect(virtualTopicOf("Consumer.billing.VirtualTopic.Orders.eu")).toBe("VirtualTopic.Orders.eu");
  });

  it("other names are plain queues", () => {
    for (const q of [
      "Orders",
      "Consumer.A.Orders",
      "Consumer.A.B.VirtualTopic.Orders", // the consumer name is one word
      "Consumer..VirtualTopic.Orders",
      "Consumer.A.VirtualTopic.",
      "Consumer.A.VirtualTopic",
      "Consumer.A.VirtualTopic.>", // a wildcard queue name
      "Consumer.A.VirtualTopic.*.x",
      "VirtualTopic.Orders",
    ]) {
      expect(virtualTopicOf(q), q).toBeNull();
    }
  });
});

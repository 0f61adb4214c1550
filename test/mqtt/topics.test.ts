import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  filterToBindingKey,
  parseSharedFilter,
  routingKeyToTopic,
  topicFilterProblem,
  topicMatches,
  topicNameProblem,
  topicToRoutingKey,
} from "../../protocols/mqtt/topics.js";

describe("MQTT topic mapping (RabbitMQ's)", () => {
  it("maps / to . for topics and + to * for filters, keeping #", () => {
    expect(topicToRoutingKey("a/b/c")).toBe("a.b.c");
    expect(filterToBindingKey("a/+/c/#")).toBe("a.*.c.#");
    expect(routingKeyToTopic("a.b")).toBe("a/b");
  });

  it("refuses wildcards, empty names and U+0000 in topic names", () => {
    expect(topicNameProblem("a/b")).toBeNull();
    expect(topicNameProblem("a/+")).not.toBeNull();
    expect(topicNameProblem("#")).not.toBeNull();
    expect(topicNameProblem("")).not.toBeNull();
    expect(topicNameProblem("a\u0000b")).not.toBeNull();
  });

  it("accepts only whole-level wildcards in filters, # last", () => {
    for (const ok of ["#", "+", "a/#", "+/+/x", "/"]) expect(topicFilterProblem(ok)).toBeNull();
    for (const bad of ["a#", "a/#/b", "a+", "a/b+/c", ""]) expect(topicFilterProblem(bad)).not.toBeNull();
  });

  it("matches like the MQTT spec's examples [MQTT-4.7.1]", () => {
    expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1")).toBe(true);
    expect(topicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking")).toBe(true);
    expect(topicMatches("sport/#", "sport")).toBe(true);
    expect(topicMatches("sport/tennis/+", "sport/tennis/player1")).toBe(true);
    expect(topicMatches("sport/tennis/+", "sport/tennis/player1/ranking")).toBe(false);
    expect(topicMatches("sport/+", "sport")).toBe(false);
    expect(topicMatches("+/+", "/finance")).toBe(true);
    expect(topicMatches("#", "$SYS/x")).toBe(false);
    expect(topicMatches("+/monitor", "$SYS/monitor")).toBe(false);
    expect(topicMatches("$SYS/#", "$SYS/x")).toBe(true);
  });

  it("a topic always matches itself and #", () => {
    const level = fc.stringMatching(/^[a-z0-9]{0,4}$/);
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 5 }), (levels) => {
        const topic = levels.join("/");
        return topicMatches(topic, topic) && topicMatches("#", topic);
      }),
    );
  });

  it("parses shared subscriptions", () => {
    expect(parseSharedFilter("$share/g/a/+")).toEqual({ group: "g", filter: "a/+" });
    expect(parseSharedFilter("$share//a")).toBeNull();
    expect(parseSharedFilter("a/b")).toBeNull();
  });
});

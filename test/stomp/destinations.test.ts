import { describe, expect, it } from "vitest";
import { destinationFor, parseDestination, topicBindingKey } from "../../protocols/stomp/destinations.js";
import { headersFromProperties, propertiesFromSend, queueArguments } from "../../protocols/stomp/message-headers.js";
import { TypedField } from "../../src/core/index.js";

describe("STOMP destinations", () => {
  it("parses RabbitMQ's destination kinds", () => {
    expect(parseDestination("/queue/a.b")).toEqual({ kind: "queue", name: "a.b" });
    expect(parseDestination("/topic/a.*.c")).toEqual({ kind: "topic", name: "a.*.c" });
    expect(parseDestination("/exchange/logs/k.1")).toEqual({ kind: "exchange", exchange: "logs", key: "k.1" });
    expect(parseDestination("/exchange/logs")).toEqual({ kind: "exchange", exchange: "logs", key: "" });
    expect(parseDestination("/amq/queue/q")).toEqual({ kind: "amqqueue", name: "q" });
    expect(parseDestination("/temp-queue/t")).toEqual({ kind: "temp-queue", name: "t" });
    expect(parseDestination("/reply-queue/amq.gen-x")).toEqual({ kind: "reply-queue", name: "amq.gen-x" });
    expect(parseDestination("/queue/a%2Fb")).toEqual({ kind: "queue", name: "a/b" });
  });

  it("refuses unknown kinds and names with slashes, in RabbitMQ's words", () => {
    expect(parseDestination("/bogus/x")).toMatchObject({ message: "Unknown destination" });
    expect(parseDestination("/queue/a/b")).toEqual({ message: "Invalid destination", detail: "'/a/b' is not a valid queue destination\n" });
    expect(parseDestination("/queue/")).toMatchObject({ message: "Invalid destination" });
    expect(parseDestination("/exchange/")).toMatchObject({ message: "Invalid destination" });
  });

  it("maps ActiveMQ's > wildcard to AMQP's #, leaving * and # alone", () => {
    expect(topicBindingKey("a.>")).toBe("a.#");
    expect(topicBindingKey("a.*.c")).toBe("a.*.c");
    expect(topicBindingKey("a.#")).toBe("a.#");
    expect(topicBindingKey("a>b")).toBe("a>b");
  });

  it("names a MESSAGE's destination from its exchange and routing key", () => {
    expect(destinationFor("", "q")).toBe("/queue/q");
    expect(destinationFor("", "amq.gen-1")).toBe("/reply-queue/amq.gen-1");
    expect(destinationFor("amq.topic", "a.b")).toBe("/topic/a.b");
    expect(destinationFor("x", "k")).toBe("/exchange/x/k");
    expect(destinationFor("x", "")).toBe("/exchange/x");
  });
});

describe("STOMP header mapping", () => {
  it("maps SEND headers to AMQP properties, the rest to the headers table", () => {
    const h = Object.assign(Object.create(null) as Record<string, string>, {
      destination: "/queue/q",
      receipt: "r",
      "content-type": "text/plain",
      persistent: "true",
      priority: "3",
      "amqp-message-id": "m",
      timestamp: "12",
      custom: "v",
      transaction: "t",
      "content-length": "5",
    });
    expect(propertiesFromSend(h)).toEqual({
      contentType: "text/plain",
      deliveryMode: 2,
      priority: 3,
      messageId: "m",
      timestamp: 12,
      headers: { custom: "v", receipt: "r", transaction: "t" },
    });
  });

  it("maps AMQP properties back to MESSAGE headers, table scalars as text", () => {
    const out: [string, string][] = [];
    headersFromProperties(
      {
        contentType: "a/b",
        deliveryMode: 2,
        correlationId: "c",
        messageId: "m",
        headers: { s: "x", n: 7, b: true, l: new TypedField("l", 5n), nested: { a: 1 } },
      },
      out,
    );
    expect(Object.fromEntries(out)).toEqual({
      "content-type": "a/b",
      persistent: "true",
      "correlation-id": "c",
      "amqp-message-id": "m",
      s: "x",
      n: "7",
      b: "true",
      l: "5",
    });
  });

  it("turns x- SUBSCRIBE headers into queue arguments, numbers where RabbitMQ expects them", () => {
    const h = Object.assign(Object.create(null) as Record<string, string>, {
      "x-max-length": "10",
      "x-queue-name": "n",
      "x-overflow": "reject-publish",
      id: "1",
    });
    expect(queueArguments(h)).toEqual({ "x-max-length": 10, "x-overflow": "reject-publish" });
  });
});

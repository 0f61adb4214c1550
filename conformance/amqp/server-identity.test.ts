// What the broker calls itself in connection.start, and what clients do with it. kombu (Celery's
// transport) sends basic.qos with global=true only to a "RabbitMQ" of version 3.3 or later; to
// anything else global=false, which under RabbitMQ's semantics leaves the running consumer's
// prefetch unchanged when Celery raises it for ETA tasks. So Warren advertises RabbitMQ and the
// release it implements by default (server_properties.product / .version change it).

import { describe, expect, it } from "vitest";
import { conformanceSuite, runPython } from "./helpers.js";

const suite = conformanceSuite();

describe("server identity", () => {
  it("amqplib reads product RabbitMQ and a 3.10 version from connection.start", async () => {
    const conn = await suite.connect();
    const props = (conn as unknown as { connection: { serverProperties: Record<string, unknown> } }).connection.serverProperties;
    expect(props.product).toBe("RabbitMQ");
    expect(props.version).toMatch(/^3\.10\.\d+$/);
  });

  it("pika sees the same, and kombu (Celery) picks RabbitMQ's qos semantics (global prefetch)", async () => {
    const r = await runPython<{ product: string; version: string; kombu_qos_semantics_matches_spec: boolean }>(suite, "server_identity.py");
    expect(r.product).toBe("RabbitMQ");
    expect(r.version).toMatch(/^3\.10\.\d+$/);
    expect(r.kombu_qos_semantics_matches_spec).toBe(false);
  });
});

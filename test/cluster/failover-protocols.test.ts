/**
 * Failover with every protocol (the built CLI, dist/; etcd): ten kill -9 rounds of the leader under
 * AMQP, MQTT and STOMP publishers with confirms and AMQP, MQTT (QoS 1, persistent session) and
 * STOMP (client-individual) consumers with manual acks, all going through host lists
 * (test/cluster/failover-rounds.ts). Afterwards every confirmed message has been delivered, and a
 * message delivered twice carried its protocol's redelivered flag (AMQP redelivered, MQTT DUP,
 * STOMP `redelivered:true`) every time after the first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { type EtcdProcess, startEtcd } from "./etcd.js";
import { percentile, runFailoverRounds } from "./failover-rounds.js";
import { clusterPort } from "./ports.js";

let etcd: EtcdProcess;
beforeAll(async () => {
  etcd = await startEtcd(clusterPort(40), clusterPort(41));
}, 30_000);
afterAll(async () => {
  await etcd?.stop();
});

describe("failover with AMQP, MQTT and STOMP clients", () => {
  it("ten kill -9 rounds: nothing confirmed is lost, a message seen twice is flagged redelivered, failover times are printed", async () => {
    const r = await runFailoverRounds({
      rounds: 10,
      etcdUrl: etcd.url,
      leaseTtlSeconds: 2,
      cli: join(import.meta.dirname, "../../dist/cli/main.js"),
      nodes: [0, 1, 2].map((i) => ({
        amqp: clusterPort(42 + i * 4),
        mqtt: clusterPort(43 + i * 4),
        stomp: clusterPort(44 + i * 4),
        replication: clusterPort(45 + i * 4),
      })),
      log: (line) => console.log(line),
    });
    const f = r.failoversMs;
    console.log(
      `failover (kill -9 → new leader accepting AMQP connections, lease TTL 2 s), ${f.length} rounds: ` +
        `median ${percentile(f, 50)} ms, p99 ${percentile(f, 99)} ms (${f.join(", ")}); ` +
        `confirmed ${JSON.stringify(r.confirmed)}, ${r.deliveries} deliveries, ${r.seenTwice} messages seen twice, ` +
        `${r.selfStops} self-stops; consumed ${JSON.stringify(r.consumed)}, of them flagged redelivered ${JSON.stringify(r.flagged)}`,
    );
    expect(r.lost).toEqual([]);
    expect(r.unflagged).toEqual([]);
    expect(f.length).toBe(10);
    for (const ms of f) expect(ms).toBeLessThan(30_000);
    expect(r.confirmed.amqp).toBeGreaterThanOrEqual(200);
    expect(r.confirmed.mqtt).toBeGreaterThanOrEqual(200);
    expect(r.confirmed.stomp).toBeGreaterThanOrEqual(200);
    // every consumer took part, and each saw redeliveries (its unacked messages at a kill)
    for (const p of ["amqp", "mqtt", "stomp"] as const) {
      expect(r.consumed[p]).toBeGreaterThanOrEqual(r.confirmed[p]);
      expect(r.flagged[p]).toBeGreaterThan(0);
    }
  }, 240_000);
});

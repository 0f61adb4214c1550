/**
 * The management API's view of a STOMP session's one channel: its consumers and the messages
 * delivered to them and not yet acked, counted over every subscription of the session.
 * RabbitMQ 3.10 (checked on a node) shows the same numbers for these steps, a few seconds late.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "warren";
import type { StompFrame } from "../../protocols/stomp/frame-parser.js";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { api, startWithManagement, until } from "../management/helpers.js";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startWithManagement({ logLevel: "silent" });
});
afterAll(() => broker.close());

interface ChannelRow {
  consumer_count: number;
  messages_unacknowledged: number;
}

async function channelOnce(want: (c: ChannelRow) => boolean, what: string): Promise<ChannelRow> {
  return until(
    async () => {
      const rows = (await api(broker, "GET", "/api/channels")).json as ChannelRow[];
      return rows.length === 1 && want(rows[0]!) ? rows[0]! : undefined;
    },
    5000,
    what,
  );
}

describe("a STOMP session's channel in the management API", () => {
  it("counts consumers and unacked deliveries across the session's subscriptions", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { id: "s1", destination: "/queue/chstats-a", ack: "client-individual" });
    c.send("SUBSCRIBE", { id: "s2", destination: "/queue/chstats-b", ack: "client-individual", receipt: "subscribed" });
    await c.take((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "subscribed");
    for (let i = 0; i < 3; i++) c.send("SEND", { destination: "/queue/chstats-a" }, `a${i}`);
    for (let i = 0; i < 2; i++) c.send("SEND", { destination: "/queue/chstats-b" }, `b${i}`);
    const a: StompFrame[] = [];
    const b: StompFrame[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await c.take((f) => f.command === "MESSAGE");
      (m.headers["subscription"] === "s1" ? a : b).push(m);
    }
    expect([a.length, b.length]).toEqual([3, 2]);
    const delivered = await channelOnce((ch) => ch.messages_unacknowledged === 5, "5 unacked");
    expect(delivered.consumer_count).toBe(2);

    c.send("ACK", { id: a[0]!.headers["ack"]! });
    c.send("ACK", { id: b[1]!.headers["ack"]!, receipt: "acked" });
    await c.take((f) => f.command === "RECEIPT" && f.headers["receipt-id"] === "acked");
    const acked = await channelOnce((ch) => ch.messages_unacknowledged !== 5, "acks counted");
    expect(acked).toMatchObject({ consumer_count: 2, messages_unacknowledged: 3 });
    c.close();
  });
});

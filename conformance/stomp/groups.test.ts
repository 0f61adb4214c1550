// ActiveMQ's message groups over STOMP (the JMSXGroupID header): runs against ActiveMQ 5.17
// (WARREN_CONFORMANCE_STOMP_ACTIVEMQ; npm run conformance -- --stomp-activemq HOST:PORT) or an
// embedded Warren.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { RawStomp } from "./raw-client.js";
import type { StompFrame } from "../../protocols/stomp/frame-parser.js";
import { type StompBrokerUnderTest, useStompBroker } from "./target.js";

const open: RawStomp[] = [];
afterAll(() => {
  for (const c of open) c.close();
});

async function client(target: StompBrokerUnderTest): Promise<RawStomp> {
  const r = await RawStomp.connected(target.port, {}, target.host);
  expect(r.connected.command).toBe("CONNECTED");
  open.push(r.c);
  return r.c;
}

function receiptFor(c: RawStomp, receipt: string): Promise<StompFrame> {
  return c.take((f) => f.command !== "MESSAGE" && f.headers["receipt-id"] === receipt, `RECEIPT ${receipt}`);
}

async function subscribe(c: RawStomp, destination: string, id: string): Promise<void> {
  c.send("SUBSCRIBE", { destination, id, ack: "client-individual", receipt: `sub-${id}` });
  expect((await receiptFor(c, `sub-${id}`)).command).toBe("RECEIPT");
}

describe("STOMP message groups, ActiveMQ conventions", () => {
  let target: StompBrokerUnderTest;
  beforeAll(async () => {
    target = await useStompBroker("activemq");
  });
  afterAll(() => target.close());

  it("messages of one JMSXGroupID go to one subscriber, interleaved with another group", async () => {
    const q = `/queue/conf.groups.${randomBytes(4).toString("hex")}`;
    const a = await client(target);
    const b = await client(target);
    await subscribe(a, q, "a");
    await subscribe(b, q, "b");
    const p = await client(target);
    const sent = ["g1-0", "g1-1", "g2-0", "g1-2", "g2-1", "g2-2", "g1-3", "g2-3"];
    for (const body of sent) {
      const receipt = `send-${body}`;
      p.send("SEND", { destination: q, JMSXGroupID: body.slice(0, 2), receipt }, body);
      expect((await receiptFor(p, receipt)).command).toBe("RECEIPT");
    }
    const got = new Map<string, string>();
    const take = async (c: RawStomp, name: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const f = await c.next();
        expect(f.command).toBe("MESSAGE");
        got.set(f.body.toString(), name);
      }
    };
    // whichever subscriber got a group's first message gets all four of it
    await Promise.all([take(a, "a", 4), take(b, "b", 4)]);
    const owners = (g: string) => new Set(sent.filter((s) => s.startsWith(g)).map((s) => got.get(s)));
    expect(owners("g1").size).toBe(1);
    expect(owners("g2").size).toBe(1);
    expect(got.size).toBe(8);
  });
});

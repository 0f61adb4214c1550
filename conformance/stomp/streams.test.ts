// STOMP subscriptions to stream queues, as RabbitMQ 3.10's STOMP plugin offers them:
// x-stream-offset (first, last, next, offset=<n>, timestamp=<seconds>) with ack client and a
// prefetch-count, each MESSAGE carrying its x-stream-offset header.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { RawStomp } from "./raw-client.js";
import { type StompBrokerUnderTest, useStompBroker } from "./target.js";

let target: StompBrokerUnderTest;
const open: RawStomp[] = [];
const unique = (s: string) => `conf-${s}-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  target = await useStompBroker();
});
afterAll(async () => {
  for (const c of open) c.close();
  await target.close();
});

async function client() {
  const r = await RawStomp.connected(target.port, { "accept-version": "1.2", host: "/", login: "guest", passcode: "guest" }, target.host);
  open.push(r.c);
  return r.c;
}

async function messages(c: RawStomp, n: number): Promise<{ body: string; offset: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const f = await c.next();
    expect(f.command).toBe("MESSAGE");
    out.push({ body: f.body.toString(), offset: f.headers["x-stream-offset"]! });
    c.send("ACK", { id: f.headers["ack"]! });
  }
  return out;
}

describe("STOMP and stream queues", () => {
  it("declares a stream through /queue/ with x-queue-type, and readers at their own offsets get the x-stream-offset header", async () => {
    const name = unique("stream");
    const a = await client();
    a.send("SUBSCRIBE", {
      destination: `/queue/${name}`,
      id: "a",
      ack: "client",
      "prefetch-count": "10",
      "x-queue-type": "stream",
      "x-stream-offset": "first",
      receipt: "sub",
    });
    expect((await a.next()).command).toBe("RECEIPT");
    const p = await client();
    // one at a time: RabbitMQ writes each as its own chunk, so "last" is the last message
    for (let i = 0; i < 5; i++) {
      p.send("SEND", { destination: `/amq/queue/${name}`, receipt: `r${i}` }, `m${i}`);
      expect((await p.next()).command).toBe("RECEIPT");
    }
    expect(await messages(a, 5)).toEqual([0, 1, 2, 3, 4].map((n) => ({ body: `m${n}`, offset: String(n) })));
    const b = await client();
    b.send("SUBSCRIBE", {
      destination: `/amq/queue/${name}`,
      id: "b",
      ack: "client",
      "prefetch-count": "10",
      "x-stream-offset": "offset=3",
    });
    expect(await messages(b, 2)).toEqual([
      { body: "m3", offset: "3" },
      { body: "m4", offset: "4" },
    ]);
    const c = await client();
    c.send("SUBSCRIBE", { destination: `/amq/queue/${name}`, id: "c", ack: "client", "prefetch-count": "10", "x-stream-offset": "last" });
    expect(await messages(c, 1)).toEqual([{ body: "m4", offset: "4" }]);
  });

  it("a subscription to a stream without prefetch-count is refused", async () => {
    const name = unique("stream-noprefetch");
    const a = await client();
    a.send("SUBSCRIBE", {
      destination: `/queue/${name}`,
      id: "a",
      ack: "client",
      "prefetch-count": "10",
      "x-queue-type": "stream",
      receipt: "sub",
    });
    expect((await a.next()).command).toBe("RECEIPT");
    const b = await client();
    b.send("SUBSCRIBE", { destination: `/amq/queue/${name}`, id: "b", ack: "client", "x-stream-offset": "first" });
    const f = await b.next();
    expect(f.command).toBe("ERROR");
    expect(f.headers["message"]).toBe("precondition_failed");
    expect(f.body.toString()).toContain(`PRECONDITION_FAILED - consumer prefetch count is not set for 'queue '${name}' in vhost '/''`);
  });
});

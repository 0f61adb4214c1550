// ActiveMQ's composite destinations over STOMP (`/queue/a,/queue/b`, `/queue/a,/topic/b`): how they
// are read, and the core's view of a composite subscriber's acks (what a client cannot see on the
// wire: each ACK settles the message in the queue it came from). What clients see is checked
// against ActiveMQ 5.17 in conformance/stomp/activemq.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Queue, type RunningBroker, startBroker } from "warren";
import { RawStomp } from "../../conformance/stomp/raw-client.js";
import { parseDestination } from "../../protocols/stomp/destinations.js";

describe("composite destinations", () => {
  it("are read as ActiveMQ's where a later member names its kind; names RabbitMQ accepts keep its meaning", () => {
    expect(parseDestination("/queue/a,/queue/b")).toEqual({
      kind: "composite",
      of: "queue",
      members: [
        { kind: "queue", name: "a" },
        { kind: "queue", name: "b" },
      ],
      original: "/queue/a,queue://b",
    });
    expect(parseDestination("/topic/a,/queue/b,c,")).toEqual({
      kind: "composite",
      of: "topic",
      members: [
        { kind: "topic", name: "a" },
        { kind: "queue", name: "b" },
        { kind: "topic", name: "c" },
      ],
      original: "/topic/a,queue://b,topic://c",
    });
    // RabbitMQ's: a queue named "a,b"; a slash elsewhere is still refused as RabbitMQ refuses it
    expect(parseDestination("/queue/a,b")).toEqual({ kind: "queue", name: "a,b" });
    expect(parseDestination("/queue/a,/exchange/x")).toMatchObject({ message: "Invalid destination" });
    expect(parseDestination("/queue/a,/queue/b/c")).toMatchObject({ message: "Invalid destination" });
    expect(parseDestination("/amq/queue/a,/queue/b")).toMatchObject({ message: "Invalid destination" });
  });
});

describe("a STOMP subscriber on a composite of queues", () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
  });
  afterAll(() => broker.close());
  const queue = (name: string) => (broker.core.vhost("/") as unknown as { queues: Map<string, Queue> }).queues.get(name)!;

  it("settles each ACK in the queue the message came from, and gives the rest back to its own queue", async () => {
    const { c } = await RawStomp.connected(broker.ports.stomp!);
    c.send("SUBSCRIBE", { id: "s", destination: "/queue/cx,/queue/cy", ack: "client-individual", receipt: "sub" });
    await c.take((f) => f.command === "RECEIPT");
    c.send("SEND", { destination: "/queue/cx,/queue/cy", receipt: "sent" }, "both");
    await c.take((f) => f.command === "RECEIPT");
    const got = [await c.next(), await c.next()];
    expect(got.map((m) => m.headers["destination"]).sort()).toEqual(["/queue/cx", "/queue/cy"]);
    expect([queue("cx").unackedMessageCount, queue("cy").unackedMessageCount]).toEqual([1, 1]);
    const y = got.find((m) => m.headers["destination"] === "/queue/cy")!;
    c.send("ACK", { id: y.headers["ack"]!, receipt: "acked" });
    await c.take((f) => f.command === "RECEIPT");
    expect([queue("cx").unackedMessageCount, queue("cy").unackedMessageCount]).toEqual([1, 0]);
    c.send("UNSUBSCRIBE", { id: "s", receipt: "unsub" });
    await c.take((f) => f.command === "RECEIPT");
    expect([queue("cx").messageCount, queue("cy").messageCount]).toEqual([1, 0]);
    expect([queue("cx").unackedMessageCount, queue("cy").unackedMessageCount]).toEqual([0, 0]);
    c.close();
  });
});

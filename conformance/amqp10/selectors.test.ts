// The JMS selector filter (apache.org:selector-filter:string) on a receiving link's source, with
// rhea, and the no-local filter. Warren applies the selector as ActiveMQ does (only selected messages; on a queue the rest stay for
// other receivers) and echoes it in its attach; an invalid selector refuses the link with
// amqp:invalid-field. RabbitMQ 3.10's AMQP 1.0 plugin knows no selector filter: it attaches
// (even with an invalid one), echoes the source's filter unchanged and delivers everything —
// each scenario says what it expects of each.
import rhea, { type EventContext } from "rhea";
import { describe, expect, it } from "vitest";
import { amqp10Suite, eventually, openReceiver, openSender, send } from "./helpers.js";

const suite = amqp10Suite();

const colored = (body: string) => ({
  body,
  application_properties: { color: body.replace(/\d+$/, ""), n: Number(body.replace(/^\D+/, "")) },
});

describe("AMQP 1.0 selector filter", () => {
  it("a receiver with a selector gets what it selects; the rest stays for a receiver without one", async () => {
    const rabbit = suite.broker.kind === "rabbitmq";
    const q = suite.name("sel");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false });
    const conn = await suite.connect();
    const { receiver, messages } = await openReceiver(conn, {
      address: `/queue/${q}`,
      filter: rhea.filter.selector("color = 'red' AND n > 1"),
    } as rhea.Source);
    // Warren's attach echoes the filter it applies; RabbitMQ 3.10 echoes it too, though it ignores it
    const echoed = (receiver.source as rhea.Source & { filter?: Record<string, unknown> }).filter;
    expect(echoed?.["jms-selector"]).toBeDefined();
    receiver.add_credit(10);
    const sender = await openSender(conn, `/queue/${q}`);
    for (const b of ["red1", "blue2", "red2", "green3", "red3"]) expect(await send(sender, colored(b))).toBe("accepted");
    const expected = rabbit ? ["red1", "blue2", "red2", "green3", "red3"] : ["red2", "red3"];
    await eventually(() => messages.length >= expected.length);
    expect(messages.map((m) => m.message.body)).toEqual(expected);
    for (const m of messages) m.delivery.accept();
    if (rabbit) return;
    const rest = await openReceiver(conn, `/queue/${q}`);
    rest.receiver.add_credit(10);
    await eventually(() => rest.messages.length >= 3);
    expect(rest.messages.map((m) => m.message.body)).toEqual(["red1", "blue2", "green3"]);
  });

  it("selects on message properties through the JMS header names", async () => {
    const rabbit = suite.broker.kind === "rabbitmq";
    const q = suite.name("hdr");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false });
    const conn = await suite.connect();
    const { receiver, messages } = await openReceiver(conn, {
      address: `/queue/${q}`,
      filter: rhea.filter.selector("JMSCorrelationID = 'c-2' OR JMSPriority = 9"),
    } as rhea.Source);
    receiver.add_credit(10);
    const sender = await openSender(conn, `/queue/${q}`);
    await send(sender, { body: "one", correlation_id: "c-1" });
    await send(sender, { body: "two", correlation_id: "c-2" });
    await send(sender, { body: "three", priority: 9 });
    const expected = rabbit ? ["one", "two", "three"] : ["two", "three"];
    await eventually(() => messages.length >= expected.length);
    expect(messages.map((m) => m.message.body)).toEqual(expected);
  });

  it("a topic receiver drops what its selector does not match", async () => {
    const rabbit = suite.broker.kind === "rabbitmq";
    const key = suite.name("k");
    const conn = await suite.connect();
    const { receiver, messages } = await openReceiver(conn, {
      address: `/topic/${key}`,
      filter: rhea.filter.selector("color = 'red'"),
    } as rhea.Source);
    receiver.add_credit(10);
    const sender = await openSender(conn, `/topic/${key}`);
    for (const b of ["blue1", "red1", "blue2", "red2"]) await send(sender, colored(b));
    const expected = rabbit ? ["blue1", "red1", "blue2", "red2"] : ["red1", "red2"];
    await eventually(() => messages.length >= expected.length);
    expect(messages.map((m) => m.message.body)).toEqual(expected);
  });

  it("a no-local topic receiver does not get what its own connection sends", async () => {
    const rabbit = suite.broker.kind === "rabbitmq";
    const key = suite.name("nl");
    const mine = await suite.connect();
    const other = await suite.connect();
    const noLocal = { "no-local": rhea.types.wrap_described(rhea.types.wrap_list([]), 0x468c00000003) };
    const { receiver, messages } = await openReceiver(mine, { address: `/topic/${key}`, filter: noLocal } as unknown as rhea.Source);
    receiver.add_credit(10);
    const own = await openSender(mine, `/topic/${key}`);
    const theirs = await openSender(other, `/topic/${key}`);
    await send(own, { body: "own1" });
    await send(theirs, { body: "theirs1" });
    await send(own, { body: "own2" });
    await send(theirs, { body: "theirs2" });
    // RabbitMQ 3.10 does not apply no-local
    const expected = rabbit ? ["own1", "theirs1", "own2", "theirs2"] : ["theirs1", "theirs2"];
    await eventually(() => messages.length >= expected.length);
    expect(messages.map((m) => m.message.body)).toEqual(expected);
  });

  it("an invalid selector refuses the link with amqp:invalid-field", async () => {
    const rabbit = suite.broker.kind === "rabbitmq";
    const q = suite.name("bad");
    const ch = await suite.channel();
    await ch.assertQueue(q, { durable: false });
    const conn = await suite.connect();
    const r = conn.open_receiver({
      source: { address: `/queue/${q}`, filter: rhea.filter.selector("color = ") },
      credit_window: 0,
    } as rhea.ReceiverOptions);
    // the refusal is an attach without a source, then the detach with the error (§2.6.3)
    const outcome = await new Promise<{ opened: boolean; condition?: string; description?: string }>((resolve) => {
      // RabbitMQ: opened, and no detach follows
      if (rabbit) r.once("receiver_open", () => resolve({ opened: true }));
      r.once("receiver_error", (ctx: EventContext) => {
        const e = ctx.receiver?.error as { condition?: string; description?: string } | undefined;
        resolve({ opened: false, condition: e?.condition, description: e?.description });
      });
    });
    if (rabbit) {
      expect(outcome.opened).toBe(true);
      return;
    }
    expect(outcome.opened).toBe(false);
    expect(outcome.condition).toBe("amqp:invalid-field");
    expect(outcome.description).toContain("Invalid selector 'color = '");
  });
});

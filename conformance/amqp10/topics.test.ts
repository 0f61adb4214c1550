// Topics over AMQP 1.0 (rhea): a durable subscription across a reconnect, and fan-out to queues
// bound to amq.topic.
//
// Durable subscription, per target: Warren follows ActiveMQ — a receiver on a topic whose source
// is a durable terminus (unsettled-state) that never expires is the subscription container-id +
// link name; its queue keeps what is published while the receiver is away, and a detach that
// closes the link removes it. RabbitMQ 3.10's plugin declares a new server-named durable queue at
// every attach, so a re-attached receiver gets only what is published after it came back.
//
// Fan-out: RabbitMQ 4 addresses a sender to `/exchanges/amq.topic/KEY`; RabbitMQ 3.10 knows only
// the 3.x form `/exchange/amq.topic/KEY`, which Warren takes too.

import rhea, { type Connection, type EventContext, type Receiver } from "rhea";
import { describe, expect, it } from "vitest";
import { amqp10Suite, bodyText, closeConnection, eventually, openReceiver, openSender, send } from "./helpers.js";

const suite = amqp10Suite();

/** A durable subscription receiver: link `name`, a durable (unsettled-state) source that never expires. */
async function subscribe(conn: Connection, address: string, name: string): Promise<{ receiver: Receiver; bodies: string[] }> {
  const bodies: string[] = [];
  const r = conn.open_receiver({ name, source: { address, durable: 2, expiry_policy: "never" }, autoaccept: true, credit_window: 10 });
  r.on("message", (ctx: EventContext) => bodies.push(bodyText(ctx.message!)));
  await new Promise<void>((resolve, reject) => {
    r.once("receiver_open", () => resolve());
    r.once("receiver_error", (ctx: EventContext) => reject(ctx.receiver?.error ?? new Error("receiver error")));
  });
  return { receiver: r, bodies };
}

function closed(r: Receiver): Promise<void> {
  return new Promise((resolve) => r.once("receiver_close", () => resolve()));
}

async function queueExists(name: string): Promise<boolean> {
  const ch = await suite.channel();
  try {
    await ch.checkQueue(name);
    return true;
  } catch {
    return false;
  }
}

describe("AMQP 1.0 topics", () => {
  it("a durable subscription keeps what is published while its receiver is away, until the link is closed", async () => {
    const key = suite.name("a10-durable").replace(/-/g, "_");
    const address = `/topic/${key}`;
    const containerId = suite.name("a10-container");
    const ch = await suite.channel();
    // published once the broker has it: a round trip on the same channel follows the publish
    const publish = async (body: string) => {
      ch.publish("amq.topic", key, Buffer.from(body));
      await ch.checkExchange("amq.topic");
    };

    const first = await suite.connect({ container_id: containerId });
    const a = await subscribe(first, address, "sub");
    await publish("m1");
    await eventually(() => a.bodies.length === 1);
    // detach without closing: the subscription stays, inactive
    a.receiver.detach();
    await closed(a.receiver);
    await publish("m2");
    await closeConnection(first);
    await publish("m3");

    const second = await suite.connect({ container_id: containerId });
    const b = await subscribe(second, address, "sub");
    await publish("m4");
    if (suite.broker.kind === "rabbitmq") {
      // a new queue at every attach: what was published while away stays in the old one
      await eventually(() => b.bodies.length === 1);
      expect(b.bodies).toEqual(["m4"]);
      return;
    }
    await eventually(() => b.bodies.length === 3);
    expect(b.bodies).toEqual(["m2", "m3", "m4"]);
    expect(await queueExists(`amqp10-subscription-${containerId}:sub`)).toBe(true);

    // closing the link ends the subscription: its queue goes, and what follows is not kept
    b.receiver.close();
    await closed(b.receiver);
    await eventually(async () => !(await queueExists(`amqp10-subscription-${containerId}:sub`)));
    await publish("m5");
    const c = await subscribe(second, address, "sub");
    await publish("m6");
    await eventually(() => c.bodies.length === 1);
    expect(c.bodies).toEqual(["m6"]);
  });

  it("a subscription is its container's and link name's: another container or link name is another subscription", async () => {
    if (suite.broker.kind === "rabbitmq") return; // no durable subscriptions (see above)
    const key = suite.name("a10-durable2").replace(/-/g, "_");
    const address = `topic://${key}`;
    const ch = await suite.channel();
    const one = await suite.connect({ container_id: suite.name("a10-c1") });
    const secondContainer = suite.name("a10-c2");
    const two = await suite.connect({ container_id: secondContainer });
    const a = await subscribe(one, address, "sub");
    const b = await subscribe(two, address, "sub");
    const c = await subscribe(two, address, "other");
    ch.publish("amq.topic", key, Buffer.from("x"));
    await eventually(() => a.bodies.length + b.bodies.length + c.bodies.length === 3);
    // one receiver per subscription: a second connection of the same container is refused it
    const three = await suite.connect({ container_id: secondContainer });
    const condition = await new Promise<string>((resolve) => {
      const r = three.open_receiver({ name: "sub", source: { address, durable: 2, expiry_policy: "never" } });
      r.once("receiver_error", (ctx: EventContext) => resolve(String((ctx.receiver?.error as { condition?: string })?.condition)));
    });
    expect(condition).toBe("amqp:resource-locked");
  });

  it("fan-out: a message sent to amq.topic with a key reaches every queue bound to it", async () => {
    const key = suite.name("a10-fan").replace(/-/g, "_");
    const ch = await suite.channel();
    const queues = [suite.name("a10-fan-q"), suite.name("a10-fan-q"), suite.name("a10-fan-q")];
    for (const q of queues) await ch.assertQueue(q, { durable: false, autoDelete: false });
    await ch.bindQueue(queues[0]!, "amq.topic", `${key}.*`);
    await ch.bindQueue(queues[1]!, "amq.topic", `${key}.#`);
    await ch.bindQueue(queues[2]!, "amq.topic", `${key}.other`);
    const conn = await suite.connect();
    const receivers: Array<Awaited<ReturnType<typeof openReceiver>>> = [];
    for (const q of queues) {
      const r = await openReceiver(conn, `/amq/queue/${q}`, { autoaccept: true });
      r.receiver.add_credit(10);
      receivers.push(r);
    }
    const target = suite.broker.kind === "rabbitmq" ? `/exchange/amq.topic/${key}.news` : `/exchanges/amq.topic/${key}.news`;
    const s = await openSender(conn, target);
    expect(await send(s, { body: rhea.message.data_section(Buffer.from("to all")) })).toBe("accepted");
    await eventually(() => receivers[0]!.messages.length === 1 && receivers[1]!.messages.length === 1);
    expect(bodyText(receivers[0]!.messages[0]!.message)).toBe("to all");
    expect(bodyText(receivers[1]!.messages[0]!.message)).toBe("to all");
    // the third queue's key does not match: a message to it proves nothing came before
    const other = await openSender(
      conn,
      suite.broker.kind === "rabbitmq" ? `/exchange/amq.topic/${key}.other` : `/exchanges/amq.topic/${key}.other`,
    );
    expect(await send(other, { body: rhea.message.data_section(Buffer.from("only other")) })).toBe("accepted");
    await eventually(() => receivers[2]!.messages.length === 1);
    expect(receivers[2]!.messages.map((m) => bodyText(m.message))).toEqual(["only other"]);
    await closeConnection(conn);
  });
});

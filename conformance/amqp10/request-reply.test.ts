// Request/reply through a dynamic receiver (rhea): the requester attaches a receiver whose source
// is `dynamic: true`, the broker makes a temporary queue and names it in the attach's source, and
// requests carry that address as reply-to; a responder over AMQP 1.0 or AMQP 0-9-1 replies there.
//
// Per target: Warren makes a queue exclusive to the connection (as RabbitMQ 4.1+ does for a
// temporary-queue source and ActiveMQ for any dynamic source), answers with its address in RabbitMQ
// 4's form `/queues/<name>`, and deletes it when the link or the connection goes. RabbitMQ 3.10's
// plugin supports no dynamic source: it ends the session with amqp:not-implemented "Dynamic
// sources not supported".

import rhea, { type Connection, type EventContext, type Receiver, type Source } from "rhea";
import { describe, expect, it } from "vitest";
import { amqp10Suite, bodyText, closeConnection, eventually, openReceiver, openSender, send } from "./helpers.js";

const suite = amqp10Suite();

type Dynamic = { receiver: Receiver; address: string; replies: string[] } | { sessionError: { condition: string; description: string } };

/** The source the broker's attach answered with. */
function remoteSource(r: Receiver): { address?: string; dynamic?: boolean } {
  return (r as unknown as { remote: { attach: { source: { address?: string; dynamic?: boolean } } } }).remote.attach.source;
}

/** A dynamic receiver, autoaccepting, its replies collected; or the session error that refused it. */
function openDynamic(conn: Connection): Promise<Dynamic> {
  const replies: string[] = [];
  // rhea's typings want an address; a dynamic source has none
  const r = conn.open_receiver({ source: { dynamic: true } as unknown as Source, autoaccept: true });
  r.on("message", (ctx: EventContext) => replies.push(`${ctx.message!.correlation_id}:${bodyText(ctx.message!)}`));
  return new Promise((resolve, reject) => {
    r.once("receiver_open", () => resolve({ receiver: r, address: remoteSource(r).address as string, replies }));
    r.once("receiver_error", (ctx: EventContext) => reject(ctx.receiver?.error ?? new Error("receiver error")));
    conn.once("session_error", (ctx: EventContext) => {
      const e = ctx.session!.error as unknown as { condition: string; description: string };
      resolve({ sessionError: { condition: e.condition, description: e.description } });
    });
  });
}

async function requestQueue(): Promise<string> {
  const q = suite.name("a10-requests");
  const ch = await suite.channel();
  await ch.assertQueue(q, { durable: false, autoDelete: false });
  return q;
}

/** Whether a queue exists: another connection's exclusive queue answers 405 RESOURCE_LOCKED, a missing one 404. */
async function queueExists(name: string): Promise<boolean> {
  const ch = await suite.channel();
  try {
    await ch.checkQueue(name);
    return true;
  } catch (err) {
    return (err as { code?: number }).code === 405;
  }
}

describe("AMQP 1.0 request/reply through a dynamic receiver", () => {
  it("the broker names a temporary queue; an AMQP 1.0 responder replies to it", async () => {
    const requests = await requestQueue();
    const requester = await suite.connect();
    const dyn = await openDynamic(requester);
    if (suite.broker.kind === "rabbitmq") {
      expect(dyn).toEqual({ sessionError: { condition: "amqp:not-implemented", description: "Dynamic sources not supported" } });
      return;
    }
    if ("sessionError" in dyn) throw new Error(`dynamic receiver refused: ${dyn.sessionError.description}`);
    expect(dyn.address).toMatch(/^\/queues\/amq\.gen-/);
    expect(remoteSource(dyn.receiver).dynamic).toBe(true);

    // the responder: takes requests, replies to their reply-to over an anonymous sender
    const responder = await suite.connect();
    const replier = responder.open_sender({ target: {} });
    const incoming = await openReceiver(responder, `/amq/queue/${requests}`);
    incoming.receiver.add_credit(10);

    const s = await openSender(requester, `/amq/queue/${requests}`);
    dyn.receiver.add_credit(10);
    for (const n of [1, 2]) expect(await send(s, { body: `q${n}`, reply_to: dyn.address, correlation_id: `c${n}` })).toBe("accepted");
    await eventually(() => incoming.messages.length === 2);
    for (const { message, delivery } of incoming.messages) {
      replier.send({ to: message.reply_to, correlation_id: message.correlation_id, body: `re:${bodyText(message)}` });
      delivery.accept();
    }
    await eventually(() => dyn.replies.length === 2);
    expect(dyn.replies).toEqual(["c1:re:q1", "c2:re:q2"]);
  });

  it("an AMQP 0-9-1 responder replies through the request's reply-to", async () => {
    if (suite.broker.kind === "rabbitmq") return; // no dynamic sources (see the first scenario)
    const requests = await requestQueue();
    const requester = await suite.connect();
    const dyn = await openDynamic(requester);
    if ("sessionError" in dyn) throw new Error(`dynamic receiver refused: ${dyn.sessionError.description}`);
    dyn.receiver.add_credit(10);
    const ch = await suite.channel();
    await ch.consume(requests, (m) => {
      if (m === null) return;
      // the 0-9-1 side sees the queue's plain name, as RabbitMQ strips an address to a name
      ch.sendToQueue(m.properties.replyTo, Buffer.from(`re:${m.content.toString()}`), { correlationId: m.properties.correlationId });
      ch.ack(m);
    });
    const s = await openSender(requester, `/amq/queue/${requests}`);
    expect(await send(s, { body: rhea.message.data_section(Buffer.from("ping")), reply_to: dyn.address, correlation_id: "c-091" })).toBe(
      "accepted",
    );
    await eventually(() => dyn.replies.length === 1);
    expect(dyn.replies).toEqual(["c-091:re:ping"]);
  });

  it("the temporary queue is the connection's alone and goes with the link or the connection", async () => {
    if (suite.broker.kind === "rabbitmq") return; // no dynamic sources (see the first scenario)
    const requester = await suite.connect();
    const first = await openDynamic(requester);
    const second = await openDynamic(requester);
    if ("sessionError" in first || "sessionError" in second) throw new Error("dynamic receiver refused");
    expect(first.address).not.toBe(second.address);
    const name = (a: string) => decodeURIComponent(a.slice("/queues/".length));
    expect(await queueExists(name(first.address))).toBe(true);
    // another connection may send to it but not consume from it
    const other = await suite.connect();
    const s = await openSender(other, first.address);
    expect(await send(s, { body: "to a temporary queue" })).toBe("accepted");
    const condition = await new Promise<string>((resolve) => {
      const r = other.open_receiver({ source: { address: first.address } });
      r.once("receiver_error", (ctx: EventContext) => resolve(String((ctx.receiver?.error as { condition?: string })?.condition)));
    });
    expect(condition).toBe("amqp:resource-locked");
    // closing the link deletes its queue (delete-on-close) …
    first.receiver.close();
    await eventually(async () => !(await queueExists(name(first.address))));
    // … and closing the connection deletes the rest
    expect(await queueExists(name(second.address))).toBe(true);
    await closeConnection(requester);
    await eventually(async () => !(await queueExists(name(second.address))));
  });
});

// What neither RabbitMQ nor Warren does with a link, refused the same way by both: resuming a link
// (an attach carrying incomplete-unsettled, §2.6.13) and a dynamic target. RabbitMQ 3.10's plugin
// and RabbitMQ 4 (validate_attach, ensure_target) end the session with amqp:not-implemented; the
// connection stays up and a new session attaches normally.

import type { Connection, EventContext, TargetTerminusOptions } from "rhea";
import { describe, expect, it } from "vitest";
import { amqp10Suite, eventually, openReceiver, openSender, send } from "./helpers.js";

const suite = amqp10Suite();

/** The session error that answers an attach opened by `open`. */
function sessionError(conn: Connection, open: () => void): Promise<{ condition: string; description: string }> {
  return new Promise((resolve, reject) => {
    conn.once("session_error", (ctx: EventContext) => resolve(ctx.session!.error as unknown as { condition: string; description: string }));
    conn.once("receiver_open", () => reject(new Error("the receiver was attached")));
    conn.once("sender_open", () => reject(new Error("the sender was attached")));
    open();
  });
}

describe("AMQP 1.0 link features neither broker has", () => {
  it("a receiver that resumes a link (incomplete-unsettled) ends its session with amqp:not-implemented; the connection goes on", async () => {
    const q = suite.name("a10-resume");
    const conn = await suite.connect();
    const error = await sessionError(conn, () => {
      const session = conn.create_session();
      session.begin();
      session.open_receiver({ source: { address: `/queue/${q}` }, incomplete_unsettled: true } as never);
    });
    expect(error).toMatchObject({ condition: "amqp:not-implemented", description: "Link recovery not supported" });
    const s = await openSender(conn, `/queue/${q}`);
    expect(await send(s, { body: "after" })).toBe("accepted");
    const r = await openReceiver(conn, `/queue/${q}`, { autoaccept: true });
    r.receiver.add_credit(1);
    await eventually(() => r.messages.length === 1);
  });

  it("a sender to a dynamic target ends its session with amqp:not-implemented", async () => {
    const conn = await suite.connect();
    const error = await sessionError(conn, () => {
      const session = conn.create_session();
      session.begin();
      session.open_sender({ target: { dynamic: true } as unknown as TargetTerminusOptions });
    });
    expect(error).toMatchObject({ condition: "amqp:not-implemented", description: "Dynamic targets not supported" });
  });
});

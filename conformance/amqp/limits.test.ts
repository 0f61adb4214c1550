// Queue length limits (x-max-length, x-max-length-bytes) with both overflow behaviours, and the
// publisher-confirm nack a refusing queue earns.

import { describe, expect, it } from "vitest";
import { conformanceSuite, drain } from "./helpers.js";

const suite = conformanceSuite();

/** Publishes each body and reports, per publish, whether the broker acked (true) or nacked it. */
async function publishConfirmed(
  ch: Awaited<ReturnType<typeof suite.confirmChannel>>["ch"],
  queue: string,
  bodies: string[],
): Promise<boolean[]> {
  return Promise.all(
    bodies.map((b) => new Promise<boolean>((resolve) => ch.sendToQueue(queue, Buffer.from(b), {}, (err) => resolve(err == null)))),
  );
}

describe("queue length limits", () => {
  it("x-max-length with the default overflow drops the oldest ready messages", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true, arguments: { "x-max-length": 2 } })).queue;
    expect(await publishConfirmed(ch, q, ["1", "2", "3", "4"])).toEqual([true, true, true, true]);
    expect(await drain(ch, q)).toEqual(["3", "4"]);
  });

  it("x-overflow reject-publish refuses what does not fit and nacks its confirm", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true, arguments: { "x-max-length": 2, "x-overflow": "reject-publish" } })).queue;
    expect(await publishConfirmed(ch, q, ["1", "2", "3"])).toEqual([true, true, false]);
    expect(await drain(ch, q)).toEqual(["1", "2"]);
    // room again once the queue drained
    expect(await publishConfirmed(ch, q, ["4"])).toEqual([true]);
  });

  it("x-max-length-bytes counts body bytes of ready messages", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true, arguments: { "x-max-length-bytes": 10 } })).queue;
    await publishConfirmed(ch, q, ["aaaa", "bbbb", "cccc"]);
    expect(await drain(ch, q)).toEqual(["bbbb", "cccc"]);
  });

  it("x-max-length 0 with drop-head accepts and discards every message", async () => {
    const { ch } = await suite.confirmChannel();
    const q = (await ch.assertQueue("", { exclusive: true, arguments: { "x-max-length": 0 } })).queue;
    expect(await publishConfirmed(ch, q, ["1"])).toEqual([true]);
    expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 0 });
  });
});

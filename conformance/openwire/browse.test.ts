// Queue browsers over deep queues with ActiveMQ 5.17's Java client: ActiveMQ shows a browser every
// message (its browse is paced by the browser's prefetch, 500 by default), and so does Warren,
// reading the paged-out part from disk as the browse reaches it. Against Warren the embedded
// broker pages out past 1 KiB of bodies, so nearly all of each queue is on disk only.
import { describe, expect, it } from "vitest";
import { runJava } from "./java.js";
import { uniquePrefix, useJmsScenarios } from "./scenarios.js";

const broker = useJmsScenarios({ pageOutBytes: 1024 });

describe("queue browsers over deep queues", () => {
  for (const total of [1000, 3000, 6000]) {
    it(`a browser sees all ${total} messages, in order, and leaves them all`, async () => {
      const r = await runJava<unknown>("Fidelity", broker.url, "browse-limit", uniquePrefix(), String(total));
      expect(r).toEqual({ browsed: total, inOrder: true, first: "m0", last: `m${total - 1}`, left: total });
    }, 120_000);
  }
});

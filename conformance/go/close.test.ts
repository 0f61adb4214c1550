// The Go client (rabbitmq/amqp091-go) closing connections: its own TestConcurrentClose (32
// goroutines calling Close() at once) and a Close() right after a publish burst. With a broker that
// drops the socket right after close-ok, the reader goroutine sees EOF or a reset first and a
// Close() returns `Exception (501) Reason: "EOF"`. Also a Channel.Close() crossing the broker's
// channel.close for an error, which must not cost the connection. See go.ts for how these run.

import { beforeAll, describe, expect, it } from "vitest";
import { conformanceSuite } from "../amqp/helpers.js";
import { buildGoProgram, runGoProgram } from "./go.js";

const suite = conformanceSuite();
let binary: string;

beforeAll(async () => {
  binary = await buildGoProgram("close");
}, 300_000);

describe("Go client: connection close", () => {
  it("concurrent Close() and Close() after a burst return nil or ErrClosed, never a 501 frame error; a channel closed across its 404 leaves the connection usable", async () => {
    const result = await runGoProgram<{ rounds: number; failures: string[] }>(binary, [suite.url]);
    expect(result.rounds).toBe(60);
    expect(result.failures).toEqual([]);
  }, 90_000);
});

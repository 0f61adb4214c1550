// Closing a connection as RabbitMQ does: after connection.close-ok (sent or received) the socket
// stays open and whatever the client still sends is discarded until it closes its side. Clients
// depend on it: amqplib's callback API flushes publishes it had buffered after sending close, and
// the Go client reads on after close-ok (conformance/go covers that one).

import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { conformanceSuite, withTimeout } from "./helpers.js";
import { isMethod, M, Writer } from "./raw/codec.js";
import { describe as describeFrame, type RawConnection } from "./raw/connection.js";

const suite = conformanceSuite();
const run = promisify(execFile);

const closeArgs = () => new Writer().short(200).shortstr("bye").short(0).short(0).done();
const publishArgs = (routingKey: string) => new Writer().short(0).shortstr("").shortstr(routingKey).bits(false, false).done();

/** The next method frame that is not a heartbeat, described for a readable failure. */
async function nextMethodName(raw: RawConnection): Promise<string> {
  const f = await raw.nextNonHeartbeat();
  if (isMethod(f, M.connectionCloseOk)) return "connection.close-ok";
  if (isMethod(f, M.channelOpenOk)) return "channel.open-ok";
  return describeFrame(f);
}

const BURST_SCRIPT = fileURLToPath(new URL("./node/close-after-burst.mjs", import.meta.url));

/**
 * amqplib's callback API publishing until sendToQueue returns false, then close(cb), in a process
 * of its own: in the test's own process client and broker take turns and the race never shows.
 */
async function publishBurstThenClose(url: string, rounds: number): Promise<Array<{ published: number; closeError: string | null }>> {
  const { stdout } = await run(process.execPath, [BURST_SCRIPT, url, String(rounds)], { timeout: 60_000 });
  return JSON.parse(stdout) as Array<{ published: number; closeError: string | null }>;
}

describe("connection.close", () => {
  it("amqplib (callback API): close(cb) after a burst that filled the client's buffer calls back without error", async () => {
    const outcomes = await publishBurstThenClose(suite.url, 3);
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) {
      expect(o.published).toBeGreaterThan(1);
      expect(o.closeError).toBeNull();
    }
  }, 60_000);

  it("after close-ok the socket stays open: later frames are discarded and a second close is answered with close-ok", async () => {
    const raw = await suite.raw();
    raw.sendMethod(0, M.connectionClose, closeArgs());
    await raw.expectMethod(M.connectionCloseOk);
    // frames a client library had buffered behind its close: content on a channel that is gone
    // and a channel.open, which would be answered if it were handled
    for (let i = 0; i < 50; i++) raw.sendMethod(1, M.basicPublish, publishArgs("nowhere"));
    raw.sendMethod(2, M.channelOpen, new Writer().shortstr("").done());
    raw.sendMethod(0, M.connectionClose, closeArgs());
    expect(await nextMethodName(raw)).toBe("connection.close-ok");
    expect(raw.isEnded).toBe(false);
    // the server closes its side once the client has closed its own
    raw.socket.end();
    await withTimeout(raw.ended, 5_000, "the server to close the socket after the client did");
  });

  it("after a connection error the server waits for close-ok, answering a crossed close with close-ok and discarding the rest", async () => {
    const raw = await suite.raw();
    raw.sendMethod(5, M.basicQos, new Writer().long(0).short(1).bits(false).done());
    const f = await raw.nextNonHeartbeat();
    expect(isMethod(f, M.connectionClose)).toBe(true);
    // the client had not seen the error yet: it opens a channel and then closes the connection
    raw.sendMethod(2, M.channelOpen, new Writer().shortstr("").done());
    raw.sendMethod(0, M.connectionClose, closeArgs());
    expect(await nextMethodName(raw)).toBe("connection.close-ok");
    expect(raw.isEnded).toBe(false);
    raw.sendMethod(0, M.connectionCloseOk);
    await withTimeout(raw.ended, 5_000, "the server to close the socket after close-ok");
  });
});

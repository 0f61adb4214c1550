import { afterEach, describe, expect, it } from "vitest";
import { connect, createServer, type Server } from "node:net";
import { constants } from "node:os";
import { createLogger } from "../../src/server/logger.js";
import { listenOn } from "../../src/transport/listen.js";

let server: Server | null = null;
afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise((r) => s.close(r));
});

/**
 * What libuv does when an accept fails and its reserve descriptor is gone too: it calls the
 * handle's onconnection with the error, and Node emits `error` on the server.
 */
function failAccept(s: Server): void {
  const handle = (s as unknown as { _handle: { onconnection(err: number): void } })._handle;
  handle.onconnection(-constants.errno.EMFILE);
}

describe("a listener whose accepts fail (EMFILE)", () => {
  it("keeps running, logs the first failure once, and says once when accepts work again", async () => {
    const lines: { level: number; msg: string; failedAccepts?: number; err?: { code?: string } }[] = [];
    const log = createLogger("info", { write: (l: string) => lines.push(JSON.parse(l) as (typeof lines)[number]) }, undefined, "json");
    const accepted: string[] = [];
    server = createServer((socket) => {
      accepted.push("socket");
      socket.end("hello");
    });
    const port = await listenOn(server, 0, "127.0.0.1", log);

    // before, the first of these was an uncaught 'error' event: the broker process ended
    for (let i = 0; i < 50; i++) failAccept(server);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, err: { code: "EMFILE" } });

    // the listener still accepts, and the streak ends with one line
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(port, "127.0.0.1");
      let got = "";
      c.on("data", (d: Buffer) => (got += d.toString()));
      c.on("close", () => resolve(got));
      c.on("error", reject);
    });
    expect(reply).toBe("hello");
    expect(accepted).toEqual(["socket"]);
    expect(lines.slice(1)).toMatchObject([{ level: 30, msg: "accepting connections again", failedAccepts: 50 }]);
  });
});

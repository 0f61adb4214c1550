// An HTTP listener that loads node:http at its first connection (src/transport/deferred-http.ts):
// until then only a net.Server is bound; from then on it serves as node:http's own server would,
// with its connection tracking (close ends idle keep-alive connections at once) and its timeouts.
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/server/logger.js";
import { DeferredHttpServer } from "../../src/transport/deferred-http.js";
import { listenOn } from "../../src/transport/listen.js";

const log = createLogger("info", { write: () => {} }, undefined, "json");
let server: DeferredHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function get(port: number, agent?: Agent): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", path: "/x", ...(agent !== undefined && { agent }) }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("an HTTP listener with node:http at first use", () => {
  it("creates its http.Server at the first connection and serves through it", async () => {
    const seen: number[] = [];
    server = new DeferredHttpServer((http) => {
      seen.push(1);
      http.on("request", (req, res) => res.end(`hello ${req.url}`));
    });
    const port = await listenOn(server.listener, 0, "127.0.0.1", log);
    expect(server.created).toBe(false);
    expect(seen).toEqual([]);
    expect(await get(port)).toEqual({ status: 200, body: "hello /x" });
    expect(await get(port)).toEqual({ status: 200, body: "hello /x" });
    expect(server.created).toBe(true);
    expect(seen).toEqual([1]);
  });

  it("runs a setup given later on the existing server, and the listener's own connection handlers", async () => {
    server = new DeferredHttpServer((http) => http.on("request", (_req, res) => res.end("ok")));
    let accepted = 0;
    server.listener.on("connection", () => accepted++);
    const port = await listenOn(server.listener, 0, "127.0.0.1", log);
    await get(port);
    const calls: string[] = [];
    server.onServer(() => calls.push("late"));
    expect(calls).toEqual(["late"]);
    expect(accepted).toBe(1);
  });

  it("ends an idle keep-alive connection at close, as node:http's own server does", async () => {
    server = new DeferredHttpServer((http) => {
      http.keepAliveTimeout = 60_000;
      http.on("request", (_req, res) => res.end("ok"));
    });
    const port = await listenOn(server.listener, 0, "127.0.0.1", log);
    const agent = new Agent({ keepAlive: true });
    expect((await get(port, agent)).status).toBe(200);
    const closedAt = Date.now();
    await server.close();
    server = undefined;
    // without connection tracking the idle socket would hold the close for the whole keep-alive
    expect(Date.now() - closedAt).toBeLessThan(5000);
    agent.destroy();
  });

  it("applies node:http's headers timeout to a client that never finishes its request", async () => {
    server = new DeferredHttpServer((http) => {
      http.headersTimeout = 300;
      http.requestTimeout = 400;
      // a constructor option in node:http; read when the server starts tracking its connections
      (http as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 50;
      http.on("request", (_req, res) => res.end("ok"));
    });
    const port = await listenOn(server.listener, 0, "127.0.0.1", log);
    const socket = connect(port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    let reply = "";
    socket.on("data", (d: Buffer) => (reply += d.toString()));
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });
});

import type { Server as HttpServer } from "node:http";
import type { Server } from "node:net";
import type { Logger } from "../server/logger.js";

/**
 * Keeps a bound listener alive through failed accepts and says so once per streak.
 *
 * When every descriptor is taken, libuv normally accepts and drops the waiting connections itself
 * (it keeps one descriptor in reserve for that) and Node hears nothing. When it cannot (the reserve
 * is gone too), Node emits `error` on the server for every failed accept: with no listener that is
 * an uncaught exception, which would end the broker. The server keeps listening after such an
 * error, so there is nothing to do but tell the operator, once, and once more when accepts work.
 */
export function logAcceptErrors(server: Server | HttpServer, log: Logger, port: number): void {
  let failed = 0;
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (failed++ === 0) log.warn({ err, port }, "accepting a connection failed; further failures are counted until one succeeds");
  });
  server.on("connection", () => {
    if (failed === 0) return;
    log.info({ port, failedAccepts: failed }, "accepting connections again");
    failed = 0;
  });
}

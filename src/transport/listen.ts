import type { Server as HttpServer } from "node:http";
import type { Server } from "node:net";
import { logAcceptErrors } from "./accept-errors.js";
import type { Logger } from "../server/logger.js";

/**
 * Binds a listener; resolves with the port actually bound (the point of port 0) or rejects with the
 * bind error. Once bound, later errors (failed accepts) go to `log` instead of ending the process.
 */
export function listenOn(server: Server | HttpServer, port: number, host: string | undefined, log: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      const addr = server.address();
      const bound = typeof addr === "object" && addr ? addr.port : port;
      logAcceptErrors(server, log, bound);
      resolve(bound);
    });
  });
}

/** Whether a peer address is loopback: RabbitMQ's loopback_users (guest) may only log in from there. */
export const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && (address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127."));

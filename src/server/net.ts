import type { Server as HttpServer } from "node:http";
import type { Server } from "node:net";

/** Binds a listener; resolves with the port actually bound (the point of port 0) or rejects with the bind error. */
export function listenOn(server: Server | HttpServer, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : port);
    });
  });
}

/** Whether a peer address is loopback: RabbitMQ's loopback_users (guest) may only log in from there. */
export const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && (address.startsWith("127.") || address === "::1" || address.startsWith("::ffff:127."));

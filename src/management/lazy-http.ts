/**
 * An HTTP(S) listener whose request handling is loaded when the first request arrives. The
 * management API (fastify, its schemas, the UI) and the Prometheus endpoint (prom-client) cost
 * tens of megabytes and most of a second of CPU to load; a broker nobody has browsed or scraped
 * yet should pay neither. The listener itself is a plain node:http server, bound at start like
 * every other, so its port is taken (and a bind failure reported) at once; a request that arrives
 * while the handler loads waits for it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ServerOptions as HttpsServerOptions } from "node:https";
import { createRequire } from "node:module";
import type { Logger } from "../server/logger.js";

/** node:https (and node:tls under it) only for an HTTPS listener: ~10 ms of start-up CPU otherwise spent for nothing. */
const nodeRequire = createRequire(import.meta.url);

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What loading gives: the handler for every request from now on, and how to stop it. */
export interface LoadedHandler {
  readonly handle: RequestListener;
  close(): Promise<void>;
}

export interface LazyHttpServer {
  /** The listening server; the loader gets it too (fastify adopts it through serverFactory). */
  readonly server: Server;
  /** Whether the handler has been loaded (a request has arrived). */
  readonly loaded: boolean;
  /** Stops accepting, closes every connection and the loaded handler (waiting for one being loaded). */
  close(): Promise<void>;
}

/**
 * A server that answers its first request by calling `load(server)` once, then hands that request
 * and every later one to the loaded handler. A failed load answers 500 to the requests waiting for
 * it, is logged, and is tried again at the next request.
 */
export function lazyHttpServer(
  what: string,
  load: (server: Server) => Promise<LoadedHandler>,
  log: Logger,
  tls?: HttpsServerOptions,
): LazyHttpServer {
  let loaded: LoadedHandler | undefined;
  let loading: Promise<LoadedHandler> | undefined;
  const onRequest: RequestListener = (req, res) => {
    loading ??= load(server).then(
      (handler) => {
        loaded = handler;
        // from now on requests go straight to the handler
        server.removeListener("request", onRequest);
        server.on("request", handler.handle);
        return handler;
      },
      (err: unknown) => {
        loading = undefined;
        log.error({ err }, `${what}: loading the request handler failed`);
        throw err;
      },
    );
    loading.then(
      (handler) => handler.handle(req, res),
      (err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`${what} is not available: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };
  const server: Server =
    tls === undefined
      ? createServer(onRequest)
      : ((nodeRequire("node:https") as typeof import("node:https")).createServer(tls, onRequest) as unknown as Server);
  return {
    server,
    get loaded() {
      return loaded !== undefined;
    },
    async close() {
      const pending = loading;
      server.closeAllConnections();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const handler = pending === undefined ? undefined : await pending.catch(() => undefined);
      await handler?.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

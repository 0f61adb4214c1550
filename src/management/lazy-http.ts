/**
 * An HTTP(S) listener whose request handling is loaded when the first request arrives. The
 * management API (fastify, its schemas, the UI) and the Prometheus endpoint (prom-client) cost
 * tens of megabytes and most of a second of CPU to load; a broker nobody has browsed or scraped
 * yet should pay neither. The listener is bound at start like every other, so its port is taken
 * (and a bind failure reported) at once; node:http itself is loaded at its first connection
 * (transport/deferred-http.ts), and a request that arrives while the handler loads waits for it.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { ServerOptions as HttpsServerOptions } from "node:https";
import type { Server as NetServer } from "node:net";
import type { Logger } from "../server/logger.js";
import { DeferredHttpServer, type HttpSetup } from "../transport/deferred-http.js";

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** What loading gives: the handler for every request from now on, and how to stop it. */
export interface LoadedHandler {
  readonly handle: RequestListener;
  close(): Promise<void>;
}

export interface LazyHttpServer {
  /** What to bind (a net.Server until its first connection creates the http.Server; HTTPS: the https.Server). */
  readonly listener: NetServer;
  /** Whether the handler has been loaded (a request has arrived). */
  readonly loaded: boolean;
  /** Stops accepting, closes every connection and the loaded handler (waiting for one being loaded). */
  close(): Promise<void>;
}

/**
 * A server that answers its first request by calling `load(server)` once (`server` is the
 * http.Server, which fastify adopts through its serverFactory), then hands that request and every
 * later one to the loaded handler. A failed load answers 500 to the requests waiting for
 * it, is logged, and is tried again at the next request.
 */
export function lazyHttpServer(
  what: string,
  load: (server: Server) => Promise<LoadedHandler>,
  log: Logger,
  tls?: HttpsServerOptions,
  /** Settings for the http.Server once it exists (timeouts). */
  setup?: HttpSetup,
): LazyHttpServer {
  let loaded: LoadedHandler | undefined;
  let loading: Promise<LoadedHandler> | undefined;
  const onRequest: RequestListener = (req, res) => {
    // a request came through it, so the http.Server exists
    const server = deferred.server();
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
  const deferred = new DeferredHttpServer((http) => {
    setup?.(http);
    http.on("request", onRequest);
  }, tls);
  return {
    listener: deferred.listener,
    get loaded() {
      return loaded !== undefined;
    },
    async close() {
      const pending = loading;
      deferred.closeAllConnections();
      const closed = deferred.close();
      const handler = pending === undefined ? undefined : await pending.catch(() => undefined);
      await handler?.close();
      deferred.closeAllConnections();
      await closed;
    },
  };
}

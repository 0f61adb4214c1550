/**
 * An HTTP listener that loads node:http at its first connection, not at start. The WebSocket
 * listeners (Web MQTT, Web STOMP, AMQP 1.0 over WebSocket), management and Prometheus all speak
 * HTTP, but a broker that no browser, scraper or WebSocket client has reached yet needs none of
 * it: requiring node:http (its parser binding, the outgoing-message and agent modules) cost 5–7 ms
 * of every start's CPU (bench/README.md, "Start-up: node:http at first use"). So what is bound at
 * start is a plain `net.Server`; its first accepted socket creates the `http.Server` and every
 * socket is handed to it as its own "connection", which is how node:http serves a socket it did
 * not accept itself (ws and fastify then see an ordinary http.Server).
 *
 * HTTPS needs node:https and node:tls at once anyway, so a TLS listener is the https.Server itself.
 */
import type { Server as HttpServer } from "node:http";
import type { ServerOptions as HttpsServerOptions } from "node:https";
import { createRequire } from "node:module";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";

const nodeRequire = createRequire(import.meta.url);

/** What to do to the http.Server once it exists: attach request and upgrade handlers, set timeouts. */
export type HttpSetup = (server: HttpServer) => void;

export class DeferredHttpServer {
  /** What is bound (`listenOn`): a net.Server, or for TLS the https.Server itself. */
  readonly listener: NetServer;
  private http: HttpServer | undefined;
  private readonly setups: HttpSetup[] = [];

  constructor(setup?: HttpSetup, tls?: HttpsServerOptions) {
    if (setup !== undefined) this.setups.push(setup);
    if (tls !== undefined) {
      const https = (nodeRequire("node:https") as typeof import("node:https")).createServer(tls) as unknown as HttpServer;
      this.http = https;
      this.listener = https;
      setup?.(https);
      return;
    }
    // the socket options node:http's own server would accept with
    this.listener = createNetServer({ allowHalfOpen: true, noDelay: true });
    this.listener.on("connection", (socket: Socket) => this.server().emit("connection", socket));
  }

  /** Whether node:http's server exists yet (a connection has been accepted, or `server()` called). */
  get created(): boolean {
    return this.http !== undefined;
  }

  /** Runs `setup` on the http.Server when it is created, or now if it already is. */
  onServer(setup: HttpSetup): void {
    this.setups.push(setup);
    if (this.http !== undefined) setup(this.http);
  }

  /** The http.Server, created (and node:http loaded) now if no connection has created it yet. */
  server(): HttpServer {
    if (this.http === undefined) {
      const http = (nodeRequire("node:http") as typeof import("node:http")).createServer();
      this.http = http;
      for (const setup of this.setups) setup(http);
      // node:http starts tracking its connections (for closeIdleConnections/closeAllConnections,
      // and the headers and request timeouts it checks every connectionsCheckingInterval) when it
      // hears "listening"; this one never listens itself, its sockets come from the listener
      http.emit("listening");
    }
    return this.http;
  }

  /** Destroys every connection, idle or not (none before the first). */
  closeAllConnections(): void {
    this.http?.closeAllConnections();
  }

  /** Stops accepting, closes idle connections, and resolves once every connection has ended. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      // it never listened: this only closes its idle connections and stops its timeout checks
      if (this.http !== undefined && this.http !== this.listener) this.http.close();
      this.listener.close(() => resolve());
    });
  }
}

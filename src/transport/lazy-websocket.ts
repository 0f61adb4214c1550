/**
 * A WebSocket endpoint on an HTTP listener (deferred-http.ts: node:http itself is loaded at the
 * first connection) whose `ws` library is imported at the first upgrade, not at start. ws
 * requires node:https, node:tls and node:zlib at its top (its client side), so importing it costs
 * a broker ~10 ms of CPU and a few MiB whether or not a WebSocket client ever comes
 * (bench/README.md, "Start-up"). The listener itself is bound at start like any other; an upgrade
 * that arrives while ws loads waits for it, later ones go straight to ws.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { ServerOptions, WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../server/logger.js";
import type { DeferredHttpServer } from "./deferred-http.js";

export type WsModule = typeof import("ws");

let wsModule: Promise<WsModule> | undefined;

/** Imports ws once for every listener in the process; a failed import is tried again next time. */
export function loadWs(): Promise<WsModule> {
  wsModule ??= import("ws").catch((err: unknown) => {
    wsModule = undefined;
    throw err;
  });
  return wsModule;
}

/** ws's server options this helper passes on (it owns `noServer`; `path` is checked by ws). */
export type LazyWebSocketOptions = Omit<ServerOptions, "server" | "port" | "noServer" | "host" | "backlog">;

/** An upgraded WebSocket, its upgrade request, and the loaded ws (for `createWebSocketStream`). */
export type WebSocketListener = (ws: WebSocket, req: IncomingMessage, mod: WsModule) => void;

function ignoreError(): void {}

export class LazyWebSocketServer {
  private wss: WebSocketServer | undefined;
  private mod: WsModule | undefined;
  private closed = false;

  constructor(
    http: DeferredHttpServer,
    private readonly options: LazyWebSocketOptions,
    private readonly onConnection: WebSocketListener,
    private readonly log: Logger,
    /** What else the first upgrade waits for besides ws (a front-end's own lazily loaded code). */
    ready?: () => Promise<unknown>,
  ) {
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (this.wss !== undefined) return this.upgrade(this.wss, req, socket, head);
      // nobody else listens on the socket until ws takes it: its errors must not end the process
      socket.on("error", ignoreError);
      (ready === undefined ? loadWs() : Promise.all([loadWs(), ready()]).then(([mod]) => mod)).then(
        (mod) => {
          socket.removeListener("error", ignoreError);
          if (this.closed) return void socket.destroy();
          this.upgrade(this.server(mod), req, socket, head);
        },
        (err: unknown) => {
          this.log.error({ err }, "loading the WebSocket library or the connection code failed");
          socket.destroy();
        },
      );
    };
    http.onServer((server) => server.on("upgrade", onUpgrade));
  }

  /** Whether ws has been loaded for this listener (a client has upgraded). */
  get loaded(): boolean {
    return this.wss !== undefined;
  }

  /** The open WebSockets (none before the first upgrade). */
  get clients(): Iterable<WebSocket> {
    return this.wss?.clients ?? [];
  }

  private server(mod: WsModule): WebSocketServer {
    if (this.wss === undefined) {
      this.mod = mod;
      this.wss = new mod.WebSocketServer({ ...this.options, noServer: true });
    }
    return this.wss;
  }

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // ws answers a wrong path (400), method or key itself, as it did with `server:`
    const mod = this.mod as WsModule;
    wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req, mod));
  }

  /** Stops taking upgrades (the HTTP server is the caller's to close). */
  close(): Promise<void> {
    this.closed = true;
    const wss = this.wss;
    if (wss === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}

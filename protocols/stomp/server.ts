import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import type { WebSocket } from "ws";
import { DeferredHttpServer } from "../../src/transport/deferred-http.js";
import { LazyWebSocketServer } from "../../src/transport/lazy-websocket.js";
import { setMaxPayload, WS_MAX_PAYLOAD } from "../../src/transport/ws-payload.js";
import type { Broker } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { listenOn } from "../../src/transport/listen.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { lazyModule, whenLoaded } from "../../src/transport/lazy-module.js";
import { createTlsServer, type TlsServerOptions } from "../../src/transport/tls.js";
import type { StompConnection, StompConnectionOptions } from "./connection.js";
import { DEFAULT_PARSER_LIMITS, MAX_FRAME_UNAUTHENTICATED } from "./limits.js";
import type { StompTransport } from "./transport.js";

export type StompServerOptions = StompConnectionOptions;

export function defaultStompOptions(broker: Broker, o: Partial<StompServerOptions> = {}): StompServerOptions {
  return {
    limits: o.limits ?? DEFAULT_PARSER_LIMITS,
    defaultUser: o.defaultUser ?? "guest",
    defaultPass: o.defaultPass ?? "guest",
    defaultVhost: o.defaultVhost ?? broker.defaultVhost,
    loginTimeout: o.loginTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
  };
}

/**
 * The connection, session, parser and transports (the bulk of the front-end): imported at the first
 * client's accept (src/transport/lazy-module.ts); every connection after that is built synchronously.
 */
const connectionCode = lazyModule(async () => {
  const [{ StompConnection }, { TcpTransport, WebSocketTransport }] = await Promise.all([
    import("./connection.js"),
    import("./transport.js"),
  ]);
  return { StompConnection, TcpTransport, WebSocketTransport };
});
type ConnectionCode = Awaited<ReturnType<typeof connectionCode.load>>;

/** Web-STOMP's subprotocols (RabbitMQ's web-stomp accepts these; a client offering none still gets in). */
const SUBPROTOCOLS = ["v12.stomp", "v11.stomp", "v10.stomp", "stomp"];

/** Connections of one listener, TCP or WebSocket alike. */
abstract class StompListener {
  protected readonly connections = new Set<StompConnection>();
  /** Sockets that have not logged in yet, closed after stomp.login_timeout. */
  protected readonly handshake: HandshakeDeadlines;

  constructor(
    protected readonly broker: Broker,
    protected readonly log: Logger,
    protected readonly options: StompServerOptions,
    protected readonly protocol: string,
  ) {
    this.handshake = new HandshakeDeadlines(options.loginTimeout, protocol, broker.connections, log, (s) => this.loggedIn(s));
  }

  /** A socket's handshake is over (logged in, or closed first). */
  protected loggedIn(_socket: Socket): void {}

  /** `socket` is the TCP socket under the transport, tracked from its accept until CONNECTED. */
  protected accept({ StompConnection }: ConnectionCode, transport: StompTransport, socket: Socket): void {
    const login = { deadlines: this.handshake, socket };
    const conn = new StompConnection(transport, this.broker, this.options, this.log, (c) => this.connections.delete(c), login);
    this.connections.add(conn);
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}

/** Accepts STOMP over TCP (RabbitMQ's port 61613). */
export class StompServer extends StompListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closing = false;

  /** With TLS options this is a STOMP-over-TLS listener (RabbitMQ's 61614). */
  constructor(broker: Broker, log: Logger, options: StompServerOptions, tls?: TlsServerOptions) {
    super(broker, log, options, tls ? "stomp/ssl" : "stomp");
    const onSocket = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      this.handshake.track(socket);
      whenLoaded(
        connectionCode,
        socket,
        (code) => this.accept(code, new code.TcpTransport(socket), socket),
        log,
        "STOMP",
        () => !this.closing,
      );
    };
    this.server = tls
      ? createTlsServer(tls, onSocket, () => broker.connections.handshakeTimedOut(this.protocol))
      : createTcpServer(onSocket);
  }

  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.server, port, host, this.log);
  }

  /** Stops accepting, tells clients with an ERROR, then drops what is left. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.handshake.stop();
    for (const c of this.connections) c.forceClose();
    await new Promise((r) => setTimeout(r, this.connections.size > 0 ? 50 : 0));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

/** Accepts STOMP over WebSocket on path /ws (RabbitMQ's web-stomp, port 15674). */
export class WebStompServer extends StompListener {
  private readonly http: DeferredHttpServer;
  private readonly wss: LazyWebSocketServer;
  private readonly sockets = new WeakMap<Socket, WebSocket>();

  /** Logged in: the client's WebSocket messages may be as large as ws allows. */
  protected override loggedIn(socket: Socket): void {
    const ws = this.sockets.get(socket);
    if (ws !== undefined) setMaxPayload(ws, WS_MAX_PAYLOAD);
  }

  constructor(broker: Broker, log: Logger, options: StompServerOptions, path = "/ws") {
    super(broker, log, options, "web-stomp");
    // node:http is loaded at the first connection
    this.http = new DeferredHttpServer((http) => http.on("request", (_req, res) => void res.writeHead(404).end()));
    // the login deadline runs from the TCP accept: a socket that never upgrades is closed too
    this.http.listener.on("connection", (socket: Socket) => this.handshake.track(socket));
    this.wss = new LazyWebSocketServer(
      this.http,
      { path, handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false },
      (ws, req) => {
        // before CONNECT a WebSocket message is at most the largest unauthenticated frame
        this.sockets.set(req.socket, ws);
        setMaxPayload(ws, MAX_FRAME_UNAUTHENTICATED);
        const code = connectionCode.current as ConnectionCode; // loaded before the upgrade (below)
        this.accept(
          code,
          new code.WebSocketTransport(ws, req.socket.remoteAddress, req.socket.remotePort, req.socket.localAddress, req.socket.localPort),
          req.socket,
        );
      },
      log,
      // a WebSocket's first messages are events, not buffered bytes: the transport must be there to
      // hear them, so the first upgrade waits for the connection code as well as for ws
      () => connectionCode.load(),
    );
  }

  listen(port: number, host?: string): Promise<number> {
    return listenOn(this.http.listener, port, host, this.log);
  }

  async close(): Promise<void> {
    this.handshake.stop();
    for (const c of this.connections) c.forceClose();
    await new Promise((r) => setTimeout(r, this.connections.size > 0 ? 50 : 0));
    for (const ws of this.wss.clients) ws.terminate();
    await this.wss.close();
    this.http.closeAllConnections();
    await this.http.close();
  }
}

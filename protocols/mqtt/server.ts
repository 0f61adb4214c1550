import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { BrokerError, type Broker, type ClientRef } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import { listenOn } from "../../src/transport/listen.js";
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, HandshakeDeadlines } from "../../src/transport/handshake-deadlines.js";
import { createTlsServer, type TlsServerOptions } from "../../src/transport/tls.js";
import { MqttConnection } from "./connection.js";
import { KeepAliveSweeper } from "../../src/transport/keep-alive.js";
import { RetainedStore } from "./retained.js";
import { fromPublish, originOf } from "./message.js";
import { MqttSession } from "./session.js";
import { type MqttState, MqttStateFile } from "./state-file.js";
import { PendingWills } from "./will.js";

export interface MqttOptions {
  /** Largest packet accepted from a client, in bytes (MQTT's own limit is 268435455). */
  maxPacketSize: number;
  /** Whether clients without a username log in as `defaultUser` (RabbitMQ's mqtt.allow_anonymous). */
  allowAnonymous: boolean;
  defaultUser: string;
  defaultPass: string;
  /** Vhost for usernames without a `vhost:` prefix (RabbitMQ's mqtt.vhost). */
  vhost: string;
  /** QoS 1/2 deliveries in flight per client when it does not say (v5 receive maximum). */
  receiveMaximum: number;
  /** Topic aliases a v5 client may use towards the broker. */
  topicAliasMaximum: number;
  /**
   * QoS 1/2 publishes a v5 client may have unacknowledged towards the broker (CONNACK receive
   * maximum); more is DISCONNECT 0x93 [MQTT-3.3.4-9]. PUBACKs leave at once unless the disk holds them.
   */
  inboundReceiveMaximum: number;
  /** ms from accept to CONNACK before the socket is closed (RabbitMQ's mqtt.login_timeout); 0: none. */
  loginTimeout: number;
  /** Where retained messages and persistent sessions are saved (the data dir's mqtt/); none: in memory only. */
  stateDir?: string;
  /** Told each time the state file was rewritten (a cluster leader replicates it). */
  onStateWritten?: (path: string, bytes: Buffer) => void;
}

/** v5 session expiry 0xFFFFFFFF: never expires (MQTT 5 §3.1.2.11.2); 3.1.1 persistent sessions too. */
export const NEVER = 0xffffffff;

export const DEFAULT_MQTT_OPTIONS: MqttOptions = {
  maxPacketSize: 16 * 1024 * 1024,
  allowAnonymous: true,
  defaultUser: "guest",
  defaultPass: "guest",
  vhost: "/",
  // RabbitMQ's mqtt.prefetch default
  receiveMaximum: 10,
  topicAliasMaximum: 16,
  inboundReceiveMaximum: 1024,
  loginTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
};

/**
 * The MQTT front-end's shared state — sessions by client id, retained messages, pending wills —
 * and its TCP listener. WebSocket connections come in through `accept` too, so a client can take
 * over its session from either transport.
 */
export class MqttServer {
  private server: Server | null = null;
  private readonly connections = new Set<MqttConnection>();
  /** Sessions by `vhost\0clientId`; a live connection is its session's link (takeover [MQTT-3.1.4-3]). */
  readonly sessions = new Map<string, MqttSession>();
  /** v5 wills waiting for their delay interval, by session key. */
  readonly pendingWills: PendingWills;
  readonly retained = new RetainedStore();
  /** Every connection's keep-alive, on one timer. */
  readonly keepAlive = new KeepAliveSweeper();
  readonly options: MqttOptions;
  private readonly stateFile: MqttStateFile | null = null;
  /** The publisher of messages recovered from the state file. */
  private readonly restoredPublisher: ClientRef;

  constructor(
    readonly broker: Broker,
    readonly log: Logger,
    options: Partial<MqttOptions> = {},
  ) {
    this.options = { ...DEFAULT_MQTT_OPTIONS, ...options };
    this.pendingWills = new PendingWills(broker.clock);
    this.restoredPublisher = broker.newClient();
    if (this.options.stateDir !== undefined) {
      const file = new MqttStateFile(this.options.stateDir, () => this.snapshot(), log, this.options.onStateWritten);
      this.restore(file.load());
      this.stateFile = file;
      this.retained.onChange = () => file.changed();
    }
  }

  /** Retained messages and persistent sessions changed: the state file is written soon. */
  changed(): void {
    this.stateFile?.changed();
  }

  private snapshot(): MqttState {
    const state: MqttState = { retained: [], sessions: [] };
    for (const [vhost, topic, m] of this.retained.entries()) {
      const o = originOf(m);
      state.retained.push({
        vhost, topic, qos: o?.qos ?? 0, payload: m.body, properties: o?.properties, publishedAt: o?.publishedAt ?? this.broker.clock.now(),
      });
    }
    for (const s of this.sessions.values()) {
      if (!s.persistent) continue;
      state.sessions.push({
        vhost: s.vhost.name, clientId: s.clientId, expiry: s.expiry, disconnectedAt: s.disconnectedAt,
        subscriptions: [...s.subscriptions],
      });
    }
    return state;
  }

  /** What an earlier run saved: retained messages back in place, sessions waiting for their clients. */
  private restore(state: MqttState): void {
    for (const r of state.retained) {
      const vhost = this.broker.vhost(r.vhost);
      if (vhost instanceof BrokerError) continue;
      this.retained.set(r.vhost, r.topic, fromPublish(r.topic, r.payload, r.qos, true, r.properties, this.restoredPublisher, r.publishedAt));
    }
    const now = this.broker.clock.now();
    for (const saved of state.sessions) {
      const vhost = this.broker.vhost(saved.vhost);
      if (vhost instanceof BrokerError) continue;
      const session = new MqttSession(vhost, saved.clientId, true, this.retained);
      session.expiry = saved.expiry;
      session.restore(saved.subscriptions);
      const key = `${saved.vhost}\u0000${saved.clientId}`;
      // the restart counts as the disconnect for a session that was connected
      session.disconnectedAt = saved.disconnectedAt ?? now;
      this.sessions.set(key, session);
      this.scheduleExpiry(key, session);
    }
  }

  /**
   * A persistent session without a connection ends after its expiry interval (v5): up to 2^32-2 s,
   * so it runs on the broker's clock, which waits past setTimeout's 24.8-day limit.
   */
  scheduleExpiry(key: string, session: MqttSession): void {
    if (session.expiry === NEVER || session.link !== null) return;
    const clock = this.broker.clock;
    const now = clock.now();
    const left = session.expiry * 1000 - (now - (session.disconnectedAt ?? now));
    session.expiryTimer?.cancel();
    session.expiryTimer = clock.schedule(() => {
      if (session.link !== null || this.sessions.get(key) !== session) return;
      session.end();
      this.sessions.delete(key);
      this.changed();
    }, left);
  }

  /**
   * Takes a byte stream that speaks MQTT: a TCP socket, or a WebSocket's stream with the TCP
   * socket under it (its addresses are the peer's).
   */
  accept(stream: Duplex, socket: Socket, webSocket = false, handshake: HandshakeDeadlines | null = null): void {
    this.connections.add(new MqttConnection(stream, socket, webSocket, this, handshake));
  }

  /** Login deadlines of one listener ("mqtt", "mqtt/ssl", "web-mqtt"). */
  handshakeDeadlines(protocol: string, settled?: (socket: Socket) => void): HandshakeDeadlines {
    const d = new HandshakeDeadlines(this.options.loginTimeout, protocol, this.broker.connections, this.log, settled);
    this.deadlines.push(d);
    return d;
  }

  private readonly deadlines: HandshakeDeadlines[] = [];

  connectionClosed(conn: MqttConnection): void {
    this.connections.delete(conn);
  }

  /** Binds the TCP port; resolves with the port actually bound (useful with port 0). */
  listen(port: number, host?: string): Promise<number> {
    const handshake = this.handshakeDeadlines("mqtt");
    const server = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      handshake.track(socket);
      this.accept(socket, socket, false, handshake);
    });
    this.server = server;
    return listenOn(server, port, host, this.log);
  }

  /** MQTT over TLS (RabbitMQ's 8883), sharing sessions and retained messages with the plain listener. */
  listenTls(port: number, host: string | undefined, tls: TlsServerOptions): Promise<number> {
    const handshake = this.handshakeDeadlines("mqtt/ssl");
    const server = createTlsServer(tls, (socket) => {
      socket.setNoDelay(true);
      handshake.track(socket);
      this.accept(socket, socket, false, handshake);
    }, () => this.broker.connections.handshakeTimedOut("mqtt/ssl"));
    this.tlsServer = server;
    return listenOn(server, port, host, this.log);
  }

  private tlsServer: Server | null = null;

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, tells v5 clients the server is shutting down, then drops what is left. */
  async close(): Promise<void> {
    const closed = Promise.all([this.server, this.tlsServer].map((server) =>
      server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()));
    for (const c of [...this.connections]) c.serverShutdown();
    // a moment for the DISCONNECTs to leave before the sockets go
    await new Promise((r) => setTimeout(r, this.connections.size > 0 ? 50 : 0));
    this.pendingWills.clear();
    this.keepAlive.stop();
    for (const d of this.deadlines) d.stop();
    for (const s of this.sessions.values()) s.expiryTimer?.cancel();
    this.stateFile?.save();
    for (const c of [...this.connections]) c.destroy();
    await closed;
  }
}

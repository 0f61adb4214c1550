/**
 * What the packet handlers (handlers/) are given: the front-end's shared state (`MqttContext`, one
 * per MqttServer) and the one connection a packet came on (`ConnectionContext`). Handlers are
 * module functions taking these, so a connection carries no handler objects or closures of its
 * own, and nothing reaches through the server to its internals.
 */
import type { Packet } from "mqtt-packet";
import type { AccessControl, Broker, ConnectionSource, User, VirtualHost } from "../../src/core/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { BatchedWriter } from "../../src/transport/batched-writer.js";
import type { HeldAcks } from "./held-acks.js";
import type { MqttOptions } from "./options.js";
import type { RetainedStore } from "./retained.js";
import type { MqttSession, SessionLink } from "./session.js";
import type { SessionRegistry } from "./session-registry.js";
import type { InboundAliases, OutboundAliases } from "./topic-alias.js";
import type { Will } from "./will.js";

/** The front-end's shared state: every connection of one server (TCP, TLS, WebSocket) sees the same. */
export interface MqttContext {
  readonly broker: Broker;
  readonly log: Logger;
  readonly options: MqttOptions;
  /** Sessions, takeover, pending wills, session expiry. */
  readonly sessions: SessionRegistry;
  readonly retained: RetainedStore;
  /** Retained messages or persistent sessions changed: the state file is written soon. */
  changed(): void;
  /** The connection is gone (torn down): the server forgets it. */
  connectionClosed(conn: ServerConnection): void;
}

/** What the server does with the connections it accepted. */
export interface ServerConnection {
  /** v5 clients hear DISCONNECT 0x8B (0x9C, use another server, on a cluster handover), then the connection closes. */
  serverShutdown(handover?: boolean): void;
  /** Drops the connection without a word. */
  destroy(): void;
}

/** What CONNECT establishes, handed to the connection in one step once the client is accepted. */
export interface Established {
  readonly user: User;
  readonly vhost: VirtualHost;
  readonly access: AccessControl;
  readonly will: Will | null;
  /** The client's receive maximum (v5), or the server's default. */
  readonly receiveMaximum: number;
  /** The client's maximum packet size (v5), or MQTT's largest packet. */
  readonly clientMaxPacket: number;
  /** Topic aliases towards the client (v5), when it allows them. */
  readonly outboundAliases: OutboundAliases | null;
  /** v5 session expiry interval, seconds (0 before v5). */
  readonly sessionExpiry: number;
  readonly session: MqttSession;
  readonly sessionKey: string;
  readonly clientId: string;
  /** The session was or is persistent: the state file must hear of its end. */
  readonly sessionWasPersistent: boolean;
  readonly keepAliveMs: number;
}

/**
 * One connection as its packet handlers see it. Everything after CONNECT may rely on `session`,
 * `vhost` and `access` being set: the connection hands a packet to those handlers only while open.
 */
export interface ConnectionContext extends SessionLink, ConnectionSource {
  readonly ctx: MqttContext;
  /** Protocol level: 3 (3.1), 4 (3.1.1) or 5; set by CONNECT before anything is answered. */
  protocolVersion: number;
  readonly writer: BatchedWriter;
  /** A logger with the connection's fields, made per call: ask only when logging. */
  readonly log: Logger;
  /** The peer's address, for the loopback-only users check. */
  readonly remoteAddress: string | undefined;
  readonly session: MqttSession | null;
  readonly vhost: VirtualHost | null;
  readonly access: AccessControl;
  /** Sent if the connection ends without a DISCONNECT that discards it. */
  will: Will | null;
  /** v5 session expiry interval (seconds); DISCONNECT may change it. */
  sessionExpiry: number;
  /** The last valid PUBLISH topic and its routing key: publishers mostly repeat theirs. */
  lastTopic: string;
  lastRoutingKey: string;
  /** Made when a v5 client first uses a topic alias. */
  inboundAliases: InboundAliases | null;
  /** Acks waiting for the disk (made when a publish first reaches a durable queue). */
  heldAcks: HeldAcks | null;

  /** CONNECT accepted: the connection is open, its keep-alive watched, its login deadline met. */
  establish(e: Established): void;
  /** Encodes a control packet with mqtt-packet (not for the hot path). */
  send(packet: Packet): void;
  /** Server-side DISCONNECT with a reason code (v5 only; earlier levels just close). */
  disconnect(reason: number): void;
  /** Ends the connection after what is written leaves. */
  close(): void;
  /** Published messages could not be written to disk: the connection goes, the client resends. */
  commitFailed(): void;
}

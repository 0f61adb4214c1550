import type { ClientRef } from "./consumer.js";
import type { ChannelFlows } from "./stats.js";

/** What a front-end reports about one of its channels (AMQP channels; one per MQTT/STOMP connection). */
export interface ChannelInfo {
  readonly number: number;
  readonly consumerCount: number;
  readonly unacked: number;
  /** Per-consumer prefetch (basic.qos global=false), 0 = none. */
  readonly prefetchCount: number;
  /** Channel-wide prefetch (basic.qos global=true), 0 = none. */
  readonly globalPrefetchCount: number;
  readonly confirm: boolean;
  readonly transactional: boolean;
  /** Messages published on this channel, and confirms sent for them. */
  readonly publish: number;
  readonly confirmed: number;
  /** Publishes still waiting for their confirm. */
  readonly unconfirmed?: number;
  /** Messages and acks held by an open transaction. */
  readonly uncommitted?: number;
  readonly acksUncommitted?: number;
  /** Counts by exchange published into and by queue consumed from (front-ends that keep them). */
  readonly flows?: ChannelFlows;
}

/** Plain values describing a client connection, for listings; supplied by the front-end at login. */
/** A TLS connection's session and peer certificate, in RabbitMQ's words (src/transport/tls.ts tlsInfo). */
export interface TlsInfo {
  /** "tlsv1.3", "tlsv1.2". */
  readonly protocol: string;
  /** "aes_256_gcm", "aes_128_cbc", "chacha20_poly1305". */
  readonly cipher: string;
  /** "ecdhe_rsa", "any" (TLS 1.3). */
  readonly keyExchange: string;
  /** "aead", "sha256", "sha". */
  readonly hash: string;
  readonly peerCertSubject: string | null;
  readonly peerCertIssuer: string | null;
  readonly peerCertValidity: string | null;
}

export interface ConnectionDetails {
  /** "AMQP 0-9-1", "MQTT 3.1.1", "STOMP 1.2", … as RabbitMQ's management API shows it. */
  readonly protocol: string;
  readonly peerHost: string;
  readonly peerPort: number;
  /** The listener's address and port. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly vhost: string;
  /** AMQP client properties, MQTT client id, … already in plain JSON form. */
  readonly clientProperties: Record<string, unknown>;
  readonly authMechanism: string;
  /** The TLS session when the connection came through a TLS listener, else null. */
  readonly tls: TlsInfo | null;
  readonly frameMax: number;
  readonly channelMax: number;
  /** Heartbeat / keep-alive in seconds. */
  readonly timeout: number;
  /** The channels open right now; computed on demand (listings only), never on the hot path. */
  channels(): ChannelInfo[];
  /**
   * Ends the connection the way its protocol does for an operator's close (AMQP 320
   * CONNECTION_FORCED with the reason, MQTT server disconnect, STOMP ERROR).
   */
  close(reason: string): void;
  /** Bytes read and written on the socket, when the front-end counts them. */
  bytes?(): { recv: number; send: number };
}

/**
 * A front-end's connection as the registry holds it. Described on demand — listings are rare and
 * idle connections many, so no copy of the details is kept per connection.
 */
export interface ConnectionSource {
  readonly client: ClientRef;
  /** When the connection was accepted, ms since the epoch. */
  readonly connectedAt: number;
  /** The connection runs on one channel it never opens or closes itself (MQTT, STOMP): counted as one. */
  readonly implicitChannel?: boolean;
  /** Its details as of now; called for listings and operator actions only, never on the hot path. */
  connectionDetails(): ConnectionDetails;
}

/** A registered connection as a listing sees it: the front-end's details and the name RabbitMQ would give it. */
export interface RegisteredConnection {
  readonly name: string;
  readonly client: ClientRef;
  readonly connectedAt: number;
  readonly details: ConnectionDetails;
}

/**
 * Every open client connection, whatever its protocol, so operators can list and close them. The
 * registry knows no wire format: closing goes through the callback the front-end supplied.
 */
export class ConnectionRegistry {
  private readonly byClient = new Map<number, ConnectionSource>();
  /** Each connection's vhost, and how many each vhost has: its max-connections limit counts them at login. */
  private readonly vhostOf = new Map<number, string>();
  private readonly perVhost = new Map<string, number>();
  /** Connections ever opened and closed, for RabbitMQ's churn counters. */
  created = 0;
  closed = 0;
  /**
   * Channels ever opened and closed (RabbitMQ's channel churn). MQTT and STOMP connections count
   * one each, as RabbitMQ 3.10 runs each over one internal channel.
   */
  channelsOpened = 0;
  channelsClosed = 0;
  /** Login attempts by protocol name (amqp091, mqtt, stomp): [attempts, succeeded, failed]. */
  readonly authAttempts = new Map<string, [number, number, number]>();

  /** A login was tried on a connection of `protocol`. */
  authAttempt(protocol: string, ok: boolean): void {
    let a = this.authAttempts.get(protocol);
    if (a === undefined) this.authAttempts.set(protocol, (a = [0, 0, 0]));
    a[0]++;
    a[ok ? 1 : 2]++;
  }
  /** Sockets closed for not finishing their handshake in time, by protocol (the front-ends' names). */
  readonly handshakeTimeouts = new Map<string, number>();

  handshakeTimedOut(protocol: string): void {
    this.handshakeTimeouts.set(protocol, (this.handshakeTimeouts.get(protocol) ?? 0) + 1);
  }

  /** Registers a connection to a vhost once it has logged in (in the same turn as the login, so limits hold). */
  register(source: ConnectionSource, vhost: string): void {
    this.unregister(source.client);
    this.byClient.set(source.client.id, source);
    this.vhostOf.set(source.client.id, vhost);
    this.perVhost.set(vhost, (this.perVhost.get(vhost) ?? 0) + 1);
    this.created++;
    if (source.implicitChannel === true) this.channelsOpened++;
  }

  /** The connection went away; a no-op for one that never registered. */
  unregister(client: ClientRef): void {
    const source = this.byClient.get(client.id);
    if (source === undefined) return;
    this.byClient.delete(client.id);
    this.closed++;
    if (source.implicitChannel === true) this.channelsClosed++;
    const vhost = this.vhostOf.get(client.id)!;
    this.vhostOf.delete(client.id);
    const n = this.perVhost.get(vhost)! - 1;
    if (n === 0) this.perVhost.delete(vhost);
    else this.perVhost.set(vhost, n);
  }

  /** How many connections are open to a vhost. */
  countIn(vhost: string): number {
    return this.perVhost.get(vhost) ?? 0;
  }

  get size(): number {
    return this.byClient.size;
  }

  list(): RegisteredConnection[] {
    const out: RegisteredConnection[] = [];
    for (const source of this.byClient.values()) out.push(describe(source));
    return out;
  }

  /** By RabbitMQ's name ("peer:port -> host:port"): a scan, as only operators ask. */
  named(name: string): RegisteredConnection | undefined {
    for (const source of this.byClient.values()) {
      const c = describe(source);
      if (c.name === name) return c;
    }
    return undefined;
  }

  of(client: ClientRef): RegisteredConnection | undefined {
    const source = this.byClient.get(client.id);
    return source === undefined ? undefined : describe(source);
  }

  /** Closes a connection by name; false when there is none. */
  close(name: string, reason: string): boolean {
    const c = this.named(name);
    if (c === undefined) return false;
    c.details.close(reason);
    return true;
  }
}

/** A source's details now, named as RabbitMQ names connections. */
function describe(source: ConnectionSource): RegisteredConnection {
  const given = source.connectionDetails();
  // IPv4 peers of a dual-stack listener show as ::ffff:a.b.c.d; RabbitMQ shows a.b.c.d
  const details: ConnectionDetails = { ...given, peerHost: plainAddress(given.peerHost), host: plainAddress(given.host) };
  return {
    name: `${details.peerHost}:${details.peerPort} -> ${details.host}:${details.port}`,
    client: source.client,
    connectedAt: source.connectedAt,
    details,
  };
}

/** An IPv4-mapped IPv6 address as its IPv4 form. */
export function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

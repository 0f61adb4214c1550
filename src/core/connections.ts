import type { ClientRef } from "./consumer.js";

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
}

/** Plain values describing a client connection, for listings; supplied by the front-end at login. */
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
  readonly tls: boolean;
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

/** A registered connection: the front-end's details plus the name and time the registry gave it. */
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
  private readonly byClient = new Map<number, RegisteredConnection>();
  private readonly byName = new Map<string, RegisteredConnection>();
  /** Connections ever opened and closed, for RabbitMQ's churn counters. */
  created = 0;
  closed = 0;

  /**
   * Registers a connection once it has logged in. Named as RabbitMQ names them
   * ("peer:port -> host:port"), with a suffix if that name is somehow taken.
   */
  register(client: ClientRef, given: ConnectionDetails, now = Date.now()): RegisteredConnection {
    this.unregister(client);
    // IPv4 peers of a dual-stack listener show as ::ffff:a.b.c.d; RabbitMQ shows a.b.c.d
    const details: ConnectionDetails = { ...given, peerHost: plainAddress(given.peerHost), host: plainAddress(given.host) };
    let name = `${details.peerHost}:${details.peerPort} -> ${details.host}:${details.port}`;
    for (let i = 2; this.byName.has(name); i++) name = `${details.peerHost}:${details.peerPort} -> ${details.host}:${details.port} (${i})`;
    const entry: RegisteredConnection = { name, client, connectedAt: now, details };
    this.byClient.set(client.id, entry);
    this.byName.set(name, entry);
    this.created++;
    return entry;
  }

  /** The connection went away; a no-op for one that never registered. */
  unregister(client: ClientRef): void {
    const entry = this.byClient.get(client.id);
    if (entry === undefined) return;
    this.byClient.delete(client.id);
    this.byName.delete(entry.name);
    this.closed++;
  }

  get size(): number {
    return this.byClient.size;
  }

  list(): RegisteredConnection[] {
    return [...this.byClient.values()];
  }

  named(name: string): RegisteredConnection | undefined {
    return this.byName.get(name);
  }

  of(client: ClientRef): RegisteredConnection | undefined {
    return this.byClient.get(client.id);
  }

  /** Closes a connection by name; false when there is none. */
  close(name: string, reason: string): boolean {
    const entry = this.byName.get(name);
    if (entry === undefined) return false;
    entry.details.close(reason);
    return true;
  }
}

/** An IPv4-mapped IPv6 address as its IPv4 form. */
export function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

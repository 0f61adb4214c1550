/**
 * What of an MQTT client outlives its connection: sessions by vhost and client id, a new
 * connection taking a session over from a live one [MQTT-3.1.4-3], v5 wills waiting out their
 * delay, and the expiry of persistent sessions no connection is attached to. One per
 * `MqttServer`, shared by its TCP, TLS and WebSocket listeners.
 */
import { BrokerError, type Broker, type Clock, type VirtualHost } from "../../src/core/index.js";
import type { RetainedStore } from "./retained.js";
import { MqttSession, NEVER } from "./session.js";
import type { SavedSession } from "./state-file.js";
import { PendingWills } from "./will.js";

/** A session claimed by CONNECT, and whether it existed before (CONNACK's session present). */
export interface ClaimedSession {
  session: MqttSession;
  present: boolean;
}

export class SessionRegistry {
  /** Sessions by `vhost\0clientId`; a live connection is its session's link. */
  private readonly sessions = new Map<string, MqttSession>();
  /** v5 wills waiting for their delay interval, by session key. */
  private readonly wills: PendingWills;

  constructor(
    private readonly clock: Clock,
    private readonly retained: RetainedStore,
    /** Persistent sessions changed: the state file is written soon. */
    private readonly changed: () => void,
  ) {
    this.wills = new PendingWills(clock);
  }

  /** The key of a client's session. */
  static key(vhost: string, clientId: string): string {
    return `${vhost}\u0000${clientId}`;
  }

  get(key: string): MqttSession | undefined {
    return this.sessions.get(key);
  }

  has(key: string): boolean {
    return this.sessions.has(key);
  }

  /**
   * CONNECT: the connection holding the client's session goes [MQTT-3.1.4-3], a will waiting out
   * its delay is cancelled (MQTT 5 §3.1.3.2.2), and the session is discarded on a clean start
   * [MQTT-3.1.2-6] or kept. `expiry` is the session expiry in seconds while persistent.
   */
  claim(key: string, vhost: VirtualHost, clientId: string, clean: boolean, persistent: boolean, expiry: number): ClaimedSession {
    this.sessions.get(key)?.link?.takenOver();
    this.wills.cancel(key);
    let session = this.sessions.get(key);
    if (session && clean) {
      session.end();
      this.sessions.delete(key);
      session = undefined;
    }
    const present = session !== undefined;
    if (!session) {
      session = new MqttSession(vhost, clientId, persistent, this.retained);
      this.sessions.set(key, session);
    }
    session.persistent = persistent;
    session.expiry = persistent ? expiry : 0;
    if (persistent || present) this.changed();
    return { session, present };
  }

  /**
   * The session's connection went (already detached): a clean session ends, a persistent one
   * waits `expiry` seconds for its client. `wasPersistent`: the state file knows of it.
   */
  release(key: string, session: MqttSession, expiry: number, wasPersistent: boolean): void {
    if (!session.persistent) {
      session.end();
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    } else {
      session.expiry = expiry;
      this.scheduleExpiry(key, session);
    }
    if (session.persistent || wasPersistent) this.changed();
  }

  /** A v5 will sent `seconds` from now unless the client reconnects first. */
  scheduleWill(key: string, seconds: number, publish: () => void): void {
    this.wills.schedule(key, seconds, publish);
  }

  /**
   * A persistent session without a connection ends after its expiry interval (v5): up to 2^32-2 s,
   * so it runs on the broker's clock, which waits past setTimeout's 24.8-day limit.
   */
  private scheduleExpiry(key: string, session: MqttSession): void {
    if (session.expiry === NEVER || session.link !== null) return;
    const now = this.clock.now();
    const left = session.expiry * 1000 - (now - (session.disconnectedAt ?? now));
    session.expiryTimer?.cancel();
    session.expiryTimer = this.clock.schedule(() => {
      if (session.link !== null || this.sessions.get(key) !== session) return;
      session.end();
      this.sessions.delete(key);
      this.changed();
    }, left);
  }

  /** Persistent sessions as the state file keeps them. */
  saved(): SavedSession[] {
    const saved: SavedSession[] = [];
    for (const s of this.sessions.values()) {
      if (!s.persistent) continue;
      saved.push({
        vhost: s.vhost.name,
        clientId: s.clientId,
        expiry: s.expiry,
        disconnectedAt: s.disconnectedAt,
        subscriptions: [...s.subscriptions],
      });
    }
    return saved;
  }

  /** Sessions an earlier run saved, waiting for their clients over the queues the store kept. */
  restore(saved: SavedSession[], broker: Broker): void {
    const now = this.clock.now();
    for (const s of saved) {
      const vhost = broker.vhost(s.vhost);
      if (vhost instanceof BrokerError) continue;
      const session = new MqttSession(vhost, s.clientId, true, this.retained);
      session.expiry = s.expiry;
      session.restore(s.subscriptions);
      const key = SessionRegistry.key(s.vhost, s.clientId);
      // the restart counts as the disconnect for a session that was connected
      session.disconnectedAt = s.disconnectedAt ?? now;
      this.sessions.set(key, session);
      this.scheduleExpiry(key, session);
    }
  }

  /** The server stops: no will or expiry fires any more. */
  close(): void {
    this.wills.clear();
    for (const s of this.sessions.values()) s.expiryTimer?.cancel();
  }
}

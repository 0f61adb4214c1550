/**
 * The session registry on its own (protocols/mqtt/session-registry.ts): what outlives an MQTT
 * connection — takeover, clean start, release and expiry of sessions, delayed wills, and the
 * state file's view of persistent sessions — driven on the injected clock.
 */
import { describe, expect, it } from "vitest";
import { Broker, ManualClock, type VirtualHost } from "../../src/core/index.js";
import { RetainedStore } from "../../protocols/mqtt/retained.js";
import { NEVER, type SessionLink } from "../../protocols/mqtt/session.js";
import { SessionRegistry } from "../../protocols/mqtt/session-registry.js";

function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  const broker = new Broker({ clock });
  const vhost = broker.vhost("/") as VirtualHost;
  let changes = 0;
  const registry = new SessionRegistry(clock, new RetainedStore(), () => changes++);
  return { clock, broker, vhost, registry, changes: () => changes };
}

/** A connection as a session sees it; counts the takeovers it is told about. */
function link(broker: Broker): SessionLink & { takeovers: number } {
  return {
    client: broker.newClient(),
    protocolVersion: 5,
    receiveMaximum: 10,
    backedUp: false,
    takeovers: 0,
    sendPublish: () => true,
    sendPlainPublish: () => true,
    sendPubrel: () => undefined,
    takenOver() {
      this.takeovers++;
    },
  };
}

const KEY = SessionRegistry.key("/", "c1");

describe("MQTT session registry", () => {
  it("keys sessions by vhost and client id", () => {
    expect(SessionRegistry.key("/", "c1")).toBe("/\u0000c1");
    expect(SessionRegistry.key("v", "c1")).not.toBe(KEY);
  });

  it("resumes a persistent session (session present) and tells its live connection it was taken over", () => {
    const { broker, vhost, registry } = setup();
    const first = registry.claim(KEY, vhost, "c1", false, true, NEVER);
    expect(first.present).toBe(false);
    const old = link(broker);
    first.session.attach(old);
    const second = registry.claim(KEY, vhost, "c1", false, true, NEVER);
    expect(old.takeovers).toBe(1);
    expect(second.present).toBe(true);
    expect(second.session).toBe(first.session);
  });

  it("discards the previous session on a clean start", () => {
    const { vhost, registry } = setup();
    const first = registry.claim(KEY, vhost, "c1", false, true, NEVER);
    const second = registry.claim(KEY, vhost, "c1", true, false, 0);
    expect(second.present).toBe(false);
    expect(second.session).not.toBe(first.session);
    expect(registry.get(KEY)).toBe(second.session);
  });

  it("forgets a clean session when its connection goes, and keeps a persistent one until its expiry", () => {
    const { broker, clock, vhost, registry, changes } = setup();
    const clean = registry.claim(KEY, vhost, "c1", true, false, 0).session;
    clean.attach(link(broker));
    clean.detach();
    registry.release(KEY, clean, 0, false);
    expect(registry.has(KEY)).toBe(false);

    const kept = registry.claim(KEY, vhost, "c1", false, true, 10).session;
    const before = changes();
    kept.attach(link(broker));
    kept.detach();
    registry.release(KEY, kept, 10, true);
    expect(changes()).toBeGreaterThan(before);
    clock.advance(9_999);
    expect(registry.get(KEY)).toBe(kept);
    clock.advance(1);
    expect(registry.has(KEY)).toBe(false);
  });

  it("does not expire a session its client came back to", () => {
    const { broker, clock, vhost, registry } = setup();
    const s = registry.claim(KEY, vhost, "c1", false, true, 10).session;
    s.attach(link(broker));
    s.detach();
    registry.release(KEY, s, 10, true);
    clock.advance(5_000);
    const back = registry.claim(KEY, vhost, "c1", false, true, 10);
    back.session.attach(link(broker));
    clock.advance(60_000);
    expect(registry.get(KEY)).toBe(s);
  });

  it("sends a delayed will after its delay, unless the client reconnects first", () => {
    const { clock, vhost, registry } = setup();
    const sent: string[] = [];
    registry.scheduleWill(KEY, 5, () => sent.push("c1"));
    registry.scheduleWill(SessionRegistry.key("/", "c2"), 5, () => sent.push("c2"));
    clock.advance(4_000);
    registry.claim(KEY, vhost, "c1", false, true, NEVER);
    clock.advance(1_000);
    expect(sent).toEqual(["c2"]);
  });

  it("saves persistent sessions only, and restores them waiting for their clients", () => {
    const { broker, clock, vhost, registry } = setup();
    registry.claim(KEY, vhost, "c1", false, true, 30);
    registry.claim(SessionRegistry.key("/", "clean"), vhost, "clean", true, false, 0);
    const saved = registry.saved();
    expect(saved).toEqual([{ vhost: "/", clientId: "c1", expiry: 30, disconnectedAt: null, subscriptions: [] }]);

    const restored = new SessionRegistry(clock, new RetainedStore(), () => undefined);
    restored.restore([...saved, { ...saved[0]!, vhost: "gone", clientId: "c3" }], broker);
    expect(restored.get(KEY)?.persistent).toBe(true);
    expect(restored.has(SessionRegistry.key("gone", "c3"))).toBe(false);
    // the restart counts as the disconnect: 30 s from now it expires
    clock.advance(30_000);
    expect(restored.has(KEY)).toBe(false);
  });
});

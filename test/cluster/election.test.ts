import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Etcd3 } from "etcd3";
import { Candidate, currentTerm, endDeadTerm, LeaderObserver, LeadershipLost, type Term } from "../../src/cluster/election.js";
import { type EtcdProcess, eventually, startEtcd } from "./etcd.js";
import { clusterPort } from "./ports.js";

const quiet = { info: () => {}, warn: () => {} };
let etcd: EtcdProcess;
const clients: Etcd3[] = [];
const candidates: Candidate[] = [];
let prefixSeq = 0;

beforeAll(async () => {
  etcd = await startEtcd(clusterPort(0), clusterPort(1));
}, 30_000);
afterAll(async () => {
  await etcd?.stop();
});
afterEach(async () => {
  etcd.resume();
  await Promise.all(candidates.splice(0).map((c) => c.resign()));
  for (const c of clients.splice(0)) c.close();
});

function client(): Etcd3 {
  const c = new Etcd3({ hosts: etcd.url, dialTimeout: 1000 });
  clients.push(c);
  return c;
}

function candidate(prefix: string, name: string, ttlSeconds = 2): Candidate {
  const c = new Candidate({ client: client(), prefix, name, ttlSeconds, log: quiet });
  candidates.push(c);
  return c;
}

describe("leader election through etcd", () => {
  it("elects one leader, hands over on resign with a larger epoch, and observers follow", async () => {
    const prefix = `/test-${++prefixSeq}/`;
    const seen: (Term | null)[] = [];
    const observer = await LeaderObserver.start(client(), prefix, (t) => seen.push(t));
    try {
      const a = candidate(prefix, "n1");
      const t1 = await a.campaign();
      expect(t1.leader).toBe("n1");
      expect(a.leading).toBe(true);
      const b = candidate(prefix, "n2");
      let bElected: Term | null = null;
      const bCampaign = b.campaign().then((t) => {
        bElected = t;
        return t;
      });
      // n2 is queued behind n1: it does not lead while n1 does
      await eventually(async () => (await client().getAll().prefix(`${prefix}election/`).keys()).length === 2, "n2's key");
      expect(bElected).toBeNull();
      expect(await currentTerm(client(), prefix)).toEqual(t1);
      await eventually(() => observer.term?.leader === "n1", "observer sees n1");

      await a.resign();
      const t2 = await bCampaign;
      expect(t2.leader).toBe("n2");
      expect(t2.epoch).toBeGreaterThan(t1.epoch);
      expect(a.leading).toBe(false);
      await eventually(() => observer.term?.leader === "n2", "observer sees n2");
      expect(seen.filter((t) => t !== null).map((t) => t!.leader)).toEqual(["n1", "n2"]);
    } finally {
      await observer.stop();
    }
  });

  it("a leader whose lease is revoked behind its back steps down, and the next candidate leads", async () => {
    const prefix = `/test-${++prefixSeq}/`;
    const a = candidate(prefix, "n1");
    const t1 = await a.campaign();
    const lost = new Promise<LeadershipLost>((resolve) => a.onLost(resolve));
    const b = candidate(prefix, "n2");
    const bCampaign = b.campaign();
    // what an operator or etcd itself (expiry) does: the lease goes, the key with it
    const leaseId = a.electionKey.slice(`${prefix}election/`.length);
    await client().leaseClient.leaseRevoke({ ID: leaseId });
    const t2 = await bCampaign;
    expect(t2).toEqual({ leader: "n2", epoch: expect.any(Number) });
    expect(t2.epoch).toBeGreaterThan(t1.epoch);
    const e = await lost;
    expect(e.reason).toMatch(/lease/);
    expect(a.leading).toBe(false);
  });

  it("endDeadTerm ends only the term it names: the key goes, the lease is revoked, the next candidate leads", async () => {
    const prefix = `/test-${++prefixSeq}/`;
    const a = candidate(prefix, "n1", 10);
    const t1 = await a.campaign();
    const lost = new Promise<LeadershipLost>((resolve) => a.onLost(resolve));
    const b = candidate(prefix, "n2", 10);
    const bCampaign = b.campaign();
    await eventually(async () => (await client().getAll().prefix(`${prefix}election/`).keys()).length === 2, "n2's key");
    // another term's epoch, or another leader's name: nothing happens
    expect(await endDeadTerm(client(), prefix, { leader: "n1", epoch: t1.epoch + 1 })).toBe(false);
    expect(await endDeadTerm(client(), prefix, { leader: "n2", epoch: t1.epoch })).toBe(false);
    expect(await currentTerm(client(), prefix)).toEqual(t1);
    expect(a.leading).toBe(true);
    const at = Date.now();
    expect(await endDeadTerm(client(), prefix, t1)).toBe(true);
    const t2 = await bCampaign;
    expect(t2.leader).toBe("n2");
    // not after n1's 10 s lease
    expect(Date.now() - at).toBeLessThan(3_000);
    // were n1 alive after all, it learns at its next keep-alive that it no longer leads
    expect((await lost).reason).toMatch(/lease/);
    expect(a.leading).toBe(false);
    // the same term cannot be ended twice
    expect(await endDeadTerm(client(), prefix, t1)).toBe(false);
  });

  it("with etcd unreachable the leader stops leading once its TTL has run out since the last renewal", async () => {
    const prefix = `/test-${++prefixSeq}/`;
    const a = candidate(prefix, "n1", 2);
    await a.campaign();
    const lost = new Promise<LeadershipLost>((resolve) => a.onLost(resolve));
    const paused = Date.now();
    etcd.pause();
    const e = await lost;
    const after = Date.now() - paused;
    expect(e.reason).toMatch(/not renewed/);
    expect(a.leading).toBe(false);
    // never later than the TTL after the pause (the last renewal was before it)
    expect(after).toBeLessThanOrEqual(2_000 + 200);
  });
});

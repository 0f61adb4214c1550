/**
 * A Warren cluster node (docs/clustering.md): it registers with etcd, replicates the leader's
 * store into its data dir as a follower (no client listener: clients are refused by the closed
 * ports), campaigns while it is eligible, and when etcd elects it, opens its data dir as a store
 * and starts the broker with replication to the others. A leader that loses its lease stops at
 * once: its pending confirms fail and its listeners close (`steppedDown`; the CLI then exits so a
 * supervisor restarts it as a follower). A planned handover (`warren ctl cluster
 * transfer_leadership`) closes the clients, lets the last batches reach the followers, resigns,
 * and the node stays up as a follower.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Server } from "node:net";
import type { Etcd3, Watcher } from "etcd3";
import { acquireDataDirLock, type DataDirLock } from "../store/lock.js";
import { createLogger, type Logger } from "../server/logger.js";
import { type BrokerOptions, parseOptions } from "../server/options.js";
import { prepareDataDir } from "../server/open-store.js";
import { type RunningBroker, startBroker } from "../server/start.js";
import { HandoverRefused, type ClusterMemberStatus, type ClusterStatus, type ClusterView } from "../management/cluster-view.js";
import { Candidate, endDeadTerm, LeaderObserver, type Term } from "./election.js";
import { ReplicationFollower } from "./follower.js";
import { type Member, ReplicationLeader } from "./leader.js";
import { closeServer, listenLiveness, probeDead } from "./liveness.js";

export const CLUSTER_PREFIX = "/warren/";
export const DEFAULT_LEASE_TTL_S = 5;
const IN_SYNC_KEY = `${CLUSTER_PREFIX}in-sync`;
const MEMBERS = `${CLUSTER_PREFIX}members/`;
/** How long a probe of a gone leader's replication port may take; longer proves nothing (a partition). */
const PROBE_TIMEOUT_MS = 500;

export type NodeRole = "follower" | "leader" | "stopped";

export interface ClusterNode {
  readonly name: string;
  readonly clusterId: string;
  role(): NodeRole;
  /** The replicating side while this node follows (null once it leads). */
  follower(): ReplicationFollower | null;
  /** Resolves with the running broker once this node leads (its next term, after a handover). */
  readonly leading: Promise<RunningBroker>;
  /** Terms this node handed over (`transferLeadership`) and then went on as a follower. */
  handovers(): number;
  /**
   * Planned handover: refused (HandoverRefused) unless this node leads and an in-sync follower
   * stands for election; otherwise resolves, once the node follows again, with the successor.
   */
  transferLeadership(): Promise<string>;
  /** Resolves with the reason once this node, having led, stopped (its lease lost). */
  readonly steppedDown: Promise<string>;
  /** The term it leads, once it does. */
  term(): Term | null;
  /** Leaves the cluster: as leader, hands over at once (the lease is revoked). */
  close(): Promise<void>;
}

interface InSync {
  epoch: number;
  nodes: string[];
}

/** Starts a cluster node from options with `cluster` set. */
export async function startClusterNode(input: BrokerOptions): Promise<ClusterNode> {
  const options = parseOptions(input);
  const cluster = options.cluster;
  if (cluster === undefined) throw new Error("startClusterNode needs the cluster options (cluster.etcd)");
  const { nodeName, replicationPort } = cluster;
  const ttl = cluster.leaseTtl ?? DEFAULT_LEASE_TTL_S;
  const log: Logger = createLogger(options.logLevel ?? "warn", options.logDestination, undefined, options.logFormat);
  const dataDir = options.dataDir;
  if (dataDir === undefined) throw new Error("a cluster node needs a data dir of its own (dataDir)");
  // etcd3 (and gRPC) load only in cluster mode
  const { Etcd3 } = await import("etcd3");
  const client: Etcd3 = new Etcd3({ hosts: cluster.etcd, dialTimeout: 2000 });
  let lock: DataDirLock | null = null;
  let follower: ReplicationFollower | null = null;
  let observer: LeaderObserver | null = null;
  try {
    const idKey = `${CLUSTER_PREFIX}cluster-id`;
    await client.if(idKey, "Create", "==", 0).then(client.put(idKey).value(randomUUID())).commit();
    const clusterId = (await client.get(idKey).string())!;
    prepareDataDir(dataDir);
    lock = await acquireDataDirLock(dataDir);
    const bind = options.host;
    const advertise = bind !== undefined && bind !== "0.0.0.0" && bind !== "::" ? bind : hostname();
    await client.put(`${MEMBERS}${nodeName}`).value(JSON.stringify({ replication: { host: advertise, port: replicationPort } }));
    follower = await ReplicationFollower.listen({
      dataDir,
      nodeName,
      clusterId,
      port: replicationPort,
      ...(bind !== undefined && { host: bind }),
      log,
    });
    const f = follower;
    observer = await LeaderObserver.start(client, CLUSTER_PREFIX, (t) => {
      if (t !== null) f.raiseEpoch(t.epoch);
    });
    log.info({ node: nodeName, clusterId, replicationPort }, `cluster node ${nodeName} started as a follower`);
    const listen = { port: replicationPort, ...(bind !== undefined && { host: bind }) };
    return new Node(input, client, log, nodeName, clusterId, ttl, lock, follower, observer, listen);
  } catch (err) {
    await follower?.close();
    await observer?.stop();
    lock?.release();
    client.close();
    throw err;
  }
}

class Node implements ClusterNode, ClusterView {
  private state: NodeRole = "follower";
  private handingOver = false;
  private handedOver = 0;
  private candidate: Candidate | null = null;
  private broker: RunningBroker | null = null;
  private current: Term | null = null;
  private membersWatch: Watcher | null = null;
  private replication: ReplicationLeader | null = null;
  /** While leading: the replication port, held to prove this process lives (liveness.ts). */
  private liveness: Server | null = null;
  private closed = false;
  leading!: Promise<RunningBroker>;
  readonly steppedDown: Promise<string>;
  private resolveLeading!: (b: RunningBroker) => void;
  private rejectLeading!: (e: Error) => void;
  private resolveStepped!: (reason: string) => void;

  constructor(
    private readonly input: BrokerOptions,
    private readonly client: Etcd3,
    private readonly log: Logger,
    readonly name: string,
    readonly clusterId: string,
    private readonly ttl: number,
    private lock: DataDirLock,
    private followerSide: ReplicationFollower | null,
    private observer: LeaderObserver | null,
    /** The replication port's address (to follow again after a handover). */
    private readonly listen: { readonly port: number; readonly host?: string },
  ) {
    this.newTerm();
    this.steppedDown = new Promise((resolve) => (this.resolveStepped = resolve));
    if (followerSide !== null) this.watchLeader(followerSide);
    void this.run();
  }

  /** A fresh `leading` promise, for the next time this node leads. */
  private newTerm(): void {
    this.leading = new Promise((resolve, reject) => {
      this.resolveLeading = resolve;
      this.rejectLeading = reject;
    });
    this.leading.catch(() => {});
  }

  role(): NodeRole {
    return this.state;
  }

  handovers(): number {
    return this.handedOver;
  }

  follower(): ReplicationFollower | null {
    return this.followerSide;
  }

  term(): Term | null {
    return this.current;
  }

  /** A leader's connection that drops makes this follower check whether its process is gone. */
  private watchLeader(f: ReplicationFollower): void {
    f.onLeaderGone = (l) =>
      void this.leaderGone({ leader: l.name, epoch: l.epoch }).catch((err: unknown) => this.log.warn({ err }, "probing the leader failed"));
  }

  /**
   * The leader's connection dropped: if its replication port refuses a connection its process is
   * gone, and its term is ended now (endDeadTerm) rather than when its lease runs out. A probe
   * that is accepted or times out (a partition) changes nothing: the lease decides, as before.
   */
  private async leaderGone(leader: Term): Promise<void> {
    if (this.closed || this.state !== "follower") return;
    const m = (await this.client.get(`${MEMBERS}${leader.leader}`).json()) as { replication: { host: string; port: number } } | null;
    if (m === null) return;
    const r = await probeDead(m.replication.host, m.replication.port, PROBE_TIMEOUT_MS);
    if (r !== "refused" || this.closed || this.state !== "follower") {
      this.log.info({ leader: leader.leader, epoch: leader.epoch, probe: r }, `the leader's connection dropped; probe: ${r}`);
      return;
    }
    if (await endDeadTerm(this.client, CLUSTER_PREFIX, leader))
      this.log.warn(
        { leader: leader.leader, epoch: leader.epoch },
        `leader ${leader.leader} (epoch ${leader.epoch}) is gone (its replication port refuses connections): its lease was revoked`,
      );
  }

  /** The in-sync set as etcd has it (null: a new cluster, where every node is eligible). */
  private async inSync(): Promise<InSync | null> {
    const v = await this.client.get(IN_SYNC_KEY).string();
    return v === null ? null : (JSON.parse(v) as InSync);
  }

  private async eligible(): Promise<boolean> {
    const s = await this.inSync();
    return s === null || s.nodes.includes(this.name);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        // only a node holding every confirmed message may lead: one in the in-sync set
        while (!this.closed && !(await this.eligible())) await this.pause(250);
        if (this.closed) return;
        const c = new Candidate({ client: this.client, prefix: CLUSTER_PREFIX, name: this.name, ttlSeconds: this.ttl, log: this.log });
        this.candidate = c;
        const term = await c.campaign();
        if (this.closed) return;
        if (!(await this.eligible())) {
          // dropped from the set while queued in the election: give the place up
          this.log.warn({ node: this.name }, "elected but no longer in sync; resigning");
          await c.resign();
          continue;
        }
        try {
          await this.lead(c, term);
        } catch (err) {
          // it stopped following to take over: a node that cannot lead now stops (and is restarted
          // by its supervisor as a follower) rather than stay a follower that replicates nothing
          this.log.error({ err, node: this.name }, "could not take over as leader");
          await c.resign();
          await this.stepDown(`could not take over: ${(err as Error).message}`);
        }
        return;
      } catch (err) {
        if (this.closed) return;
        this.log.warn({ err, node: this.name }, "campaign failed; trying again");
        await this.candidate?.resign();
        this.candidate = null;
        await this.pause(500);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  /** Writes the in-sync set, only while this term's election key exists (a fenced write). */
  private async writeInSync(c: Candidate, epoch: number, nodes: readonly string[]): Promise<void> {
    const value = JSON.stringify({ epoch, nodes: [...nodes] } satisfies InSync);
    const res = await this.client.if(c.electionKey, "Create", "==", epoch).then(this.client.put(IN_SYNC_KEY).value(value)).commit();
    if (!res.succeeded) throw new Error(`the in-sync set was not written: term ${epoch} is over`);
  }

  private async lead(c: Candidate, term: Term): Promise<void> {
    const started = Date.now();
    // the data dir is this node's alone from here on: no more replication into it
    const checksumsVerified = this.followerSide?.caughtUp === true;
    await this.followerSide?.close();
    this.followerSide = null;
    try {
      this.liveness = await listenLiveness(this.listen.port, this.listen.host);
    } catch (err) {
      // followers then wait for the lease to run out when this node dies, as without it
      this.log.warn({ err, port: this.listen.port }, "could not hold the replication port while leading");
    }
    await this.observer?.stop();
    this.observer = null;
    await this.writeInSync(c, term.epoch, [this.name]);
    // members that register later (a node added, or started after this one won) are dialled too;
    // watched before the members are read, so none falls between
    let replication: ReplicationLeader | null = null;
    const joined: Member[] = [];
    const membersWatch = await this.client.watch().prefix(MEMBERS).create();
    this.membersWatch = membersWatch;
    membersWatch.on("put", (kv) => {
      const name = kv.key.toString().slice(MEMBERS.length);
      try {
        const m = JSON.parse(kv.value.toString()) as { replication: { host: string; port: number } };
        const member = { name, host: m.replication.host, port: m.replication.port };
        if (replication === null) joined.push(member);
        else replication.addFollower(member);
      } catch (err) {
        this.log.warn({ err, member: name }, "ignoring a member whose registration is not JSON");
      }
    });
    const members = (await this.client.getAll().prefix(MEMBERS).json()) as Record<string, { replication: { host: string; port: number } }>;
    const followers: Member[] = [];
    for (const [key, m] of Object.entries(members)) {
      const name = key.slice(MEMBERS.length);
      if (name !== this.name) followers.push({ name, host: m.replication.host, port: m.replication.port });
    }
    replication = new ReplicationLeader({
      dataDir: this.input.dataDir!,
      clusterId: this.clusterId,
      nodeName: this.name,
      epoch: term.epoch,
      followers,
      clusterSize: followers.length + 1,
      log: this.log,
      inSync: { write: (nodes) => this.writeInSync(c, term.epoch, nodes) },
      initialInSync: [this.name],
      leading: () => c.leading,
    });
    for (const m of joined.splice(0)) replication.addFollower(m);
    this.replication = replication;
    c.onLost((e) => void this.stepDown(e.reason));
    const { cluster: _cluster, ...single } = this.input;
    const leaderSide = replication;
    let broker: RunningBroker;
    try {
      broker = await startBroker(single, { replication: leaderSide, lock: this.lock, cluster: this, checksumsVerified });
    } catch (err) {
      leaderSide.close();
      this.rejectLeading(err as Error);
      throw err;
    }
    this.broker = broker;
    this.current = term;
    this.state = "leader";
    this.log.info(
      { node: this.name, epoch: term.epoch, ms: Date.now() - started, checksumsVerified, followers: followers.map((f) => f.name) },
      `leading the cluster (epoch ${term.epoch})`,
    );
    this.resolveLeading(broker);
    if (!c.leading) void this.stepDown("lease lost while starting");
  }

  /** The lease is gone (or may be): nothing more is confirmed, clients are disconnected. */
  private async stepDown(reason: string): Promise<void> {
    // a handover under way already stops confirming and closes the broker; it resigns next
    if (this.state === "stopped" || this.handingOver) return;
    this.state = "stopped";
    // first: batches still waiting are nacked now, before anything else can happen
    this.replication?.failPending();
    this.log.error({ node: this.name, reason }, `no longer leader: ${reason}; stopping`);
    // followers probing this node now find it gone and end its term without waiting for the TTL
    const liveness = this.liveness;
    this.liveness = null;
    void closeServer(liveness);
    // not awaited: etcd may be what is unreachable
    void this.membersWatch?.cancel().catch(() => {});
    await this.broker?.close({ handover: true }).catch(() => {});
    this.resolveStepped(reason);
  }

  // ---- ClusterView: what /api/nodes, /api/cluster and Prometheus show; the planned handover ----

  status(): ClusterStatus {
    const st = this.replication?.status();
    const members: ClusterMemberStatus[] = [{ name: this.name, role: "leader", running: true, inSync: true, lagBatches: 0, lagBytes: 0 }];
    const followers = [...(st?.followers ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const f of followers) {
      members.push({
        name: f.name,
        role: "follower",
        running: f.state !== "down" && f.state !== "connecting",
        inSync: st!.inSync.includes(f.name),
        lagBatches: f.lagBatches,
        lagBytes: f.lagBytes,
      });
    }
    return {
      clusterId: this.clusterId,
      node: this.name,
      leader: this.name,
      epoch: this.current?.epoch ?? this.candidate?.epoch ?? 0,
      members,
    };
  }

  async prepareHandover(): Promise<{ successor: string; begin(): void }> {
    const r = this.replication;
    if (this.state !== "leader" || this.handingOver || r === null)
      throw new HandoverRefused(`node ${this.name} is not leading the cluster`);
    // in sync as this leader counts it and as etcd lists it (what a winner re-reads before leading)
    const recorded = (await this.inSync())?.nodes ?? [];
    const inSync = r.status().inSync.filter((n) => recorded.includes(n));
    // the next in line that may lead: etcd's election queue, oldest key first
    const range = await this.client.getAll().prefix(`${CLUSTER_PREFIX}election/`).sort("Create", "Ascend").exec();
    const successor = range.kvs.map((kv) => kv.value.toString()).find((n) => n !== this.name && inSync.includes(n));
    if (successor === undefined) {
      throw new HandoverRefused(
        `no in-sync follower stands for election (in sync: ${inSync.join(", ")}); handing over now would leave the cluster without a leader`,
      );
    }
    return { successor, begin: () => void this.handOver(successor) };
  }

  async transferLeadership(): Promise<string> {
    const h = await this.prepareHandover();
    await this.handOver(h.successor);
    return h.successor;
  }

  /**
   * Clients are closed (AMQP 320, MQTT 5 0x9C, MQTT 3.1.1 sockets, STOMP ERROR), the batches they
   * left reach the followers (bounded), the store closes; then this node follows again and only
   * then resigns, so the successor leads at once and dials it: nothing this term confirmed is
   * missing from an in-sync node, and nothing is confirmed here once another term exists.
   */
  private async handOver(successor: string): Promise<void> {
    const c = this.candidate;
    if (this.handingOver || this.state !== "leader" || c === null) return;
    this.handingOver = true;
    const epoch = this.current?.epoch;
    this.log.warn({ node: this.name, successor, epoch }, `handing the leadership over to ${successor}`);
    let failure: Error | null = null;
    try {
      await this.broker?.close({ handover: true });
      void this.membersWatch?.cancel().catch(() => {});
      this.membersWatch = null;
      this.broker = null;
      this.replication = null;
      this.current = null;
      // the store gave the data dir's lock back when it closed
      this.lock = await acquireDataDirLock(this.input.dataDir!);
      await closeServer(this.liveness);
      this.liveness = null;
      await this.follow();
      this.state = "follower";
    } catch (err) {
      failure = err as Error;
    }
    await c.resign();
    this.candidate = null;
    this.handingOver = false;
    if (failure !== null) {
      this.log.error({ err: failure, node: this.name }, "could not go on as a follower after the handover");
      return this.stepDown(`handover: ${failure.message}`);
    }
    this.handedOver++;
    if (this.closed) {
      // closed while handing over: close() found no follower side yet
      await this.followerSide?.close();
      await this.observer?.stop();
      this.lock.release();
      return;
    }
    this.newTerm();
    this.log.warn({ node: this.name, successor, epoch }, `handed over (epoch ${epoch}); following`);
    void this.run();
  }

  /** Listens for a leader's replication again and follows the election. */
  private async follow(): Promise<void> {
    const follower = await ReplicationFollower.listen({
      dataDir: this.input.dataDir!,
      nodeName: this.name,
      clusterId: this.clusterId,
      port: this.listen.port,
      ...(this.listen.host !== undefined && { host: this.listen.host }),
      log: this.log,
    });
    this.followerSide = follower;
    this.watchLeader(follower);
    this.observer = await LeaderObserver.start(this.client, CLUSTER_PREFIX, (t) => {
      if (t !== null) follower.raiseEpoch(t.epoch);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const wasLeader = this.state === "leader";
    this.state = "stopped";
    await this.membersWatch?.cancel().catch(() => {});
    await this.followerSide?.close();
    await closeServer(this.liveness);
    this.liveness = null;
    await this.observer?.stop();
    // a leader's broker gives the data dir's lock back when its store closes
    if (wasLeader) await this.broker?.close({ handover: true });
    else this.lock.release();
    // revoking the lease hands leadership over now rather than after the TTL
    await this.candidate?.resign();
    this.client.close();
    this.rejectLeading(new Error("the node was closed before it led"));
  }
}

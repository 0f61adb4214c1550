/**
 * Leader election through etcd (docs/clustering.md, "etcd keys"): etcd's own recipe, written on
 * etcd3's lease, transaction and watch primitives so that the lease and the leader key's revision
 * are ours to see. A candidate's key is `<prefix>election/<lease id>`, bound to its lease; the
 * candidate whose key has the smallest create revision leads, and that revision is its epoch:
 * etcd's revision only grows, so every term's epoch is larger than any before it.
 *
 * Warren never decides leadership itself. It only refuses to act as leader once it cannot be sure
 * its lease still holds: a keep-alive's answer makes the lease valid until the moment that
 * keep-alive was *sent* plus the TTL etcd granted, which is never later than etcd's own expiry.
 */
import type { Etcd3, IKeyValue, Lease, Watcher } from "etcd3";

/** One leader's term: who, and the fencing epoch (the leader key's create revision). */
export interface Term {
  readonly leader: string;
  readonly epoch: number;
}

export interface ElectionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CandidateOptions {
  readonly client: Etcd3;
  /** Key prefix of the cluster, ending in "/" (`/warren/`). */
  readonly prefix: string;
  readonly name: string;
  /** Lease TTL in seconds (etcd raises values below its minimum, about 2 s). */
  readonly ttlSeconds: number;
  readonly log: ElectionLogger;
}

/** Why a leader stopped being one. */
export class LeadershipLost extends Error {
  override readonly name = "LeadershipLost";
  constructor(readonly reason: string) {
    super(`leadership lost: ${reason}`);
  }
}

const electionPrefix = (prefix: string): string => `${prefix}election/`;

/**
 * A node's candidacy: `campaign()` resolves with the term once this node leads; `onLost` hears,
 * once, that the lease is gone (or may be: not renewed in time), from then on the node must not
 * act as leader. `resign()` gives the leadership (or the place in the queue) up.
 */
export class Candidate {
  private lease: Lease | null = null;
  private key = "";
  private revision = 0;
  private validUntil = 0;
  private firedAt = 0;
  private expiryTimer: NodeJS.Timeout | null = null;
  private watcher: Watcher | null = null;
  private lostReason: string | null = null;
  private lostHandlers: ((e: LeadershipLost) => void)[] = [];
  private elected = false;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: CandidateOptions) {}

  /** Runs the election; resolves with this node's term once it leads. Rejects with LeadershipLost if the lease goes first. */
  async campaign(): Promise<Term> {
    const { client, name, ttlSeconds } = this.options;
    const lease = client.lease(ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    const asked = Date.now();
    // an answer is counted from the oldest keep-alive still unanswered: never later than etcd's view
    lease.on("keepaliveFired", () => {
      if (this.firedAt === 0) this.firedAt = Date.now();
    });
    lease.on("keepaliveSucceeded", (res) => {
      const ttl = Number(res.TTL);
      if (ttl <= 0) return this.lose("etcd reports the lease expired");
      const sent = this.firedAt;
      this.firedAt = 0;
      if (sent !== 0) this.renewed(sent + ttl * 1000);
    });
    lease.on("lost", (err) => this.lose(`lease lost: ${err.message}`));
    const id = await lease.grant();
    this.renewed(asked + ttlSeconds * 1000);
    this.key = `${electionPrefix(this.options.prefix)}${id}`;
    const res = await client
      .if(this.key, "Create", "==", 0)
      .then(client.put(this.key).value(name).lease(id))
      .else(client.get(this.key))
      .commit();
    this.revision = res.succeeded ? Number(res.header.revision) : Number(res.responses[0]!.response_range.kvs[0]!.create_revision);
    for (;;) {
      this.throwIfLost();
      const range = await client.getAll().prefix(electionPrefix(this.options.prefix)).sort("Create", "Ascend").exec();
      this.throwIfLost();
      const kvs = range.kvs;
      const mine = kvs.findIndex((kv) => kv.key.toString() === this.key);
      if (mine < 0) {
        this.lose("the election key is gone");
        this.throwIfLost();
      }
      if (mine === 0) break;
      // wait for the key just before ours to go (not the leader's: no herd when it does)
      await this.waitForDelete(kvs[mine - 1]!.key.toString(), Number(range.header.revision) + 1);
    }
    this.elected = true;
    this.options.log.info({ node: name, epoch: this.revision }, `elected leader (epoch ${this.revision})`);
    return { leader: name, epoch: this.revision };
  }

  private async waitForDelete(key: string, fromRevision: number): Promise<void> {
    const watcher = await this.options.client.watch().key(key).startRevision(String(fromRevision)).create();
    this.watcher = watcher;
    try {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        watcher.on("delete", () => resolve());
        // a watch that breaks is re-checked from the top (the predecessor may be gone meanwhile)
        watcher.on("disconnected", () => resolve());
        watcher.on("error", () => resolve());
      });
    } finally {
      this.wake = null;
      this.watcher = null;
      await watcher.cancel().catch(() => {});
    }
  }

  private renewed(until: number): void {
    if (this.lostReason !== null || this.closed) return;
    this.validUntil = until;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => this.lose("lease not renewed before its TTL ran out (etcd unreachable?)"),
      Math.max(0, until - Date.now()),
    );
    this.expiryTimer.unref();
  }

  /** True while this node may act as leader: elected, and its lease certainly not expired. */
  get leading(): boolean {
    return this.elected && this.lostReason === null && Date.now() < this.validUntil;
  }

  /** The term's epoch (0 before the key exists). */
  get epoch(): number {
    return this.revision;
  }

  /** The etcd key holding this candidacy (for transactions that must hold only while it exists). */
  get electionKey(): string {
    return this.key;
  }

  /** Tells `handler` once when leadership (or candidacy) is lost; at once if it already was. */
  onLost(handler: (e: LeadershipLost) => void): void {
    if (this.lostReason !== null) handler(new LeadershipLost(this.lostReason));
    else this.lostHandlers.push(handler);
  }

  private lose(reason: string): void {
    if (this.lostReason !== null || this.closed) return;
    this.lostReason = reason;
    this.elected = false;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    this.options.log.warn({ node: this.options.name, epoch: this.revision, reason }, `stepping down: ${reason}`);
    this.lease?.release();
    this.wake?.();
    const handlers = this.lostHandlers;
    this.lostHandlers = [];
    for (const h of handlers) h(new LeadershipLost(reason));
  }

  private throwIfLost(): void {
    if (this.lostReason !== null) throw new LeadershipLost(this.lostReason);
    if (this.closed) throw new LeadershipLost("resigned");
  }

  /** Gives up: the lease is revoked, so the key goes at once and the next candidate leads. */
  async resign(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.elected = false;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.wake?.();
    this.lostHandlers = [];
    await this.lease?.revoke().catch(() => {});
  }
}

/** The leader now: the election key with the smallest create revision, or null. */
export async function currentTerm(client: Etcd3, prefix: string): Promise<Term | null> {
  const range = await client.getAll().prefix(electionPrefix(prefix)).sort("Create", "Ascend").limit(1).exec();
  const kv: IKeyValue | undefined = range.kvs[0];
  return kv === undefined ? null : { leader: kv.value.toString(), epoch: Number(kv.create_revision) };
}

/**
 * Ends the term of a leader found dead (liveness.ts: its replication port refused a connection):
 * deletes its election key, only while that key still leads and is the same term (a transaction
 * comparing the key's create revision with the epoch), then revokes the key's lease so that, were
 * the process alive after all, its next keep-alive fails and it steps down. The next candidate,
 * watching the key, leads at once instead of after the TTL. True if this call ended the term.
 */
export async function endDeadTerm(client: Etcd3, prefix: string, dead: Term): Promise<boolean> {
  const range = await client.getAll().prefix(electionPrefix(prefix)).sort("Create", "Ascend").limit(1).exec();
  const kv: IKeyValue | undefined = range.kvs[0];
  if (kv === undefined || kv.value.toString() !== dead.leader || Number(kv.create_revision) !== dead.epoch) return false;
  const key = kv.key.toString();
  const res = await client.if(key, "Create", "==", dead.epoch).then(client.delete().key(key)).commit();
  if (!res.succeeded) return false;
  if (kv.lease !== "0") await client.leaseClient.leaseRevoke({ ID: kv.lease }).catch(() => {});
  return true;
}

/**
 * Follows the election: `onChange` hears the term whenever the leader changes (null: none).
 * Every change of the election keys is re-read whole, so a missed event cannot leave it stale.
 */
export class LeaderObserver {
  private watcher: Watcher | null = null;
  private last: Term | null = null;
  private stopped = false;
  private reading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly onChange: (term: Term | null) => void,
  ) {}

  static async start(client: Etcd3, prefix: string, onChange: (term: Term | null) => void): Promise<LeaderObserver> {
    const o = new LeaderObserver(client, prefix, onChange);
    o.watcher = await client.watch().prefix(electionPrefix(prefix)).create();
    const reread = (): void => {
      o.reading = o.reading.then(() => o.read()).catch(() => {});
    };
    o.watcher.on("put", reread);
    o.watcher.on("delete", reread);
    o.watcher.on("connected", reread);
    await o.read();
    return o;
  }

  private async read(): Promise<void> {
    if (this.stopped) return;
    const t = await currentTerm(this.client, this.prefix);
    if (this.stopped) return;
    if (t?.epoch === this.last?.epoch && t?.leader === this.last?.leader) return;
    this.last = t;
    this.onChange(t);
  }

  get term(): Term | null {
    return this.last;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watcher?.cancel().catch(() => {});
  }
}

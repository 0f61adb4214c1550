import type { Binding, Destination } from "./exchange.js";
import type { FieldTable, Message } from "./message.js";
import { QueueEntry } from "./queue-entry.js";
import { type ClientRef, type Consumer, type ConsumeOptions, Subscription } from "./consumer.js";
import { BrokerError, errors } from "./errors.js";
import { compileSelector, InvalidSelector, type Selector } from "./selectors/index.js";
import { type QueueArguments, type QueueSettings, settingsFromArguments } from "./queue-arguments.js";
import type { PageFile, PagingLimits, Persistence, QueueStore, RecoveredMessage } from "./durability.js";
import { ReadyMessages, type ReadyOwner } from "./ready-messages.js";
import type { Clock, ClockTimer } from "./clock.js";
import type { QueueType } from "./queue-arguments.js";
import type { Policy } from "./policies.js";
import { type MessageCounters, QueueCounters } from "./stats.js";
import { BACKLOG_HIGH_MARK, BACKLOG_LOW_MARK, type BacklogWatcher } from "./backlog.js";

/**
 * How many ready messages a dispatch to consumers with selectors passes over, at most, looking for
 * ones they select. ActiveMQ considers only the messages it has paged in (maxPageSize, 200 by
 * default), so selector consumers behind that many unmatched messages wait there too; the bound
 * keeps a dispatch's cost bounded whatever the backlog.
 */
export const SELECTOR_SCAN_WINDOW = 200;

/**
 * How many message groups a queue remembers the owner of: ActiveMQ's default group map
 * (CachedMessageGroupMap) is an LRU map of 1024 groups; the least recently used owner is
 * forgotten, and that group's next message is assigned anew.
 */
export const GROUP_CACHE_SIZE = 1024;

/** A paced browse's place in a queue (Queue.browseCursor). */
export interface BrowseCursor {
  level: number;
  after: number;
  readonly before: number;
}

/** What Queue.enqueue did with a message. */
export const Enqueued = {
  Refused: 0,
  Accepted: 1,
  /** Accepted and written to the queue's store: durable after the next group commit. */
  Persisted: 2,
  /** Not for this queue: its x-jms-selector does not select it (not routed here). */
  Filtered: 3,
} as const;

/**
 * The queue argument holding a JMS selector that filters what is routed to the queue: an
 * ActiveMQ durable subscription's (OpenWire sets it), so an offline subscription keeps only
 * what it selects, as ActiveMQ's does.
 */
export const ROUTE_SELECTOR_ARG = "x-jms-selector";
export type Enqueued = (typeof Enqueued)[keyof typeof Enqueued];

/** Why a message left a queue for its dead-letter exchange (the x-death `reason`). */
export type DeadLetterReason = "rejected" | "expired" | "maxlen" | "delivery_limit";

export interface QueueOptions {
  durable: boolean;
  /** The connection that owns an exclusive queue; null for shared queues. */
  owner: ClientRef | null;
  autoDelete: boolean;
  args: FieldTable;
  parsedArgs: QueueArguments;
}

/** What a queue needs from the vhost that holds it. */
export interface QueueHost {
  readonly name: string;
  /** The broker's store; null keeps every message in memory. */
  readonly persistence: Persistence | null;
  /** The injected clock: TTL sweeps and queue expiry run on it. */
  readonly timers: Clock;
  /** The broker-wide counters this queue's deliveries and acks also count in. */
  readonly counters: MessageCounters;
  queueUnused(queue: Queue): void;
  /** x-expires ran out: the queue was unused for its whole TTL. */
  queueExpired(queue: Queue): void;
  /** Re-publishes `message` to the queue's dead-letter exchange (the queue has one set). */
  deadLetter(queue: Queue, message: Message, reason: DeadLetterReason): void;
  /** `message` expired in `queue`, which has no dead-letter exchange (its protocol may keep it elsewhere). */
  messageExpired?(queue: Queue, message: Message): void;
}

/**
 * A named FIFO with competing consumers (AMQP 0-9-1 §3.1.4). Entries keep their sequence number so
 * a requeued message goes back to its original position, as RabbitMQ's classic queues do.
 *
 * Queue features follow RabbitMQ 3.10's classic queue process: messages expire only at the head
 * (one sweep timer per queue armed for the head's expiry), length limits count ready messages,
 * priority queues keep one FIFO per priority level. Each FIFO is a ReadyMessages container, which
 * pages a deep backlog out to disk (see ready-messages.ts and docs/architecture.md).
 */
/** A consumer that does not take every message: dispatch takes the selective path for it. */
function isSelective(o: ConsumeOptions): boolean {
  return o.selector !== undefined || o.noLocal === true;
}

/** Whether a consumer takes this message: not its own when no-local, and its selector (if any) matches. */
function selects(sub: Subscription, entry: QueueEntry): boolean {
  const o = sub.options;
  if (o.noLocal === true && entry.message.publisher === sub.consumer.client) return false;
  return o.selector === undefined || o.selector.matches(entry);
}

/** The tick after a queue asked for it: one module function, not a closure per call. */
function runScheduledDispatch(q: Queue): void {
  q.scheduledDispatch();
}

export class Queue implements Destination, ReadyOwner {
  readonly kind = "queue" as const;
  routeEpoch = 0;
  /** Bindings that point at this queue, so deleting it removes them. */
  readonly boundBy = new Set<Binding>();
  /** Ready messages, one container per priority level (a single level unless x-max-priority is set). */
  private levels: ReadyMessages[] = [new ReadyMessages(this)];
  private readyCount = 0;
  protected readonly consumers: Subscription[] = [];
  private rr = 0;
  private nextSeq = 1;
  private unackedCount = 0;
  protected hadConsumer = false;
  private dispatching = false;
  private redispatch = false;
  private dispatchScheduled = false;
  private mixedPriorities = false;
  /** Consumers with a selector: while there is one, dispatch takes the selective path. */
  private selective = 0;
  /** Consumers that drop what their selector does not match (a topic subscriber's own queue). */
  private discarding = 0;
  /** Subscriptions with jmsExclusive: while any, the first of them is the only one served. */
  private jmsExclusives = 0;
  /**
   * ActiveMQ's message groups: which consumer owns each open group. Made at the first grouped
   * message; from then on dispatch takes the selective path (a group's messages wait for their
   * owner), so queues that never see a group pay nothing.
   */
  private groups: Map<string, Subscription> | null = null;
  /** Entries a selective dispatch passed over, put back when it ends (reused). */
  private readonly passed: QueueEntry[] = [];
  /** Requeues took a length-limited queue over its limit: the next dispatch trims first. */
  private trimPending = false;
  /** Body bytes of the ready messages, for x-max-length-bytes. */
  private readyBytes = 0;
  /** Publishers waiting for this queue's backlog to clear (null: nobody, the usual case). */
  private backlogWatchers: BacklogWatcher[] | null = null;
  deleted = false;
  /** The user policy and operator policy applying to this queue now (the vhost sets them). */
  policy: Policy | null = null;
  operatorPolicy: Policy | null = null;
  /** Durable queues' storage (persistent messages only); null for transient queues. */
  store: QueueStore | null = null;
  /** This queue's own message counters (management rates). */
  readonly counters = new QueueCounters();
  private readonly global: MessageCounters;

  private current: QueueSettings;
  /** Some entry was given an expiry: deliveries check the head's time. */
  private expiring = false;
  private sweepTimer: ClockTimer | null = null;
  private sweepAt = Infinity;
  private readonly sweepBound = (): void => this.sweep();
  private idleTimer: ClockTimer | null = null;
  private readonly idleBound = (): void => this.idleExpired();
  private lastUsed = 0;
  private readonly singleActive: boolean;
  private readonly quorum: boolean;
  /** ROUTE_SELECTOR_ARG compiled; null for every other queue (no cost per message for those). */
  private readonly routeSelector: Selector | null = null;
  /** What routeSelector is asked about: reused, one routed message at a time. */
  private routeSubject: { message: Message; deliveryCount: number; redelivered: boolean } | null = null;

  constructor(
    readonly name: string,
    readonly host: QueueHost,
    readonly options: QueueOptions,
  ) {
    this.global = host.counters;
    this.singleActive = options.parsedArgs.singleActiveConsumer === true;
    this.quorum = options.parsedArgs.queueType === "quorum";
    this.current = {};
    this.applySettings(settingsFromArguments(options.parsedArgs));
    const sel = options.args[ROUTE_SELECTOR_ARG];
    if (typeof sel === "string" && sel !== "") {
      const compiled = compileSelector(sel);
      // one that no longer compiles (a stored definition) filters nothing, as before
      if (!(compiled instanceof InvalidSelector)) this.routeSelector = compiled;
    }
  }

  /** ReadyOwner: when to page (from the broker's store). */
  get paging(): PagingLimits | null {
    return this.host.persistence?.paging ?? null;
  }

  /** ReadyOwner: a page file for messages the queue's store does not keep (one per level that pages). */
  openPageFile(): PageFile {
    return this.host.persistence!.openPageFile(this.host.name, this.name);
  }

  /** x-queue-type: classic, quorum or stream. */
  get type(): QueueType {
    return this.options.parsedArgs.queueType ?? "classic";
  }

  get durable(): boolean {
    return this.options.durable;
  }
  get exclusive(): boolean {
    return this.options.owner !== null;
  }
  get autoDelete(): boolean {
    return this.options.autoDelete;
  }
  get messageCount(): number {
    return this.readyCount;
  }
  get messageBytes(): number {
    return this.readyBytes;
  }
  get unackedMessageCount(): number {
    return this.unackedCount;
  }
  get consumerCount(): number {
    return this.consumers.length;
  }
  /** Messages handed to consumers or basic.get since the queue began (progress, for publishers that wait). */
  get handedOut(): number {
    const c = this.counters;
    return c.deliver + c.deliverNoAck + c.get + c.getNoAck;
  }

  /**
   * Whether publishers that can wait should: the queue has consumers and more than
   * BACKLOG_HIGH_MARK ready messages (one without consumers fills now to be consumed later).
   */
  get backedUp(): boolean {
    return this.readyCount > BACKLOG_HIGH_MARK && this.consumers.length > 0;
  }

  /** Whether the queue has consumers and more than BACKLOG_LOW_MARK ready: a backlog, backed up or on its way. */
  get backlogged(): boolean {
    return this.readyCount > BACKLOG_LOW_MARK && this.consumers.length > 0;
  }

  /**
   * `w` waits for the backlog to clear: called back once (see BacklogWatcher). False, and nothing
   * registered, when the queue is not backed up (any more).
   */
  watchBacklog(w: BacklogWatcher): boolean {
    if (!this.backedUp || this.deleted) return false;
    (this.backlogWatchers ??= []).push(w);
    return true;
  }

  /** `w` stopped waiting (its link went). */
  unwatchBacklog(w: BacklogWatcher): void {
    const ws = this.backlogWatchers;
    if (ws === null) return;
    const i = ws.indexOf(w);
    if (i >= 0) ws.splice(i, 1);
    if (ws.length === 0) this.backlogWatchers = null;
  }

  /** The backlog is gone (drained, no consumers, queue deleted): every waiting publisher goes on. */
  private backlogCleared(): void {
    const ws = this.backlogWatchers;
    if (ws === null) return;
    this.backlogWatchers = null;
    for (let i = 0; i < ws.length; i++) ws[i]!.backlogCleared(this);
  }
  get subscriptions(): readonly Subscription[] {
    return this.consumers;
  }
  /** The consumer a single-active-consumer queue delivers to (null when it has none or is not one). */
  get activeConsumer(): Subscription | null {
    return this.singleActive ? (this.consumers[0] ?? null) : null;
  }
  get isSingleActiveConsumer(): boolean {
    return this.singleActive;
  }

  /** The settings in force (x-arguments, or what the policy layer last applied). */
  get settings(): QueueSettings {
    return this.current;
  }

  /**
   * Applies new effective settings live; the policy layer calls this whenever the policies
   * matching this queue change. A lower length limit trims at once (drop-head dead-letters the
   * dropped messages), a new queue TTL restarts the unused timer, a new priority range re-sorts
   * the ready messages. Messages already queued keep the expiry they were given on arrival, as in
   * RabbitMQ.
   */
  applySettings(settings: QueueSettings): void {
    const before = this.current;
    this.current = settings;
    const levels = settings.maxPriority === undefined ? 1 : settings.maxPriority + 1;
    if (levels !== this.levels.length) {
      // rare (a policy changed the priority range): every message is read back and re-sorted
      const all: QueueEntry[] = [];
      for (const l of this.levels) {
        for (let e = l.shift(); e !== undefined; e = l.shift()) all.push(e);
        l.destroy();
      }
      all.sort((a, b) => a.seq - b.seq);
      this.levels = [];
      for (let i = 0; i < levels; i++) this.levels.push(new ReadyMessages(this, { level: i, explicitSeq: levels > 1 }));
      for (const e of all) {
        e.level = Math.min(e.message.properties.priority ?? 0, levels - 1);
        this.levels[e.level]!.push(e);
      }
    }
    if (before.expires !== settings.expires) this.touch();
    if (settings.messageTtl !== undefined) this.expiring = true;
    if (this.readyCount > 0) {
      this.trim();
      this.sweep();
    }
  }

  /** Whether `client` may use this queue: exclusive queues belong to one connection. */
  accessibleBy(client: ClientRef | null): boolean {
    return this.options.owner === null || this.options.owner === client;
  }

  // ---- ready list ------------------------------------------------------------------------

  private pushReady(entry: QueueEntry): void {
    this.levels[entry.level]!.push(entry);
    this.readyCount++;
    this.readyBytes += entry.bodySize;
  }

  /**
   * Up to `limit` ready messages in delivery order, left where they are (a JMS queue browser),
   * paged-out ones included (read from disk, not paged in).
   */
  browse(limit: number): QueueEntry[] {
    const out: QueueEntry[] = [];
    this.browseNext(this.browseCursor(), limit, out);
    return out;
  }

  /**
   * Where a paced browser is (browseNext): the priority level it reads and the last sequence
   * number it saw there; messages that arrive after it was made are not part of its browse.
   */
  browseCursor(): BrowseCursor {
    return { level: this.levels.length - 1, after: -1, before: this.nextSeq };
  }

  /**
   * The next ready messages of `cursor`'s browse, in delivery order, until `into` holds `limit`;
   * the cursor moves past them. Only the batch is in memory (paged-out messages are read as it
   * goes). Returns false once the browse has nothing more.
   */
  browseNext(cursor: BrowseCursor, limit: number, into: QueueEntry[]): boolean {
    while (cursor.level >= 0) {
      const from = into.length;
      this.levels[cursor.level]!.browseAfter(cursor.after, cursor.before, limit, into);
      if (into.length > from) cursor.after = into[into.length - 1]!.seq;
      if (into.length >= limit) return true;
      cursor.level--;
      cursor.after = -1;
    }
    return false;
  }

  /** The next entry to deliver: oldest of the highest priority level that has one. */
  private peekReady(): QueueEntry | undefined {
    const ls = this.levels;
    for (let i = ls.length - 1; i >= 0; i--) {
      const e = ls[i]!.peek();
      if (e !== undefined) return e;
    }
    return undefined;
  }

  private shiftReady(): QueueEntry | undefined {
    const ls = this.levels;
    for (let i = ls.length - 1; i >= 0; i--) {
      const e = ls[i]!.shift();
      if (e !== undefined) {
        this.readyCount--;
        this.readyBytes -= e.bodySize;
        if (this.backlogWatchers !== null && this.readyCount <= BACKLOG_LOW_MARK) this.backlogCleared();
        return e;
      }
    }
    return undefined;
  }

  // ---- publishing ------------------------------------------------------------------------

  /** Takes a routed message; Refused when the queue refuses it (overflow reject-publish). */
  enqueue(message: Message): Enqueued {
    if (this.routeSelector !== null && !this.selectsRouted(message)) return Enqueued.Filtered;
    const s = this.current;
    const limited = s.maxLength !== undefined || s.maxLengthBytes !== undefined;
    if (limited && s.overflow !== undefined && s.overflow !== "drop-head" && this.wouldOverflow(message.bodySize)) {
      // RabbitMQ checks reject-publish before trying any consumer (will_overflow)
      if (s.overflow === "reject-publish-dlx") {
        this.global.countDeadLetter(this.type, "maxlen", s.deadLetterExchange === undefined ? "disabled" : "at_most_once");
        if (s.deadLetterExchange !== undefined) this.host.deadLetter(this, message, "maxlen");
      }
      return Enqueued.Refused;
    }
    const entry = new QueueEntry(this.nextSeq++, message);
    this.counters.publish++;
    if (message.group !== null) this.groups ??= new Map();
    if (this.levels.length > 1) entry.level = Math.min(message.priority, this.levels.length - 1);
    // per-queue TTL and per-message expiration: the smaller wins (RabbitMQ's ttl.html)
    const ttl = s.messageTtl;
    const perMessage = message.expirationMs;
    let now = 0;
    if (ttl !== undefined || perMessage >= 0) {
      now = this.host.timers.now();
      entry.expiresAt = now + (perMessage >= 0 && (ttl === undefined || perMessage < ttl) ? perMessage : ttl!);
      this.expiring = true;
    }
    let result: Enqueued = Enqueued.Accepted;
    // delivery-mode 2 in a durable queue (AMQP 0-9-1 §4.2.6.1 basic.properties delivery-mode)
    const store = this.store;
    if (store !== null && message.persistent) {
      entry.position = store.persist(message, entry.expiresAt);
      result = Enqueued.Persisted;
    }
    this.pushReady(entry);
    // the clock read for the TTL above serves the dispatch too: one read per message, not two
    if (this.consumers.length > 0) this.dispatch(now);
    // drop-head: the oldest go (dead-lettered as maxlen) once a consumer had its chance at the newcomer
    if (limited && (s.overflow === undefined || s.overflow === "drop-head")) this.trim();
    if (entry.expiresAt !== Infinity) {
      if (entry.expiresAt <= now) this.sweep();
      else if (entry.expiresAt < this.sweepAt) this.armSweep(entry.expiresAt, now);
    }
    return result;
  }

  private wouldOverflow(size: number): boolean {
    const s = this.current;
    return this.readyCount + 1 > (s.maxLength ?? Infinity) || this.readyBytes + size > (s.maxLengthBytes ?? Infinity);
  }

  /** drop-head: discards the oldest ready messages until the queue is within its limits. */
  private trim(): void {
    const s = this.current;
    if (s.overflow !== undefined && s.overflow !== "drop-head") return;
    const maxLength = s.maxLength ?? Infinity;
    const maxBytes = s.maxLengthBytes ?? Infinity;
    while (this.readyCount > 0 && (this.readyCount > maxLength || this.readyBytes > maxBytes)) {
      this.drop(this.shiftReady()!, "maxlen");
    }
  }

  /** A ready entry leaves the queue without delivery: dead-lettered if the queue has a DLX. */
  private drop(entry: QueueEntry, reason: DeadLetterReason): void {
    const dlx = this.current.deadLetterExchange !== undefined;
    this.global.countDeadLetter(this.type, reason, dlx ? "at_most_once" : "disabled");
    if (dlx) this.host.deadLetter(this, entry.message, reason);
    else if (reason === "expired") this.host.messageExpired?.(this, entry.message);
    this.forget(entry);
  }

  /**
   * The policy layer recomputed `options.parsedArgs` (a policy came or went): the queue takes the
   * settings they give, trimming to new limits at once as RabbitMQ's does.
   */
  limitsChanged(): void {
    this.applySettings(settingsFromArguments(this.options.parsedArgs));
  }

  // ---- expiry ----------------------------------------------------------------------------

  /**
   * The broker is closing: no sweep or x-expires timer may fire into a closed store. What they
   * guard stays stored, and a restart arms them again from the persisted expiries.
   */
  stopTimers(): void {
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    this.sweepAt = Infinity;
    this.idleTimer?.cancel();
    this.idleTimer = null;
  }

  private armSweep(at: number, now: number): void {
    this.sweepTimer?.cancel();
    this.sweepAt = at;
    this.sweepTimer = this.host.timers.schedule(this.sweepBound, at - now);
  }

  /**
   * Drops expired messages from the head (RabbitMQ expires only at the head, so a message with a
   * long TTL shields shorter-lived ones behind it) and arms the one timer for the next head.
   */
  private sweep(): void {
    this.sweepTimer = null;
    this.sweepAt = Infinity;
    if (!this.expiring || this.deleted) return;
    const now = this.host.timers.now();
    this.dropExpired(now);
    let next = Infinity;
    const ls = this.levels;
    for (let i = 0; i < ls.length; i++) {
      const head = ls[i]!.peek();
      if (head !== undefined && head.expiresAt < next) next = head.expiresAt;
    }
    if (next !== Infinity) this.armSweep(next, now);
  }

  private dropExpired(now: number): void {
    const ls = this.levels;
    for (let i = ls.length - 1; i >= 0; i--) {
      const l = ls[i]!;
      // peek reads a batch back from disk when the in-memory head is empty (expiry is at the head only)
      for (let head = l.peek(); head !== undefined && head.expiresAt <= now; head = l.peek()) {
        l.shift();
        this.readyCount--;
        this.readyBytes -= head.bodySize;
        this.drop(head, "expired");
      }
    }
    if (this.backlogWatchers !== null && this.readyCount <= BACKLOG_LOW_MARK) this.backlogCleared();
  }

  // ---- queue TTL (x-expires) -------------------------------------------------------------

  /** The queue was used (declared, consumed from, basic.get): its x-expires countdown restarts. */
  touch(): void {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    const expires = this.current.expires;
    if (expires === undefined || this.deleted || this.consumers.length > 0) return;
    this.lastUsed = this.host.timers.now();
    this.idleTimer = this.host.timers.schedule(this.idleBound, expires);
  }

  private idleExpired(): void {
    this.idleTimer = null;
    const expires = this.current.expires;
    if (this.deleted || expires === undefined || this.consumers.length > 0) return;
    const left = this.lastUsed + expires - this.host.timers.now();
    if (left > 0) {
      this.idleTimer = this.host.timers.schedule(this.idleBound, left);
      return;
    }
    this.host.queueExpired(this);
  }

  /** Whether the queue's x-jms-selector selects a message being routed to it. */
  private selectsRouted(message: Message): boolean {
    const subject = (this.routeSubject ??= { message, deliveryCount: 0, redelivered: false });
    subject.message = message;
    return this.routeSelector!.matches(subject);
  }

  // ---- recovery --------------------------------------------------------------------------

  /** Puts back a message recovered from the store after a restart (not written again). */
  restore(r: RecoveredMessage, store: QueueStore): void {
    this.store = store;
    let level = 0;
    let m: Message | null = null;
    if (this.levels.length > 1) {
      // the level needs the priority: decode now (kept only if the level's head is not paging)
      m = store.load(r.position);
      m.noteProperties(m.properties);
      level = Math.min(m.priority, this.levels.length - 1);
    }
    // a grouped message is grouped again (ActiveMQ's store keeps the group id): dispatch goes
    // selective, and the group's owner is assigned anew, as the owners were in memory only
    if (r.grouped) this.groups ??= new Map();
    this.levels[level]!.pushRecovered(this.nextSeq++, r.position, r.bodySize, r.redelivered, r.expiresAt, r.grouped, m);
    this.readyCount++;
    this.readyBytes += r.bodySize;
    // a TTL keeps running across a restart, as RabbitMQ's does: messages due while the broker was
    // down go at the first sweep (if they are at the head)
    if (r.expiresAt !== Infinity) {
      this.expiring = true;
      if (r.expiresAt < this.sweepAt) this.armSweep(r.expiresAt, this.host.timers.now());
    }
  }

  /** Ready messages that are on disk only. */
  get pagedOutCount(): number {
    let n = 0;
    for (const l of this.levels) n += l.pagedCount;
    return n;
  }

  // ---- consumers -------------------------------------------------------------------------

  consume(consumer: Consumer, options: ConsumeOptions): Subscription | BrokerError {
    if (options.exclusive ? this.consumers.length > 0 : this.consumers.some((s) => s.options.exclusive)) {
      return errors.exclusiveConsumer(this.name, this.host.name);
    }
    const sub = new Subscription(this, consumer, options);
    this.consumers.push(sub);
    if (options.jmsExclusive === true) this.jmsExclusives++;
    if (isSelective(options)) {
      this.selective++;
      if (options.discardUnselected === true) this.discarding++;
    }
    // a single-active-consumer queue keeps registration order: the next one takes over (3.10 ignores x-priority there)
    if (!this.singleActive) {
      this.mixedPriorities = this.consumers.some((s) => s.options.priority !== this.consumers[0]!.options.priority);
      if (this.mixedPriorities) this.consumers.sort((a, b) => b.options.priority - a.options.priority);
    }
    this.hadConsumer = true;
    this.idleTimer?.cancel();
    this.idleTimer = null;
    this.dispatchSoon();
    return sub;
  }

  cancel(sub: Subscription): void {
    if (!sub.active) return;
    sub.active = false;
    const i = this.consumers.indexOf(sub);
    if (i >= 0) this.consumers.splice(i, 1);
    if (sub.options.jmsExclusive === true) this.jmsExclusives--;
    if (isSelective(sub.options)) {
      this.selective--;
      if (sub.options.discardUnselected === true) this.discarding--;
    }
    if (this.rr > i) this.rr--;
    if (sub.groups > 0) this.freeGroups(sub);
    // publishers waited for these consumers to catch up: with none left, nothing holds them back
    if (this.consumers.length === 0) this.backlogCleared();
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) {
      this.host.queueUnused(this);
      return;
    }
    if (this.consumers.length === 0) this.touch();
    // failover: the next single active consumer takes what is ready
    else if (this.singleActive && i === 0) this.dispatch();
    else if (this.readyCount > 0) this.dispatchSoon();
  }

  /**
   * Lets the queue deliver once the caller's synchronous work is done, so a front-end never has to:
   * after a batch of requeues (all back before a length limit trims the oldest), after a consume
   * (its consume-ok goes first), after a consumer left (the others take what it had).
   */
  protected dispatchSoon(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    process.nextTick(runScheduledDispatch, this);
  }

  /** @internal the dispatch dispatchSoon() asked for. */
  scheduledDispatch(): void {
    this.dispatchScheduled = false;
    if (!this.deleted) this.dispatch();
  }

  /**
   * Hands ready messages to consumers with credit, round-robin (highest consumer priority first).
   * `knownNow`: the clock as the caller just read it in this same call (0: not read).
   */
  dispatch(knownNow = 0): void {
    if (this.dispatching) {
      this.redispatch = true;
      return;
    }
    this.dispatching = true;
    try {
      if (this.trimPending) {
        // RabbitMQ's requeue_and_run: drop from the head down to the limit, then deliver
        this.trimPending = false;
        this.trim();
      }
      do {
        this.redispatch = false;
        const now = this.expiring ? (knownNow > 0 ? knownNow : this.host.timers.now()) : 0;
        if (this.selective > 0 || this.groups !== null) {
          this.dispatchSelected(now);
          continue;
        }
        while (this.readyCount > 0) {
          const sub = this.pickConsumer();
          if (sub === null) break;
          const entry = this.shiftReady()!;
          // strictly past: a TTL-0 message may still go to a consumer in the instant it arrives,
          // but only then — once handed out and returned it is expired (RabbitMQ drops it on requeue)
          if (entry.expiresAt <= now && (entry.expiresAt < now || entry.redelivered)) {
            this.drop(entry, "expired");
            continue;
          }
          this.handOut(entry, sub);
        }
      } while (this.redispatch);
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * Dispatch while some consumer has a selector: each ready message goes to a consumer with credit
   * that selects it; the ones no such consumer selects are passed over and put back in front, in
   * their order, for consumers to come (ActiveMQ's queue semantics). Looks at most
   * SELECTOR_SCAN_WINDOW passed-over messages deep.
   */
  private dispatchSelected(now: number): void {
    const passed = this.passed;
    try {
      while (this.readyCount > 0 && passed.length < SELECTOR_SCAN_WINDOW && this.someCredit()) {
        const entry = this.shiftReady()!;
        if (entry.expiresAt <= now && (entry.expiresAt < now || entry.redelivered)) {
          this.drop(entry, "expired");
          continue;
        }
        const sub = this.pickSelecting(entry);
        if (sub !== null) this.handOut(entry, sub);
        else if (this.discarding > 0 && this.discardable(entry)) this.forget(entry);
        else passed.push(entry);
      }
    } finally {
      // back in front of what is left, newest first, so each level keeps its order
      for (let i = passed.length - 1; i >= 0; i--) {
        const e = passed[i]!;
        this.levels[e.level]!.unshift(e);
        this.readyCount++;
        this.readyBytes += e.bodySize;
      }
      passed.length = 0;
    }
  }

  private someCredit(): boolean {
    if (this.jmsExclusives > 0) return this.jmsExclusiveActive()!.consumer.hasCredit();
    const subs = this.consumers;
    for (let i = 0; i < subs.length; i++) if (subs[i]!.consumer.hasCredit()) return true;
    return false;
  }

  /**
   * pickConsumer for one message: the consumers with credit whose selector (if any) matches it;
   * for a grouped message, its group's owner only.
   */
  private pickSelecting(entry: QueueEntry): Subscription | null {
    if (entry.message.group !== null && this.groups !== null) return this.pickForGroup(entry, entry.message.group, this.groups);
    return this.pickAny(entry);
  }

  /**
   * ActiveMQ's message groups (Queue.assignMessageGroup): a group without a live owner, or a
   * message with JMSXGroupSeq 1, goes to whichever consumer would take it, which then owns the
   * group (the entry marked JMSXGroupFirstForConsumer); the rest of the group waits for its
   * owner. A negative sequence delivered to the owner closes the group. At most GROUP_CACHE_SIZE
   * owners are kept, least recently used forgotten first. O(1) per message.
   */
  private pickForGroup(entry: QueueEntry, group: string, groups: Map<string, Subscription>): Subscription | null {
    const seq = entry.message.groupSeq;
    const owner = groups.get(group);
    if (owner !== undefined) {
      // looked up: the most recently used now (the Map's order is the LRU order)
      groups.delete(group);
      groups.set(group, owner);
    }
    if (owner !== undefined && seq !== 1) {
      if (!owner.consumer.hasCredit() || !selects(owner, entry) || !this.serves(owner)) return null;
      if (seq < 0) {
        groups.delete(group);
        owner.groups--;
      }
      return owner;
    }
    const sub = this.pickAny(entry);
    if (sub === null) return null;
    if (owner !== undefined) owner.groups--;
    else if (groups.size >= GROUP_CACHE_SIZE) {
      const [oldest, was] = groups.entries().next().value!;
      groups.delete(oldest);
      was.groups--;
    }
    groups.set(group, sub);
    sub.groups++;
    entry.groupFirst = true;
    return sub;
  }

  /** Whether the queue delivers to `sub` at all now (a single active or JMS exclusive consumer is served alone). */
  private serves(sub: Subscription): boolean {
    if (this.singleActive) return this.consumers[0] === sub;
    if (this.jmsExclusives > 0) return this.jmsExclusiveActive() === sub;
    return true;
  }

  /** A consumer left: the groups it owned go to whichever consumer gets their next message. */
  private freeGroups(sub: Subscription): void {
    const groups = this.groups!;
    for (const [g, owner] of groups) if (owner === sub) groups.delete(g);
    sub.groups = 0;
  }

  private pickAny(entry: QueueEntry): Subscription | null {
    const subs = this.consumers;
    const n = subs.length;
    if (n === 0) return null;
    if (this.singleActive) {
      const active = subs[0]!;
      return active.consumer.hasCredit() && selects(active, entry) ? active : null;
    }
    if (this.jmsExclusives > 0) {
      const active = this.jmsExclusiveActive()!;
      return active.consumer.hasCredit() && selects(active, entry) ? active : null;
    }
    let best: Subscription | null = null;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      const s = subs[i]!;
      if (!s.consumer.hasCredit()) continue;
      if (best !== null && s.options.priority <= best.options.priority) continue;
      if (!selects(s, entry)) continue;
      best = s;
      bestIndex = i;
      if (!this.mixedPriorities) break;
    }
    if (best !== null) this.rr = (bestIndex + 1) % n;
    return best;
  }

  /** The JMS exclusive consumer served now: the first subscribed of them (highest priority first). */
  private jmsExclusiveActive(): Subscription | undefined {
    const subs = this.consumers;
    for (let i = 0; i < subs.length; i++) if (subs[i]!.options.jmsExclusive === true) return subs[i];
    return undefined;
  }

  /** No consumer would ever take it and one of them drops what it does not select. */
  private discardable(entry: QueueEntry): boolean {
    const subs = this.consumers;
    for (let i = 0; i < subs.length; i++) if (selects(subs[i]!, entry)) return false;
    return true;
  }

  private handOut(entry: QueueEntry, sub: Subscription): void {
    entry.deliveryCount++;
    if (entry.redelivered) {
      this.counters.redeliver++;
      this.global.redeliver++;
    }
    if (!sub.options.noAck) {
      if (entry.position >= 0 && this.store !== null) this.store.delivered(entry.position);
      entry.holder = sub;
      entry.awaitingAck = true;
      sub.unacked++;
      this.unackedCount++;
      this.counters.deliver++;
      this.global.deliver++;
    } else {
      if (entry.position >= 0 && this.store !== null) this.store.delivered(entry.position, true);
      this.counters.deliverNoAck++;
      this.global.deliverNoAck++;
    }
    sub.consumer.deliver(entry, sub);
  }

  private pickConsumer(): Subscription | null {
    const subs = this.consumers;
    const n = subs.length;
    if (n === 0) return null;
    if (this.singleActive) {
      const active = subs[0]!;
      return active.consumer.hasCredit() ? active : null;
    }
    if (this.jmsExclusives > 0) {
      const active = this.jmsExclusiveActive()!;
      return active.consumer.hasCredit() ? active : null;
    }
    let best: Subscription | null = null;
    let bestIndex = 0;
    for (let k = 0; k < n; k++) {
      const i = (this.rr + k) % n;
      const s = subs[i]!;
      if (!s.consumer.hasCredit()) continue;
      if (best === null || s.options.priority > best.options.priority) {
        best = s;
        bestIndex = i;
        if (!this.mixedPriorities) break;
      }
    }
    if (best !== null) this.rr = (bestIndex + 1) % n;
    return best;
  }

  /** basic.get: the head entry, or null when the queue is empty. */
  get(noAck: boolean): QueueEntry | null {
    this.touch();
    if (this.expiring) this.dropExpired(this.host.timers.now());
    const entry = this.shiftReady();
    if (!entry) {
      this.global.getEmpty++;
      return null;
    }
    // RabbitMQ 3.10's quorum queues put x-delivery-count on every basic.get, 0 the first time
    if (this.quorum && entry.returns === 0) entry.replaceMessage(entry.message.withHeader("x-delivery-count", 0));
    entry.deliveryCount++;
    if (entry.redelivered) {
      this.counters.redeliver++;
      this.global.redeliver++;
    }
    if (!noAck) {
      this.unackedCount++;
      entry.awaitingAck = true;
      if (entry.position >= 0 && this.store !== null) this.store.delivered(entry.position);
      this.counters.get++;
      this.global.get++;
    } else {
      if (entry.position >= 0 && this.store !== null) this.store.delivered(entry.position, true);
      this.counters.getNoAck++;
      this.global.getNoAck++;
    }
    return entry;
  }

  // ---- settling --------------------------------------------------------------------------

  /** Settles an entry a consumer or basic.get held. */
  ack(entry: QueueEntry): void {
    if (entry.awaitingAck) {
      this.counters.ack++;
      this.global.ack++;
    }
    this.release(entry);
    this.forget(entry);
  }

  /** The entry is settled for good: its stored copy must not come back after a restart. */
  private forget(entry: QueueEntry): void {
    if (entry.position >= 0) {
      this.store?.ack(entry.position);
      entry.position = -1;
    }
  }

  /**
   * Puts an entry back at its original position, flagged redelivered. Quorum queues count the
   * return (x-delivery-count on the next delivery) and dead-letter it past x-delivery-limit.
   * The queue dispatches once the caller's requeues are all done (dispatchSoon), which also trims
   * a length limit. `deliveryFailed`: the consumer says its delivery failed (counted on the entry).
   */
  requeue(entry: QueueEntry, deliveryFailed = false): void {
    this.release(entry);
    if (deliveryFailed) entry.failedDeliveries++;
    entry.redelivered = true;
    if (this.deleted) return;
    if (this.quorum) {
      entry.returns++;
      const limit = this.current.deliveryLimit;
      if (limit !== undefined && entry.returns > limit) {
        this.drop(entry, "delivery_limit");
        return;
      }
      entry.replaceMessage(entry.message.withHeader("x-delivery-count", entry.returns));
    }
    this.levels[entry.level]!.requeue(entry);
    this.readyCount++;
    this.readyBytes += entry.bodySize;
    // over x-max-length: trimmed (drop-head) at the dispatch that follows the requeues, once they
    // are all back, so the oldest go first whatever order they were requeued in
    if (this.readyCount > (this.current.maxLength ?? Infinity) || this.readyBytes > (this.current.maxLengthBytes ?? Infinity)) {
      this.trimPending = true;
    }
    // an entry whose time ran out while a consumer held it goes when it is at the head again
    if (entry.expiresAt !== Infinity && entry.expiresAt < this.sweepAt) this.armSweep(entry.expiresAt, this.host.timers.now());
    this.dispatchSoon();
  }

  /** A client rejected the entry without requeue: dead-lettered (reason rejected) if the queue has a DLX. */
  discard(entry: QueueEntry): void {
    this.release(entry);
    this.drop(entry, "rejected");
  }

  private release(entry: QueueEntry): void {
    const holder = entry.holder;
    if (holder !== null) {
      holder.unacked--;
      entry.holder = null;
    }
    // no-ack deliveries are settled through here too, but never counted as unacked
    if (entry.awaitingAck) {
      entry.awaitingAck = false;
      if (this.unackedCount > 0) this.unackedCount--;
    }
  }

  purge(): number {
    const n = this.readyCount;
    // paged-out messages are settled without being read back
    for (const l of this.levels) l.clear((e) => this.forget(e));
    this.readyCount = 0;
    this.readyBytes = 0;
    this.backlogCleared();
    return n;
  }

  /** Called by the vhost on delete: consumers hear of it, nothing more is accepted. */
  destroy(): number {
    this.deleted = true;
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
    this.idleTimer?.cancel();
    this.idleTimer = null;
    this.store?.deleted();
    this.store = null;
    const n = this.readyCount;
    for (const l of this.levels) l.destroy();
    this.readyCount = 0;
    this.readyBytes = 0;
    this.groups = null;
    const subs = this.consumers.splice(0);
    for (const s of subs) {
      s.active = false;
      s.consumer.cancelledByBroker(s);
    }
    this.backlogCleared();
    return n;
  }
}

import { BrokerError, errors, ReplyCode } from "./errors.js";
import {
  bindingKey,
  type Binding,
  createExchange,
  type Destination,
  type Exchange,
  EXCHANGE_TYPES,
  type ExchangeType,
} from "./exchange.js";
import { rabbitType, stringValue } from "./field-types.js";
import type { ClientRef } from "./consumer.js";
import { type FieldTable, type FieldValue, Message, TypedField } from "./message.js";
import { type DeadLetterReason, Enqueued, Queue, type QueueHost } from "./queue.js";
import { type Clock, systemClock } from "./clock.js";
import { buildDeadLetter, isDeadLetterCycle } from "./dead-letter.js";
import { routingHeaderKeys, withoutHeader } from "./header-routes.js";
import type { Durability, Persistence } from "./durability.js";
import { EQUIVALENCE_CHECKED_ARGS, parseQueueArguments, type QueueArguments } from "./queue-arguments.js";
import { randomBytes } from "node:crypto";
import { checkQueueType, checkServerNamed } from "./queue-types.js";
import { StreamQueue, streamUnsupported } from "./stream.js";
import {
  effectiveAlternateExchange,
  effectiveQueueArguments,
  type Policy,
  PolicyError,
  type PolicyInput,
  type PolicyKind,
  PolicySet,
  validatePolicy,
} from "./policies.js";
import { checkDelayedType, DELAYED_TYPE, DelayedExchange, type DelayedHost } from "./delayed-exchange.js";
import { HeldMessages, type ScheduledJobEntry } from "./held-messages.js";
import { fire, firstDue, JOB_ID_HEADER, type Job, type JobSpec, renewsIds } from "./scheduled-jobs.js";
import { MessageCounters } from "./stats.js";
import { NO_LIMITS, type VhostLimits } from "./parameter-validation.js";

/** The log of scheduled messages ("\0" keeps the name apart from any queue's). */
const SCHEDULED_LOG = "\0scheduled";

export interface ExchangeDeclare {
  type: string;
  passive?: boolean;
  durable?: boolean;
  autoDelete?: boolean;
  internal?: boolean;
  args?: FieldTable;
}

export interface QueueDeclare {
  passive?: boolean;
  /** Not a client's declare (definitions import, recovery): left out of the churn counters, as RabbitMQ counts channel declares only. */
  imported?: boolean;
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  args?: FieldTable;
}

export interface QueueDeclareOk {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

export interface PublishResult {
  /** Queues that took the message; 0 means unroutable (mandatory publishes are returned). */
  routed: number;
  /** Queues that refused it (overflow reject-publish): confirms become nacks. */
  refused: number;
  /**
   * Durable queues that wrote it to their store: the publisher's confirm waits for
   * `vhost.durability` to report the current batch committed.
   */
  persisted: number;
  /**
   * The deepest queue that took it and has a backlog (consumers, and more than BACKLOG_LOW_MARK
   * ready; `Queue.backlogged`), or null: a publisher that can be slowed (AMQP 1.0 link credit) is
   * given less credit, and waits while that queue is `backedUp`.
   */
  backlogged: Queue | null;
}

/** Exchanges every vhost has from birth, as RabbitMQ declares them. */
const PREDECLARED: readonly [string, ExchangeType][] = [
  ["amq.direct", "direct"],
  ["amq.fanout", "fanout"],
  ["amq.topic", "topic"],
  ["amq.headers", "headers"],
  ["amq.match", "headers"],
];

/** The pseudo-queue name clients consume from and put in reply_to for direct reply-to. */
export const REPLY_TO = "amq.rabbitmq.reply-to";

const QUEUE_ARGS_CHECKED = new Set(EQUIVALENCE_CHECKED_ARGS);
const EXCHANGE_ARGS_CHECKED = new Set(["alternate-exchange"]);

/**
 * A virtual host: its own exchanges, queues and bindings (AMQP 0-9-1 §3.1.1). Every method answers
 * with a value or a BrokerError carrying RabbitMQ's reply code and text.
 */
/**
 * What `rabbitmqctl add_vhost --description --tags --default-queue-type` records. Kept and
 * exported; `defaultQueueType` is not applied to declarations (they stay classic).
 */
export interface VhostMetadata {
  description?: string;
  tags: string[];
  defaultQueueType?: string;
}

export class VirtualHost implements QueueHost, DelayedHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  private routeEpoch = 0;
  private readonly routeScratch: Destination[] = [];
  private readonly queueListeners = new Set<(event: "deleted", queue: Queue) => void>();
  /** User policies (`rabbitmqctl set_policy`) and operator policies (`set_operator_policy`). */
  readonly policies = new PolicySet();
  readonly operatorPolicies = new PolicySet();
  /** Milliseconds since the epoch, for streams' timestamps and retention by age; tests replace it. */
  clock: () => number;
  private store: Persistence | null = null;
  /**
   * Messages a front-end scheduled for later (OpenWire's AMQ_SCHEDULED_DELAY), published to their
   * own exchange and routing key when due; created on first use, or at start when its log exists.
   */
  private scheduled: HeldMessages | null = null;

  /** Set by the Broker when a store is attached; null keeps everything in memory. */
  get persistence(): Persistence | null {
    return this.store;
  }
  set persistence(p: Persistence | null) {
    this.store = p;
    // scheduled messages kept before a restart come back (and their log is not an orphan)
    if (p !== null && this.scheduled === null && p.hasStream?.(this.name, SCHEDULED_LOG)) this.scheduler();
  }
  /** max-connections and max-queues, from the vhost's `vhost-limits` parameter (the Broker keeps them current). */
  limits: VhostLimits = NO_LIMITS;
  /** RabbitMQ's vhost metadata; set through `Broker.setVhostMetadata`, which persists it. */
  metadata: VhostMetadata = { tags: [] };
  /** Dead-letters produced while a publish is routing; published once it returns (publish is not re-entrant). */
  private readonly pendingDeadLetters: Message[] = [];
  private readonly pendingDeadLetterDeaths: FieldValue[][] = [];
  private publishing = false;

  /**
   * `counters` are the broker-wide message counters (shared by every vhost of a broker); queues
   * count their deliveries and acks into them as well as into their own. `timers` is the injected
   * clock queues run TTLs and expiry on (and `clock` reads, unless a test replaces it).
   */
  constructor(
    readonly name: string,
    readonly counters: MessageCounters = new MessageCounters(),
    readonly timers: Clock = systemClock,
  ) {
    this.clock = () => this.timers.now();
    this.exchanges.set("", createExchange("", "direct", { durable: true, autoDelete: false, internal: false, args: {} }));
    for (const [n, t] of PREDECLARED) {
      this.exchanges.set(n, createExchange(n, t, { durable: true, autoDelete: false, internal: false, args: {} }));
    }
  }

  /** Group commit, for front-ends whose acknowledgements must wait for the disk. */
  get durability(): Durability | null {
    return this.persistence?.durability ?? null;
  }

  private definitionsChanged(): void {
    this.persistence?.definitionsChanged();
  }

  // ---- exchanges -------------------------------------------------------------------------

  declareExchange(name: string, d: ExchangeDeclare): Exchange | BrokerError {
    if (name === "") return errors.defaultExchange();
    const existing = this.exchanges.get(name);
    if (d.passive) return existing ?? errors.noExchange(name, this.name);
    if (!EXCHANGE_TYPES.includes(d.type) && d.type !== DELAYED_TYPE) {
      if (existing && existing.type === d.type) return existing;
      return errors.unknownExchangeType(d.type);
    }
    const args = d.args ?? {};
    if (existing) {
      return this.exchangeEquivalent(existing, d.type, !!d.durable, !!d.autoDelete, !!d.internal, args) ?? existing;
    }
    if (name.startsWith("amq.")) return errors.reservedName("exchange", name);
    const options = { durable: !!d.durable, autoDelete: !!d.autoDelete, internal: !!d.internal, args };
    let x: Exchange;
    if (d.type === DELAYED_TYPE) {
      const delayedType = checkDelayedType(args);
      if (delayedType instanceof BrokerError) return delayedType;
      const dx = new DelayedExchange(name, delayedType, options, this);
      const p = this.persistence;
      // held messages live in a log beside the queues' ("\0" keeps the name apart from any queue's)
      if (dx.durable && p?.openStream) dx.store = p.openStream(this.name, `\0delayed\0${name}`, (r) => dx.restoreHeld(r));
      x = dx;
    } else {
      x = createExchange(name, d.type as ExchangeType, options);
    }
    this.exchanges.set(name, x);
    if (this.policies.size > 0) this.applyExchangePolicy(x);
    if (x.durable) this.definitionsChanged();
    return x;
  }

  private exchangeEquivalent(
    x: Exchange,
    type: string,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: FieldTable,
  ): BrokerError | null {
    const fail = (arg: string, received: string, current: string) =>
      errors.inequivalent(arg, "exchange", x.name, this.name, received, current);
    if (x.type !== type) return fail("type", `'${type}'`, `'${x.type}'`);
    if (x.durable !== durable) return fail("durable", `'${durable}'`, `'${x.durable}'`);
    if (x.autoDelete !== autoDelete) return fail("auto_delete", `'${autoDelete}'`, `'${x.autoDelete}'`);
    if (x.internal !== internal) return fail("internal", `'${internal}'`, `'${x.internal}'`);
    return argsEquivalent(x.options.args, args, EXCHANGE_ARGS_CHECKED, fail);
  }

  exchange(name: string): Exchange | BrokerError {
    return this.exchanges.get(name) ?? errors.noExchange(name, this.name);
  }

  deleteExchange(name: string, ifUnused: boolean): null | BrokerError {
    if (name === "") return errors.defaultExchange();
    // RabbitMQ refuses system names before looking the exchange up
    if (name.startsWith("amq.")) {
      return new BrokerError(ReplyCode.ACCESS_REFUSED, `deletion of system ${describeX(name, this.name)} not allowed`);
    }
    const x = this.exchanges.get(name);
    if (!x) return errors.noExchange(name, this.name);
    if (ifUnused && x.bindings.size > 0) return errors.inUse("exchange", name, this.name);
    this.removeExchange(x);
    return null;
  }

  private removeExchange(x: Exchange): void {
    this.exchanges.delete(x.name);
    if (x instanceof DelayedExchange) x.destroy();
    if (x.durable) this.definitionsChanged();
    for (const b of [...x.bindings.values()]) {
      x.removeBinding(b.key);
      if (b.destination.kind === "queue") (b.destination as Queue).boundBy.delete(b);
    }
    // bindings where this exchange is the destination
    for (const src of this.exchanges.values()) {
      for (const b of [...src.bindings.values()]) if (b.destination === x) this.dropBinding(b);
    }
  }

  // ---- policies --------------------------------------------------------------------------

  /** Adds or replaces a policy (`kind` "operator" for an operator policy) and applies it to what matches now. */
  setPolicy(input: PolicyInput, kind: PolicyKind = "policy"): Policy | PolicyError {
    const p = validatePolicy(input, kind);
    if (p instanceof PolicyError) return p;
    (kind === "operator" ? this.operatorPolicies : this.policies).set(p);
    this.policiesChanged();
    return p;
  }

  /** Removes a policy; queues and exchanges it applied to fall back to the next match, or none. */
  clearPolicy(name: string, kind: PolicyKind = "policy"): null | PolicyError {
    if (!(kind === "operator" ? this.operatorPolicies : this.policies).clear(name)) return new PolicyError(`Parameter does not exist`);
    this.policiesChanged();
    return null;
  }

  listPolicies(kind: PolicyKind = "policy"): Policy[] {
    return (kind === "operator" ? this.operatorPolicies : this.policies).list();
  }

  private policiesChanged(): void {
    for (const q of this.queues.values()) this.applyQueuePolicies(q);
    for (const x of this.exchanges.values()) this.applyExchangePolicy(x);
    this.definitionsChanged();
  }

  /** Recomputes what a queue behaves by from its declared arguments and the policies matching it now. */
  private applyQueuePolicies(q: Queue): void {
    const policy = this.policies.match(q.name, "queue");
    const operator = this.operatorPolicies.match(q.name, "queue");
    q.policy = policy;
    q.operatorPolicy = operator;
    const effective = effectiveQueueArguments(q.options.args, policy, operator);
    const parsed = parseQueueArguments(effective, q.name, this.name);
    // a policy can only add what its validation allowed; if the mix is still refused, keep the declared behaviour
    q.options.parsedArgs =
      parsed instanceof BrokerError ? (parseQueueArguments(q.options.args, q.name, this.name) as QueueArguments) : parsed;
    q.limitsChanged();
  }

  private applyExchangePolicy(x: Exchange): void {
    if (x.name === "" || x.name.startsWith("amq.")) return;
    x.policy = this.policies.match(x.name, "exchange");
    x.alternateExchange = effectiveAlternateExchange(x.options.args, x.policy) ?? null;
  }

  /** DelayedHost: a delayed message is due; it is routed as its exchange's delayed type routes. */
  releaseDelayed(x: DelayedExchange, routingKey: string, message: Message): void {
    if (this.exchanges.get(x.name) !== x) return;
    this.publish(x.name, routingKey, message);
  }

  /**
   * A scheduled job (scheduled-jobs.ts): `message` is published to its own exchange and routing
   * key each time the job fires, from now on; kept across a restart when persistent and there is
   * a store. False when its cron expression never matches (nothing is held).
   */
  scheduleJob(message: Message, id: string, spec: JobSpec): boolean {
    const due = firstDue(spec, this.timers.now());
    if (due === null) return false;
    const job: Job = { id, cron: spec.cron, delay: spec.delay, period: spec.period, repeat: spec.repeat, left: spec.repeat };
    this.scheduler().hold(due, message.routingKey, message, message.persistent, job);
    return true;
  }

  /** A job id no other job of this broker's data dir has: the clock at first use, then a count. */
  newJobId(): string {
    this.jobIdBase ??= `ID:warren-job-${this.timers.now().toString(36)}`;
    return `${this.jobIdBase}:${++this.jobIds}`;
  }
  private jobIdBase: string | null = null;
  private jobIds = 0;

  /** Removes the scheduled job `id` (ActiveMQ.Scheduler.Management's REMOVE); how many entries went. */
  removeScheduledJob(id: string): number {
    return this.scheduled?.remove((job) => job?.id === id) ?? 0;
  }

  /** Removes every scheduled job, or those next due within [start, end] (REMOVEALL). */
  removeScheduledJobs(start = -Infinity, end = Infinity): number {
    return this.scheduled?.remove((job, due) => job !== null && due >= start && due <= end) ?? 0;
  }

  /** The scheduled jobs, or those next due within [start, end], earliest first (BROWSE). */
  scheduledJobs(start = -Infinity, end = Infinity): ScheduledJobEntry[] {
    return this.scheduled?.jobs(start, end) ?? [];
  }

  /** Scheduled jobs, and messages held without a job (read back from a store an older Warren wrote). */
  get scheduledCount(): number {
    return this.scheduled?.count ?? 0;
  }

  private scheduler(): HeldMessages {
    if (this.scheduled !== null) return this.scheduled;
    const held = new HeldMessages(this.timers, (routingKey, message, job, now) => {
      // no job: a message an older Warren held in the store before jobs were stored with it
      if (job === null) {
        this.publish(message.exchange, routingKey, message);
        return null;
      }
      const step = fire(job, now, () => this.newJobId());
      if (step.deliver) this.publish(message.exchange, routingKey, renewsIds(job) ? this.jobCopy(message, job.id) : message);
      if (step.spawn !== null) {
        const s = step.spawn;
        held.hold(s.due, routingKey, message, message.persistent && held.store !== null, s.job);
      }
      return step.next;
    });
    this.scheduled = held;
    const p = this.store;
    if (p?.openStream) held.store = p.openStream(this.name, SCHEDULED_LOG, (r) => held.restore(r));
    return held;
  }

  /**
   * A repeating job's copy: the publisher's protocol gives it a message id of its own (and names
   * the job); a message without such a codec (one read back from the store) gets a new messageId,
   * and the job header, where it has one, names the job that fires: a run a cron job started
   * has an id of its own, and its copies carry that one, as they do before a restart.
   */
  private jobCopy(message: Message, jobId: string): Message {
    const renewed = message.encoded?.codec.renewed?.(message, jobId);
    if (renewed) return renewed;
    const p = message.properties;
    const h = p.headers;
    const copy = new Message(message.exchange, message.routingKey, message.body, {
      ...p,
      messageId: `${jobId}:${++this.jobCopies}`,
      ...(h?.[JOB_ID_HEADER] !== undefined ? { headers: { ...h, [JOB_ID_HEADER]: jobId } } : {}),
    });
    copy.group = message.group;
    copy.groupSeq = message.groupSeq;
    return copy;
  }
  private jobCopies = 0;

  /** Stops the vhost's timers (the broker is closing); what they guard stays stored. */
  stopTimers(): void {
    this.scheduled?.stop();
    for (const x of this.exchanges.values()) if (x instanceof DelayedExchange) x.stop();
    for (const q of this.queues.values()) q.stopTimers();
  }

  // ---- queues ----------------------------------------------------------------------------

  declareQueue(requested: string, d: QueueDeclare, client: ClientRef | null): QueueDeclareOk | BrokerError {
    const name = requested === "" ? `amq.gen-${randomBytes(16).toString("base64url").slice(0, 22)}` : requested;
    const existing = this.queues.get(name);
    if (d.passive) {
      // a passive declare with an empty name looks for '' (RabbitMQ names no queue for it)
      if (!existing) return errors.noQueue(requested, this.name);
      if (!existing.accessibleBy(client)) return errors.exclusiveLocked(name, this.name);
      // a passive declare renews an x-expires lease too (RabbitMQ 3.10's queue.declare stat does)
      existing.touch();
      return { queue: name, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
    }
    // RabbitMQ checks the name before the lookup, so even an existing amq.gen- queue can't be redeclared
    if (name.startsWith("amq.") && requested !== "") return errors.reservedName("queue", name);
    // counted before the equivalence check, as rabbit_channel counts queue_declared
    if (d.imported !== true) this.counters.queueDeclared++;
    const args = d.args ?? {};
    if (requested === "") {
      const t = args["x-queue-type"];
      const refused = t !== undefined && checkServerNamed(stringValue(t));
      if (refused) return refused;
    }
    // exclusive queues are never durable (RabbitMQ: Durable = DurableDeclare andalso not ExclusiveDeclare)
    const durable = !!d.durable && !d.exclusive;
    if (existing) {
      if (!existing.accessibleBy(client) || existing.exclusive !== !!d.exclusive) {
        return errors.exclusiveLocked(name, this.name);
      }
      const bad = this.queueEquivalent(existing, durable, !!d.autoDelete, args);
      if (bad) return bad;
      // redeclaring renews an x-expires lease
      existing.touch();
      return { queue: name, messageCount: existing.messageCount, consumerCount: existing.consumerCount };
    }
    // the limit counts every queue of the vhost and holds new ones only, before their arguments are looked at
    const maxQueues = this.limits.maxQueues;
    if (maxQueues !== undefined && this.queues.size >= maxQueues) return errors.queueLimit(name, this.name, maxQueues);
    const parsed = parseQueueArguments(args, name, this.name);
    if (parsed instanceof BrokerError) return parsed;
    const type = parsed.queueType ?? "classic";
    const typeProblem = checkQueueType(
      type,
      args,
      {
        durable: !!d.durable,
        exclusive: !!d.exclusive,
        autoDelete: !!d.autoDelete,
        serverNamed: requested === "",
      },
      name,
      this.name,
    );
    if (typeProblem) return typeProblem;
    const options = { durable, owner: d.exclusive ? client : null, autoDelete: !!d.autoDelete, args, parsedArgs: parsed };
    const q = type === "stream" ? new StreamQueue(name, this, options, () => this.clock()) : new Queue(name, this, options);
    this.queues.set(name, q);
    if (this.policies.size > 0 || this.operatorPolicies.size > 0) this.applyQueuePolicies(q);
    try {
      if (q instanceof StreamQueue) {
        const p = this.persistence;
        if (p?.openStream) q.streamStore = p.openStream(this.name, name, (r) => q.restoreRecord(r));
        this.definitionsChanged();
      } else if (durable && this.persistence !== null) {
        q.store = this.persistence.openQueue(this.name, name, (r, store) => q.restore(r, store));
        this.definitionsChanged();
      }
    } catch (err) {
      // no half-made queue stays behind, and the client gets an error rather than no reply
      this.queues.delete(name);
      q.destroy();
      return errors.cannotDeclareQueue(name, this.name, err instanceof Error ? err.message : String(err));
    }
    if (d.imported !== true) this.counters.queueCreated++;
    // every queue is bound to the default exchange by its own name (AMQP 0-9-1 §3.1.3.1)
    return { queue: name, messageCount: q.messageCount, consumerCount: 0 };
  }

  private queueEquivalent(q: Queue, durable: boolean, autoDelete: boolean, args: FieldTable): BrokerError | null {
    const fail = (arg: string, received: string, current: string) =>
      errors.inequivalent(arg, "queue", q.name, this.name, received, current);
    if (q.durable !== durable) return fail("durable", `'${durable}'`, `'${q.durable}'`);
    if (q.autoDelete !== autoDelete) return fail("auto_delete", `'${autoDelete}'`, `'${q.autoDelete}'`);
    return argsEquivalent(q.options.args, args, QUEUE_ARGS_CHECKED, fail);
  }

  /**
   * Direct reply-to (RabbitMQ's amq.rabbitmq.reply-to): a hidden exclusive queue per reply consumer,
   * reached through the default exchange by its generated name, gone when the consumer goes.
   */
  declareReplyToQueue(client: ClientRef): Queue {
    const name = `${REPLY_TO}.${randomBytes(18).toString("base64url")}`;
    const parsed = parseQueueArguments({}, name, this.name) as QueueArguments;
    const q = new Queue(name, this, { durable: false, owner: client, autoDelete: true, args: {}, parsedArgs: parsed });
    this.queues.set(name, q);
    return q;
  }

  /** The queue a client may use, or the error RabbitMQ gives (404 missing, 405 someone else's exclusive queue). */
  queue(name: string, client: ClientRef | null): Queue | BrokerError {
    const q = this.queues.get(name);
    if (!q) return errors.noQueue(name, this.name);
    if (!q.accessibleBy(client)) return errors.exclusiveLocked(name, this.name);
    return q;
  }

  deleteQueue(name: string, opts: { ifUnused?: boolean; ifEmpty?: boolean }, client: ClientRef | null): number | BrokerError {
    const q = this.queues.get(name);
    // RabbitMQ 3.10 answers delete-ok with a zero count for a queue that does not exist
    if (!q) return 0;
    if (!q.accessibleBy(client)) return errors.exclusiveLocked(name, this.name);
    if (opts.ifUnused && q.consumerCount > 0) return errors.inUse("queue", name, this.name);
    if (opts.ifEmpty && q.messageCount > 0) return errors.notEmpty(name, this.name);
    return this.removeQueue(q);
  }

  purgeQueue(name: string, client: ClientRef | null): number | BrokerError {
    const q = this.queue(name, client);
    if (q instanceof BrokerError) return q;
    if (q.type === "stream") return streamUnsupported("queue.purge", name, this.name);
    return q.purge();
  }

  /** QueueHost: an auto-delete queue lost its last consumer. */
  queueUnused(q: Queue): void {
    this.removeQueue(q);
  }

  /** QueueHost: the queue's x-expires ran out. */
  queueExpired(q: Queue): void {
    if (this.queues.get(q.name) === q) this.removeQueue(q);
  }

  /**
   * QueueHost: re-publishes a message leaving `q` to its dead-letter exchange with the x-death
   * header RabbitMQ builds (rabbit_dead_letter:make_msg). It goes through the normal publish path,
   * so durable queues store it as a new publish. Queues it would reach through a fully automatic
   * cycle (no `rejected` in it) are skipped, as RabbitMQ does.
   */
  deadLetter(q: Queue, message: Message, reason: DeadLetterReason): void {
    const s = q.settings;
    if (s.deadLetterExchange === undefined) return;
    const dl = buildDeadLetter(message, reason, q.name, s.deadLetterExchange, s.deadLetterRoutingKey, this.timers.now());
    this.republish(dl.message, reason === "rejected" ? [] : dl.deaths);
  }

  /**
   * QueueHost: a message expired in a queue without a dead-letter exchange. Its publisher's codec
   * may name a queue to keep it on (PropertiesCodec.expired: ActiveMQ.DLQ for persistent JMS
   * messages); it is published there as dead-letters are, after the current publish.
   */
  messageExpired(q: Queue, message: Message): void {
    const moved = message.encoded?.codec.expired?.(message, q.name, this.timers.now()) ?? null;
    if (moved === null) return;
    if (!this.queues.has(moved.queue)) {
      const ok = this.declareQueue(moved.queue, { durable: true, autoDelete: false, exclusive: false, args: {} }, null);
      if (ok instanceof BrokerError) return;
    }
    this.republish(moved.message, []);
  }

  /** Publishes a message the broker moves (a dead letter) after the publish under way, if any. */
  private republish(message: Message, deaths: FieldValue[]): void {
    this.pendingDeadLetters.push(message);
    this.pendingDeadLetterDeaths.push(deaths);
    if (!this.publishing) this.publishDeadLetters();
  }

  private publishDeadLetters(): void {
    const pending = this.pendingDeadLetters;
    const deaths = this.pendingDeadLetterDeaths;
    // dead-letters may cause more (a DLX queue over its limit): the loop takes them as they come
    for (let i = 0; i < pending.length; i++) {
      const m = pending[i]!;
      const x = this.exchanges.get(m.exchange);
      // a missing DLX drops the message, as in RabbitMQ
      if (x !== undefined) this.routeAndEnqueue(x, m.exchange, m.routingKey, m, deaths[i]!.length > 0 ? deaths[i]! : null);
    }
    pending.length = 0;
    deaths.length = 0;
  }

  private removeQueue(q: Queue): number {
    this.queues.delete(q.name);
    this.counters.queueDeleted++;
    for (const b of [...q.boundBy]) this.dropBinding(b);
    const n = q.destroy();
    if (q.durable) this.definitionsChanged();
    for (const l of this.queueListeners) l("deleted", q);
    return n;
  }

  /** The vhost was deleted: every queue goes (consumers are told; stores and page files are removed). */
  destroy(): void {
    for (const q of [...this.queues.values()]) this.removeQueue(q);
    this.scheduled?.destroy();
  }

  onQueueEvent(listener: (event: "deleted", queue: Queue) => void): () => void {
    this.queueListeners.add(listener);
    return () => this.queueListeners.delete(listener);
  }

  /** A connection went away: its exclusive queues go with it (AMQP 0-9-1 §4.10). */
  clientClosed(client: ClientRef): void {
    for (const q of [...this.queues.values()]) if (q.options.owner === client) this.removeQueue(q);
  }

  // ---- bindings --------------------------------------------------------------------------

  bindQueue(queue: string, exchange: string, routingKey: string, args: FieldTable, client: ClientRef | null): null | BrokerError {
    if (exchange === "") return errors.defaultExchange();
    const q = this.queue(queue, client);
    if (q instanceof BrokerError) return q;
    const x = this.exchange(exchange);
    if (x instanceof BrokerError) return x;
    const invalid = x.validateBinding(args);
    if (invalid) return invalid;
    this.addBinding(x, q, routingKey, args);
    return null;
  }

  unbindQueue(queue: string, exchange: string, routingKey: string, args: FieldTable, client: ClientRef | null): null | BrokerError {
    if (exchange === "") return errors.defaultExchange();
    // RabbitMQ 3.10 answers unbind-ok when the queue, the exchange or the binding does not exist;
    // only an existing binding to another connection's exclusive queue is refused (405)
    const q = this.queues.get(queue);
    const x = this.exchanges.get(exchange);
    const b = q === undefined || x === undefined ? undefined : x.bindings.get(bindingKey(q, routingKey, args));
    if (b === undefined) return null;
    if (!q!.accessibleBy(client)) return errors.exclusiveLocked(queue, this.name);
    this.dropBinding(b);
    return null;
  }

  bindExchange(destination: string, source: string, routingKey: string, args: FieldTable): null | BrokerError {
    if (destination === "" || source === "") return errors.defaultExchange();
    const d = this.exchange(destination);
    if (d instanceof BrokerError) return d;
    const s = this.exchange(source);
    if (s instanceof BrokerError) return s;
    const invalid = s.validateBinding(args);
    if (invalid) return invalid;
    this.addBinding(s, d, routingKey, args);
    return null;
  }

  unbindExchange(destination: string, source: string, routingKey: string, args: FieldTable): null | BrokerError {
    if (destination === "" || source === "") return errors.defaultExchange();
    // as queue.unbind: a missing source, destination or binding is not an error in RabbitMQ 3.10
    const d = this.exchanges.get(destination);
    const s = this.exchanges.get(source);
    const b = d === undefined || s === undefined ? undefined : s.bindings.get(bindingKey(d, routingKey, args));
    if (b !== undefined) this.dropBinding(b);
    return null;
  }

  private addBinding(source: Exchange, destination: Queue | Exchange, routingKey: string, args: FieldTable): void {
    const key = bindingKey(destination, routingKey, args);
    const b: Binding = { source, destination, routingKey, args, key };
    if (source.addBinding(b)) {
      if (destination.kind === "queue") destination.boundBy.add(b);
      if (source.durable && destination.durable) this.definitionsChanged();
    }
  }

  private dropBinding(b: Binding): void {
    b.source.removeBinding(b.key);
    if (b.source.durable && (b.destination as Queue | Exchange).durable) this.definitionsChanged();
    if (b.destination.kind === "queue") (b.destination as Queue).boundBy.delete(b);
    // auto-delete exchanges go when their last binding does (AMQP 0-9-1 §3.1.3)
    if (b.source.autoDelete && b.source.bindings.size === 0 && this.exchanges.get(b.source.name) === b.source) {
      this.removeExchange(b.source);
    }
  }

  /** Every binding in the vhost, including the implicit default-exchange ones, for listings. */
  *allBindings(): Iterable<Binding> {
    for (const x of this.exchanges.values()) yield* x.bindings.values();
  }

  // ---- publishing ------------------------------------------------------------------------

  /**
   * Routes a message and enqueues it on every matching queue, once per queue however many
   * bindings match. Synchronous and allocation-light: this is the hot path. Not re-entrant:
   * anything a queue publishes while taking a message (dead-letters) must be deferred until this returns.
   */
  publish(exchange: string, routingKey: string, message: Message): PublishResult | BrokerError {
    let x: Exchange | undefined;
    if (exchange !== "") {
      x = this.exchanges.get(exchange);
      if (x === undefined) return errors.noExchange(exchange, this.name);
      if (x.internal) return errors.internalExchange(exchange, this.name);
    } else x = this.exchanges.get("")!;
    const counters = this.counters;
    counters.publish++;
    const r = this.routeAndEnqueue(x, exchange, routingKey, message, null);
    if (r.routed === 0) counters.unroutable++;
    else counters.routed++;
    if (this.pendingDeadLetters.length > 0) this.publishDeadLetters();
    return r;
  }

  /**
   * Routes with the publish's routing key and its CC/BCC keys, following exchange-to-exchange
   * bindings and alternate exchanges, and enqueues on each queue found once. `deaths` is the
   * x-death array of a dead-letter, for RabbitMQ's cycle check.
   */
  private routeAndEnqueue(x: Exchange, exchange: string, routingKey: string, message: Message, deaths: FieldValue[] | null): PublishResult {
    let routed = 0;
    let refused = 0;
    let persisted = 0;
    let backlogged: Queue | null = null;
    const extra = message.routingHeaderKeys;
    if (extra !== null && message.hasBcc) {
      // BCC keys route the message but the header never reaches a consumer
      message = withoutHeader(message, "BCC");
    }
    const wasPublishing = this.publishing;
    this.publishing = true;
    if (exchange === "" && extra === null && deaths === null) {
      // the default exchange: one queue by name, no bindings to walk
      const q = this.queues.get(routingKey);
      if (q !== undefined) {
        const r = q.enqueue(message);
        if (r === Enqueued.Refused) refused = 1;
        else if (r !== Enqueued.Filtered) {
          routed = 1;
          if (r === Enqueued.Persisted) persisted = 1;
          if (q.backlogged) backlogged = q;
        }
      }
      this.publishing = wasPublishing;
      return { routed, refused, persisted, backlogged };
    }
    const epoch = ++this.routeEpoch;
    const found = wasPublishing ? [] : this.routeScratch;
    found.length = 0;
    x.routeEpoch = epoch;
    this.matchAll(x, routingKey, extra, message, found);
    // found grows while exchange-to-exchange bindings are followed; each destination once per publish
    for (let i = 0; i < found.length; i++) {
      const d = found[i]!;
      if (d.routeEpoch === epoch) continue;
      d.routeEpoch = epoch;
      if (d.kind === "exchange") {
        this.matchAll(d as Exchange, routingKey, extra, message, found);
      } else {
        const q = d as Queue;
        if (deaths !== null && isDeadLetterCycle(q.name, deaths)) continue;
        const r = q.enqueue(message);
        if (r === Enqueued.Refused) refused++;
        else if (r !== Enqueued.Filtered) {
          routed++;
          if (r === Enqueued.Persisted) persisted++;
          // the deepest: once it drains, the others (draining alongside) are likely below the mark too
          if (q.backlogged && (backlogged === null || q.messageCount > backlogged.messageCount)) backlogged = q;
        }
      }
    }
    found.length = 0;
    this.publishing = wasPublishing;
    return { routed, refused, persisted, backlogged };
  }

  /** One exchange's matches for every routing key; its alternate exchange when nothing matched. */
  private matchAll(x: Exchange, routingKey: string, extra: string[] | null, message: Message, found: Destination[]): void {
    const before = found.length;
    if (x.name === "") {
      const q = this.queues.get(routingKey);
      if (q !== undefined) found.push(q);
      if (extra !== null)
        for (const k of extra) {
          const e = this.queues.get(k);
          if (e !== undefined) found.push(e);
        }
      return;
    }
    x.match(routingKey, message, found);
    if (extra !== null) for (let i = 0; i < extra.length; i++) x.match(extra[i]!, message, found);
    if (found.length === before && x.alternateExchange !== null) {
      const ae = this.exchanges.get(x.alternateExchange);
      if (ae !== undefined) found.push(ae);
    }
  }
}

const describeX = (name: string, vhost: string) => `exchange '${name}' in vhost '${vhost}'`;

/** RabbitMQ's `val/1` for equivalence errors: "the value '100' of type 'signedint'" or "none". */
function describeArg(v: FieldValue | undefined): string {
  if (v === undefined) return "none";
  return `the value '${shownArg(v)}' of type '${rabbitType(v)}'`;
}

function shownArg(v: FieldValue): string {
  if (v instanceof TypedField) return String(v.value);
  return Buffer.isBuffer(v) ? v.toString() : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

function argsEquivalent(
  current: FieldTable,
  requested: FieldTable,
  checked: Set<string>,
  fail: (arg: string, received: string, current: string) => BrokerError,
): BrokerError | null {
  for (const key of checked) {
    const a = current[key];
    const b = requested[key];
    if (a === undefined && b === undefined) continue;
    // rabbitmq-common#341: a classic queue may or may not carry x-queue-type=classic
    if (key === "x-queue-type" && stringValue(a ?? "classic") === "classic" && stringValue(b ?? "classic") === "classic") continue;
    if (a !== undefined && b !== undefined) {
      if (sameArg(a, b)) continue;
      // both present: RabbitMQ prints the bare values ("received '2000' but current is '1000'")
      return fail(key, `'${shownArg(b)}'`, `'${shownArg(a)}'`);
    }
    return fail(key, describeArg(b), describeArg(a));
  }
  return null;
}

function sameArg(a: FieldValue, b: FieldValue): boolean {
  const ta = rabbitType(a);
  const tb = rabbitType(b);
  const cls = (t: string) =>
    ["byte", "unsignedbyte", "short", "unsignedshort", "signedint", "unsignedint", "long"].includes(t) ? "int" : t;
  if (cls(ta) !== cls(tb)) return false;
  const va = typeof a === "object" && a !== null && "value" in a ? (a as { value: unknown }).value : a;
  const vb = typeof b === "object" && b !== null && "value" in b ? (b as { value: unknown }).value : b;
  if (Buffer.isBuffer(va) || Buffer.isBuffer(vb)) return String(va) === String(vb);
  // eslint-disable-next-line eqeqeq
  return va == vb || JSON.stringify(va) === JSON.stringify(vb);
}

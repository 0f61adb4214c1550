import { randomBytes } from "node:crypto";
import {
  BrokerError, ReplyCode, OrderedCommits, type Consumer, publishPropertiesProblem, type Queue, type QueueEntry, type Subscription, Message,
  type FieldTable, TypedField,
} from "../../src/core/index.js";
import type { SessionContext } from "./session-context.js";
import {
  type Destination, destinationFor, isDestinationError, parseDestination, topicBindingKey,
} from "./destinations.js";
import type { StompFrame, StompHeaders } from "./frame-parser.js";
import { headersFromProperties, propertiesFromSend, queueArguments } from "./message-headers.js";

type AckMode = "auto" | "client" | "client-individual";

/** One SUBSCRIBE: a consumer on one queue; the queue calls it while it has credit. */
class StompSubscription implements Consumer {
  subscription!: Subscription;
  /** Delivered and not yet acked, by delivery tag; Map order is delivery order. */
  readonly unacked = new Map<number, QueueEntry>();

  constructor(
    readonly session: Session,
    /** The `id` header (or the destination, for STOMP 1.0 clients that send none). */
    readonly id: string,
    readonly destinationHeader: string,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {}

  get client() {
    return this.session.ctx.client;
  }

  hasCredit(): boolean {
    if (this.session.closed || this.session.ctx.transport.backedUp) return false;
    return this.ackMode === "auto" || this.prefetch === 0 || this.unacked.size < this.prefetch;
  }

  deliver(entry: QueueEntry, sub: Subscription): void {
    this.session.deliver(this, entry, sub.queue);
  }

  cancelledByBroker(): void {
    this.session.cancelledByBroker(this);
  }
}

/** Held behind receipts still waiting: a DISCONNECT closes once every receipt before it is out. */
const DISCONNECT = Symbol("DISCONNECT");
type HeldReceipt = string | typeof DISCONNECT;

/** RabbitMQ's message-id shape, `T_<subscription>@@<session>@@<delivery tag>`; the tag finds the delivery. */
const messageIdFor = (subId: string, session: string, tag: number) => `T_${subId}@@${session}@@${tag}`;

function parseMessageId(messageId: string): { subId: string; tag: number } | null {
  const first = messageId.indexOf("@@");
  const last = messageId.lastIndexOf("@@");
  if (!messageId.startsWith("T_") || first === -1 || first === last) return null;
  const t = messageId.slice(last + 2);
  return /^\d+$/.test(t) ? { subId: messageId.slice(2, first), tag: Number(t) } : null;
}

/**
 * The frames of a connected STOMP session, each turned into calls on the core: SEND → publish,
 * SUBSCRIBE → declare/bind/consume, ACK/NACK → settle, BEGIN/COMMIT/ABORT → buffered frames.
 */
export class Session {
  closed = false;
  private deliveryTag = 0;
  private readonly subscriptions = new Map<string, StompSubscription>();
  /** Delivery tag → the subscription holding it unacked. */
  private readonly byTag = new Map<number, StompSubscription>();
  private readonly transactions = new Map<string, StompFrame[]>();
  /** /temp-queue/<name> → the private queue behind it. */
  private readonly tempQueues = new Map<string, string>();
  /** /queue/ names this session has declared already. */
  private readonly declared = new Set<string>();

  /** RECEIPTs held until the disk has their frames' persistent messages, in frame order. */
  private readonly receipts = new OrderedCommits<HeldReceipt>({ release: (item, ok) => this.releaseReceipt(item, ok) });
  /** Set by a SEND whose message a durable queue wrote to the store, during the frame at hand. */
  private persisted = false;

  constructor(readonly ctx: SessionContext) {}

  handle(f: StompFrame): void {
    const receipt = f.headers["receipt"];
    this.persisted = false;
    const ok = this.dispatch(f);
    // a failed frame got its ERROR (carrying receipt-id) instead of a RECEIPT
    if (ok && receipt !== undefined && f.command !== "DISCONNECT") {
      // a receipt for a SEND (or COMMIT) of persistent messages means they are on disk, as
      // RabbitMQ's STOMP receipts ride on publisher confirms; later SEND receipts queue behind
      const durability = this.ctx.vhost.durability;
      if (this.persisted && durability !== null) this.receipts.hold(receipt, durability);
      // later SEND receipts queue behind waiting ones, in a batch of their own: they do not fail with it
      else if ((f.command !== "SEND" && f.command !== "COMMIT") || !this.receipts.holdBehind(receipt)) {
        this.ctx.send("RECEIPT", [["receipt-id", receipt]], null);
      }
    }
  }

  /** A held receipt may go: RECEIPT, or an ERROR when the store failed its batch. */
  private releaseReceipt(item: HeldReceipt, ok: boolean): void {
    if (this.closed) return;
    if (item === DISCONNECT) {
      this.receipts.clear();
      this.ctx.close();
    } else if (ok) this.ctx.send("RECEIPT", [["receipt-id", item]], null);
    // the store failed the write: the client must not believe the message is safe
    else this.ctx.error("Message not persisted", "The broker could not write the message to disk\n", false, item);
  }

  private dispatch(f: StompFrame): boolean {
    switch (f.command) {
      case "SEND":
        return this.inTransaction(f) ?? this.send(f);
      case "ACK":
        return this.inTransaction(f) ?? this.settle(f, "ack");
      case "NACK":
        return this.inTransaction(f) ?? this.settle(f, "nack");
      case "SUBSCRIBE":
        return this.subscribe(f);
      case "UNSUBSCRIBE":
        return this.unsubscribe(f);
      case "BEGIN":
      case "COMMIT":
      case "ABORT":
        return this.transaction(f);
      case "DISCONNECT": {
        const receipt = f.headers["receipt"];
        if (this.receipts.waiting) {
          // the DISCONNECT receipt says every frame before it is done: it waits for their disk too
          if (receipt !== undefined) this.receipts.holdBehind(receipt);
          this.receipts.holdBehind(DISCONNECT);
          return false;
        }
        if (receipt !== undefined) this.ctx.send("RECEIPT", [["receipt-id", receipt]], null);
        this.ctx.close();
        return false;
      }
      default:
        return this.fail("Bad command", `Could not interpret command "${f.command}"\n`, f);
    }
  }

  private fail(message: string, detail: string, f: StompFrame, close = false): false {
    this.ctx.error(message, detail, close, f.headers["receipt"]);
    return false;
  }

  private brokerFail(e: BrokerError, f: StompFrame): false {
    this.ctx.brokerError(e, f.headers["receipt"]);
    return false;
  }

  // ---- SEND ----------------------------------------------------------------------------------

  private send(f: StompFrame): boolean {
    if (f.headers["message-id"] !== undefined) return this.fail("Invalid header", "'message-id' is not allowed on 'SEND'.\n", f);
    const d = this.destination(f);
    if (d === null) return false;
    const target = this.publishTarget(d, f);
    if (target === null) return false;
    const props = propertiesFromSend(f.headers);
    // RabbitMQ's STOMP publishes through an AMQP channel, which checks user-id and expiration
    const invalid = publishPropertiesProblem(props, this.ctx.user.name);
    if (invalid !== null) return this.brokerFail(invalid, f);
    const replyTo = props.replyTo;
    if (replyTo !== undefined && replyTo.startsWith("/temp-queue/")) {
      const rd = parseDestination(replyTo);
      if (isDestinationError(rd)) return this.fail(rd.message, rd.detail, f);
      if (rd.kind !== "temp-queue") return this.fail("Invalid destination", `'${replyTo}' is not a valid temp-queue destination\n`, f);
      const q = this.tempQueue(rd.name, replyTo);
      if (q instanceof BrokerError) return this.brokerFail(q, f);
      props.replyTo = `/reply-queue/${q}`;
    }
    const denied = this.ctx.access.checkPublish(target[0], target[1]);
    if (denied) return this.brokerFail(denied, f);
    const m = new Message(target[0], target[1], f.body, props);
    const r = this.ctx.vhost.publish(target[0], target[1], m);
    if (r instanceof BrokerError) return this.brokerFail(r, f);
    if (r.persisted > 0) this.persisted = true;
    return true;
  }

  /** The exchange and routing key a SEND goes to, declaring what RabbitMQ declares on the way. */
  private publishTarget(d: Destination, f: StompFrame): [string, string] | null {
    switch (d.kind) {
      case "queue": {
        const e = this.ensureQueue(d.name, f.headers);
        if (e instanceof BrokerError) return this.brokerFail(e, f), null;
        return ["", d.name];
      }
      case "topic":
        return ["amq.topic", d.name];
      case "exchange":
        return [d.exchange, d.key];
      case "amqqueue":
      case "reply-queue":
        return ["", d.name];
      case "temp-queue": {
        const q = this.tempQueue(d.name, `/temp-queue/${d.name}`);
        if (q instanceof BrokerError) return this.brokerFail(q, f), null;
        return ["", q];
      }
    }
  }

  private destination(f: StompFrame): Destination | null {
    const h = f.headers["destination"];
    if (h === undefined) return this.fail("Missing destination", `"${f.command}" must include a 'destination' header\n`, f), null;
    const d = parseDestination(h);
    if (isDestinationError(d)) return this.fail(d.message, d.detail, f), null;
    return d;
  }

  /**
   * /queue/x: a shared queue declared durable on every use, as RabbitMQ does, so declaring it with
   * other properties elsewhere earns the same precondition_failed.
   */
  private ensureQueue(name: string, h: StompHeaders): Queue | BrokerError {
    const v = this.ctx.vhost;
    // like RabbitMQ's route state, a session declares a queue once and then just uses it
    if (this.declared.has(name)) {
      const q = v.queue(name, this.ctx.client);
      if (!(q instanceof BrokerError)) return q;
    }
    const denied = this.ctx.access.check("queue", name, "configure");
    if (denied) return denied;
    const ok = v.declareQueue(name, {
      durable: boolHeader(h["durable"], true),
      autoDelete: boolHeader(h["auto-delete"], false),
      exclusive: boolHeader(h["exclusive"], false),
      args: queueArguments(h),
    }, this.ctx.client);
    if (ok instanceof BrokerError) return ok;
    this.declared.add(name);
    return v.queue(ok.queue, this.ctx.client);
  }

  /**
   * /temp-queue/x (RabbitMQ's temporary reply queues): a private queue per name per connection,
   * consumed by the session itself with subscription id "/temp-queue/x"; reply-to is rewritten
   * to /reply-queue/<queue> so the replier can send there.
   */
  private tempQueue(name: string, subId: string): string | BrokerError {
    const known = this.tempQueues.get(name);
    if (known !== undefined) return known;
    const v = this.ctx.vhost;
    const ok = v.declareQueue("", { exclusive: true, autoDelete: true }, this.ctx.client);
    if (ok instanceof BrokerError) return ok;
    const q = v.queue(ok.queue, this.ctx.client);
    if (q instanceof BrokerError) return q;
    const s = new StompSubscription(this, subId, subId, "auto", 0);
    const sub = q.consume(s, { tag: subId, noAck: true, exclusive: false, priority: 0 });
    if (sub instanceof BrokerError) return sub;
    s.subscription = sub;
    this.subscriptions.set(subId, s);
    this.tempQueues.set(name, ok.queue);
    return ok.queue;
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE -----------------------------------------------------------------

  private subscribe(f: StompFrame): boolean {
    const h = f.headers;
    const d = this.destination(f);
    if (d === null) return false;
    const durable = boolHeader(h["persistent"], false) || boolHeader(h["durable"], false) || h["activemq.subscriptionName"] !== undefined;
    if (durable && h["id"] === undefined && h["activemq.subscriptionName"] === undefined) {
      return this.fail("Missing Header", "Header 'id' is required for durable subscriptions", f);
    }
    const id = h["id"] ?? h["destination"]!;
    if (this.subscriptions.has(id)) {
      return this.fail("Duplicated subscription identifier", `A subscription identified by 'T_${id}' already exists.`, f, true);
    }
    const ackHeader = h["ack"];
    const ackMode: AckMode = ackHeader === "client" || ackHeader === "client-individual" ? ackHeader : "auto";
    const prefetch = Number(h["prefetch-count"] ?? "0");
    const q = this.sourceQueue(d, f, id, durable);
    if (q === null) return false;
    const denied = this.ctx.access.check("queue", q.name, "read");
    if (denied) return this.brokerFail(denied, f);
    const s = new StompSubscription(this, id, h["destination"]!, ackMode, Number.isSafeInteger(prefetch) && prefetch > 0 ? prefetch : 0);
    const consumeArgs = streamOffsetArgument(h["x-stream-offset"]);
    if (consumeArgs === null) return this.fail("Processing error", "Processing error", f);
    const sub = q.consume(s, { tag: `T_${id}`, noAck: ackMode === "auto", exclusive: false, priority: 0, prefetch: s.prefetch, args: consumeArgs });
    if (sub instanceof BrokerError) return this.brokerFail(sub, f);
    s.subscription = sub;
    // the queue delivers once this frame is done: a RECEIPT for the SUBSCRIBE goes first
    this.subscriptions.set(id, s);
    return true;
  }

  /** The queue a SUBSCRIBE consumes from, declared and bound as RabbitMQ does for each destination kind. */
  private sourceQueue(d: Destination, f: StompFrame, id: string, durable: boolean): Queue | null {
    const v = this.ctx.vhost;
    const h = f.headers;
    const client = this.ctx.client;
    switch (d.kind) {
      case "queue": {
        const q = this.ensureQueue(d.name, h);
        return q instanceof BrokerError ? (this.brokerFail(q, f), null) : q;
      }
      // /reply-queue/x on SUBSCRIBE names an existing queue, as in RabbitMQ
      case "amqqueue":
      case "reply-queue": {
        const q = v.queue(d.name, client);
        return q instanceof BrokerError ? (this.brokerFail(q, f), null) : q;
      }
      case "topic":
      case "exchange": {
        const exchange = d.kind === "topic" ? "amq.topic" : d.exchange;
        const key = d.kind === "topic" ? topicBindingKey(d.name) : d.key;
        const x = v.exchange(exchange);
        if (x instanceof BrokerError) return this.brokerFail(x, f), null;
        let name = h["x-queue-name"] ?? "";
        const args: FieldTable = queueArguments(h);
        let decl;
        if (durable) {
          if (name === "") name = durableQueueName(h, id, this.ctx.clientId);
          // RabbitMQ 3.10 makes persistent:true queues auto-delete unless the client says
          // auto-delete:false; ActiveMQ's named durable subscriptions outlive the connection
          const activemq = h["activemq.subscriptionName"] !== undefined;
          decl = { durable: true, autoDelete: boolHeader(h["auto-delete"], !activemq), exclusive: false, args };
        } else {
          if (name === "") name = `stomp-subscription-${randomBytes(16).toString("base64url").slice(0, 22)}`;
          decl = { durable: false, autoDelete: true, exclusive: false, args };
        }
        const denied = this.ctx.access.checkSubscribe(name, exchange, key);
        if (denied) return this.brokerFail(denied, f), null;
        const ok = v.declareQueue(name, decl, client);
        if (ok instanceof BrokerError) return this.brokerFail(ok, f), null;
        const b = v.bindQueue(ok.queue, exchange, key, {}, client);
        if (b instanceof BrokerError) return this.brokerFail(b, f), null;
        const q = v.queue(ok.queue, client);
        return q instanceof BrokerError ? (this.brokerFail(q, f), null) : q;
      }
      case "temp-queue":
        return this.fail("Invalid destination", `'${h["destination"]}' is not a valid destination for 'SUBSCRIBE'\n`, f), null;
    }
  }

  private unsubscribe(f: StompFrame): boolean {
    const h = f.headers;
    if (h["activemq.subscriptionName"] !== undefined) return this.removeDurable(f);
    const id = h["id"] ?? h["destination"];
    const description = h["id"] !== undefined ? `id='${h["id"]}'` : `destination='${h["destination"]}'`;
    if (id === undefined) {
      return this.fail("Missing destination or id", "UNSUBSCRIBE must include a 'destination' or 'id' header", f);
    }
    const s = this.subscriptions.get(id);
    if (s === undefined) {
      return this.fail(
        "No subscription found",
        `UNSUBSCRIBE must refer to an existing subscription.\nSubscription to "${description}" not found.\n`,
        f,
      );
    }
    const q = s.subscription.queue;
    s.subscription.cancel();
    this.drop(s);
    // a durable topic subscription ends for good when UNSUBSCRIBE says persistent:true (RabbitMQ)
    const durable = boolHeader(h["persistent"], false) || boolHeader(h["durable"], false);
    if (durable && !q.deleted && !s.destinationHeader.startsWith("/queue/") && !s.destinationHeader.startsWith("/amq/queue/")) {
      this.ctx.vhost.deleteQueue(q.name, {}, this.ctx.client);
    }
    return true;
  }

  /**
   * ActiveMQ's UNSUBSCRIBE with activemq.subscriptionName removes the durable subscription
   * client-id + name, whatever the id says, and only while nobody consumes from it: an app first
   * UNSUBSCRIBEs its id (deactivating), then removes. ActiveMQ's refusals are ERRORs that leave
   * the connection open; their texts are ActiveMQ 5.17's.
   */
  private removeDurable(f: StompFrame): boolean {
    const name = durableQueueName(f.headers, "", this.ctx.clientId);
    const v = this.ctx.vhost;
    const q = v.queue(name, this.ctx.client);
    if (q instanceof BrokerError) {
      const detail = `No durable subscription exists for clientID: ${this.ctx.clientId ?? ""} and subscriptionName: ${f.headers["activemq.subscriptionName"]}`;
      return this.fail(detail, `${detail}\n`, f);
    }
    if (q.consumerCount > 0) return this.fail("Durable consumer is in use", "Durable consumer is in use\n", f);
    const r = v.deleteQueue(name, {}, this.ctx.client);
    return r instanceof BrokerError ? this.brokerFail(r, f) : true;
  }

  /** Forgets a subscription; its unacked messages go back to the queue. */
  private drop(s: StompSubscription): void {
    this.subscriptions.delete(s.id);
    const q = s.subscription.queue;
    for (const [tag, entry] of s.unacked) {
      this.byTag.delete(tag);
      q.requeue(entry);
    }
    s.unacked.clear();
  }

  cancelledByBroker(s: StompSubscription): void {
    this.subscriptions.delete(s.id);
    for (const tag of s.unacked.keys()) this.byTag.delete(tag);
    s.unacked.clear();
    this.ctx.error(
      "Server cancelled subscription",
      `The server has canceled a subscription.\nNo more messages will be delivered for ${s.destinationHeader}.\n`,
      false,
      undefined,
      [["subscription", s.id]],
    );
  }

  // ---- deliveries and acks ---------------------------------------------------------------------

  deliver(s: StompSubscription, entry: QueueEntry, queue: Queue): void {
    const tag = ++this.deliveryTag;
    if (s.ackMode === "auto") queue.ack(entry);
    else {
      s.unacked.set(tag, entry);
      this.byTag.set(tag, s);
    }
    const m = entry.message;
    const messageId = messageIdFor(s.id, this.ctx.sessionId, tag);
    const headers: [string, string][] = [
      ["subscription", s.id],
      ["destination", destinationFor(m.exchange, m.routingKey)],
      ["message-id", messageId],
      ["redelivered", entry.redelivered ? "true" : "false"],
    ];
    // STOMP 1.2 names the delivery to ACK in its own header (§"MESSAGE")
    if (s.ackMode !== "auto" && this.ctx.version === "1.2") headers.push(["ack", messageId]);
    headersFromProperties(m.properties, headers);
    this.ctx.send("MESSAGE", headers, m.body);
  }

  private settle(f: StompFrame, how: "ack" | "nack"): boolean {
    const command = f.command;
    // STOMP 1.2 acks by the MESSAGE's `ack` header, sent back as `id`; earlier versions by `message-id`
    const header = this.ctx.version === "1.2" ? "id" : "message-id";
    const value = f.headers[header];
    if (value === undefined) return this.fail("Missing header", `"${command}" must include the "${header}" header\n`, f);
    const parsed = parseMessageId(value);
    if (parsed === null) return this.fail("Invalid header", `"${command}" must include a valid "${header}" header\n`, f);
    const s = this.subscriptions.get(parsed.subId);
    if (s === undefined) return this.fail("Subscription not found", `Message with id "${value}" has no subscription`, f);
    const tag = parsed.tag;
    // RabbitMQ turns this into basic.ack of an unknown tag: a channel error that ends the connection
    if (!s.unacked.has(tag)) {
      this.ctx.brokerError(new BrokerError(ReplyCode.PRECONDITION_FAILED, `unknown delivery tag ${tag}`), f.headers["receipt"]);
      return false;
    }
    const requeue = how === "nack" && boolHeader(f.headers["requeue"], true);
    const q = s.subscription.queue;
    // client mode settles everything up to this delivery (cumulative), client-individual just it
    const picked: [number, QueueEntry][] = [];
    if (s.ackMode === "client") {
      for (const e of s.unacked) {
        if (e[0] > tag) break;
        picked.push(e);
      }
    } else picked.push([tag, s.unacked.get(tag)!]);
    for (const [t, entry] of picked) {
      s.unacked.delete(t);
      this.byTag.delete(t);
      if (how === "ack") q.ack(entry);
      else if (requeue) q.requeue(entry);
      else q.discard(entry);
    }
    s.subscription.resume();
    return true;
  }

  /** Credit may be back (socket drained): let the queues deliver again. */
  resume(): void {
    for (const s of this.subscriptions.values()) s.subscription.resume();
  }

  // ---- transactions ----------------------------------------------------------------------------

  /** A SEND/ACK/NACK inside a transaction is kept until COMMIT; null when it is not transactional. */
  private inTransaction(f: StompFrame): boolean | null {
    const tx = f.headers["transaction"];
    if (tx === undefined) return null;
    const frames = this.transactions.get(tx);
    if (frames === undefined) return this.fail("Bad transaction", `Invalid transaction identifier: "${tx}"\n`, f);
    frames.push(f);
    return true;
  }

  private transaction(f: StompFrame): boolean {
    const tx = f.headers["transaction"];
    if (tx === undefined) return this.fail("Missing transaction", `"${f.command}" must include a 'transaction' header\n`, f);
    const frames = this.transactions.get(tx);
    if (f.command === "BEGIN") {
      if (frames !== undefined) return this.fail("Bad transaction", `Transaction ${tx} already active\n`, f);
      this.transactions.set(tx, []);
      return true;
    }
    if (frames === undefined) return this.fail("Bad transaction", `Invalid transaction identifier: "${tx}"\n`, f);
    this.transactions.delete(tx);
    if (f.command === "ABORT") return true;
    for (const t of frames) {
      const ok = t.command === "SEND" ? this.send(t) : this.settle(t, t.command === "ACK" ? "ack" : "nack");
      if (!ok || this.closed) return false;
    }
    return true;
  }

  // ---- teardown --------------------------------------------------------------------------------

  /** Subscriptions and unacknowledged messages, for the management API's channel listing. */
  stats(): { consumers: number; unacked: number } {
    return { consumers: this.subscriptions.size, unacked: this.byTag.size };
  }

  /** The connection is going: unacked messages go back to their queues, consumers are cancelled. */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    this.transactions.clear();
    const subs = [...this.subscriptions.values()];
    this.subscriptions.clear();
    // requeue in delivery order so messages keep their places
    for (const s of subs) {
      const q = s.subscription.queue;
      for (const entry of s.unacked.values()) q.requeue(entry);
      s.unacked.clear();
    }
    this.byTag.clear();
    // each queue dispatches to its other consumers once the requeues are all back
    for (const s of subs) s.subscription.cancel();
  }
}

function boolHeader(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  return v.toLowerCase() === "true";
}

/**
 * Durable topic subscriptions need a stable queue name: ActiveMQ's `client-id` +
 * `activemq.subscriptionName`, else RabbitMQ's stomp-subscription-<id>.
 */
function durableQueueName(h: StompHeaders, id: string, clientId: string | undefined): string {
  const amq = h["activemq.subscriptionName"];
  if (amq !== undefined) return `stomp-subscription-${clientId ?? ""}-${amq}`;
  return `stomp-subscription-${id}`;
}

/**
 * The x-stream-offset SUBSCRIBE header as RabbitMQ's STOMP plugin reads it: first, last, next,
 * offset=<n> or timestamp=<seconds>; other values are ignored (the consumer starts at next).
 * null for a malformed offset=/timestamp= number, which RabbitMQ answers with "Processing error".
 */
function streamOffsetArgument(h: string | undefined): FieldTable | null {
  if (h === undefined) return {};
  if (h === "first" || h === "last" || h === "next") return { "x-stream-offset": h };
  const m = /^(offset|timestamp)=(.*)$/.exec(h);
  if (m === null) return {};
  if (!/^-?\d+$/.test(m[2]!)) return null;
  return { "x-stream-offset": new TypedField(m[1] === "offset" ? "l" : "T", Number(m[2])) };
}

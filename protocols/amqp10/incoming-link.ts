import { BrokerError, OrderedCommits, type PublishResult, publishPropertiesProblem } from "../../src/core/index.js";
import { type Address, parseAddress } from "./addresses.js";
import { DecodeError } from "./codec/primitives.js";
import { type Transfer, writeDisposition } from "./codec/types.generated.js";
import { Amqp10Error, fromBrokerError } from "./errors.js";
import { coreMessage, parseMessage } from "./message.js";
import { seqAdd, type Session } from "./session.js";

/** Link credit we give a sender, topped up when half is used (RabbitMQ 3.10's INCOMING_CREDIT). */
export const INCOMING_CREDIT = 65536;

/**
 * A link on which we receive: the client attached a sender to a queue or exchange address (or to
 * none, naming each message's destination in its `to`). Each whole message is published to the
 * core; unsettled ones get their outcome back in a disposition. `accepted` means what a publisher
 * confirm means: a message that reached a durable queue is accepted only once the group commit
 * holding it is on disk (the core's OrderedCommits, one waiter per link per batch).
 */
export class IncomingLink {
  readonly role = "receiver";
  credit = INCOMING_CREDIT;
  deliveryCount: number;
  readonly drain = false;
  /** A delivery arriving in several transfers: its frames so far and its first transfer's fields. */
  private parts: Buffer[] = [];
  private partsSize = 0;
  private partial: { deliveryId: number; settled: boolean } | null = null;
  /** Delivery ids whose `accepted` waits for the disk, in arrival order. */
  private readonly held = new OrderedCommits<number>({ release: (id, ok) => this.released(id, ok) });

  constructor(
    readonly session: Session,
    readonly name: string,
    readonly handle: number,
    /** Where messages go; null: each message's `to` says. */
    readonly address: Address | null,
    initialDeliveryCount: number,
  ) {
    this.deliveryCount = initialDeliveryCount;
  }

  /** One transfer frame; the payload is `buf[start, end)`, a view of the read. */
  transfer(t: Transfer, buf: Buffer, start: number, end: number): void {
    const s = this.session;
    if (this.partial === null) {
      if (t.deliveryId === undefined) throw new Amqp10Error("amqp:decode-error", "the first transfer of a delivery needs a delivery-id");
      if (this.credit <= 0) throw new Amqp10Error("amqp:link:transfer-limit-exceeded", "transfer without link credit", "link");
      this.credit--;
      this.deliveryCount = seqAdd(this.deliveryCount, 1);
      if (!t.more && !t.aborted) {
        this.complete(t.deliveryId, t.settled === true, buf.subarray(start, end));
        this.topUp();
        return;
      }
      this.partial = { deliveryId: t.deliveryId, settled: t.settled === true };
    } else if (t.settled === true) {
      this.partial.settled = true;
    }
    if (t.aborted) {
      // the sender gave the delivery up: nothing of it is kept, nothing is answered
      this.dropPartial();
      this.topUp();
      return;
    }
    const size = end - start;
    if (this.partsSize + size > s.conn.options.maxMessageSize) {
      this.dropPartial();
      throw new Amqp10Error("amqp:link:message-size-exceeded", `message larger than ${s.conn.options.maxMessageSize} octets`, "link");
    }
    // frames of one read share its buffer: a part that must outlive the read is copied
    this.parts.push(Buffer.from(buf.subarray(start, end)));
    this.partsSize += size;
    if (t.more) return;
    const { deliveryId, settled } = this.partial!;
    const bytes = Buffer.concat(this.parts, this.partsSize);
    this.dropPartial();
    this.complete(deliveryId, settled, bytes);
    this.topUp();
  }

  private dropPartial(): void {
    this.parts = [];
    this.partsSize = 0;
    this.partial = null;
  }

  /** Half the credit used: top it up again. */
  private topUp(): void {
    if (this.credit > INCOMING_CREDIT / 2) return;
    this.credit = INCOMING_CREDIT;
    this.session.sendFlow(this);
  }

  /** A whole message: published; an unsettled one is answered with its outcome. */
  private complete(deliveryId: number, settled: boolean, bytes: Buffer): void {
    const outcome = this.publish(bytes);
    if (settled) {
      if (outcome instanceof Amqp10Error) throw outcome;
      return;
    }
    if (outcome instanceof Amqp10Error) {
      this.dispose(deliveryId, outcome);
      return;
    }
    const durability = outcome.persisted > 0 ? this.session.conn.vhost.durability : null;
    if (!this.held.hold(deliveryId, durability)) this.dispose(deliveryId, null);
  }

  /** A held delivery's batch is on disk (ok) or the store failed it. */
  private released(deliveryId: number, ok: boolean): void {
    if (!this.session.active) return;
    this.dispose(deliveryId, ok ? null : new Amqp10Error("amqp:internal-error", "the message could not be written to disk", "link"));
  }

  /** Settles one delivery with its outcome: accepted (null) or rejected with the error. */
  private dispose(deliveryId: number, error: Amqp10Error | null): void {
    const c = this.session.conn;
    const start = c.beginFrame(this.session.channel);
    writeDisposition(c.out, {
      role: true,
      first: deliveryId,
      settled: true,
      state:
        error === null ? { kind: "accepted" } : { kind: "rejected", error: { condition: error.condition, description: error.description } },
    });
    c.endFrame(start);
  }

  /** Routes one message: what the core did with it, or why it did not go (link-scoped). */
  private publish(bytes: Buffer): Amqp10Error | PublishResult {
    const c = this.session.conn;
    let m: ReturnType<typeof parseMessage>;
    try {
      m = parseMessage(bytes);
    } catch (err) {
      if (err instanceof DecodeError) return new Amqp10Error("amqp:decode-error", err.message, "link");
      throw err;
    }
    let address = this.address;
    if (address === null) {
      const to = m.properties?.to;
      if (typeof to !== "string")
        return new Amqp10Error("amqp:precondition-failed", "a message on an anonymous link needs a 'to' address", "link");
      const a = parseAddress(to);
      if ("description" in a) return new Amqp10Error("amqp:not-found", a.description, "link");
      address = a;
    }
    let exchange: string;
    let key: string;
    if (address.kind === "queue") {
      exchange = "";
      key = address.name;
    } else {
      exchange = address.exchange;
      key = address.key ?? m.properties?.subject ?? "";
    }
    const denied = c.access.checkPublish(exchange, key);
    if (denied !== null) return fromBrokerError(denied, "link");
    const msg = coreMessage(exchange, key, m);
    if (m.properties?.userId !== undefined) {
      const problem = publishPropertiesProblem(msg.properties, c.user.name);
      if (problem !== null) return fromBrokerError(problem, "link");
    }
    const result = c.vhost.publish(exchange, key, msg);
    if (result instanceof BrokerError) return fromBrokerError(result, "link");
    return result;
  }

  detached(_closed: boolean): void {
    this.dropPartial();
    // the link is gone: its deliveries can no longer be settled (links are not resumed)
    this.held.clear();
  }
}

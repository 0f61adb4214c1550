/**
 * Durable topic subscriptions, by RabbitMQ's rules (SUBSCRIBE with persistent:true or
 * durable:true and an id) and ActiveMQ's (client-id + activemq.subscriptionName), and the
 * queues behind every /topic and /exchange subscription.
 */
import { randomBytes } from "node:crypto";
import { BrokerError, type FieldTable, type QueueDeclare } from "../../src/core/index.js";
import type { StompFrame, StompHeaders } from "./frame-parser.js";
import { boolHeader } from "./message-headers.js";
import { brokerFail, fail, type Outcome } from "./refusals.js";
import type { SessionContext } from "./session-context.js";

/** Whether a SUBSCRIBE asks for a subscription that outlives the connection. */
export function isDurable(h: StompHeaders): boolean {
  return boolHeader(h["persistent"], false) || boolHeader(h["durable"], false) || h["activemq.subscriptionName"] !== undefined;
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
 * The queue a /topic or /exchange SUBSCRIBE consumes from: `x-queue-name` if given, else a
 * stable name for a durable subscription or a random one for the others.
 */
export function subscriptionQueue(
  h: StompHeaders,
  id: string,
  clientId: string | undefined,
  durable: boolean,
  args: FieldTable,
): { name: string; declare: QueueDeclare } {
  let name = h["x-queue-name"] ?? "";
  if (durable) {
    if (name === "") name = durableQueueName(h, id, clientId);
    // RabbitMQ 3.10 makes persistent:true queues auto-delete unless the client says
    // auto-delete:false; ActiveMQ's named durable subscriptions outlive the connection
    const activemq = h["activemq.subscriptionName"] !== undefined;
    return { name, declare: { durable: true, autoDelete: boolHeader(h["auto-delete"], !activemq), exclusive: false, args } };
  }
  if (name === "") name = `stomp-subscription-${randomBytes(16).toString("base64url").slice(0, 22)}`;
  return { name, declare: { durable: false, autoDelete: true, exclusive: false, args } };
}

/**
 * A durable topic subscription ends for good when UNSUBSCRIBE says persistent:true (RabbitMQ);
 * a /queue/ or /amq/queue/ subscription's queue is never deleted by it.
 */
export function endsDurable(h: StompHeaders, destinationHeader: string): boolean {
  const durable = boolHeader(h["persistent"], false) || boolHeader(h["durable"], false);
  return durable && !destinationHeader.startsWith("/queue/") && !destinationHeader.startsWith("/amq/queue/");
}

/**
 * ActiveMQ's UNSUBSCRIBE with activemq.subscriptionName removes the durable subscription
 * client-id + name, whatever the id says, and only while nobody consumes from it: an app first
 * UNSUBSCRIBEs its id (deactivating), then removes. ActiveMQ's refusals are ERRORs that leave
 * the connection open; their texts are ActiveMQ 5.17's.
 */
export function removeDurable(ctx: SessionContext, f: StompFrame): Outcome {
  const name = durableQueueName(f.headers, "", ctx.clientId);
  const v = ctx.vhost;
  const q = v.queue(name, ctx.client);
  if (q instanceof BrokerError) {
    const detail = `No durable subscription exists for clientID: ${ctx.clientId ?? ""} and subscriptionName: ${f.headers["activemq.subscriptionName"]}`;
    return fail(ctx, detail, `${detail}\n`, f);
  }
  if (q.consumerCount > 0) return fail(ctx, "Durable consumer is in use", "Durable consumer is in use\n", f);
  const r = v.deleteQueue(name, {}, ctx.client);
  return r instanceof BrokerError ? brokerFail(ctx, r, f) : "done";
}

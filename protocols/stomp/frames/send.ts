import { BrokerError, Message, type MessageProperties, publishPropertiesProblem } from "../../../src/core/index.js";
import { type Composite, type Destination, isDestinationError, parseDestination } from "../destinations.js";
import type { StompFrame } from "../frame-parser.js";
import { propertiesFromSend } from "../message-headers.js";
import { brokerFail, fail, type Outcome } from "../refusals.js";
import type { SessionState } from "../session-state.js";
import { destinationOf } from "./destination.js";

type SendState = Pick<SessionState, "ctx" | "queues" | "tempQueues">;

/** SEND: the destination's exchange and routing key, the headers as properties, one publish. */
export function send(s: SendState, f: StompFrame): Outcome {
  const ctx = s.ctx;
  if (f.headers["message-id"] !== undefined) return fail(ctx, "Invalid header", "'message-id' is not allowed on 'SEND'.\n", f);
  const d = destinationOf(ctx, f);
  if (d === null) return "failed";
  // a composite's members are declared and checked member by member (compositeSend)
  const target = d.kind === "composite" ? null : publishTarget(s, d, f);
  if (target === null && d.kind !== "composite") return "failed";
  const props = propertiesFromSend(f.headers);
  // RabbitMQ's STOMP publishes through an AMQP channel, which checks user-id and expiration
  const invalid = publishPropertiesProblem(props, ctx.user.name);
  if (invalid !== null) return brokerFail(ctx, invalid, f);
  const replyTo = props.replyTo;
  if (replyTo !== undefined && replyTo.startsWith("/temp-queue/")) {
    const rd = parseDestination(replyTo);
    if (isDestinationError(rd)) return fail(ctx, rd.message, rd.detail, f);
    if (rd.kind !== "temp-queue") return fail(ctx, "Invalid destination", `'${replyTo}' is not a valid temp-queue destination\n`, f);
    const q = s.tempQueues.queueFor(rd.name, replyTo);
    if (q instanceof BrokerError) return brokerFail(ctx, q, f);
    props.replyTo = `/reply-queue/${q}`;
  }
  if (d.kind === "composite") return compositeSend(s, d, f, props);
  const denied = ctx.access.checkPublish(target![0], target![1]);
  if (denied) return brokerFail(ctx, denied, f);
  return publish(s, target!, f, props);
}

/** One message published to `target`, with ActiveMQ's message group from the SEND's headers. */
function publish(s: SendState, target: [string, string], f: StompFrame, props: MessageProperties): Outcome {
  const m = new Message(target[0], target[1], f.body, props);
  // ActiveMQ's message groups: the queue keeps a group on one consumer
  const group = f.headers["JMSXGroupID"];
  if (group !== undefined) {
    m.group = group;
    m.groupSeq = Number.parseInt(f.headers["JMSXGroupSeq"] ?? "0", 10) || 0;
  }
  const r = s.ctx.vhost.publish(target[0], target[1], m);
  if (r instanceof BrokerError) return brokerFail(s.ctx, r, f);
  return r.persisted > 0 ? "persisted" : "done";
}

/**
 * ActiveMQ's composite SEND: a copy to every member, each with the composite as its
 * original-destination header (as ActiveMQ 5.17's MESSAGE frames carry it); every member is
 * declared and checked before any copy goes. Its receipt covers all the copies.
 */
function compositeSend(s: SendState, d: Composite, f: StompFrame, props: MessageProperties): Outcome {
  const targets: [string, string][] = [];
  for (const m of d.members) {
    const t = publishTarget(s, { kind: m.kind, name: m.name }, f);
    if (t === null) return "failed";
    const denied = s.ctx.access.checkPublish(t[0], t[1]);
    if (denied) return brokerFail(s.ctx, denied, f);
    targets.push(t);
  }
  let outcome: Outcome = "done";
  for (const t of targets) {
    const copy: MessageProperties = { ...props, headers: { ...props.headers, "original-destination": d.original } };
    const r = publish(s, t, f, copy);
    if (r === "failed") return r;
    if (r === "persisted") outcome = r;
  }
  return outcome;
}

/** The exchange and routing key a SEND goes to, declaring what RabbitMQ declares on the way. */
function publishTarget(s: SendState, d: Exclude<Destination, Composite>, f: StompFrame): [string, string] | null {
  switch (d.kind) {
    case "queue": {
      const e = s.queues.ensure(d.name, f.headers);
      if (e instanceof BrokerError) return (brokerFail(s.ctx, e, f), null);
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
      const q = s.tempQueues.queueFor(d.name, `/temp-queue/${d.name}`);
      if (q instanceof BrokerError) return (brokerFail(s.ctx, q, f), null);
      return ["", q];
    }
  }
}

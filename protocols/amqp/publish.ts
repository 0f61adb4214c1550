import {
  BrokerError,
  Message,
  type MessageProperties,
  publishPropertiesProblem,
  rabbitType,
  REPLY_TO,
  ReplyCode,
} from "../../src/core/index.js";
import { encodeReturn } from "./codec/delivery.js";
import { CodecError } from "./codec/errors.js";
import { METHOD_IDS } from "./codec/methods.js";
import { propertiesBytes } from "./codec/properties.js";
import type { ChannelScope } from "./channel-scope.js";
import type { AssembledPublish } from "./content-assembler.js";

const BASIC_PUBLISH = METHOD_IDS["basic.publish"];
const ROUTING_HEADERS = ["CC", "BCC"] as const;

/**
 * A publish whose content is complete: its properties decoded and checked once here, as RabbitMQ
 * does (malformed ones are refused before any consumer sees them), then routed, or kept by the
 * open transaction.
 */
export function publishAssembled(ch: ChannelScope, p: AssembledPublish): void {
  let props: MessageProperties;
  try {
    props = ch.properties.decode(p.properties);
  } catch (err) {
    if (err instanceof CodecError) return ch.ctx.connectionError(err.replyCode, err.text, BASIC_PUBLISH[0], BASIC_PUBLISH[1]);
    throw err;
  }
  const invalid = propertiesProblem(ch, props);
  if (invalid) return ch.fail(invalid, BASIC_PUBLISH);
  let message: Message;
  if (ch.replyQueue !== null && props.replyTo === REPLY_TO) {
    // the responder answers to this channel's own reply queue
    message = new Message(p.exchange, p.routingKey, p.body, { ...props, replyTo: ch.replyQueue.name }, null);
  } else {
    message = new Message(p.exchange, p.routingKey, p.body, props, ch.properties.encodedLast());
    // what queues look at (TTL, priority, CC/BCC), worked out once here
    message.noteProperties(props);
  }
  if (ch.tx) {
    // RabbitMQ checks the exchange at publish time even inside a transaction
    const x = ch.ctx.vhost.exchange(p.exchange);
    if (x instanceof BrokerError) return ch.fail(x, BASIC_PUBLISH);
    ch.tx.publishes.push({ exchange: p.exchange, routingKey: p.routingKey, mandatory: p.mandatory, message });
    return;
  }
  routePublish(ch, p.exchange, p.routingKey, p.mandatory, message);
}

/** RabbitMQ checks user-id against the login, that expiration is a non-negative integer, and direct reply-to. */
function propertiesProblem(ch: ChannelScope, props: MessageProperties): BrokerError | null {
  if (props.replyTo === REPLY_TO && (ch.replyQueue === null || ch.replyQueue.deleted)) {
    return new BrokerError(ReplyCode.PRECONDITION_FAILED, "fast reply consumer does not exist");
  }
  const invalid = publishPropertiesProblem(props, ch.ctx.user.name);
  if (invalid !== null) return invalid;
  // sender-selected distribution (rabbit_basic:header_routes): CC and BCC must be arrays
  const headers = props.headers;
  if (headers !== undefined) {
    for (const name of ROUTING_HEADERS) {
      const v = headers[name];
      if (v !== undefined && !Array.isArray(v)) {
        return new BrokerError(ReplyCode.PRECONDITION_FAILED, `invalid message: {unacceptable_type_in_header,"${name}",${rabbitType(v)}}`);
      }
    }
  }
  return null;
}

/** Routes a message in the vhost: basic.return when mandatory and unroutable, then its confirm. */
export function routePublish(ch: ChannelScope, exchange: string, routingKey: string, mandatory: boolean, message: Message): void {
  const seq = ch.confirms.nextSeq();
  const r = ch.ctx.vhost.publish(exchange, routingKey, message);
  if (r instanceof BrokerError) return ch.fail(r, BASIC_PUBLISH);
  ch.publishCount++;
  if (seq !== 0) ch.ctx.vhost.counters.receivedConfirm++;
  const flow = ch.flows.exchange(exchange);
  flow.publish++;
  if (seq !== 0) ch.flows.awaitConfirm(flow);
  if (r.routed === 0 && r.refused === 0 && !mandatory) flow.dropped++;
  if (r.routed === 0 && r.refused === 0 && mandatory) {
    flow.returned++;
    ch.ctx.vhost.counters.returnUnroutable++;
    ch.ctx.writer.write(
      encodeReturn(ch.id, ReplyCode.NO_ROUTE, "NO_ROUTE", exchange, routingKey, propertiesBytes(message), message.body, ch.ctx.frameMax),
    );
  }
  if (r.persisted > 0) ch.routedPersistent = true;
  if (seq !== 0) ch.confirms.routed(seq, r);
}

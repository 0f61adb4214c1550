import { BrokerError, ReplyCode } from "../../../src/core/index.js";
import type { MethodOf } from "../codec/methods.js";
import type { ChannelScope } from "../channel-scope.js";
import { stripCrLf } from "./names.js";

/** The exchange class (40): declare, delete, bind, unbind (RabbitMQ's exchange-to-exchange bindings). */

export function exchangeDeclare(ch: ChannelScope, m: MethodOf<"exchange.declare">): BrokerError | void {
  const name = stripCrLf(m.exchange);
  const denied = m.passive || name === "" ? null : ch.ctx.access.check("exchange", name, "configure");
  if (denied) return denied;
  const r = ch.ctx.vhost.declareExchange(name, {
    type: m.type,
    passive: m.passive,
    durable: m.durable,
    autoDelete: m.autoDelete,
    internal: m.internal,
    args: m.arguments,
  });
  if (r instanceof BrokerError) return r;
  if (!m.nowait) ch.send({ kind: "exchange.declare-ok" });
}

export function exchangeDelete(ch: ChannelScope, m: MethodOf<"exchange.delete">): BrokerError | void {
  const name = stripCrLf(m.exchange);
  const denied = name === "" ? null : ch.ctx.access.check("exchange", name, "configure");
  if (denied) return denied;
  const r = ch.ctx.vhost.deleteExchange(name, m.ifUnused);
  // deleting a missing exchange is not an error in RabbitMQ 3.10
  if (r instanceof BrokerError && r.code !== ReplyCode.NOT_FOUND) return r;
  if (!m.nowait) ch.send({ kind: "exchange.delete-ok" });
}

export function exchangeBind(ch: ChannelScope, m: MethodOf<"exchange.bind">): BrokerError | void {
  const source = stripCrLf(m.source);
  const destination = stripCrLf(m.destination);
  const denied = ch.ctx.access.checkBind("exchange", destination, source, m.routingKey);
  if (denied) return denied;
  const r = ch.ctx.vhost.bindExchange(destination, source, m.routingKey, m.arguments);
  if (r) return r;
  if (!m.nowait) ch.send({ kind: "exchange.bind-ok" });
}

export function exchangeUnbind(ch: ChannelScope, m: MethodOf<"exchange.unbind">): BrokerError | void {
  const source = stripCrLf(m.source);
  const destination = stripCrLf(m.destination);
  const denied = ch.ctx.access.checkBind("exchange", destination, source, m.routingKey);
  if (denied) return denied;
  const r = ch.ctx.vhost.unbindExchange(destination, source, m.routingKey, m.arguments);
  if (r) return r;
  if (!m.nowait) ch.send({ kind: "exchange.unbind-ok" });
}

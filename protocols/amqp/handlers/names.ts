import { randomBytes } from "node:crypto";
import { BrokerError, ReplyCode } from "../../../src/core/index.js";
import type { ChannelScope } from "../channel-scope.js";

const hasCrLf = (name: string): boolean => name.includes("\n") || name.includes("\r");

/**
 * RabbitMQ 3.10 strips CR and LF from exchange and queue names in the declare, delete and bind
 * methods (rabbit_channel's strip_cr_lf), so `x\n` declares `x`; basic.publish, basic.get,
 * basic.consume and queue.purge take names as they are.
 */
export const stripCrLf = (name: string): string => (hasCrLf(name) ? name.replace(/[\r\n]/g, "") : name);

/** A server-chosen name, as RabbitMQ makes them: `amq.gen-…`, `amq.ctag-…`. */
export function randomTag(prefix: string): string {
  return `${prefix}-${randomBytes(16).toString("base64url").slice(0, 22)}`;
}

/** An empty queue name means the channel's last declared queue; 404 when it declared none (RabbitMQ 3.10). */
export function queueName(ch: ChannelScope, name: string): string | BrokerError {
  if (name !== "") return name;
  return ch.lastQueue !== "" ? ch.lastQueue : new BrokerError(ReplyCode.NOT_FOUND, "no previously declared queue");
}

/** queue.bind/unbind with an empty queue name and an empty key: the key is that queue's name (RabbitMQ's shortcut). */
export function bindingKeyFor(ch: ChannelScope, queue: string, routingKey: string): string {
  return queue === "" && routingKey === "" ? ch.lastQueue : routingKey;
}

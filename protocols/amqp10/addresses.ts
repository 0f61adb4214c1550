/**
 * AMQP 1.0 addresses as the brokers Warren stands in for read them; each becomes what the core
 * knows: a queue, or an exchange and routing key.
 *
 * - RabbitMQ 3.x plugin (rabbit_routing_util, shared with STOMP): `/queue/q` (declared on attach),
 *   `/amq/queue/q` (must exist), `/exchange/x/key`, `/topic/key` (amq.topic).
 * - RabbitMQ 4: `/queues/q` (must exist), `/exchanges/x/key` (key optional: the subject is used).
 * - ActiveMQ: `queue://q` (created on demand), `topic://t` (amq.topic), a bare name is a queue.
 */
export type Address =
  /** `declare`: create the queue when missing (3.x /queue/, ActiveMQ); otherwise it must exist. */
  | { kind: "queue"; name: string; declare: boolean }
  /** A target publishes to `exchange` with `key` (null: the message's subject); a source gets a private queue bound with `key`. */
  | { kind: "exchange"; exchange: string; key: string | null };

export interface AddressError {
  readonly description: string;
}

/** RabbitMQ percent-decodes names, so `/queue/a%2Fb` names queue "a/b". */
function decode(s: string): string {
  if (s.indexOf("%") === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const invalid = (address: string): AddressError => ({ description: `address '${address}' is not valid` });

export function parseAddress(address: string): Address | AddressError {
  const one = (prefix: string): string | null => {
    const rest = address.slice(prefix.length);
    return rest === "" || rest.includes("/") ? null : decode(rest);
  };
  const exchangeAndKey = (prefix: string, keyOptional: boolean): Address | AddressError => {
    const rest = address.slice(prefix.length);
    const slash = rest.indexOf("/");
    const exchange = decode(slash < 0 ? rest : rest.slice(0, slash));
    if (exchange === "") return invalid(address);
    if (slash < 0) return keyOptional ? { kind: "exchange", exchange, key: null } : { kind: "exchange", exchange, key: "" };
    return { kind: "exchange", exchange, key: decode(rest.slice(slash + 1)) };
  };
  let name: string | null;
  if (address.startsWith("/queue/")) {
    name = one("/queue/");
    return name === null ? invalid(address) : { kind: "queue", name, declare: true };
  }
  if (address.startsWith("/amq/queue/")) {
    name = one("/amq/queue/");
    return name === null ? invalid(address) : { kind: "queue", name, declare: false };
  }
  if (address.startsWith("/queues/")) {
    name = one("/queues/");
    return name === null ? invalid(address) : { kind: "queue", name, declare: false };
  }
  if (address.startsWith("/topic/")) {
    const key = address.slice("/topic/".length);
    return key === "" ? invalid(address) : { kind: "exchange", exchange: "amq.topic", key: decode(key) };
  }
  if (address.startsWith("/exchange/")) return exchangeAndKey("/exchange/", true);
  if (address.startsWith("/exchanges/")) return exchangeAndKey("/exchanges/", true);
  if (address.startsWith("queue://")) {
    name = address.slice("queue://".length);
    return name === "" ? invalid(address) : { kind: "queue", name, declare: true };
  }
  if (address.startsWith("topic://")) {
    const key = address.slice("topic://".length);
    return key === "" ? invalid(address) : { kind: "exchange", exchange: "amq.topic", key };
  }
  if (address === "" || address.startsWith("/")) return invalid(address);
  return { kind: "queue", name: address, declare: true };
}

/** A reply-to address as AMQP 0-9-1 consumers expect it (RabbitMQ strips `/queue/`). */
export function replyToQueueName(address: string): string {
  if (address.startsWith("/queue/")) return address.slice("/queue/".length);
  // RabbitMQ 4's form, which a dynamic node's address takes, is percent-encoded
  if (address.startsWith("/queues/")) return decode(address.slice("/queues/".length));
  if (address.startsWith("queue://")) return address.slice("queue://".length);
  return address;
}

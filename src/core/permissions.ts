/**
 * RabbitMQ's authorisation model: per user and vhost, three regular expressions naming the queues
 * and exchanges the user may configure (declare, delete), write (publish to, bind to) and read
 * (consume, get, purge, bind from); and per topic exchange, write/read regexes on routing keys.
 * Every front-end asks an AccessControl before acting, and sends the refusal it returns in its
 * own protocol's way.
 */
import { compilePattern, type NamePattern, PatternError } from "./patterns.js";
import { BrokerError, ReplyCode } from "./errors.js";
import type { User, UserStore } from "./users.js";

export type Access = "configure" | "write" | "read";
export type ResourceKind = "queue" | "exchange";

/** Compiled patterns, shared by every connection (patterns are few, names many). */
const patterns = new Map<string, NamePattern | null>();

/**
 * Whether a permission pattern allows a name. As RabbitMQ: the regex is unanchored, and the empty
 * string matches nothing (it is how "no access" is written). An invalid regex allows nothing.
 */
export function permits(pattern: string, name: string): boolean {
  if (pattern === "") return false;
  let re = patterns.get(pattern);
  if (re === undefined) {
    const compiled = compilePattern(pattern);
    re = compiled instanceof PatternError ? null : compiled;
    if (patterns.size > 1000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re !== null && re.test(name);
}

/** The name permission checks and error texts use for an exchange: the default exchange is 'amq.default'. */
export const exchangeResourceName = (name: string): string => (name === "" ? "amq.default" : name);

/** What the checks need of a vhost: an exchange's type (topic permissions apply to topic exchanges only). */
export interface ExchangeTypes {
  exchange(name: string): { readonly type: string } | BrokerError;
}

/** Variables RabbitMQ expands in topic permission patterns. */
export interface TopicVariables {
  /** MQTT client id ({client_id}); other protocols have none. */
  clientId?: string;
}

/**
 * One connection's view of its user's permissions in its vhost. Answers are cached until any user
 * or permission changes (UserStore.generation), so a publish costs one Map lookup.
 */
export class AccessControl {
  /** Made on the first check, so an idle connection holds none. */
  private cache: Map<string, boolean> | null = null;
  private generation = -1;

  constructor(
    private readonly users: UserStore,
    readonly user: User,
    readonly vhost: string,
    private readonly vars: TopicVariables = {},
    /** The vhost's exchanges, for the topic checks of publish, bind and subscribe. */
    private readonly exchanges: ExchangeTypes | null = null,
  ) {}

  /** The last allowed check: a publisher asks the same question for every message. */
  private lastKind: ResourceKind | null = null;
  private lastName = "";
  private lastAccess: Access | null = null;

  /** null when allowed; otherwise 403 ACCESS_REFUSED with RabbitMQ's text. */
  check(kind: ResourceKind, name: string, access: Access): BrokerError | null {
    if (this.generation !== this.users.generation) {
      this.cache?.clear();
      this.lastKind = null;
      this.generation = this.users.generation;
    } else if (name === this.lastName && kind === this.lastKind && access === this.lastAccess) {
      return null;
    }
    const resource = kind === "exchange" ? exchangeResourceName(name) : name;
    const key = `${access[0]}${kind[0]}${resource}`;
    const cache = (this.cache ??= new Map());
    let ok = cache.get(key);
    if (ok === undefined) {
      const p = this.users.permission(this.user.name, this.vhost);
      ok = p !== undefined && permits(p[access], resource);
      if (cache.size > 10_000) cache.clear();
      cache.set(key, ok);
    }
    if (ok) {
      this.lastKind = kind;
      this.lastName = name;
      this.lastAccess = access;
      return null;
    }
    return new BrokerError(
      ReplyCode.ACCESS_REFUSED,
      `access to ${kind} '${resource}' in vhost '${this.vhost}' refused for user '${this.user.name}'`,
    );
  }

  /**
   * Topic permissions (RabbitMQ 3.7+): only for topic exchanges, only when one is set for this
   * user on that exchange; {username}, {vhost} and {client_id} in the pattern are expanded.
   */
  checkTopic(exchange: string, exchangeType: string, routingKey: string, access: "write" | "read"): BrokerError | null {
    if (exchangeType !== "topic") return null;
    const p = this.users.topicPermission(this.user.name, this.vhost, exchange);
    if (p === undefined) return null;
    const pattern = p[access]
      .replaceAll("{username}", this.user.name)
      .replaceAll("{vhost}", this.vhost)
      .replaceAll("{client_id}", this.vars.clientId ?? "");
    if (permits(pattern, routingKey)) return null;
    return new BrokerError(
      ReplyCode.ACCESS_REFUSED,
      `access to topic '${routingKey}' in exchange '${exchange}' in vhost '${this.vhost}' refused for user '${this.user.name}'`,
    );
  }

  /** A publish, as RabbitMQ checks it: write on the exchange, then the topic write permission on the routing key. */
  checkPublish(exchange: string, routingKey: string): BrokerError | null {
    return this.check("exchange", exchange, "write") ?? this.topicDenied(exchange, routingKey, "write");
  }

  /**
   * A binding, in RabbitMQ's order: write on the destination, read on the source (none for the
   * default exchange), then the topic read permission on the binding key.
   */
  checkBind(kind: ResourceKind, destination: string, source: string, bindingKey: string): BrokerError | null {
    return (
      this.check(kind, destination, "write") ??
      (source === "" ? null : this.check("exchange", source, "read")) ??
      this.topicDenied(source, bindingKey, "read")
    );
  }

  /**
   * A subscription that declares its own queue and binds it (MQTT, STOMP topics): configure on the
   * queue, then the binding's checks. `queue` null: a queue the client does not name (MQTT $share
   * groups), so only the exchange's side is checked.
   */
  checkSubscribe(queue: string | null, exchange: string, bindingKey: string): BrokerError | null {
    if (queue === null) return this.check("exchange", exchange, "read") ?? this.topicDenied(exchange, bindingKey, "read");
    return this.check("queue", queue, "configure") ?? this.checkBind("queue", queue, exchange, bindingKey);
  }

  private topicDenied(exchange: string, routingKey: string, access: "write" | "read"): BrokerError | null {
    if (exchange === "" || this.exchanges === null) return null;
    const x = this.exchanges.exchange(exchange);
    return x instanceof BrokerError ? null : this.checkTopic(exchange, x.type, routingKey, access);
  }
}

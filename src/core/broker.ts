import { BrokerError, errors, ReplyCode } from "./errors.js";
import { type User, UserStore } from "./users.js";
import { VirtualHost, type VhostMetadata } from "./vhost.js";
import type { Policy, PolicyError, PolicyInput, PolicyKind } from "./policies.js";
import type { Persistence } from "./durability.js";
import { ResourceAlarms } from "./alarms.js";
import { type Clock, systemClock } from "./clock.js";
import { MessageCounters } from "./stats.js";
import { ConnectionRegistry } from "./connections.js";
import { RuntimeParameters } from "./parameters.js";
import { AccessControl } from "./permissions.js";

export interface BrokerCoreOptions {
  defaultVhost?: string;
  defaultUser?: string;
  defaultPass?: string;
  /** Users that may only log in from loopback (RabbitMQ's loopback_users; default ["guest"]). */
  loopbackUsers?: string[];
  /** Time for TTLs and queue expiry; tests pass a ManualClock. */
  clock?: Clock;
}

export interface AuthRequest {
  username: string;
  password: string;
  /** Whether the client connected from a loopback address. */
  loopback: boolean;
  /** The protocol, as RabbitMQ's auth attempt metrics name it (amqp091, mqtt, stomp); counted when given. */
  protocol?: string;
}

/** A reply text without its "NAME - " prefix: RabbitMQ's log words for the refusal. */
const detailOf = (e: BrokerError): string => e.text.slice(e.text.indexOf(" - ") + 3);

/** A login as every front-end makes it: credentials, where from, and the vhost asked for. */
export interface LoginRequest extends AuthRequest {
  vhost: string;
  /** Expanded as {client_id} in topic permissions (MQTT). */
  clientId?: string;
}

/** A login that succeeded: who, where, and the permission checks for that user in that vhost. */
export interface LoginGranted {
  readonly user: User;
  readonly vhost: VirtualHost;
  readonly access: AccessControl;
}

/**
 * A refused login: the client gets `code` and `text` (RabbitMQ tells it no more), the log gets
 * `reason`, RabbitMQ's own words for why ("user 'bob' - invalid credentials (no such user)").
 * `stage` says what was refused: the credentials or a loopback-only user from afar (403), or the
 * vhost (530, connection.open's code).
 */
export class LoginRefused extends BrokerError {
  constructor(
    readonly username: string,
    readonly reason: string,
    readonly stage: "credentials" | "loopback" | "vhost" = "credentials",
    refusal: BrokerError | null = null,
  ) {
    super(
      refusal?.code ?? ReplyCode.ACCESS_REFUSED,
      refusal !== null ? detailOf(refusal) : "Login was refused using authentication mechanism PLAIN. For details see the broker logfile.",
    );
  }
}

/**
 * The protocol-agnostic broker: vhosts and users. Front-ends authenticate here, then work on a
 * VirtualHost; nothing in here knows a wire format.
 */
export class Broker {
  readonly users = new UserStore();
  /** Memory and disk alarms: front-ends stop reading publishers while one is on. */
  readonly alarms = new ResourceAlarms();
  /** Broker-wide message counters, shared by every vhost (management and Prometheus read them). */
  readonly counters = new MessageCounters();
  /** Open client connections of every protocol, for listing and closing them. */
  readonly connections = new ConnectionRegistry();
  /** Runtime and global parameters (definitions' `parameters`, `global_parameters`). */
  readonly parameters = new RuntimeParameters();
  /** When this broker started (ms since the epoch), for uptime. */
  readonly startedAt = Date.now();
  private readonly vhosts = new Map<string, VirtualHost>();
  private readonly loopbackUsers: Set<string>;
  readonly defaultVhost: string;
  private nextClientId = 1;
  private persistence: Persistence | null = null;
  readonly clock: Clock;

  /**
   * With `seedDefaults: false` the broker starts empty (no vhost, no user): its definitions come
   * from a store. Otherwise the default vhost and user are created, as on RabbitMQ's first start.
   */
  constructor(options: BrokerCoreOptions & { seedDefaults?: boolean } = {}) {
    this.defaultVhost = options.defaultVhost ?? "/";
    this.clock = options.clock ?? systemClock;
    this.loopbackUsers = new Set(options.loopbackUsers ?? ["guest"]);
    if (options.seedDefaults === false) return;
    const user = options.defaultUser ?? "guest";
    this.users.add(user, options.defaultPass ?? "guest", ["administrator"]);
    this.addVhost(this.defaultVhost);
    this.users.setPermission(user, this.defaultVhost, { configure: ".*", write: ".*", read: ".*" });
  }

  /** Makes durable queues persist and definitions changes reach the store from now on. */
  attachPersistence(p: Persistence): void {
    this.persistence = p;
    for (const v of this.vhosts.values()) v.persistence = p;
    this.users.onChange = () => p.definitionsChanged();
    this.parameters.onChange = () => p.definitionsChanged();
  }

  /** A fresh identity for a client connection (owner of exclusive queues and consumers). */
  newClient(): { readonly id: number } {
    return { id: this.nextClientId++ };
  }

  addVhost(name: string): VirtualHost {
    let v = this.vhosts.get(name);
    if (!v) {
      this.vhosts.set(name, (v = new VirtualHost(name, this.counters, this.clock)));
      v.persistence = this.persistence;
      this.persistence?.definitionsChanged();
    }
    return v;
  }

  deleteVhost(name: string): boolean {
    this.users.clearVhost(name);
    this.parameters.clearVhost(name);
    const v = this.vhosts.get(name);
    const had = this.vhosts.delete(name);
    // its queues go now, stores and page files included, not at the next start
    v?.destroy();
    this.persistence?.definitionsChanged();
    return had;
  }

  /** Sets a vhost's description, tags and default queue type (kept, exported, shown by the API). */
  setVhostMetadata(v: VirtualHost, metadata: VhostMetadata): void {
    v.metadata = metadata;
    this.persistence?.definitionsChanged();
  }

  /** Sets a policy or operator policy in a vhost (what `rabbitmqctl set_policy -p <vhost>` does). */
  setPolicy(vhost: string, input: PolicyInput, kind: PolicyKind = "policy"): Policy | PolicyError | BrokerError {
    const v = this.vhost(vhost);
    return v instanceof BrokerError ? v : v.setPolicy(input, kind);
  }

  clearPolicy(vhost: string, name: string, kind: PolicyKind = "policy"): null | PolicyError | BrokerError {
    const v = this.vhost(vhost);
    return v instanceof BrokerError ? v : v.clearPolicy(name, kind);
  }

  /** Policies of one kind, in one vhost or (no vhost given) in all, each with its vhost's name. */
  listPolicies(kind: PolicyKind = "policy", vhost?: string): (Policy & { vhost: string })[] | BrokerError {
    const vs = vhost === undefined ? this.listVhosts() : [this.vhost(vhost)];
    const out: (Policy & { vhost: string })[] = [];
    for (const v of vs) {
      if (v instanceof BrokerError) return v;
      for (const p of v.listPolicies(kind)) out.push({ ...p, vhost: v.name });
    }
    return out;
  }

  /** Stops every vhost's timers (delayed messages), before the store closes. */
  stopTimers(): void {
    for (const v of this.vhosts.values()) v.stopTimers();
  }

  vhost(name: string): VirtualHost | BrokerError {
    return this.vhosts.get(name) ?? errors.vhostNotFound(name);
  }

  listVhosts(): VirtualHost[] {
    return [...this.vhosts.values()];
  }

  /**
   * Checks credentials as RabbitMQ does: the client is told the same for a bad password and a
   * loopback-only user; the refusal's `reason` says which, for the log.
   */
  authenticate(req: AuthRequest): User | LoginRefused {
    const user = this.checkCredentials(req);
    if (req.protocol !== undefined) this.connections.authAttempt(req.protocol, !(user instanceof LoginRefused));
    return user;
  }

  private checkCredentials(req: AuthRequest): User | LoginRefused {
    const user = this.users.check(req.username, req.password);
    if (typeof user === "string") {
      return new LoginRefused(req.username, `user '${req.username}' - invalid credentials (${user})`);
    }
    if (this.loopbackUsers.has(user.name) && !req.loopback) {
      return new LoginRefused(req.username, `user '${req.username}' can only connect via localhost`, "loopback");
    }
    return user;
  }

  /** Credentials, then the vhost: the whole login of a protocol that asks for both at once (MQTT, STOMP). */
  login(req: LoginRequest): LoginGranted | LoginRefused {
    const user = this.authenticate(req);
    if (user instanceof LoginRefused) return user;
    return this.enterVhost(user, req.vhost, req.clientId);
  }

  /** An authenticated user opens a vhost (AMQP's connection.open); refused with openVhost's 530. */
  enterVhost(user: User, vhostName: string, clientId?: string): LoginGranted | LoginRefused {
    const vhost = this.openVhost(user, vhostName);
    if (vhost instanceof BrokerError) {
      return new LoginRefused(user.name, detailOf(vhost), "vhost", vhost);
    }
    const access = new AccessControl(this.users, user, vhost.name, clientId === undefined ? {} : { clientId }, vhost);
    return { user, vhost, access };
  }

  /** The vhost a user may open, or 530 NOT_ALLOWED as RabbitMQ answers connection.open. */
  openVhost(user: User, name: string): VirtualHost | BrokerError {
    const v = this.vhosts.get(name);
    if (!v) return errors.vhostNotFound(name);
    if (!this.users.permission(user.name, name)) return errors.noAccessToVhost(user.name, name);
    return v;
  }
}

import { BrokerError, errors, ReplyCode } from "./errors.js";
import { type User, UserStore } from "./users.js";
import { VirtualHost, type VhostMetadata } from "./vhost.js";
import { type Policy, type PolicyDefinition, PolicyError, type PolicyInput, type PolicyKind } from "./policies.js";
import type { Persistence } from "./durability.js";
import { ResourceAlarms } from "./alarms.js";
import { type Clock, systemClock } from "./clock.js";
import { MessageCounters } from "./stats.js";
import { ConnectionRegistry } from "./connections.js";
import { type ParameterValue, type RuntimeParameter, RuntimeParameters } from "./parameters.js";
import { fromProplist, parameterProblem, vhostLimitsOf } from "./parameter-validation.js";
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
    // a vhost's limits are its `vhost-limits` parameter named `limits` (RabbitMQ reads no other name)
    this.parameters.onParameter = (vhost, component, name, value) => {
      const v = this.vhosts.get(vhost);
      if (v !== undefined && component === "vhost-limits" && name === "limits") v.limits = vhostLimitsOf(value);
    };
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
      v.limits = vhostLimitsOf(this.parameters.get(name, "vhost-limits", "limits")?.value);
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

  /**
   * A login whose credentials something else established (SASL EXTERNAL: the verified TLS client
   * certificate named the user): the user must exist, and the loopback restriction still holds.
   * What RabbitMQ's check_user_login(Name, []) does with the internal back-end.
   */
  authenticateExternal(req: Omit<AuthRequest, "password">): User | LoginRefused {
    const user = this.users.get(req.username);
    let result: User | LoginRefused;
    if (user === undefined) result = new LoginRefused(req.username, `user '${req.username}' - invalid credentials (unknown user)`);
    else if (this.loopbackUsers.has(user.name) && !req.loopback)
      result = new LoginRefused(req.username, `user '${req.username}' can only connect via localhost`, "loopback");
    else result = user;
    if (req.protocol !== undefined) this.connections.authAttempt(req.protocol, !(result instanceof LoginRefused));
    return result;
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

  /**
   * The vhost a user may open, or 530 NOT_ALLOWED as RabbitMQ answers connection.open: the vhost
   * must exist, have room under its max-connections limit (checked before the user's access, as
   * rabbit_reader does), and the user must have access to it.
   */
  openVhost(user: User, name: string): VirtualHost | BrokerError {
    const v = this.vhosts.get(name);
    if (!v) return errors.vhostNotFound(name);
    const max = v.limits.maxConnections;
    if (max !== undefined && this.connections.countIn(name) >= max) return errors.connectionLimit(user.name, name, max);
    if (!this.users.permission(user.name, name)) return errors.noAccessToVhost(user.name, name);
    return v;
  }

  /**
   * Sets a vhost's runtime parameter as `rabbitmqctl set_parameter` and PUT /api/parameters do:
   * true when it is new, false when it replaced one, RabbitMQ's refusal text when the component
   * or value is refused, or the vhost's 530 when there is no such vhost. `operator_policy` (how
   * RabbitMQ's definitions carry operator policies) sets an operator policy.
   */
  setParameter(p: RuntimeParameter): boolean | string | BrokerError {
    const v = this.vhost(p.vhost);
    if (v instanceof BrokerError) return v;
    if (p.component === "operator_policy") return this.setOperatorPolicyParameter(v, p.name, p.value);
    const problem = parameterProblem(p.component, p.name, p.value);
    if (problem !== null) return problem;
    return this.parameters.set(p);
  }

  /** Clears a vhost's runtime parameter; false when there was none. */
  clearParameter(vhost: string, component: string, name: string): boolean {
    if (component === "operator_policy") {
      const v = this.vhosts.get(vhost);
      return v !== undefined && !(v.clearPolicy(name, "operator") instanceof PolicyError);
    }
    return this.parameters.clear(vhost, component, name);
  }

  /**
   * Every runtime parameter as RabbitMQ lists them (/api/parameters, definitions' `parameters`):
   * the stored ones, then each vhost's operator policies as `operator_policy` parameters, and its
   * user policies as `policy` ones only when asked for by that component (RabbitMQ lists those
   * only then).
   */
  listParameters(opts: { vhost?: string; component?: string } = {}): RuntimeParameter[] {
    const { vhost, component } = opts;
    const out = this.parameters
      .list()
      .filter((p) => (vhost === undefined || p.vhost === vhost) && (component === undefined || p.component === component));
    for (const v of vhost === undefined ? this.vhosts.values() : [this.vhosts.get(vhost)]) {
      if (v === undefined) continue;
      for (const [kind, comp] of [
        ["operator", "operator_policy"],
        ["policy", "policy"],
      ] as const) {
        if (component === undefined ? comp === "policy" : component !== comp) continue;
        for (const pol of v.listPolicies(kind)) {
          out.push({
            vhost: v.name,
            component: comp,
            name: pol.name,
            value: { pattern: pol.pattern, definition: pol.definition, priority: pol.priority, "apply-to": pol.applyTo },
          });
        }
      }
    }
    return out;
  }

  /** RabbitMQ's operator policy parameter: pattern, definition and priority are required, apply-to is not. */
  private setOperatorPolicyParameter(v: VirtualHost, name: string, value: ParameterValue): boolean | string {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return `Validation failed\n\n${name} not a list\n`;
    const missing = ["pattern", "definition", "priority"].filter((k) => value[k] === undefined);
    if (missing.length > 0) return `Validation failed\n\n${missing.map((k) => `Key "${k}" not found in ${name}`).join("\n")}\n`;
    const def = fromProplist(value.definition ?? null);
    const existed = v.listPolicies("operator").some((x) => x.name === name);
    const r = v.setPolicy(
      {
        name,
        pattern: String(value.pattern),
        definition: (def !== null && typeof def === "object" && !Array.isArray(def) ? def : {}) as PolicyDefinition,
        ...(value["apply-to"] !== undefined && { applyTo: String(value["apply-to"]) }),
        priority: Number(value.priority),
      },
      "operator",
    );
    if (r instanceof PolicyError) return `Validation failed\n\n${r.reason}\n`;
    return !existed;
  }
}

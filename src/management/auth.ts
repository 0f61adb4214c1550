import { type Broker, type BrokerError, LoginRefused, type User } from "../core/index.js";
import type { Logger } from "../server/logger.js";
import { type Access, AccessControl, type ResourceKind } from "../core/permissions.js";
import { isLoopback } from "../transport/listen.js";
import { ApiError, loginFailed, notAuthorised, objectRefused, vhostRefused } from "./errors.js";

/** RabbitMQ's management tags, weakest first; each includes what the ones before it allow. */
export type Tag = "management" | "policymaker" | "monitoring" | "administrator";

/** Who is asking, and what their tags let them do. */
export class Principal {
  constructor(
    readonly user: User,
    private readonly broker: Broker,
  ) {}

  private has(tag: string): boolean {
    return this.user.tags.includes(tag);
  }
  get isAdmin(): boolean {
    return this.has("administrator");
  }
  /** monitoring and administrator users see every vhost's objects and every connection. */
  get isMonitor(): boolean {
    return this.isAdmin || this.has("monitoring");
  }
  get isPolicymaker(): boolean {
    return this.isAdmin || this.has("policymaker");
  }

  /** Throws RabbitMQ's refusal unless the user has the tag (or one above it). */
  require(tag: Tag): void {
    if (tag === "administrator" && !this.isAdmin) throw notAuthorised("Not administrator user");
    if (tag === "monitoring" && !this.isMonitor) throw notAuthorised("Not monitor user");
    if (tag === "policymaker" && !this.isPolicymaker) throw notAuthorised("Not policymaker user");
  }

  /** Whether the user has permissions in the vhost (what RabbitMQ checks on a vhost's paths). */
  canAccess(vhost: string): boolean {
    return this.broker.users.permission(this.user.name, vhost) !== undefined;
  }

  /**
   * A vhost in the path: administrators may use any vhost (what they do in it is still checked
   * against their permissions), everyone else only those they have permissions in.
   */
  requireVhost(vhost: string): void {
    if (!this.isAdmin && !this.canAccess(vhost)) throw vhostRefused();
  }

  /** Vhosts in the vhost listing and the overview's totals: monitoring users see every one. */
  visibleVhost(vhost: string): boolean {
    return this.isMonitor || this.canAccess(vhost);
  }

  /** Vhosts whose queues, exchanges, bindings and policies are listed: all for administrators only. */
  listsVhost(vhost: string): boolean {
    return this.isAdmin || this.canAccess(vhost);
  }

  /** The user's configure/write/read permission on a resource, as the AMQP front-end checks it. */
  check(vhost: string, kind: ResourceKind, name: string, access: Access): BrokerError | null {
    return new AccessControl(this.broker.users, this.user, vhost).check(kind, name, access);
  }

  /** RabbitMQ's management answer to a refused configure/write/read: 401 "Access refused.". */
  requireAccess(vhost: string, kind: ResourceKind, name: string, access: Access): void {
    if (this.check(vhost, kind, name, access) !== null) throw notAuthorised("Access refused.");
  }

  /** Connections, channels and consumers: management and policymaker users see only their own. */
  seesConnectionsOf(user: string): boolean {
    return this.isMonitor || user === this.user.name;
  }

  /** Reading one connection: monitoring users or its own user; others are refused, not told it is missing. */
  requireSeesConnectionOf(user: string): void {
    if (!this.seesConnectionsOf(user)) throw objectRefused();
  }

  /** Closing a connection: administrators or its own user (not monitoring users). */
  requireClosesConnectionOf(user: string): void {
    if (!this.isAdmin && user !== this.user.name) throw objectRefused();
  }

  /** Reading or writing one (user) policy: administrators, or policymakers in a vhost they have permissions in. */
  requirePolicyWriter(vhost: string): void {
    if (!this.isAdmin && !(this.has("policymaker") && this.canAccess(vhost))) throw objectRefused();
  }
}

const MANAGEMENT_TAGS = ["management", "policymaker", "monitoring", "administrator"];

/**
 * HTTP basic auth as RabbitMQ's management plugin does it: no credentials → 401 with an empty body,
 * wrong ones → "Login failed", loopback-only users from elsewhere refused, users without a
 * management tag → "Not management user".
 */
export function authenticate(broker: Broker, header: string | undefined, remoteAddress: string | undefined, log?: Logger): Principal {
  if (header === undefined || !header.toLowerCase().startsWith("basic ")) {
    throw new ApiError(401, "", "", { "www-authenticate": 'Basic realm="RabbitMQ Management"' });
  }
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  // RabbitMQ's log line for every refusal: "HTTP access denied: user 'bob' - invalid credentials"
  const denied = (username: string, reason: string) =>
    log?.warn({ protocol: "http", user: username, peer: remoteAddress, reason }, `HTTP access denied: ${reason}`);
  if (colon < 0) {
    denied("", "malformed basic credentials");
    throw loginFailed();
  }
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const user = broker.authenticate({ username, password, loopback: isLoopback(remoteAddress) });
  if (user instanceof LoginRefused) {
    denied(username, user.reason);
    if (broker.users.authenticate(username, password) !== null) throw notAuthorised("User can only log in via localhost");
    throw loginFailed();
  }
  if (!user.tags.some((t) => MANAGEMENT_TAGS.includes(t))) {
    denied(username, `user '${username}' - Not management user`);
    throw notAuthorised("Not management user");
  }
  return new Principal(user, broker);
}

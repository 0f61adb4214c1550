import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export interface Permission {
  configure: string;
  write: string;
  read: string;
}

/** RabbitMQ's topic permissions: regexes on the routing keys of one topic exchange. */
export interface TopicPermission {
  exchange: string;
  write: string;
  read: string;
}

export interface User {
  readonly name: string;
  /** RabbitMQ's rabbit_password_hashing_sha256 format: base64(salt ‖ sha256(salt ‖ password)). */
  passwordHash: string;
  tags: string[];
}

function hashPassword(password: string, salt = randomBytes(4)): string {
  const digest = createHash("sha256").update(Buffer.concat([salt, Buffer.from(password, "utf8")])).digest();
  return Buffer.concat([salt, digest]).toString("base64");
}

function checkPassword(hash: string, password: string): boolean {
  const raw = Buffer.from(hash, "base64");
  if (raw.length !== 36) return false;
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, 4)), "base64");
  return timingSafeEqual(raw, expected);
}

/** Users and their per-vhost permissions (regular expressions, as RabbitMQ's). */
export class UserStore {
  private readonly users = new Map<string, User>();
  /** vhost → user → permission */
  private readonly permissions = new Map<string, Map<string, Permission>>();
  /** vhost → user → exchange → topic permission */
  private readonly topicPermissions = new Map<string, Map<string, Map<string, TopicPermission>>>();
  /** Bumped on every change, so per-connection permission caches know when to forget. */
  generation = 0;
  /** Called after every change, so a store can persist the definitions. */
  onChange: () => void = () => {};

  private changed(): void {
    this.generation++;
    this.onChange();
  }

  add(name: string, password: string, tags: string[] = []): User {
    return this.addHashed(name, hashPassword(password), tags);
  }

  /** Adds a user whose password is already hashed (definitions import). */
  addHashed(name: string, passwordHash: string, tags: string[] = []): User {
    const u: User = { name, passwordHash, tags };
    this.users.set(name, u);
    this.changed();
    return u;
  }

  /** Every permission, as [vhost, user, permission]. */
  *allPermissions(): Iterable<[string, string, Permission]> {
    for (const [vhost, perUser] of this.permissions) for (const [user, p] of perUser) yield [vhost, user, p];
  }

  get(name: string): User | undefined {
    return this.users.get(name);
  }

  delete(name: string): boolean {
    for (const perVhost of this.permissions.values()) perVhost.delete(name);
    for (const perVhost of this.topicPermissions.values()) perVhost.delete(name);
    const had = this.users.delete(name);
    this.changed();
    return had;
  }

  list(): User[] {
    return [...this.users.values()];
  }

  /** The user when the password matches, otherwise null. */
  authenticate(name: string, password: string): User | null {
    const u = this.users.get(name);
    return u && checkPassword(u.passwordHash, password) ? u : null;
  }

  setPermission(user: string, vhost: string, p: Permission): void {
    let perVhost = this.permissions.get(vhost);
    if (!perVhost) this.permissions.set(vhost, (perVhost = new Map()));
    perVhost.set(user, p);
    this.changed();
  }

  permission(user: string, vhost: string): Permission | undefined {
    return this.permissions.get(vhost)?.get(user);
  }

  clearPermission(user: string, vhost: string): boolean {
    const had = this.permissions.get(vhost)?.delete(user) ?? false;
    if (had) this.changed();
    return had;
  }

  setTopicPermission(user: string, vhost: string, p: TopicPermission): void {
    let perVhost = this.topicPermissions.get(vhost);
    if (!perVhost) this.topicPermissions.set(vhost, (perVhost = new Map()));
    let perUser = perVhost.get(user);
    if (!perUser) perVhost.set(user, (perUser = new Map()));
    perUser.set(p.exchange, p);
    this.changed();
  }

  /** The user's topic permission on one exchange; undefined means unrestricted (as RabbitMQ). */
  topicPermission(user: string, vhost: string, exchange: string): TopicPermission | undefined {
    return this.topicPermissions.get(vhost)?.get(user)?.get(exchange);
  }

  clearTopicPermission(user: string, vhost: string, exchange?: string): void {
    const perUser = this.topicPermissions.get(vhost)?.get(user);
    if (exchange === undefined) this.topicPermissions.get(vhost)?.delete(user);
    else perUser?.delete(exchange);
    this.changed();
  }

  /** Every topic permission, as [vhost, user, permission]. */
  *allTopicPermissions(): Iterable<[string, string, TopicPermission]> {
    for (const [vhost, perUser] of this.topicPermissions) {
      for (const [user, perX] of perUser) for (const p of perX.values()) yield [vhost, user, p];
    }
  }

  clearVhost(vhost: string): void {
    this.permissions.delete(vhost);
    this.topicPermissions.delete(vhost);
    this.changed();
  }
}

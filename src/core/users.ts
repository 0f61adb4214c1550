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

/**
 * RabbitMQ's three password hashing modules. Each stores base64(salt ‖ hash(salt ‖ password))
 * with a 4-byte salt; a migrated user keeps the algorithm it was hashed with.
 */
export const HASHING_ALGORITHMS = {
  rabbit_password_hashing_sha256: { digest: "sha256", bytes: 32 },
  rabbit_password_hashing_sha512: { digest: "sha512", bytes: 64 },
  rabbit_password_hashing_md5: { digest: "md5", bytes: 16 },
} as const;
export type HashingAlgorithm = keyof typeof HASHING_ALGORITHMS;
/** What new passwords are hashed with, as RabbitMQ's default password_hashing_module. */
export const DEFAULT_HASHING: HashingAlgorithm = "rabbit_password_hashing_sha256";

export function isHashingAlgorithm(s: unknown): s is HashingAlgorithm {
  return typeof s === "string" && Object.hasOwn(HASHING_ALGORITHMS, s);
}

/** hashProblem's answer for a hash that is not base64 at all. */
export const NOT_BASE64 = "password_hash is not base64";

/**
 * Why a stored hash cannot be used with an algorithm, or null when it can. An empty hash is a
 * user without a password (it cannot log in with one), as RabbitMQ allows.
 */
export function hashProblem(hash: string, algorithm: HashingAlgorithm): string | null {
  if (hash === "") return null;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(hash) || hash.length % 4 !== 0) return NOT_BASE64;
  const want = 4 + HASHING_ALGORITHMS[algorithm].bytes;
  const got = Buffer.from(hash, "base64").length;
  return got === want ? null : `password_hash is ${got} bytes, a ${algorithm} hash is ${want} (4-byte salt and the digest)`;
}

export interface User {
  readonly name: string;
  /** base64(salt ‖ digest(salt ‖ password)), digest per `hashingAlgorithm`; "" = no password. */
  passwordHash: string;
  hashingAlgorithm: HashingAlgorithm;
  tags: string[];
  /** RabbitMQ's per-user limits (max-connections, max-channels): kept and exported, not enforced. */
  limits?: Record<string, unknown>;
}

function hashPassword(password: string, algorithm: HashingAlgorithm = DEFAULT_HASHING, salt = randomBytes(4)): string {
  const digest = createHash(HASHING_ALGORITHMS[algorithm].digest)
    .update(Buffer.concat([salt, Buffer.from(password, "utf8")]))
    .digest();
  return Buffer.concat([salt, digest]).toString("base64");
}

function checkPassword(hash: string, algorithm: HashingAlgorithm, password: string): boolean {
  const raw = Buffer.from(hash, "base64");
  if (raw.length !== 4 + HASHING_ALGORITHMS[algorithm].bytes) return false;
  const expected = Buffer.from(hashPassword(password, algorithm, raw.subarray(0, 4)), "base64");
  return timingSafeEqual(raw, expected);
}

/** Why a login was refused, for the log line (the client is told less, as RabbitMQ tells it). */
export type LoginRefusal = "unknown user" | "wrong password";

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

  /** Adds a user whose password is already hashed (definitions import, PUT /api/users with a hash). */
  addHashed(
    name: string,
    passwordHash: string,
    tags: string[] = [],
    hashingAlgorithm: HashingAlgorithm = DEFAULT_HASHING,
    limits?: Record<string, unknown>,
  ): User {
    const u: User = {
      name,
      passwordHash,
      hashingAlgorithm,
      tags,
      ...(limits !== undefined && Object.keys(limits).length > 0 && { limits }),
    };
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
    const u = this.check(name, password);
    return typeof u === "string" ? null : u;
  }

  /** The user when the password matches, otherwise why not. */
  check(name: string, password: string): User | LoginRefusal {
    const u = this.users.get(name);
    if (u === undefined) return "unknown user";
    return checkPassword(u.passwordHash, u.hashingAlgorithm, password) ? u : "wrong password";
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

  /** Removes one user's permissions in a vhost; false when there were none. */
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

import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { Broker } from "../../src/core/broker.js";
import { BrokerError, ReplyCode } from "../../src/core/errors.js";
import { UserStore } from "../../src/core/users.js";
import { VirtualHost } from "../../src/core/vhost.js";

function ok<T>(r: T): Exclude<T, BrokerError> {
  if (r instanceof BrokerError) throw new Error(`unexpected ${r.toString()}`);
  return r as Exclude<T, BrokerError>;
}

const LOGIN_REFUSED = "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.";

describe("authentication", () => {
  it("guest/guest logs in from loopback", () => {
    const b = new Broker();
    const u = ok(b.authenticate({ username: "guest", password: "guest", loopback: true }));
    expect(u.name).toBe("guest");
    expect(u.tags).toContain("administrator");
  });

  it("guest is refused from a non-loopback address (403)", () => {
    const b = new Broker();
    const e = b.authenticate({ username: "guest", password: "guest", loopback: false });
    expect(e).toBeInstanceOf(BrokerError);
    expect((e as BrokerError).code).toBe(ReplyCode.ACCESS_REFUSED);
    expect((e as BrokerError).text).toBe(LOGIN_REFUSED);
  });

  it("a wrong password or an unknown user is refused with the same answer (403)", () => {
    const b = new Broker();
    for (const req of [
      { username: "guest", password: "wrong", loopback: true },
      { username: "guest", password: "", loopback: true },
      { username: "nobody", password: "guest", loopback: true },
    ]) {
      const e = b.authenticate(req) as BrokerError;
      expect(e).toBeInstanceOf(BrokerError);
      expect([e.code, e.text]).toEqual([ReplyCode.ACCESS_REFUSED, LOGIN_REFUSED]);
    }
  });

  it("other users may log in from anywhere", () => {
    const b = new Broker();
    b.users.add("alice", "s3cret");
    expect(ok(b.authenticate({ username: "alice", password: "s3cret", loopback: false })).name).toBe("alice");
  });

  it("guest may log in remotely when the loopback-users list is emptied", () => {
    const b = new Broker({ loopbackUsers: [] });
    expect(ok(b.authenticate({ username: "guest", password: "guest", loopback: false })).name).toBe("guest");
  });

  it("the default user, password and vhost can be changed", () => {
    const b = new Broker({ defaultUser: "admin", defaultPass: "pw", defaultVhost: "main" });
    const u = ok(b.authenticate({ username: "admin", password: "pw", loopback: false }));
    expect(ok(b.openVhost(u, "main")).name).toBe("main");
    expect(b.users.get("guest")).toBeUndefined();
    expect(b.vhost("/")).toBeInstanceOf(BrokerError);
  });
});

describe("vhosts", () => {
  it("guest opens the default vhost", () => {
    const b = new Broker();
    const u = ok(b.authenticate({ username: "guest", password: "guest", loopback: true }));
    const v = ok(b.openVhost(u, "/"));
    expect(v).toBeInstanceOf(VirtualHost);
    expect(v.name).toBe("/");
  });

  it("opening an unknown vhost is a connection-level 530 NOT_ALLOWED", () => {
    const b = new Broker();
    const u = b.users.get("guest")!;
    const e = b.openVhost(u, "xyz") as BrokerError;
    expect(e).toBeInstanceOf(BrokerError);
    expect([e.code, e.text]).toEqual([ReplyCode.NOT_ALLOWED, "NOT_ALLOWED - vhost xyz not found"]);
    expect(e.isConnectionError).toBe(true);
  });

  it("a user without permissions on a vhost is refused it (530)", () => {
    const b = new Broker();
    const alice = b.users.add("alice", "pw");
    const e = b.openVhost(alice, "/") as BrokerError;
    expect([e.code, e.text]).toEqual([ReplyCode.NOT_ALLOWED, "NOT_ALLOWED - access to vhost '/' refused for user 'alice'"]);
    b.users.setPermission("alice", "/", { configure: "", write: ".*", read: ".*" });
    expect(ok(b.openVhost(alice, "/")).name).toBe("/");
  });

  it("vhost lookup answers the one vhost of that name, or 530 when missing", () => {
    const b = new Broker();
    const v = b.addVhost("v1");
    expect(b.addVhost("v1")).toBe(v);
    expect(b.vhost("v1")).toBe(v);
    expect(
      b
        .listVhosts()
        .map((x) => x.name)
        .sort(),
    ).toEqual(["/", "v1"]);
    expect((b.vhost("v2") as BrokerError).text).toBe("NOT_ALLOWED - vhost v2 not found");
  });

  it("deleting a vhost removes it and the permissions on it", () => {
    const b = new Broker();
    expect(b.deleteVhost("/")).toBe(true);
    expect(b.vhost("/")).toBeInstanceOf(BrokerError);
    expect(b.users.permission("guest", "/")).toBeUndefined();
    b.addVhost("/");
    const e = b.openVhost(b.users.get("guest")!, "/") as BrokerError;
    expect(e.code).toBe(ReplyCode.NOT_ALLOWED);
  });

  it("each vhost has its own exchanges and queues", () => {
    const b = new Broker();
    const a = ok(b.vhost("/"));
    const c = b.addVhost("other");
    ok(a.declareQueue("q", {}, null));
    expect(c.queues.has("q")).toBe(false);
    expect(c.exchanges.has("amq.topic")).toBe(true);
  });

  it("every client connection gets its own identity", () => {
    const b = new Broker();
    const x = b.newClient();
    const y = b.newClient();
    expect(x.id).not.toBe(y.id);
  });
});

describe("password hashes", () => {
  it("are RabbitMQ's sha256 format: base64 of a 4-byte salt followed by sha256(salt + password)", () => {
    const users = new UserStore();
    const raw = Buffer.from(users.add("u", "pässword").passwordHash, "base64");
    expect(raw.length).toBe(36);
    const salt = raw.subarray(0, 4);
    const digest = createHash("sha256")
      .update(Buffer.concat([salt, Buffer.from("pässword", "utf8")]))
      .digest();
    expect(raw.subarray(4).equals(digest)).toBe(true);
  });

  it("use a fresh salt for each user", () => {
    const users = new UserStore();
    const a = users.add("a", "same").passwordHash;
    const b = users.add("b", "same").passwordHash;
    expect(a).not.toBe(b);
  });

  it("accept a hash taken from RabbitMQ's documentation (password test12)", () => {
    const users = new UserStore();
    users.add("imported", "placeholder").passwordHash = "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR";
    expect(users.authenticate("imported", "test12")?.name).toBe("imported");
    expect(users.authenticate("imported", "test13")).toBeNull();
  });

  it("a malformed stored hash refuses every password instead of throwing", () => {
    const users = new UserStore();
    users.add("u", "pw").passwordHash = "not-a-hash";
    expect(users.authenticate("u", "pw")).toBeNull();
  });

  it("deleting a user removes its permissions", () => {
    const users = new UserStore();
    users.add("u", "pw");
    users.setPermission("u", "/", { configure: ".*", write: ".*", read: ".*" });
    expect(users.delete("u")).toBe(true);
    expect(users.permission("u", "/")).toBeUndefined();
    expect(users.authenticate("u", "pw")).toBeNull();
  });
});

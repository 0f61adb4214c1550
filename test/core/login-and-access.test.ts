import { describe, expect, it } from "vitest";
import { Broker, LoginRefused, type LoginGranted, publishPropertiesProblem } from "../../src/core/index.js";

function granted(r: LoginGranted | LoginRefused): LoginGranted {
  if (r instanceof LoginRefused) throw new Error(`refused: ${r.reason}`);
  return r;
}

/** bob may configure and read anything but write only to 'out*'; topic writes on amq.topic only to 'news.*'. */
function brokerWithBob(): Broker {
  const b = new Broker();
  b.users.add("bob", "secret");
  b.users.setPermission("bob", "/", { configure: ".*", write: "^out", read: ".*" });
  b.users.setTopicPermission("bob", "/", { exchange: "amq.topic", write: "^news\\.", read: "^news\\.{client_id}$" });
  return b;
}

describe("Broker.login", () => {
  it("grants user, vhost and the access checks in one step", () => {
    const b = brokerWithBob();
    const g = granted(b.login({ username: "bob", password: "secret", loopback: false, vhost: "/" }));
    expect(g.user.name).toBe("bob");
    expect(g.vhost.name).toBe("/");
    expect(g.access.vhost).toBe("/");
  });

  it("says which stage refused, with the client's code and text and the log's reason", () => {
    const b = brokerWithBob();
    const wrong = b.login({ username: "bob", password: "nope", loopback: true, vhost: "/" }) as LoginRefused;
    expect([wrong.stage, wrong.code, wrong.reason]).toEqual(["credentials", 403, "user 'bob' - invalid credentials (wrong password)"]);
    const remote = b.login({ username: "guest", password: "guest", loopback: false, vhost: "/" }) as LoginRefused;
    expect([remote.stage, remote.code]).toEqual(["loopback", 403]);
    const vhost = b.login({ username: "bob", password: "secret", loopback: true, vhost: "nowhere" }) as LoginRefused;
    expect([vhost.stage, vhost.code, vhost.text]).toEqual(["vhost", 530, "NOT_ALLOWED - vhost nowhere not found"]);
    b.addVhost("other");
    const denied = b.enterVhost(b.users.get("bob")!, "other") as LoginRefused;
    expect([denied.stage, denied.reason]).toEqual(["vhost", "access to vhost 'other' refused for user 'bob'"]);
  });
});

describe("AccessControl's publish, bind and subscribe checks", () => {
  it("publish: write on the exchange, then topic write on the routing key", () => {
    const { access } = granted(brokerWithBob().login({ username: "bob", password: "secret", loopback: true, vhost: "/" }));
    expect(access.checkPublish("amq.topic", "x")?.text).toBe(
      "ACCESS_REFUSED - access to exchange 'amq.topic' in vhost '/' refused for user 'bob'",
    );
    const b = brokerWithBob();
    b.users.setPermission("bob", "/", { configure: ".*", write: ".*", read: ".*" });
    const a = granted(b.login({ username: "bob", password: "secret", loopback: true, vhost: "/" })).access;
    expect(a.checkPublish("amq.topic", "news.today")).toBeNull();
    expect(a.checkPublish("amq.topic", "sport.today")?.text).toBe(
      "ACCESS_REFUSED - access to topic 'sport.today' in exchange 'amq.topic' in vhost '/' refused for user 'bob'",
    );
    // topic permissions only apply to topic exchanges
    expect(a.checkPublish("amq.direct", "sport.today")).toBeNull();
  });

  it("bind: write on the destination, read on the source, then topic read", () => {
    const { access } = granted(brokerWithBob().login({ username: "bob", password: "secret", loopback: true, vhost: "/", clientId: "c1" }));
    expect(access.checkBind("queue", "inbox", "amq.topic", "news.c1")?.text).toBe(
      "ACCESS_REFUSED - access to queue 'inbox' in vhost '/' refused for user 'bob'",
    );
    expect(access.checkBind("queue", "out-1", "amq.topic", "news.c1")).toBeNull();
    // {client_id} is expanded from the login
    expect(access.checkBind("queue", "out-1", "amq.topic", "news.c2")?.text).toContain("access to topic 'news.c2'");
    expect(access.checkBind("queue", "out-1", "", "anything")).toBeNull();
  });

  it("subscribe: configure on its queue first; with no queue only the exchange's side", () => {
    const b = brokerWithBob();
    b.users.setPermission("bob", "/", { configure: "^mine", write: ".*", read: ".*" });
    const { access } = granted(b.login({ username: "bob", password: "secret", loopback: true, vhost: "/", clientId: "c1" }));
    expect(access.checkSubscribe("theirs", "amq.topic", "news.c1")?.text).toBe(
      "ACCESS_REFUSED - access to queue 'theirs' in vhost '/' refused for user 'bob'",
    );
    expect(access.checkSubscribe("mine", "amq.topic", "news.c1")).toBeNull();
    expect(access.checkSubscribe(null, "amq.topic", "news.other")?.text).toContain("access to topic 'news.other'");
  });
});

describe("publishPropertiesProblem", () => {
  it("checks user_id against the login and expiration as RabbitMQ does", () => {
    expect(publishPropertiesProblem({ userId: "bob" }, "bob")).toBeNull();
    expect(publishPropertiesProblem({ userId: "eve" }, "bob")?.text).toBe(
      "PRECONDITION_FAILED - user_id property set to 'eve' but authenticated user was 'bob'",
    );
    expect(publishPropertiesProblem({ expiration: "-1" }, "bob")?.text).toBe(
      "PRECONDITION_FAILED - invalid expiration '-1': {value_negative,-1}",
    );
    expect(publishPropertiesProblem({ expiration: "60000" }, "bob")).toBeNull();
  });
});

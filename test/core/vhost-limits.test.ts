import { describe, expect, it } from "vitest";
import { Broker } from "../../src/core/broker.js";
import { BrokerError, ReplyCode } from "../../src/core/errors.js";
import type { ConnectionSource } from "../../src/core/connections.js";
import { parameterProblem } from "../../src/core/parameter-validation.js";

/** A connection as a front-end registers it after login. */
const source = (id: number): ConnectionSource => ({
  client: { id },
  connectedAt: 0,
  connectionDetails: () => {
    throw new Error("not listed here");
  },
});

const limits = (b: Broker, vhost: string, value: Record<string, number>) =>
  b.setParameter({ vhost, component: "vhost-limits", name: "limits", value });

describe("vhost limits", () => {
  it("max-connections refuses the login past the limit with rabbit_reader's 530, before the user's access is looked at", () => {
    const b = new Broker();
    b.users.add("bob", "pw", []);
    expect(limits(b, "/", { "max-connections": 1 })).toBe(true);
    const first = b.login({ username: "guest", password: "guest", loopback: true, vhost: "/" });
    expect(first).not.toBeInstanceOf(BrokerError);
    b.connections.register(source(1), "/");
    for (const user of ["guest", "bob"]) {
      const second = b.login({ username: user, password: user === "bob" ? "pw" : "guest", loopback: true, vhost: "/" }) as BrokerError;
      expect([second.code, second.text]).toEqual([
        ReplyCode.NOT_ALLOWED,
        `NOT_ALLOWED - access to vhost '/' refused for user '${user}': connection limit (1) is reached`,
      ]);
    }
    // the connection goes: room again
    b.connections.unregister({ id: 1 });
    expect(b.login({ username: "guest", password: "guest", loopback: true, vhost: "/" })).not.toBeInstanceOf(BrokerError);
    // 0 refuses every connection, a negative value is no limit
    limits(b, "/", { "max-connections": 0 });
    expect((b.login({ username: "guest", password: "guest", loopback: true, vhost: "/" }) as BrokerError).text).toContain(
      "connection limit (0) is reached",
    );
    limits(b, "/", { "max-connections": -1 });
    b.connections.register(source(2), "/");
    b.connections.register(source(3), "/");
    expect(b.login({ username: "guest", password: "guest", loopback: true, vhost: "/" })).not.toBeInstanceOf(BrokerError);
  });

  it("max-queues refuses a new queue with 406 naming it, lets existing ones be redeclared, and is lifted by a clear", () => {
    const b = new Broker();
    const v = b.vhost("/") as import("../../src/core/vhost.js").VirtualHost;
    limits(b, "/", { "max-queues": 1 });
    expect(v.declareQueue("q1", {}, null)).not.toBeInstanceOf(BrokerError);
    expect(v.declareQueue("q1", {}, null)).not.toBeInstanceOf(BrokerError);
    const e = v.declareQueue("q2", { args: { "x-max-length": "nonsense" } }, null) as BrokerError;
    expect([e.code, e.text]).toEqual([
      ReplyCode.PRECONDITION_FAILED,
      "PRECONDITION_FAILED - cannot declare queue 'q2': queue limit in vhost '/' (1) is reached",
    ]);
    const named = v.declareQueue("", {}, null) as BrokerError;
    expect(named.text).toMatch(
      /^PRECONDITION_FAILED - cannot declare queue 'amq\.gen-[\w-]{22}': queue limit in vhost '\/' \(1\) is reached$/,
    );
    expect(b.clearParameter("/", "vhost-limits", "limits")).toBe(true);
    expect(v.declareQueue("q2", {}, null)).not.toBeInstanceOf(BrokerError);
  });

  it("limits set before their vhost exists apply once it is created (a definitions import's order)", () => {
    const b = new Broker();
    b.parameters.set({ vhost: "later", component: "vhost-limits", name: "limits", value: { "max-queues": 0 } });
    const v = b.addVhost("later");
    expect((v.declareQueue("q", {}, null) as BrokerError).text).toContain("queue limit in vhost 'later' (0) is reached");
  });

  it("parameters are validated as RabbitMQ validates them, with its texts", () => {
    expect(parameterProblem("vhost-limits", "limits", { "max-foo": 5 })).toBe(
      'Validation failed\n\nUnrecognised terms [{<<"max-foo">>,5}] in limits\n',
    );
    expect(parameterProblem("vhost-limits", "limits", { "max-queues": 1.5 })).toBe(
      "Validation failed\n\nmax-queues should be a number, actually was 1.5\n",
    );
    expect(parameterProblem("vhost-limits", "limits", { "max-connections": "7" })).toBe(
      'Validation failed\n\nmax-connections should be a number, actually was <<"7">>\n',
    );
    expect(parameterProblem("foo", "x", { a: 1 })).toBe("Validation failed\n\ncomponent foo not found\n");
    expect(parameterProblem("policy", "x", {})).toBe("policies may not be set using this method");
    expect(parameterProblem("federation-upstream", "up1", {})).toBe('Validation failed\n\nKey "uri" not found in up1\n');
    expect(parameterProblem("federation-upstream", "up1", { uri: 5 })).toBe("Validation failed\n\nuri should be list, actually was 5\n");
    expect(parameterProblem("federation-upstream", "up1", { uri: "amqp://remote", expires: "x" })).toBe(
      'Validation failed\n\nexpires should be a number, actually was <<"x">>\n',
    );
    expect(parameterProblem("federation-upstream", "up1", { uri: "amqp://remote", foo: 1 })).toBe(
      'Validation failed\n\nUnrecognised terms [{<<"foo">>,1}] in up1\n',
    );
    expect(parameterProblem("federation-upstream", "up1", { uri: "amqp://remote", expires: 3600000 })).toBeNull();
    expect(parameterProblem("federation-upstream-set", "s1", [{ upstream: "up1" }])).toBeNull();
    expect(parameterProblem("shovel", "sh1", {})).toBe(
      "Validation failed\n\nMust specify 'src-exchange' or 'src-queue'\nKey \"dest-uri\" not found in sh1\nKey \"src-uri\" not found in sh1\n",
    );
    expect(
      parameterProblem("shovel", "sh1", { "src-uri": "amqp://a", "src-queue": "q", "dest-uri": "amqp://b", "dest-queue": "q2" }),
    ).toBeNull();
  });

  it("operator policies are parameters of the operator_policy component, as RabbitMQ lists and exports them", () => {
    const b = new Broker();
    expect(b.setParameter({ vhost: "/", component: "operator_policy", name: "op", value: { pattern: "x", definition: {} } })).toBe(
      'Validation failed\n\nKey "priority" not found in op\n',
    );
    expect(
      b.setParameter({
        vhost: "/",
        component: "operator_policy",
        name: "op",
        value: { pattern: "x", definition: { "max-length": 1 }, priority: 0 },
      }),
    ).toBe(true);
    b.setPolicy("/", { name: "p1", pattern: "y", definition: { "max-length": 2 } });
    expect(b.listParameters()).toEqual([
      {
        vhost: "/",
        component: "operator_policy",
        name: "op",
        value: { pattern: "x", definition: { "max-length": 1 }, priority: 0, "apply-to": "all" },
      },
    ]);
    expect(b.listParameters({ component: "policy" }).map((p) => p.name)).toEqual(["p1"]);
    expect(b.clearParameter("/", "operator_policy", "op")).toBe(true);
    expect(b.listParameters()).toEqual([]);
  });
});

// When a request is both refused and malformed, RabbitMQ 3.10 answers the refusal: credentials,
// the user's tags, the vhost (its access and its existence) and a policy's writer are checked
// before the body is read, and for permissions the vhost and user too; the body is read before
// the action's own checks (the queue of a get, the exchange of a publish, amq. names). Run against
// the broker under test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = unique("validation-order");
const user = unique("validation-order-user");
const e = encodeURIComponent;
const call = (method: string, path: string, body?: unknown, as?: [string, string]) =>
  apiCall(broker, method, path, body, ...(as ?? [broker.user, broker.password]));
const managementUser: [string, string] = [user, "pw"];
const notBoolean = { status: 400, json: { error: "bad_request", reason: ["not_boolean", "maybe"] } };
const refused = (reason: string) => ({ status: 401, json: { error: "not_authorised", reason } });

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await call("PUT", `/api/vhosts/${e(vhost)}`)).status).toBe(201);
  expect(
    (await call("PUT", `/api/permissions/${e(vhost)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" })).status,
  ).toBeLessThan(300);
  // a management user without permissions in the vhost
  expect((await call("PUT", `/api/users/${e(user)}`, { password: "pw", tags: "management" })).status).toBe(201);
});
afterAll(async () => {
  if (broker === undefined) return;
  await call("DELETE", `/api/vhosts/${e(vhost)}`);
  await call("DELETE", `/api/users/${e(user)}`);
  await broker.close();
});

describe("a malformed body from a caller who is refused", () => {
  it("without credentials: 401", async () => {
    const res = await fetch(`${broker.url}/api/queues/${e(vhost)}/q`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"durable":"maybe"}',
    });
    expect(res.status).toBe(401);
  });

  it("without the tag the route needs: 401 with the tag's refusal", async () => {
    expect(await call("PUT", `/api/users/${e(`${user}-new`)}`, [1], managementUser)).toEqual(refused("Not administrator user"));
    expect(await call("PUT", `/api/vhosts/${e(`${vhost}-new`)}`, { tracing: "x" }, managementUser)).toEqual(
      refused("Not administrator user"),
    );
    expect(await call("PUT", `/api/operator-policies/${e(vhost)}/p`, { pattern: 1 }, managementUser)).toEqual(
      refused("Not administrator user"),
    );
    expect(await call("PUT", `/api/policies/${e(vhost)}/p`, { pattern: 1 }, managementUser)).toEqual(
      refused("User not authorised to access object"),
    );
  });

  it("in a vhost the user may not use: 401", async () => {
    const noVhost = refused("User not authorised to access virtual host");
    expect(await call("PUT", `/api/queues/${e(vhost)}/q`, { durable: "maybe" }, managementUser)).toEqual(noVhost);
    expect(await call("PUT", `/api/exchanges/${e(vhost)}/x`, { durable: "maybe" }, managementUser)).toEqual(noVhost);
    expect(
      await call("POST", `/api/queues/${e(vhost)}/q/get`, { count: "x", ackmode: "ack_requeue_true", encoding: "auto" }, managementUser),
    ).toEqual(noVhost);
    expect(await call("POST", `/api/exchanges/${e(vhost)}/amq.direct/publish`, { payload: 5 }, managementUser)).toEqual(noVhost);
    expect(await call("POST", `/api/bindings/${e(vhost)}/e/amq.direct/q/q`, { routing_key: 5 }, managementUser)).toEqual(noVhost);
  });

  it("in a vhost that does not exist: 404", async () => {
    expect((await call("PUT", `/api/queues/${e(`${vhost}-none`)}/q`, { durable: "maybe" })).status).toBe(404);
    expect((await call("PUT", `/api/exchanges/${e(`${vhost}-none`)}/x`, { durable: "maybe" })).status).toBe(404);
  });

  it("for a user that does not exist: permissions' vhost_or_user_not_found", async () => {
    const missing = { status: 400, json: { error: "bad_request", reason: "vhost_or_user_not_found" } };
    expect(await call("PUT", `/api/permissions/${e(vhost)}/${e(`${user}-none`)}`, { read: ".*" })).toEqual(missing);
    expect(await call("PUT", `/api/topic-permissions/${e(vhost)}/${e(`${user}-none`)}`, { write: ".*" })).toEqual(missing);
  });
});

describe("a malformed body is answered before the action's own checks", () => {
  it("a get from a queue that does not exist, a publish to an exchange that does not, an amq. name", async () => {
    expect(await call("POST", `/api/queues/${e(vhost)}/none/get`, { count: "x", ackmode: "ack_requeue_true", encoding: "auto" })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: ["not_integer", "x"] },
    });
    expect(
      await call("POST", `/api/exchanges/${e(vhost)}/none/publish`, {
        properties: {},
        routing_key: "k",
        payload: 5,
        payload_encoding: "string",
      }),
    ).toEqual({ status: 400, json: { error: "bad_request", reason: "payload_not_string" } });
    expect(await call("PUT", `/api/queues/${e(vhost)}/amq.q`, { durable: "maybe" })).toEqual(notBoolean);
    expect(await call("PUT", `/api/exchanges/${e(vhost)}/amq.x`, { durable: "maybe" })).toEqual(notBoolean);
  });
});

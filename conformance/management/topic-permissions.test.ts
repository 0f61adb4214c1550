// /api/topic-permissions as RabbitMQ 3.10's management API answers it (status codes, list shapes,
// errors), driven over plain HTTP; the same scenario runs against RabbitMQ and Warren.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const user = unique("conf-tp");

const call = (method: string, path: string, body?: unknown) => apiCall(broker, method, path, body);

const sorted = (list: unknown) => (list as { exchange: string }[]).slice().sort((a, b) => a.exchange.localeCompare(b.exchange));

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await call("PUT", `/api/users/${user}`, { password: "pw", tags: "" })).status).toBe(201);
});
afterAll(async () => {
  await call("DELETE", `/api/users/${user}`);
  await broker.close();
});

describe("topic permissions over the management API", () => {
  it("PUT answers 201 for a user's first topic permission in a vhost and 204 after; GET lists them per user, vhost and pair", async () => {
    const path = `/api/topic-permissions/%2F/${user}`;
    expect((await call("GET", path)).status).toBe(404);
    expect((await call("PUT", path, { exchange: "amq.topic", write: "^a", read: ".*" })).status).toBe(201);
    expect((await call("PUT", path, { exchange: "amq.topic", write: "^b", read: ".*" })).status).toBe(204);
    expect((await call("PUT", path, { exchange: "amq.direct", write: "x", read: "y" })).status).toBe(204);
    const expected = [
      { user, vhost: "/", exchange: "amq.direct", write: "x", read: "y" },
      { user, vhost: "/", exchange: "amq.topic", write: "^b", read: ".*" },
    ];
    for (const p of [path, `/api/users/${user}/topic-permissions`]) {
      const r = await call("GET", p);
      expect(r.status).toBe(200);
      expect(sorted(r.json)).toEqual(expected);
    }
    const all = await call("GET", "/api/topic-permissions");
    expect(sorted((all.json as { user: string }[]).filter((x) => x.user === user))).toEqual(expected);
    const inVhost = await call("GET", "/api/vhosts/%2F/topic-permissions");
    expect(sorted((inVhost.json as { user: string }[]).filter((x) => x.user === user))).toEqual(expected);
    expect((await call("DELETE", path)).status).toBe(204);
    expect((await call("DELETE", path)).status).toBe(404);
    expect((await call("GET", path)).status).toBe(404);
  });

  it("refuses a body without exchange, and an unknown user, with 400 and RabbitMQ's reasons", async () => {
    expect(await call("PUT", `/api/topic-permissions/%2F/${user}`, { write: ".*", read: ".*" })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: "[{key_missing,exchange}]" },
    });
    expect(await call("PUT", `/api/topic-permissions/%2F/${user}-nobody`, { exchange: "amq.topic", write: ".*", read: ".*" })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: "vhost_or_user_not_found" },
    });
  });
});

// Request bodies of the wrong shape get 400 with RabbitMQ 3.10's reasons: the rows of
// validation-table.ts that RabbitMQ answers itself, against the broker under test. Nothing is
// created by them; the scenario checks that too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VALIDATION_CASES } from "./validation-table.js";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = unique("validation");
const user = unique("validation-user");
const e = encodeURIComponent;

const call = (method: string, path: string, body?: unknown) => apiCall(broker, method, path, body);

beforeAll(async () => {
  broker = await useManagementBroker();
  for (const [method, path, body] of [
    ["PUT", `/api/vhosts/${e(vhost)}`, undefined],
    ["PUT", `/api/permissions/${e(vhost)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" }],
    ["PUT", `/api/users/${e(user)}`, { password: "pw", tags: "" }],
    ["PUT", `/api/queues/${e(vhost)}/q`, {}],
  ] as const) {
    const r = await call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status}`);
  }
});
afterAll(async () => {
  if (broker === undefined) return;
  await call("DELETE", `/api/vhosts/${e(vhost)}`);
  await call("DELETE", `/api/vhosts/${e(`${vhost}-new`)}`);
  await call("DELETE", `/api/users/${e(user)}`);
  await call("DELETE", `/api/users/${e(`${user}-new`)}`);
  await broker.close();
});

describe("request bodies are validated with RabbitMQ's answers", () => {
  for (const c of VALIDATION_CASES.filter((x) => x.rabbitmq === "same")) {
    it(`${c.route} ${typeof c.body === "string" ? c.body : JSON.stringify(c.body)}`, async () => {
      const method = c.route.split(" ")[0]!;
      const path = c.path(vhost, user);
      expect(await call(method, path, c.body)).toEqual({ status: 400, json: { error: "bad_request", reason: c.reason } });
      // a refused PUT made nothing
      if (method === "PUT" && !path.includes("/permissions/")) expect((await call("GET", path)).status).toBe(404);
    });
  }
});

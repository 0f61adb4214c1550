// Names in the path are whole segments, percent-decoded once: a vhost with "/" and spaces in its
// name (%2F, %20), queues, exchanges and bindings with unicode, "/", "%" and spaces, and a
// binding's properties key, are created, read and deleted through the API as RabbitMQ does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = `${unique("path names")}/a b`;
const e = encodeURIComponent;
const call = (method: string, path: string, body?: unknown) => apiCall<Record<string, unknown> | null>(broker, method, path, body);

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await call("PUT", `/api/vhosts/${e(vhost)}`)).status).toBe(201);
  // RabbitMQ already gave the vhost's creator permissions (204), Warren does not (201)
  expect(
    (await call("PUT", `/api/permissions/${e(vhost)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" })).status,
  ).toBeLessThan(300);
});
afterAll(async () => {
  if (broker === undefined) return;
  await call("DELETE", `/api/vhosts/${e(vhost)}`);
  await broker.close();
});

describe("names in the path", () => {
  it("a vhost named with / and spaces is read by its %2F-encoded name", async () => {
    expect((await call("GET", `/api/vhosts/${e(vhost)}`)).json?.name).toBe(vhost);
    expect((await call("GET", `/api/permissions/${e(vhost)}/${e(broker.user)}`)).json).toMatchObject({ vhost, user: broker.user });
  });

  for (const name of ["q/with slash", "ünïcødé 队列 🐇", "per%cent 100%25", "a+b"]) {
    it(`a queue and an exchange named ${JSON.stringify(name)} are declared, read, bound and deleted`, async () => {
      const queue = `/api/queues/${e(vhost)}/${e(name)}`;
      const exchange = `/api/exchanges/${e(vhost)}/${e(name)}`;
      expect((await call("PUT", queue, { durable: false })).status).toBe(201);
      expect((await call("GET", queue)).json).toMatchObject({ name, vhost });
      expect((await call("PUT", exchange, { type: "topic" })).status).toBe(201);
      expect((await call("GET", exchange)).json).toMatchObject({ name, vhost, type: "topic" });
      const bind = `/api/bindings/${e(vhost)}/e/${e(name)}/q/${e(name)}`;
      expect((await call("POST", bind, { routing_key: name })).status).toBe(201);
      const listed = (await call("GET", bind)).json as unknown as { properties_key: string; routing_key: string }[];
      expect(listed.map((b) => b.routing_key)).toEqual([name]);
      expect((await call("GET", `${bind}/${e(listed[0]!.properties_key)}`)).json).toMatchObject({
        source: name,
        destination: name,
        routing_key: name,
      });
      expect((await call("DELETE", `${bind}/${e(listed[0]!.properties_key)}`)).status).toBe(204);
      expect((await call("GET", bind)).json).toEqual([]);
      expect((await call("DELETE", exchange)).status).toBe(204);
      expect((await call("DELETE", queue)).status).toBe(204);
      expect((await call("GET", queue)).status).toBe(404);
    });
  }
});

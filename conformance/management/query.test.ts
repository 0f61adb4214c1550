// Query strings as RabbitMQ 3.10 reads them, against the broker under test: sort, sort_reverse and
// columns on listings and single objects, a repeated parameter counted once (its first value, as
// cowboy's parsed query and RabbitMQ's proplists lookup give it), and delete flags that are
// anything but "true" read as false rather than refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = unique("query");
const e = encodeURIComponent;
const call = (method: string, path: string, body?: unknown) => apiCall(broker, method, path, body);
const queues = `/api/queues/${e(vhost)}`;

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await call("PUT", `/api/vhosts/${e(vhost)}`)).status).toBe(201);
  // RabbitMQ already gave the vhost's creator permissions (204), Warren does not (201)
  expect(
    (await call("PUT", `/api/permissions/${e(vhost)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" })).status,
  ).toBeLessThan(300);
  for (const name of ["b", "a", "c"]) expect((await call("PUT", `${queues}/${name}`, { durable: false })).status).toBe(201);
});
afterAll(async () => {
  if (broker === undefined) return;
  await call("DELETE", `/api/vhosts/${e(vhost)}`);
  await broker.close();
});

describe("query strings", () => {
  it("sorts a listing and keeps only the columns asked for", async () => {
    expect(await call("GET", `${queues}?sort=name&columns=name`)).toEqual({
      status: 200,
      json: [{ name: "a" }, { name: "b" }, { name: "c" }],
    });
    expect((await call("GET", `${queues}?sort=name&sort_reverse=true&columns=name`)).json).toEqual([
      { name: "c" },
      { name: "b" },
      { name: "a" },
    ]);
  });

  it("keeps the columns of a single object too", async () => {
    expect(await call("GET", `${queues}/a?columns=name,vhost`)).toEqual({ status: 200, json: { name: "a", vhost } });
  });

  it("leaves an error answer whole", async () => {
    const notFound = { status: 404, json: { error: "Object Not Found", reason: "Not Found" } };
    expect(await call("GET", `${queues}/missing?columns=name`)).toEqual(notFound);
    expect(await call("GET", `/api/no-such-thing?columns=error`)).toEqual(notFound);
    expect(await call("PUT", `${queues}/refused?columns=name`, { durable: "maybe" })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: ["not_boolean", "maybe"] },
    });
  });

  it("reads a repeated parameter once, by its first value", async () => {
    expect(await call("GET", `${queues}?sort=name&sort=vhost&columns=name&columns=vhost`)).toEqual({
      status: 200,
      json: [{ name: "a" }, { name: "b" }, { name: "c" }],
    });
    expect((await call("GET", `${queues}?sort=name&sort_reverse=true&sort_reverse=false&columns=name`)).json).toEqual([
      { name: "c" },
      { name: "b" },
      { name: "a" },
    ]);
    expect((await call("GET", `${queues}?sort=name&sort_reverse=false&sort_reverse=true&columns=name`)).json).toEqual([
      { name: "a" },
      { name: "b" },
      { name: "c" },
    ]);
  });

  // (RabbitMQ fails with a 500 on a sort_reverse other than true or false; Warren reads it as false)
  it('takes a delete flag that is not "true" as false, without refusing it', async () => {
    expect((await call("DELETE", `${queues}/c?if-empty=maybe&if-unused=1`)).status).toBe(204);
    expect((await call("GET", `${queues}/c`)).status).toBe(404);
  });

  it("lets through parameters it does not act on", async () => {
    expect((await call("GET", `${queues}?lengths_age=60&msg_rates_age=60&columns=name&sort=name`)).json).toEqual([
      { name: "a" },
      { name: "b" },
    ]);
  });
});

// Runtime parameters, global parameters and vhost limits over the management API, as RabbitMQ 3.10
// answers them (status codes, shapes, validation texts); the same scenario runs against RabbitMQ
// (a stock node: no federation or shovel plugin, so their components are not used here) and Warren.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = unique("conf-params");
const v = encodeURIComponent(vhost);
const call = (method: string, path: string, body?: unknown) => apiCall(broker, method, path, body);

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await call("PUT", `/api/vhosts/${v}`)).status).toBe(201);
});
afterAll(async () => {
  await call("DELETE", `/api/vhosts/${v}`);
  await broker.close();
});

const mine = (json: unknown) => (json as { vhost: string }[]).filter((x) => x.vhost === vhost);

describe("vhost limits over the management API", () => {
  it("PUT sets one limit at a time (204), GET lists them per vhost, and they are the vhost's `limits` parameter", async () => {
    expect((await call("PUT", `/api/vhost-limits/${v}/max-queues`, { value: 5 })).status).toBe(204);
    expect((await call("PUT", `/api/vhost-limits/${v}/max-connections`, { value: 7 })).status).toBe(204);
    const expected = { vhost, value: { "max-queues": 5, "max-connections": 7 } };
    expect(mine((await call("GET", "/api/vhost-limits")).json)).toEqual([expected]);
    expect(await call("GET", `/api/vhost-limits/${v}`)).toEqual({ status: 200, json: [expected] });
    expect(await call("GET", `/api/parameters/vhost-limits/${v}/limits`)).toEqual({
      status: 200,
      json: { value: expected.value, vhost, component: "vhost-limits", name: "limits" },
    });
    expect(mine((await call("GET", "/api/parameters")).json)).toEqual([
      { value: expected.value, vhost, component: "vhost-limits", name: "limits" },
    ]);
    expect((await call("GET", `/api/parameters/vhost-limits/${v}`)).json).toHaveLength(1);
  });

  it("refuses what rabbit_vhost_limit refuses, with its texts", async () => {
    const put = (name: string, body: unknown) => call("PUT", `/api/vhost-limits/${v}/${name}`, body);
    expect(await put("max-queues", { value: "7" })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: 'Validation failed\n\nmax-queues should be a number, actually was <<"7">>\n' },
    });
    expect(await put("max-queues", { value: 1.5 })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: "Validation failed\n\nmax-queues should be a number, actually was 1.5\n" },
    });
    expect((await put("max-foo", { value: 5 })).json).toEqual({
      error: "bad_request",
      reason: 'Validation failed\n\nUnrecognised terms [{<<"max-foo">>,5}] in limits\n',
    });
    expect(await put("max-queues", {})).toEqual({ status: 400, json: { error: "bad_request", reason: "[{key_missing,value}]" } });
    expect(await call("PUT", `/api/vhost-limits/${v}-nowhere/max-queues`, { value: 1 })).toEqual({
      status: 404,
      json: { error: "not_found", reason: "vhost_not_found" },
    });
    expect((await call("GET", `/api/vhost-limits/${v}-nowhere`)).status).toBe(404);
  });

  it("DELETE clears one limit; the last one cleared leaves an empty limits parameter, listed as []", async () => {
    expect((await call("DELETE", `/api/vhost-limits/${v}/max-queues`)).status).toBe(204);
    expect((await call("GET", `/api/vhost-limits/${v}`)).json).toEqual([{ vhost, value: { "max-connections": 7 } }]);
    expect((await call("DELETE", `/api/vhost-limits/${v}/max-connections`)).status).toBe(204);
    expect((await call("GET", `/api/vhost-limits/${v}`)).json).toEqual([]);
    expect(mine((await call("GET", "/api/vhost-limits")).json)).toEqual([{ vhost, value: [] }]);
  });
});

describe("runtime parameters over the management API", () => {
  it("a component no plugin provides is refused with RabbitMQ's validation text; policies have their own API", async () => {
    expect(await call("PUT", `/api/parameters/no-such-component/${v}/x`, { value: { a: 1 } })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: "Validation failed\n\ncomponent no-such-component not found\n" },
    });
    expect(await call("PUT", `/api/parameters/policy/${v}/x`, { value: { pattern: "x", definition: { "max-length": 1 } } })).toEqual({
      status: 400,
      json: { error: "bad_request", reason: "policies may not be set using this method" },
    });
    expect((await call("PUT", `/api/parameters/vhost-limits/${v}/limits`, {})).json).toEqual({
      error: "bad_request",
      reason: "[{key_missing,value}]",
    });
    expect(await call("PUT", `/api/parameters/vhost-limits/${v}-nowhere/limits`, { value: {} })).toEqual({
      status: 404,
      json: { error: "not_found", reason: "vhost_not_found" },
    });
    expect((await call("GET", `/api/parameters/no-such-component/${v}`)).json).toEqual([]);
    expect((await call("GET", `/api/parameters/no-such-component/${v}/x`)).status).toBe(404);
    expect((await call("DELETE", `/api/parameters/no-such-component/${v}/x`)).status).toBe(404);
    expect((await call("GET", `/api/parameters/vhost-limits/${v}-nowhere`)).status).toBe(404);
  });

  it("PUT answers 201 for a new parameter and 204 after; DELETE removes it", async () => {
    const path = `/api/parameters/vhost-limits/${v}/limits`;
    await call("DELETE", path);
    expect((await call("PUT", path, { value: { "max-queues": 3 } })).status).toBe(201);
    expect((await call("PUT", path, { value: { "max-queues": 4 } })).status).toBe(204);
    expect((await call("GET", `/api/vhost-limits/${v}`)).json).toEqual([{ vhost, value: { "max-queues": 4 } }]);
    expect((await call("DELETE", path)).status).toBe(204);
    expect((await call("GET", path)).status).toBe(404);
    expect((await call("GET", `/api/vhost-limits/${v}`)).json).toEqual([]);
  });

  it("operator policies are listed as operator_policy parameters; user policies only under their own component", async () => {
    expect((await call("PUT", `/api/operator-policies/${v}/op1`, { pattern: "^x$", definition: { "max-length": 1 } })).status).toBe(201);
    expect((await call("PUT", `/api/policies/${v}/p1`, { pattern: "^y$", definition: { "max-length": 2 } })).status).toBe(201);
    const op = {
      value: { pattern: "^x$", definition: { "max-length": 1 }, priority: 0, "apply-to": "all" },
      vhost,
      component: "operator_policy",
      name: "op1",
    };
    expect(mine((await call("GET", "/api/parameters")).json)).toEqual([op]);
    expect((await call("GET", `/api/parameters/operator_policy/${v}`)).json).toEqual([op]);
    expect((await call("GET", `/api/parameters/policy/${v}`)).json).toEqual([
      {
        value: { pattern: "^y$", definition: { "max-length": 2 }, priority: 0, "apply-to": "all" },
        vhost,
        component: "policy",
        name: "p1",
      },
    ]);
    expect(
      await call("PUT", `/api/parameters/operator_policy/${v}/op2`, { value: { pattern: "x", definition: { "max-length": 1 } } }),
    ).toEqual({ status: 400, json: { error: "bad_request", reason: 'Validation failed\n\nKey "priority" not found in op2\n' } });
    await call("DELETE", `/api/operator-policies/${v}/op1`);
    await call("DELETE", `/api/policies/${v}/p1`);
  });
});

describe("global parameters over the management API", () => {
  it("PUT answers 201 then 204, GET shows any JSON value, DELETE removes it (404 after)", async () => {
    const name = unique("conf-global");
    const path = `/api/global-parameters/${name}`;
    expect((await call("PUT", path, { value: { a: [1, 2] } })).status).toBe(201);
    expect((await call("PUT", path, { value: { a: [1, 2, 3] } })).status).toBe(204);
    expect(await call("GET", path)).toEqual({ status: 200, json: { value: { a: [1, 2, 3] }, name } });
    expect((await call("GET", "/api/global-parameters")).json).toContainEqual({ name, value: { a: [1, 2, 3] } });
    expect(await call("PUT", path, {})).toEqual({ status: 400, json: { error: "bad_request", reason: "[{key_missing,value}]" } });
    expect((await call("DELETE", path)).status).toBe(204);
    expect((await call("DELETE", path)).status).toBe(404);
    expect((await call("GET", path)).status).toBe(404);
  });

  it("cluster_name is the global parameter the overview shows", async () => {
    const before = (await call("GET", "/api/global-parameters/cluster_name")).json as { value: string } | { error: string };
    const name = unique("conf-cluster");
    expect((await call("PUT", "/api/global-parameters/cluster_name", { value: name })).status).toBeLessThan(300);
    expect(((await call("GET", "/api/overview")).json as { cluster_name: string }).cluster_name).toBe(name);
    if ("value" in before) await call("PUT", "/api/global-parameters/cluster_name", { value: before.value });
    else await call("DELETE", "/api/global-parameters/cluster_name");
  });
});

// Request bodies where RabbitMQ 3.10 fails (a 500, a crash report) or stores a value of the wrong
// type: Warren answers 400 with a reason and stores nothing (conformance/management/validation-table.ts;
// the rows RabbitMQ answers the same way run against both brokers in conformance/management/validation).
// And every route that takes a body has a schema.
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "warren";
import { VALIDATION_CASES } from "../../conformance/management/validation-table.js";
import { ManagementClient, ManagementError } from "../../src/cli/management-client.js";
import { type ManagementContext, registerApi } from "../../src/management/api.js";
import type { RateSampler } from "../../src/management/rates.js";
import { api, startWithManagement } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startWithManagement();
  broker.core.addVhost("val");
  broker.core.users.setPermission("guest", "val", { configure: ".*", write: ".*", read: ".*" });
  broker.core.users.add("val-user", "pw", []);
  expect((await api(broker, "PUT", "/api/queues/val/q", {})).status).toBe(201);
});
afterAll(() => broker.close());

describe("request bodies RabbitMQ fails on or stores wrongly", () => {
  for (const c of VALIDATION_CASES.filter((x) => x.rabbitmq !== "same")) {
    it(`${c.route} ${JSON.stringify(c.body)} (RabbitMQ: ${c.rabbitmq}) → 400 ${JSON.stringify(c.reason)}`, async () => {
      const method = c.route.split(" ")[0]!;
      const path = c.path("val", "val-user");
      const r = await api(broker, method, path, c.body);
      expect({ status: r.status, json: r.json }).toEqual({ status: 400, json: { error: "bad_request", reason: c.reason } });
      if (method === "PUT" && !path.includes("/permissions/")) expect((await api(broker, "GET", path)).status).toBe(404);
    });
  }

  it("a refused permissions body leaves the user's permissions as they were", async () => {
    broker.core.users.setPermission("val-user", "val", { configure: "c", write: "w", read: "r" });
    expect((await api(broker, "PUT", "/api/permissions/val/val-user", { configure: 1, write: ".*", read: ".*" })).status).toBe(400);
    expect((await api(broker, "PUT", "/api/permissions/val/val-user", { configure: ".*", write: ".*" })).status).toBe(400);
    expect(broker.core.users.permission("val-user", "val")).toEqual({ configure: "c", write: "w", read: "r" });
  });

  it("still takes what RabbitMQ takes: strings for booleans and numbers, numbers in tags, no body, no exchange type", async () => {
    expect((await api(broker, "PUT", "/api/queues/val/strings", { durable: "true", auto_delete: "false", arguments: {} })).status).toBe(
      201,
    );
    expect((await api(broker, "GET", "/api/queues/val/strings")).json).toMatchObject({ durable: true, auto_delete: false });
    expect((await api(broker, "PUT", "/api/users/val-tags", { password: "pw", tags: ["management", 1] })).status).toBe(201);
    expect((await api(broker, "GET", "/api/users/val-tags")).json.tags).toEqual(["management", "1"]);
    expect((await api(broker, "PUT", "/api/vhosts/val-nobody")).status).toBe(201);
    expect((await api(broker, "PUT", "/api/exchanges/val/untyped", {})).status).toBe(201);
    expect((await api(broker, "GET", "/api/exchanges/val/untyped")).json.type).toBe("direct");
    const got = await api(broker, "POST", "/api/queues/val/q/get", {
      count: "2",
      ackmode: "ack_requeue_true",
      encoding: "auto",
      truncate: "10",
    });
    expect(got.status).toBe(200);
  });
});

describe("warren ctl's client", () => {
  it("shows a reason that is an Erlang tuple as its JSON", async () => {
    const client = new ManagementClient({ url: `http://127.0.0.1:${broker.ports.management}`, user: "guest", password: "guest" });
    const err = await client.put("/api/queues/val/q-client", { durable: "maybe" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManagementError);
    expect((err as ManagementError).reason).toBe('["not_boolean","maybe"]');
  });
});

describe("schemas", () => {
  it("every route declares its params (exactly its path's), its query string, and a PUT's or POST's body, checked when read", async () => {
    const app = Fastify();
    const routes: { route: string; schema: Record<string, { properties?: object; required?: string[] } | undefined>; attached: boolean }[] =
      [];
    app.addHook("onRoute", (r) => {
      for (const m of [r.method].flat()) {
        if (m !== "HEAD") routes.push({ route: `${m} ${r.url}`, schema: (r.schema ?? {}) as never, attached: r.attachValidation === true });
      }
    });
    registerApi(app, { core: {}, nodeName: "n" } as unknown as ManagementContext, {} as RateSampler);
    await app.ready();
    await app.close();
    expect(routes.length).toBeGreaterThan(70);
    const undeclared = routes.filter(({ route, schema, attached }) => {
      const names = [...route.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const params = schema.params;
      if (params === undefined || JSON.stringify(Object.keys(params.properties ?? {})) !== JSON.stringify(names)) return true;
      if (schema.querystring === undefined) return true;
      // a body's check answers when the handler reads it (RouteContext.body), after the caller's checks
      if (schema.body !== undefined && !attached) return true;
      return /^(PUT|POST) /.test(route) && schema.body === undefined;
    });
    expect(undeclared.map((r) => r.route)).toEqual([]);
  });
});

// The authorization table (conformance/management/authorization-table.ts, run against Warren and
// RabbitMQ by conformance/management/authorization.test.ts) must name every route the API has, so a
// new endpoint cannot arrive without its tag rules being checked.
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { AUTHZ_CASES } from "../../conformance/management/authorization-table.js";
import { type ManagementContext, registerApi } from "../../src/management/api.js";
import type { RateSampler } from "../../src/management/rates.js";

async function registeredRoutes(): Promise<string[]> {
  const app = Fastify();
  const routes: string[] = [];
  app.addHook("onRoute", (r) => {
    for (const m of [r.method].flat()) if (m !== "HEAD") routes.push(`${m} ${r.url}`);
  });
  // registering reads nothing from the broker: the routes are all this needs
  registerApi(app, { core: {}, nodeName: "n" } as unknown as ManagementContext, {} as RateSampler);
  await app.ready();
  await app.close();
  return routes;
}

/**
 * Warren's own endpoints, which RabbitMQ does not have (the table runs against RabbitMQ too): their
 * tag rules are tested where they are built (test/cluster/operations.test.ts).
 */
const WARREN_ONLY = ["GET /api/cluster", "POST /api/cluster/transfer-leadership"];

describe("management authorization table", () => {
  it("has a row for every /api route, and no row for a route that does not exist", async () => {
    const routes = (await registeredRoutes()).filter((r) => !WARREN_ONLY.includes(r));
    const covered = new Set(AUTHZ_CASES.map((c) => c.route));
    expect(routes.filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !routes.includes(r))).toEqual([]);
  });
});

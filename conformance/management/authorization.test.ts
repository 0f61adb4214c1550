// Management authorization by user tag, as RabbitMQ 3.10 applies it: every endpoint called by users
// tagged administrator, monitoring, policymaker, management and none (authorization-table.ts), each
// with full permissions in one vhost and none in another. Run against RabbitMQ with
//   npm run conformance -- --management http://guest:guest@HOST:PORT --amqp amqp://guest:guest@HOST:PORT \
//     conformance/management/authorization.test.ts
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Admin, AUTHZ_CASES, type Fixture, TAGS, type TagKey } from "./authorization-table.js";
import { apiCall, eventually, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const prefix = unique("authz");
const V = `${prefix}-v`;
const W = `${prefix}-w`;
const e = encodeURIComponent;
const userOf = (t: TagKey) => `${prefix}-${t}`;
const connections: amqp.ChannelModel[] = [];
let fixture: Fixture;

const call = (method: string, path: string, body?: unknown, user?: string, password?: string) =>
  apiCall(broker, method, path, body, user, password);
const admin: Admin = { call: (m, p, b) => call(m, p, b) };

async function must(method: string, path: string, body?: unknown): Promise<void> {
  const r = await call(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
}

/** An AMQP connection to vhost `vhost` as `user`, and its client port (to find its name). */
async function connect(user: string, password: string, vhost: string): Promise<{ conn: amqp.ChannelModel; port: number }> {
  const url = new URL(broker.amqpUrl!);
  url.username = e(user);
  url.password = e(password);
  url.pathname = `/${e(vhost)}`;
  const conn = await amqp.connect(url.toString());
  conn.on("error", () => undefined);
  connections.push(conn);
  const port = (conn.connection as unknown as { stream: { localPort: number } }).stream.localPort;
  return { conn, port };
}

beforeAll(async () => {
  broker = await useManagementBroker();
  if (broker.amqpUrl === null) throw new Error("this scenario needs --amqp for the same broker");
  for (const v of [V, W]) {
    await must("PUT", `/api/vhosts/${e(v)}`);
    await must("PUT", `/api/permissions/${e(v)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" });
    await must("PUT", `/api/exchanges/${e(v)}/x`, { type: "direct" });
    await must("PUT", `/api/exchanges/${e(v)}/x2`, { type: "direct" });
    await must("PUT", `/api/queues/${e(v)}/q`, { durable: false });
    await must("POST", `/api/bindings/${e(v)}/e/x/q/q`, { routing_key: "k" });
    await must("POST", `/api/bindings/${e(v)}/e/x/e/x2`, { routing_key: "k" });
    await must("PUT", `/api/policies/${e(v)}/p`, { pattern: "^nothing$", definition: { "max-length": 1 } });
    await must("PUT", `/api/operator-policies/${e(v)}/p`, { pattern: "^nothing$", definition: { "max-length": 1 } });
  }
  const target = `${prefix}-target`;
  await must("PUT", `/api/users/${e(target)}`, { password: "pw", tags: "" });
  await must("PUT", `/api/permissions/${e(V)}/${e(target)}`, { configure: ".*", write: ".*", read: ".*" });
  await must("PUT", `/api/topic-permissions/${e(V)}/${e(target)}`, { exchange: "amq.topic", write: ".*", read: ".*" });
  for (const t of TAGS) {
    await must("PUT", `/api/users/${e(userOf(t))}`, { password: "pw", tags: t === "none" ? "" : t });
    await must("PUT", `/api/permissions/${e(V)}/${e(userOf(t))}`, { configure: ".*", write: ".*", read: ".*" });
  }
  // a consumer in the vhost the users cannot access, to see who sees it
  const { conn } = await connect(broker.user, broker.password, W);
  const ch = await conn.createChannel();
  await ch.consume("q", () => undefined);
  // and an admin's channel in the vhost they can access
  await (await connect(broker.user, broker.password, V)).conn.createChannel();
  // for each tag, a connection of the caller's own and one of the admin's (DELETE closes them)
  const ports = new Map<string, number>();
  // each with one channel, for GET /api/channels/:name
  for (const t of TAGS) {
    const own = await connect(userOf(t), "pw", V);
    await own.conn.createChannel();
    ports.set(`own ${t}`, own.port);
    const other = await connect(broker.user, broker.password, V);
    await other.conn.createChannel();
    ports.set(`other ${t}`, other.port);
  }
  // RabbitMQ lists connections only once its statistics have been emitted
  const byPort = await eventually(
    async () => {
      const r = await call("GET", "/api/connections");
      const list = (r.json as { name: string; peer_port: number }[]).filter((c) => [...ports.values()].includes(c.peer_port));
      return list.length === ports.size ? new Map(list.map((c) => [c.peer_port, c.name])) : null;
    },
    30_000,
    "the connections to be listed",
  );
  // and their channels too
  await eventually(
    async () => {
      const r = await call("GET", "/api/channels");
      const names = new Set((r.json as { name: string }[]).map((c) => c.name));
      return [...byPort.values()].every((n) => names.has(`${n} (1)`)) ? true : null;
    },
    30_000,
    "the channels to be listed",
  );
  const overview = await call("GET", "/api/overview");
  fixture = {
    V,
    W,
    prefix,
    target,
    node: (overview.json as { node: string }).node,
    user: userOf,
    own: (t) => byPort.get(ports.get(`own ${t}`)!)!,
    other: (t) => byPort.get(ports.get(`other ${t}`)!)!,
  };
}, 60_000);

afterAll(async () => {
  for (const c of connections) await c.close().catch(() => undefined);
  if (broker !== undefined) {
    for (const v of [V, W]) await call("DELETE", `/api/vhosts/${e(v)}`);
    for (const t of TAGS) {
      await call("DELETE", `/api/vhosts/${e(`${V}-n-${t}`)}`);
      await call("DELETE", `/api/vhosts/${e(`${V}-d-${t}`)}`);
      await call("DELETE", `/api/users/${e(`${prefix}-n-${t}`)}`);
      await call("DELETE", `/api/users/${e(`${prefix}-d-${t}`)}`);
      await call("DELETE", `/api/users/${e(userOf(t))}`);
      await call("DELETE", `/api/global-parameters/${e(`${prefix}-g-${t}`)}`);
    }
    await call("DELETE", `/api/global-parameters/${e(`${prefix}-g`)}`);
    await call("DELETE", `/api/users/${e(`${prefix}-target`)}`);
    await broker.close();
  }
});

describe("management endpoints by user tag", () => {
  for (const c of AUTHZ_CASES) {
    it(`${c.route}${c.note ? ` (${c.note})` : ""}`, async () => {
      const got = {} as Record<TagKey, string>;
      for (const t of TAGS) {
        await c.setup?.(admin, fixture, t);
        const method = c.route.split(" ")[0]!;
        let r = await call(method, c.path(fixture, t), c.body?.(fixture, t), userOf(t), "pw");
        // RabbitMQ 3.10 answers an administrator's GET /api/queues with 500 while other scenario
        // files delete queues beside it, three times running once in CI. A read is asked again for
        // up to 10 s, never a write; a broker that always answers 500 still fails.
        if (r.status === 500 && method === "GET") {
          r = await eventually(
            async () => {
              const again = await call(method, c.path(fixture, t), c.body?.(fixture, t), userOf(t), "pw");
              return again.status === 500 ? null : again;
            },
            10_000,
            `${c.route} to answer other than 500`,
          ).catch(() => r);
        }
        const reason = (r.json as { reason?: string } | null)?.reason;
        got[t] =
          r.status < 300
            ? `${r.status}${c.seen ? ` ${c.seen(r.json, fixture)}` : ""}`
            : `${r.status}${reason !== undefined ? ` ${reason}` : ""}`;
      }
      expect(got).toEqual(c.expect);
    });
  }
});

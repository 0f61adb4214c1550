// Which user tags may call which management endpoint, as RabbitMQ 3.10 answers (observed on a real
// node: users tagged administrator, monitoring, policymaker, management and none, each with full
// permissions in one vhost and none in another). authorization.test.ts runs this table against the
// broker under test; test/management/authorization.test.ts checks that it covers every route.

export const TAGS = ["administrator", "monitoring", "policymaker", "management", "none"] as const;
export type TagKey = (typeof TAGS)[number];

/** Names the scenario made for this run: `t` is the tag of the user making the call. */
export interface Fixture {
  /** The vhost where every tagged user has full permissions. */
  V: string;
  /** A vhost where only the admin user (guest) has permissions. */
  W: string;
  /** Prefix of every user name made by the scenario. */
  prefix: string;
  node: string;
  user(t: TagKey): string;
  /** A user with no tags whose permissions are set and cleared. */
  target: string;
  /** The name of an AMQP connection of the calling user's own, and one of the admin's (one each per tag). */
  own(t: TagKey): string;
  other(t: TagKey): string;
}

/** The admin's calls that create what a case acts on. */
export interface Admin {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

export interface AuthzCase {
  /** The route as registered: method and fastify pattern. */
  route: string;
  /** What sets this row apart from others of the same route. */
  note?: string;
  /** The concrete path for a caller with tag t. */
  path(f: Fixture, t: TagKey): string;
  body?: (f: Fixture, t: TagKey) => unknown;
  /** Prepares what this call acts on (as the admin), before the call for tag t. */
  setup?: (a: Admin, f: Fixture, t: TagKey) => Promise<void>;
  /** What to look at in a 2xx answer besides the status (visibility of another vhost's objects). */
  seen?: (json: unknown, f: Fixture) => string;
  /** Expected answer per tag: status, then the 401's reason or the seen() word. */
  expect: Record<TagKey, string>;
}

const e = encodeURIComponent;
const names = (json: unknown, key = "name"): string[] =>
  Array.isArray(json) ? json.map((x) => String((x as Record<string, unknown>)[key])) : [];
/** Whether a listing shows the objects of the vhost the caller has no permissions in. */
const hasVhost = (json: unknown, f: Fixture) =>
  Array.isArray(json) && json.some((x) => (x as { vhost?: string }).vhost === f.W) ? "all" : "own";
const hasConsumerIn = (json: unknown, f: Fixture) =>
  Array.isArray(json) && json.some((x) => (x as { queue?: { vhost?: string } }).queue?.vhost === f.W) ? "all" : "own";
/** Whether a listing of connections or channels shows the admin's. */
const hasAdmins = (json: unknown) => (names(json, "user").includes("guest") ? "all" : "own");

// the answers that repeat
const NOT_MGMT = "401 Not management user";
const NOT_ADMIN = "401 Not administrator user";
const NOT_MONITOR = "401 Not monitor user";
const NO_VHOST = "401 User not authorised to access virtual host";
const all = (ok: string): Record<TagKey, string> => ({
  administrator: ok,
  monitoring: ok,
  policymaker: ok,
  management: ok,
  none: NOT_MGMT,
});
const adminOnly = (ok: string, refused = NOT_ADMIN): Record<TagKey, string> => ({
  administrator: ok,
  monitoring: refused,
  policymaker: refused,
  management: refused,
  none: NOT_MGMT,
});
const monitorOnly = (ok: string, refused = NOT_MONITOR): Record<TagKey, string> => ({
  administrator: ok,
  monitoring: ok,
  policymaker: refused,
  management: refused,
  none: NOT_MGMT,
});
/** Listings: what administrators see, what monitoring users see, what the others see. */
const listing = (admin: string, monitoring: string, others: string): Record<TagKey, string> => ({
  administrator: `200 ${admin}`,
  monitoring: `200 ${monitoring}`,
  policymaker: `200 ${others}`,
  management: `200 ${others}`,
  none: NOT_MGMT,
});
const NOT_OBJECT = "401 User not authorised to access object";
/** Policies: policymakers in vhosts they have permissions in, administrators everywhere. */
const policyMakers = (ok: string, policymaker = ok): Record<TagKey, string> => ({
  administrator: ok,
  monitoring: NOT_OBJECT,
  policymaker,
  management: NOT_OBJECT,
  none: NOT_MGMT,
});
/**
 * A path in the vhost the callers have no permissions in: administrators may use the vhost (but
 * still need permissions for what AMQP would check: "Access refused."), the others may not.
 */
const noVhost = (admin: string): Record<TagKey, string> => ({
  administrator: admin,
  monitoring: NO_VHOST,
  policymaker: NO_VHOST,
  management: NO_VHOST,
  none: NOT_MGMT,
});

export const AUTHZ_CASES: AuthzCase[] = [];
const add = (c: AuthzCase) => void AUTHZ_CASES.push(c);

// ---- overview, nodes, health ---------------------------------------------------------------
add({ route: "GET /api/overview", path: () => "/api/overview", expect: all("200") });
add({ route: "GET /api/nodes", path: () => "/api/nodes", expect: monitorOnly("200") });
add({ route: "GET /api/nodes/:node", path: (f) => `/api/nodes/${e(f.node)}`, expect: monitorOnly("200") });
add({ route: "GET /api/whoami", path: () => "/api/whoami", expect: all("200") });
add({ route: "GET /api/health/checks/alarms", path: () => "/api/health/checks/alarms", expect: all("200") });
add({ route: "GET /api/health/checks/local-alarms", path: () => "/api/health/checks/local-alarms", expect: all("200") });
add({ route: "GET /api/aliveness-test/:vhost", path: (f) => `/api/aliveness-test/${e(f.V)}`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/aliveness-test/:vhost",
  path: (f) => `/api/aliveness-test/${e(f.W)}`,
  expect: noVhost("401 Access refused."),
});
add({ route: "GET /api/extensions", path: () => "/api/extensions", expect: all("200") });

// ---- vhosts ----------------------------------------------------------------------------------
add({
  route: "GET /api/vhosts",
  path: () => "/api/vhosts",
  seen: (j, f) => (names(j).includes(f.W) ? "all" : "own"),
  expect: listing("all", "all", "own"),
});
add({ route: "GET /api/vhosts/:vhost", path: (f) => `/api/vhosts/${e(f.V)}`, expect: adminOnly("200") });
add({ note: "vhost without permissions", route: "GET /api/vhosts/:vhost", path: (f) => `/api/vhosts/${e(f.W)}`, expect: adminOnly("200") });
add({ route: "PUT /api/vhosts/:vhost", path: (f, t) => `/api/vhosts/${e(`${f.V}-n-${t}`)}`, expect: adminOnly("201") });
add({
  route: "DELETE /api/vhosts/:vhost",
  path: (f, t) => `/api/vhosts/${e(`${f.V}-d-${t}`)}`,
  setup: async (a, f, t) => void (await a.call("PUT", `/api/vhosts/${e(`${f.V}-d-${t}`)}`)),
  expect: adminOnly("204"),
});
add({ route: "GET /api/vhosts/:vhost/permissions", path: (f) => `/api/vhosts/${e(f.V)}/permissions`, expect: adminOnly("200") });
add({
  route: "GET /api/vhosts/:vhost/topic-permissions",
  path: (f) => `/api/vhosts/${e(f.V)}/topic-permissions`,
  expect: adminOnly("200"),
});
add({
  route: "GET /api/vhosts/:vhost/connections",
  path: (f) => `/api/vhosts/${e(f.V)}/connections`,
  seen: hasAdmins,
  expect: listing("all", "all", "own"),
});
add({
  note: "vhost without permissions",
  route: "GET /api/vhosts/:vhost/connections",
  path: (f) => `/api/vhosts/${e(f.W)}/connections`,
  expect: noVhost("200"),
});
add({
  route: "GET /api/vhosts/:vhost/channels",
  path: (f) => `/api/vhosts/${e(f.V)}/channels`,
  seen: hasAdmins,
  expect: listing("all", "all", "own"),
});
add({
  note: "vhost without permissions",
  route: "GET /api/vhosts/:vhost/channels",
  path: (f) => `/api/vhosts/${e(f.W)}/channels`,
  expect: noVhost("200"),
});

// ---- users and permissions ---------------------------------------------------------------------
add({ route: "GET /api/users", path: () => "/api/users", expect: adminOnly("200") });
add({ route: "GET /api/users/:user", path: (f) => `/api/users/${e(f.target)}`, expect: adminOnly("200") });
add({
  route: "PUT /api/users/:user",
  path: (f, t) => `/api/users/${e(`${f.prefix}-n-${t}`)}`,
  body: () => ({ password: "pw", tags: "" }),
  expect: adminOnly("201"),
});
add({
  route: "DELETE /api/users/:user",
  path: (f, t) => `/api/users/${e(`${f.prefix}-d-${t}`)}`,
  setup: async (a, f, t) => void (await a.call("PUT", `/api/users/${e(`${f.prefix}-d-${t}`)}`, { password: "pw", tags: "" })),
  expect: adminOnly("204"),
});
add({ route: "GET /api/users/:user/permissions", path: (f) => `/api/users/${e(f.target)}/permissions`, expect: adminOnly("200") });
add({
  route: "GET /api/users/:user/topic-permissions",
  path: (f) => `/api/users/${e(f.target)}/topic-permissions`,
  expect: adminOnly("200"),
});
add({ route: "GET /api/permissions", path: () => "/api/permissions", expect: adminOnly("200") });
add({ route: "GET /api/permissions/:vhost/:user", path: (f, t) => `/api/permissions/${e(f.V)}/${e(f.user(t))}`, expect: adminOnly("200") });
add({
  route: "PUT /api/permissions/:vhost/:user",
  path: (f) => `/api/permissions/${e(f.W)}/${e(f.target)}`,
  setup: async (a, f) => void (await a.call("DELETE", `/api/permissions/${e(f.W)}/${e(f.target)}`)),
  body: () => ({ configure: "", write: "", read: ".*" }),
  expect: adminOnly("201"),
});
add({
  route: "DELETE /api/permissions/:vhost/:user",
  path: (f) => `/api/permissions/${e(f.W)}/${e(f.target)}`,
  setup: async (a, f) => void (await a.call("PUT", `/api/permissions/${e(f.W)}/${e(f.target)}`, { configure: "", write: "", read: ".*" })),
  expect: adminOnly("204"),
});
add({ route: "GET /api/topic-permissions", path: () => "/api/topic-permissions", expect: adminOnly("200") });
add({
  route: "GET /api/topic-permissions/:vhost/:user",
  path: (f) => `/api/topic-permissions/${e(f.V)}/${e(f.target)}`,
  expect: adminOnly("200"),
});
add({
  route: "PUT /api/topic-permissions/:vhost/:user",
  path: (f) => `/api/topic-permissions/${e(f.W)}/${e(f.target)}`,
  setup: async (a, f) => void (await a.call("DELETE", `/api/topic-permissions/${e(f.W)}/${e(f.target)}`)),
  body: () => ({ exchange: "amq.topic", write: ".*", read: ".*" }),
  expect: adminOnly("201"),
});
add({
  route: "DELETE /api/topic-permissions/:vhost/:user",
  path: (f) => `/api/topic-permissions/${e(f.W)}/${e(f.target)}`,
  setup: async (a, f) =>
    void (await a.call("PUT", `/api/topic-permissions/${e(f.W)}/${e(f.target)}`, { exchange: "amq.topic", write: ".*", read: ".*" })),
  expect: adminOnly("204"),
});

// ---- connections, channels, consumers ----------------------------------------------------------
add({
  route: "GET /api/connections",
  path: () => "/api/connections",
  seen: hasAdmins,
  expect: listing("all", "all", "own"),
});
add({ note: "own connection", route: "GET /api/connections/:name", path: (f, t) => `/api/connections/${e(f.own(t))}`, expect: all("200") });
add({
  note: "the admin's connection",
  route: "GET /api/connections/:name",
  path: (f, t) => `/api/connections/${e(f.other(t))}`,
  expect: monitorOnly("200", NOT_OBJECT),
});
add({
  note: "own connection",
  route: "GET /api/connections/:name/channels",
  path: (f, t) => `/api/connections/${e(f.own(t))}/channels`,
  expect: all("200"),
});
add({
  note: "the admin's connection",
  route: "GET /api/connections/:name/channels",
  path: (f, t) => `/api/connections/${e(f.other(t))}/channels`,
  expect: monitorOnly("200", NOT_OBJECT),
});
add({ note: "own channel", route: "GET /api/channels/:name", path: (f, t) => `/api/channels/${e(`${f.own(t)} (1)`)}`, expect: all("200") });
add({
  note: "the admin's channel",
  route: "GET /api/channels/:name",
  path: (f, t) => `/api/channels/${e(`${f.other(t)} (1)`)}`,
  expect: monitorOnly("200", NOT_OBJECT),
});
add({
  note: "own connection",
  route: "DELETE /api/connections/:name",
  path: (f, t) => `/api/connections/${e(f.own(t))}`,
  expect: all("204"),
});
add({
  note: "the admin's connection",
  route: "DELETE /api/connections/:name",
  path: (f, t) => `/api/connections/${e(f.other(t))}`,
  expect: adminOnly("204", NOT_OBJECT),
});
add({ route: "GET /api/channels", path: () => "/api/channels", seen: hasAdmins, expect: listing("all", "all", "own") });
add({ route: "GET /api/consumers", path: () => "/api/consumers", seen: hasConsumerIn, expect: listing("all", "all", "own") });
add({ route: "GET /api/consumers/:vhost", path: (f) => `/api/consumers/${e(f.V)}`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/consumers/:vhost",
  path: (f) => `/api/consumers/${e(f.W)}`,
  seen: hasConsumerIn,
  expect: listing("all", "all", "own"),
});

// ---- exchanges -----------------------------------------------------------------------------------
add({ route: "GET /api/exchanges", path: () => "/api/exchanges", seen: hasVhost, expect: listing("all", "own", "own") });
add({ route: "GET /api/exchanges/:vhost", path: (f) => `/api/exchanges/${e(f.V)}`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/exchanges/:vhost",
  path: (f) => `/api/exchanges/${e(f.W)}`,
  expect: noVhost("200"),
});
add({ route: "GET /api/exchanges/:vhost/:name", path: (f) => `/api/exchanges/${e(f.V)}/x`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/exchanges/:vhost/:name",
  path: (f) => `/api/exchanges/${e(f.W)}/x`,
  expect: noVhost("200"),
});
add({
  route: "PUT /api/exchanges/:vhost/:name",
  path: (f, t) => `/api/exchanges/${e(f.V)}/x-n-${t}`,
  body: () => ({ type: "direct" }),
  expect: all("201"),
});
add({
  note: "vhost without permissions",
  route: "PUT /api/exchanges/:vhost/:name",
  path: (f, t) => `/api/exchanges/${e(f.W)}/x-n-${t}`,
  body: () => ({ type: "direct" }),
  expect: noVhost("401 Access refused."),
});
add({
  route: "DELETE /api/exchanges/:vhost/:name",
  path: (f, t) => `/api/exchanges/${e(f.V)}/x-d-${t}`,
  setup: async (a, f, t) => void (await a.call("PUT", `/api/exchanges/${e(f.V)}/x-d-${t}`, { type: "direct" })),
  expect: all("204"),
});
add({
  route: "POST /api/exchanges/:vhost/:name/publish",
  path: (f) => `/api/exchanges/${e(f.V)}/x/publish`,
  body: () => ({ properties: {}, routing_key: "nowhere", payload: "hi", payload_encoding: "string" }),
  expect: all("200"),
});
add({
  route: "GET /api/exchanges/:vhost/:name/bindings/source",
  path: (f) => `/api/exchanges/${e(f.V)}/x/bindings/source`,
  expect: all("200"),
});
add({
  route: "GET /api/exchanges/:vhost/:name/bindings/destination",
  path: (f) => `/api/exchanges/${e(f.V)}/x2/bindings/destination`,
  expect: all("200"),
});

// ---- queues --------------------------------------------------------------------------------------
add({ route: "GET /api/queues", path: () => "/api/queues", seen: hasVhost, expect: listing("all", "own", "own") });
add({ route: "GET /api/queues/:vhost", path: (f) => `/api/queues/${e(f.V)}`, expect: all("200") });
add({ note: "vhost without permissions", route: "GET /api/queues/:vhost", path: (f) => `/api/queues/${e(f.W)}`, expect: noVhost("200") });
add({ route: "GET /api/queues/:vhost/:name", path: (f) => `/api/queues/${e(f.V)}/q`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/queues/:vhost/:name",
  path: (f) => `/api/queues/${e(f.W)}/q`,
  expect: noVhost("200"),
});
add({
  route: "PUT /api/queues/:vhost/:name",
  path: (f, t) => `/api/queues/${e(f.V)}/q-n-${t}`,
  body: () => ({ durable: false }),
  expect: all("201"),
});
add({
  note: "vhost without permissions",
  route: "PUT /api/queues/:vhost/:name",
  path: (f, t) => `/api/queues/${e(f.W)}/q-n-${t}`,
  body: () => ({ durable: false }),
  expect: noVhost("401 Access refused."),
});
add({
  route: "DELETE /api/queues/:vhost/:name",
  path: (f, t) => `/api/queues/${e(f.V)}/q-d-${t}`,
  setup: async (a, f, t) => void (await a.call("PUT", `/api/queues/${e(f.V)}/q-d-${t}`, { durable: false })),
  expect: all("204"),
});
add({
  note: "vhost without permissions",
  route: "DELETE /api/queues/:vhost/:name",
  path: (f, t) => `/api/queues/${e(f.W)}/q-d-${t}`,
  setup: async (a, f, t) => void (await a.call("PUT", `/api/queues/${e(f.W)}/q-d-${t}`, { durable: false })),
  expect: noVhost("401 Access refused."),
});
add({ route: "DELETE /api/queues/:vhost/:name/contents", path: (f) => `/api/queues/${e(f.V)}/q/contents`, expect: all("204") });
add({
  route: "POST /api/queues/:vhost/:name/get",
  path: (f) => `/api/queues/${e(f.V)}/q/get`,
  body: () => ({ count: 1, ackmode: "ack_requeue_true", encoding: "auto" }),
  expect: all("200"),
});
add({ route: "GET /api/queues/:vhost/:name/bindings", path: (f) => `/api/queues/${e(f.V)}/q/bindings`, expect: all("200") });

// ---- bindings ------------------------------------------------------------------------------------
add({ route: "GET /api/bindings", path: () => "/api/bindings", seen: hasVhost, expect: listing("all", "own", "own") });
add({ route: "GET /api/bindings/:vhost", path: (f) => `/api/bindings/${e(f.V)}`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/bindings/:vhost",
  path: (f) => `/api/bindings/${e(f.W)}`,
  expect: noVhost("200"),
});
for (const [letter, dest] of [
  ["q", "q"],
  ["e", "x2"],
] as const) {
  const base = `/api/bindings/:vhost/e/:source/${letter}/:dest`;
  const at = (f: Fixture) => `/api/bindings/${e(f.V)}/e/x/${letter}/${dest}`;
  add({ route: `GET ${base}`, path: at, expect: all("200") });
  add({ route: `POST ${base}`, path: at, body: (_f, t) => ({ routing_key: `k-n-${t}` }), expect: all("201") });
  add({ route: `GET ${base}/:props`, path: (f) => `${at(f)}/k`, expect: all("200") });
  add({
    route: `DELETE ${base}/:props`,
    path: (f, t) => `${at(f)}/k-d-${t}`,
    setup: async (a, f, t) => void (await a.call("POST", at(f), { routing_key: `k-d-${t}` })),
    expect: all("204"),
  });
}

// ---- policies --------------------------------------------------------------------------------------
for (const path of ["policies", "operator-policies"] as const) {
  // policies are policymakers' (in their vhosts), operator policies administrators'
  const writers = path === "policies" ? policyMakers : adminOnly;
  add({ route: `GET /api/${path}`, path: () => `/api/${path}`, seen: hasVhost, expect: listing("all", "own", "own") });
  add({ route: `GET /api/${path}/:vhost`, path: (f) => `/api/${path}/${e(f.V)}`, expect: all("200") });
  add({
    note: "vhost without permissions",
    route: `GET /api/${path}/:vhost`,
    path: (f) => `/api/${path}/${e(f.W)}`,
    expect: noVhost("200"),
  });
  add({ route: `GET /api/${path}/:vhost/:name`, path: (f) => `/api/${path}/${e(f.V)}/p`, expect: writers("200") });
  add({
    route: `PUT /api/${path}/:vhost/:name`,
    path: (f, t) => `/api/${path}/${e(f.V)}/p-n-${t}`,
    body: () => ({ pattern: "^nothing$", definition: { "max-length": 1 } }),
    expect: writers("201"),
  });
  add({
    note: "vhost without permissions",
    route: `PUT /api/${path}/:vhost/:name`,
    path: (f, t) => `/api/${path}/${e(f.W)}/p-n-${t}`,
    body: () => ({ pattern: "^nothing$", definition: { "max-length": 1 } }),
    expect: path === "policies" ? policyMakers("201", NOT_OBJECT) : adminOnly("201"),
  });
  add({
    route: `DELETE /api/${path}/:vhost/:name`,
    path: (f, t) => `/api/${path}/${e(f.V)}/p-d-${t}`,
    setup: async (a, f, t) =>
      void (await a.call("PUT", `/api/${path}/${e(f.V)}/p-d-${t}`, { pattern: "^nothing$", definition: { "max-length": 1 } })),
    expect: writers("204"),
  });
}

// ---- definitions -----------------------------------------------------------------------------------
add({ route: "GET /api/definitions", path: () => "/api/definitions", expect: adminOnly("200") });
add({ route: "GET /api/definitions/:vhost", path: (f) => `/api/definitions/${e(f.V)}`, expect: adminOnly("200") });
add({ route: "POST /api/definitions", path: () => "/api/definitions", body: () => ({ queues: [] }), expect: adminOnly("204") });
add({
  route: "POST /api/definitions/:vhost",
  path: (f) => `/api/definitions/${e(f.V)}`,
  body: () => ({ queues: [] }),
  expect: adminOnly("204"),
});

// ---- runtime parameters, global parameters, vhost limits ----------------------------------------
// parameters are policymakers' (rabbit_mgmt_util:is_authorized_policies), global parameters any
// policymaker's, vhost limits visible to whoever sees the vhost and set by administrators
const limitIn = (v: string) => async (a: Admin) => void (await a.call("PUT", `/api/vhost-limits/${e(v)}/max-queues`, { value: 1000 }));
const limitsEverywhere = async (a: Admin, f: Fixture) => {
  await limitIn(f.V)(a);
  await limitIn(f.W)(a);
};
const policyListing = (admin: string, others: string): Record<TagKey, string> => ({
  ...policyMakers(`200 ${admin}`),
  policymaker: `200 ${others}`,
});
add({
  route: "GET /api/parameters",
  path: () => "/api/parameters",
  setup: limitsEverywhere,
  seen: hasVhost,
  expect: policyListing("all", "own"),
});
add({
  route: "GET /api/parameters/:component",
  path: () => "/api/parameters/vhost-limits",
  setup: limitsEverywhere,
  seen: hasVhost,
  expect: policyListing("all", "own"),
});
add({ route: "GET /api/parameters/:component/:vhost", path: (f) => `/api/parameters/vhost-limits/${e(f.V)}`, expect: policyMakers("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/parameters/:component/:vhost",
  path: (f) => `/api/parameters/vhost-limits/${e(f.W)}`,
  expect: policyMakers("200", NOT_OBJECT),
});
add({
  route: "GET /api/parameters/:component/:vhost/:name",
  path: (f) => `/api/parameters/vhost-limits/${e(f.V)}/limits`,
  setup: (a, f) => limitIn(f.V)(a),
  expect: policyMakers("200"),
});
add({
  route: "PUT /api/parameters/:component/:vhost/:name",
  path: (f) => `/api/parameters/vhost-limits/${e(f.V)}/limits`,
  setup: (a, f) => limitIn(f.V)(a),
  body: () => ({ value: { "max-queues": 1000 } }),
  expect: policyMakers("204"),
});
add({
  note: "vhost without permissions",
  route: "PUT /api/parameters/:component/:vhost/:name",
  path: (f) => `/api/parameters/vhost-limits/${e(f.W)}/limits`,
  setup: (a, f) => limitIn(f.W)(a),
  body: () => ({ value: { "max-queues": 1000 } }),
  expect: policyMakers("204", NOT_OBJECT),
});
add({
  route: "DELETE /api/parameters/:component/:vhost/:name",
  path: (f) => `/api/parameters/vhost-limits/${e(f.V)}/limits`,
  setup: (a, f) => limitIn(f.V)(a),
  expect: policyMakers("204"),
});
add({ route: "GET /api/global-parameters", path: () => "/api/global-parameters", expect: policyMakers("200") });
add({
  route: "GET /api/global-parameters/:name",
  path: (f) => `/api/global-parameters/${e(f.prefix)}-g`,
  setup: async (a, f) => void (await a.call("PUT", `/api/global-parameters/${e(f.prefix)}-g`, { value: "v" })),
  expect: policyMakers("200"),
});
add({
  route: "PUT /api/global-parameters/:name",
  path: (f, t) => `/api/global-parameters/${e(f.prefix)}-g-${t}`,
  body: () => ({ value: "v" }),
  expect: policyMakers("201"),
});
add({
  route: "DELETE /api/global-parameters/:name",
  path: (f, t) => `/api/global-parameters/${e(f.prefix)}-gd-${t}`,
  setup: async (a, f, t) => void (await a.call("PUT", `/api/global-parameters/${e(f.prefix)}-gd-${t}`, { value: "v" })),
  expect: policyMakers("204"),
});
add({
  route: "GET /api/vhost-limits",
  path: () => "/api/vhost-limits",
  setup: limitsEverywhere,
  seen: hasVhost,
  expect: listing("all", "all", "own"),
});
add({ route: "GET /api/vhost-limits/:vhost", path: (f) => `/api/vhost-limits/${e(f.V)}`, expect: all("200") });
add({
  note: "vhost without permissions",
  route: "GET /api/vhost-limits/:vhost",
  path: (f) => `/api/vhost-limits/${e(f.W)}`,
  expect: { ...noVhost("200"), monitoring: "200" },
});
add({
  route: "PUT /api/vhost-limits/:vhost/:name",
  path: (f) => `/api/vhost-limits/${e(f.V)}/max-connections`,
  body: () => ({ value: 1000 }),
  expect: adminOnly("204"),
});
add({
  route: "DELETE /api/vhost-limits/:vhost/:name",
  path: (f) => `/api/vhost-limits/${e(f.V)}/max-connections`,
  expect: adminOnly("204"),
});

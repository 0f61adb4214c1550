// Request bodies of the wrong shape and the management API's answers. `rabbitmq: "same"` rows are
// answered by RabbitMQ 3.10 exactly so (validation.test.ts runs them against both brokers); the
// others are where RabbitMQ fails with a 500 (empty body) or a crash report, or stores a value of
// the wrong type, and Warren answers 400 with a reason instead (test/management/validation.test.ts).

export interface ValidationCase {
  route: string;
  /** The concrete path, in vhost `v` (the caller's), naming things the scenario made. */
  path(v: string, user: string): string;
  /** The body as sent (a string is sent as is). */
  body: unknown;
  reason: string | unknown[];
  rabbitmq: "same" | "500" | "crash report" | "accepts";
}

const e = encodeURIComponent;
export const VALIDATION_CASES: ValidationCase[] = [];
const add = (
  route: string,
  path: ValidationCase["path"],
  body: unknown,
  reason: ValidationCase["reason"],
  rabbitmq: ValidationCase["rabbitmq"] = "same",
) => void VALIDATION_CASES.push({ route, path, body, reason, rabbitmq });

// vhosts
const vhostPath = (v: string) => `/api/vhosts/${e(`${v}-new`)}`;
add("PUT /api/vhosts/:vhost", vhostPath, { tracing: "x" }, ["not_boolean", "x"]);
add("PUT /api/vhosts/:vhost", vhostPath, [1], "not_json");
add("PUT /api/vhosts/:vhost", vhostPath, { tags: 5 }, "tags must be a string or a list of strings", "500");
add("PUT /api/vhosts/:vhost", vhostPath, { description: 5 }, "description must be a string", "accepts");

// users
const userPath = (_v: string, u: string) => `/api/users/${e(`${u}-new`)}`;
add("PUT /api/users/:user", userPath, { password: "p" }, "tags_not_present");
add("PUT /api/users/:user", userPath, { password_hash: 5, tags: "" }, ["not_base64", 5]);
add("PUT /api/users/:user", userPath, [1], "not_json");
add("PUT /api/users/:user", userPath, { password: 123, tags: {} }, "password must be a string", "500");
add("PUT /api/users/:user", userPath, { password: "p", tags: 5 }, "tags must be a string or a list of strings", "500");
add("PUT /api/users/:user", userPath, { password: "p", tags: null }, "tags must be a string or a list of strings", "500");

// permissions
const permPath = (v: string, u: string) => `/api/permissions/${e(v)}/${e(u)}`;
add("PUT /api/permissions/:vhost/:user", permPath, { configure: ".*", write: ".*" }, "[{key_missing,read}]");
add("PUT /api/permissions/:vhost/:user", permPath, { read: ".*" }, "[{key_missing,configure},{key_missing,write}]");
add("PUT /api/permissions/:vhost/:user", permPath, [1], "not_json");
add("PUT /api/permissions/:vhost/:user", permPath, { configure: 1, write: ".*", read: ".*" }, "configure must be a string", "500");
const topicPath = (v: string, u: string) => `/api/topic-permissions/${e(v)}/${e(u)}`;
add("PUT /api/topic-permissions/:vhost/:user", topicPath, { write: ".*", read: ".*" }, "[{key_missing,exchange}]");
add("PUT /api/topic-permissions/:vhost/:user", topicPath, { exchange: 1, write: ".*", read: ".*" }, "exchange must be a string", "accepts");

// exchanges
const exchangePath = (v: string) => `/api/exchanges/${e(v)}/x-new`;
add("PUT /api/exchanges/:vhost/:name", exchangePath, { type: "direct", durable: "maybe" }, ["not_boolean", "maybe"]);
add("PUT /api/exchanges/:vhost/:name", exchangePath, { type: "direct", internal: "x" }, ["not_boolean", "x"]);
add("PUT /api/exchanges/:vhost/:name", exchangePath, { type: "direct", auto_delete: 0 }, ["not_boolean", 0]);
add("PUT /api/exchanges/:vhost/:name", exchangePath, { type: 5 }, "type must be a string", "crash report");
add("PUT /api/exchanges/:vhost/:name", exchangePath, { type: "direct", arguments: [1] }, "arguments must be a JSON object", "accepts");
const publishPath = (v: string) => `/api/exchanges/${e(v)}/amq.direct/publish`;
const message = { properties: {}, routing_key: "k", payload: "p", payload_encoding: "string" };
add(
  "POST /api/exchanges/:vhost/:name/publish",
  publishPath,
  { ...message, payload_encoding: undefined },
  "[{key_missing,payload_encoding}]",
);
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, payload: 5 }, "payload_not_string");
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, payload_encoding: "bogus" }, ["unsupported_encoding", "bogus"]);
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, properties: { delivery_mode: "2" } }, [
  "not_int",
  "delivery_mode",
]);
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, properties: { priority: "x" } }, ["not_int", "priority"]);
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, properties: { content_type: 5 } }, [
  "not_string",
  "content_type",
]);
add("POST /api/exchanges/:vhost/:name/publish", publishPath, [1], "not_json");
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, properties: "x" }, "properties must be a JSON object", "500");
add(
  "POST /api/exchanges/:vhost/:name/publish",
  publishPath,
  { ...message, properties: { headers: 5 } },
  "headers must be a JSON object",
  "500",
);
add("POST /api/exchanges/:vhost/:name/publish", publishPath, { ...message, routing_key: 5 }, "routing_key must be a string", "accepts");

// queues
const queuePath = (v: string) => `/api/queues/${e(v)}/q-new`;
add("PUT /api/queues/:vhost/:name", queuePath, { durable: "maybe", arguments: [1, 2] }, ["not_boolean", "maybe"]);
add("PUT /api/queues/:vhost/:name", queuePath, { durable: 1 }, ["not_boolean", 1]);
add("PUT /api/queues/:vhost/:name", queuePath, { durable: null }, ["not_boolean", null]);
add("PUT /api/queues/:vhost/:name", queuePath, { auto_delete: "yes" }, ["not_boolean", "yes"]);
add("PUT /api/queues/:vhost/:name", queuePath, [1, 2], "not_json");
add(
  "PUT /api/queues/:vhost/:name",
  queuePath,
  '"str"',
  "invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?",
);
add(
  "PUT /api/queues/:vhost/:name",
  (v) => `/api/queues/${e(v)}/${"q".repeat(256)}`,
  {},
  "queue should be less than 255 bytes, actually was 256\n",
);
add("PUT /api/queues/:vhost/:name", queuePath, { arguments: [1, 2] }, "arguments must be a JSON object", "crash report");
add("PUT /api/queues/:vhost/:name", queuePath, { arguments: "x" }, "arguments must be a JSON object", "500");
const getPath = (v: string) => `/api/queues/${e(v)}/q/get`;
const get = { count: 1, ackmode: "ack_requeue_true", encoding: "auto" };
add("POST /api/queues/:vhost/:name/get", getPath, { ...get, count: "x" }, ["not_integer", "x"]);
add("POST /api/queues/:vhost/:name/get", getPath, { ...get, truncate: "x" }, ["not_integer", "x"]);
add("POST /api/queues/:vhost/:name/get", getPath, { ackmode: "ack_requeue_true" }, "[{key_missing,count},{key_missing,encoding}]");
add("POST /api/queues/:vhost/:name/get", getPath, { ...get, encoding: "bogus" }, "Unsupported encoding. Please use auto or base64.");
add("POST /api/queues/:vhost/:name/get", getPath, [1], "not_json");
add("POST /api/queues/:vhost/:name/get", getPath, { ...get, ackmode: 5 }, "Unknown ackmode: 5", "500");

// bindings
for (const [letter, dest] of [
  ["q", "q"],
  ["e", "amq.fanout"],
] as const) {
  const bindPath = (v: string) => `/api/bindings/${e(v)}/e/amq.direct/${letter}/${dest}`;
  add(`POST /api/bindings/:vhost/e/:source/${letter}/:dest`, bindPath, [1], "not_json", "500");
  add(`POST /api/bindings/:vhost/e/:source/${letter}/:dest`, bindPath, { routing_key: 5 }, "routing_key must be a string", "accepts");
  add(`POST /api/bindings/:vhost/e/:source/${letter}/:dest`, bindPath, { arguments: [1] }, "arguments must be a JSON object", "accepts");
}

// policies
for (const kind of ["policies", "operator-policies"]) {
  const policyPath = (v: string) => `/api/${kind}/${e(v)}/p-new`;
  const route = `PUT /api/${kind}/:vhost/:name`;
  const definition = { "max-length": 1 };
  add(route, policyPath, { definition }, "[{key_missing,pattern}]");
  add(route, policyPath, { pattern: "x" }, "[{key_missing,definition}]");
  add(route, policyPath, { pattern: 1, definition }, "Validation failed\n\npattern should be a binary but was 1\n");
  add(route, policyPath, { pattern: true, definition }, "Validation failed\n\npattern should be a binary but was true\n");
  // policies' texts have the Erlang terms HTML-escaped, operator policies' not
  const term = kind === "policies" ? '&lt;&lt;"3"&gt;&gt;' : '<<"3">>';
  add(
    route,
    policyPath,
    { pattern: "x", definition, priority: "3" },
    `Validation failed\n\npriority should be a number, actually was ${term}\n`,
  );
  add(
    route,
    policyPath,
    { pattern: "x", definition: { bogus: 3 } },
    `Validation failed\n\n[{${kind === "policies" ? '&lt;&lt;"bogus"&gt;&gt;' : '<<"bogus">>'},3}] are not recognised policy settings\n`,
  );
  add(route, policyPath, [1], "not_json");
  add(route, policyPath, { pattern: "x", definition: "x" }, "definition must be a JSON object", "500");
  add(route, policyPath, { pattern: "x", definition, "apply-to": 5 }, "apply-to must be a string", "500");
}

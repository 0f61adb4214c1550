/**
 * JSON schemas of the management API's request bodies, attached to the routes by `attachSchemas`
 * (an onRoute hook, so api.ts's handlers stay as they are), and the translation of a failed
 * validation into RabbitMQ's 400 answer: `{"error":"bad_request","reason":…}` with RabbitMQ 3.10's
 * reasons where it has one (`["not_boolean","maybe"]`, `[{key_missing,read}]`, `not_json`, …) and
 * a plain sentence where RabbitMQ itself fails with a 500 or stores the wrong type.
 *
 * A schema's `description` names the reason its failure gives (see `REASONS`); the validator runs
 * with `verbose` so the failing value is at hand.
 */
import type { FastifyInstance, RouteOptions } from "fastify";

type Schema = Record<string, unknown>;
/** A reason as RabbitMQ's API gives it: a text, or an Erlang tuple as a JSON array. */
export type Reason = string | (string | number | boolean | null | object)[];

// ---- building blocks ---------------------------------------------------------------------------

/** RabbitMQ's parse_bool: true/false, also as strings (rabbitmqadmin sends "true"). */
const bool: Schema = { description: "not_boolean", anyOf: [{ type: "boolean" }, { type: "string", enum: ["true", "false"] }] };
/** RabbitMQ's parse_int: a number or a string of digits. */
const int: Schema = { description: "not_integer", anyOf: [{ type: "number" }, { type: "string", pattern: "^-?[0-9]+$" }] };
const text = (field: string): Schema => ({ type: "string", description: `${field} must be a string` });
const object = (field: string): Schema => ({ type: "object", description: `${field} must be a JSON object` });
/** x-arguments and binding arguments: a JSON object (RabbitMQ fails on a list with a 500 or a crash report). */
const args = object("arguments");
/** A body: an object (a list or a number is RabbitMQ's `not_json`), unknown fields ignored. */
const body = (properties: Record<string, Schema>, required: string[] = []): Schema =>
  ({ type: "object", description: "body", properties, ...(required.length > 0 && { required }) });

const tags: Schema = {
  description: "tags must be a string or a list of strings",
  anyOf: [{ type: "string" }, { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } }],
};
const permission = (...names: string[]): Record<string, Schema> => Object.fromEntries(names.map((n) => [n, text(n)]));

/** AMQP message properties of a publish: RabbitMQ's `["not_int",key]` / `["not_string",key]`. */
const INT_PROPERTIES = ["delivery_mode", "priority", "timestamp"];
const STRING_PROPERTIES = ["content_type", "content_encoding", "correlation_id", "reply_to", "expiration", "message_id", "type", "user_id", "app_id", "cluster_id"];
const messageProperties: Schema = {
  type: "object",
  description: "properties must be a JSON object",
  properties: {
    ...Object.fromEntries(INT_PROPERTIES.map((k) => [k, { type: "integer", description: `not_int ${k}` }])),
    ...Object.fromEntries(STRING_PROPERTIES.map((k) => [k, { type: "string", description: `not_string ${k}` }])),
    headers: object("headers"),
  },
};

/** RabbitMQ HTML-escapes the Erlang terms in policies' validation texts, not in operator policies'. */
const policy = (kind: "policy" | "operator-policy"): Schema => body({
  pattern: { type: "string", description: `${kind} pattern` },
  definition: object("definition"),
  priority: { type: "number", description: `${kind} priority` },
  "apply-to": text("apply-to"),
}, ["pattern", "definition"]);

const binding = body({ routing_key: text("routing_key"), arguments: args });

/** Body schemas by route, as registered ("METHOD /api/…/:param"). */
export const BODY_SCHEMAS: Readonly<Record<string, Schema>> = {
  "PUT /api/vhosts/:vhost": body({ description: text("description"), tags, tracing: bool, default_queue_type: text("default_queue_type") }),
  "PUT /api/users/:user": body({
    password: text("password"),
    password_hash: { type: "string", description: "not_base64" },
    hashing_algorithm: text("hashing_algorithm"),
    tags,
  }),
  "PUT /api/permissions/:vhost/:user": body(permission("configure", "write", "read"), ["configure", "write", "read"]),
  "PUT /api/topic-permissions/:vhost/:user": body(permission("exchange", "write", "read"), ["exchange", "write", "read"]),
  "PUT /api/exchanges/:vhost/:name": body({ type: text("type"), durable: bool, auto_delete: bool, internal: bool, arguments: args }),
  "POST /api/exchanges/:vhost/:name/publish": body({
    properties: messageProperties,
    routing_key: text("routing_key"),
    payload: { type: "string", description: "payload_not_string" },
    payload_encoding: { enum: ["string", "base64"], description: "unsupported_encoding" },
  }, ["properties", "routing_key", "payload", "payload_encoding"]),
  "PUT /api/queues/:vhost/:name": body({ durable: bool, auto_delete: bool, arguments: args, node: text("node") }),
  "POST /api/queues/:vhost/:name/get": body({
    count: int,
    ackmode: { enum: ["ack_requeue_true", "ack_requeue_false", "reject_requeue_true", "reject_requeue_false"], description: "ackmode" },
    encoding: { enum: ["auto", "base64"], description: "Unsupported encoding. Please use auto or base64." },
    truncate: int,
  }, ["count", "ackmode", "encoding"]),
  "POST /api/bindings/:vhost/e/:source/q/:dest": binding,
  "POST /api/bindings/:vhost/e/:source/e/:dest": binding,
  "PUT /api/policies/:vhost/:name": policy("policy"),
  "PUT /api/operator-policies/:vhost/:name": policy("operator-policy"),
};

/** Routes with a body but no schema here, and why. */
export const UNVALIDATED_BODIES: Readonly<Record<string, string>> = {
  "POST /api/definitions": "a definitions file: the importer validates it object by object",
  "POST /api/definitions/:vhost": "a definitions file: the importer validates it object by object",
};

/** Gives each route its body schema as fastify registers it. */
export function attachSchemas(app: FastifyInstance): void {
  app.addHook("onRoute", (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      const schema = BODY_SCHEMAS[`${method} ${route.url}`];
      if (schema !== undefined) route.schema = { ...route.schema, body: schema };
    }
  });
}

// ---- failed validation → RabbitMQ's reason --------------------------------------------------

/** What fastify's validator (Ajv, verbose) reports of one failure. */
export interface ValidationFailure {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  data?: unknown;
  parentSchema?: Schema;
  message?: string;
}

/** A JSON value as Erlang prints it in RabbitMQ's policy validation texts. */
function erlangTerm(v: unknown): string {
  return typeof v === "string" ? `<<"${v}">>` : v === null ? "null" : typeof v === "object" ? JSON.stringify(v) : String(v);
}
export const htmlEscape = (s: string): string => s.replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Reasons by a schema's description; any other description is the reason itself. */
const REASONS: Record<string, (data: unknown) => Reason> = {
  not_boolean: (d) => ["not_boolean", d as string],
  not_integer: (d) => ["not_integer", d as string],
  not_base64: (d) => ["not_base64", d as string],
  unsupported_encoding: (d) => ["unsupported_encoding", d as string],
  payload_not_string: () => "payload_not_string",
  ackmode: (d) => `Unknown ackmode: ${typeof d === "string" ? d : JSON.stringify(d)}`,
  "policy pattern": (d) => `Validation failed\n\npattern should be a binary but was ${htmlEscape(erlangTerm(d))}\n`,
  "policy priority": (d) => `Validation failed\n\npriority should be a number, actually was ${htmlEscape(erlangTerm(d))}\n`,
  "operator-policy pattern": (d) => `Validation failed\n\npattern should be a binary but was ${erlangTerm(d)}\n`,
  "operator-policy priority": (d) => `Validation failed\n\npriority should be a number, actually was ${erlangTerm(d)}\n`,
  body: (d) => (typeof d === "string"
    ? "invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?"
    : "not_json"),
};

export function validationReason(failures: readonly ValidationFailure[]): Reason {
  const required = failures.find((f) => f.keyword === "required");
  if (required !== undefined) {
    // RabbitMQ names every missing key at once
    const present = (required.data ?? {}) as Record<string, unknown>;
    const keys = ((required.parentSchema?.required ?? []) as string[]).filter((k) => present[k] === undefined);
    return `[${keys.map((k) => `{key_missing,${k}}`).join(",")}]`;
  }
  const described = failures.find((f) => typeof f.parentSchema?.description === "string");
  if (described === undefined) return failures[0]?.message ?? "bad_request";
  const description = described.parentSchema!.description as string;
  const byName = REASONS[description];
  if (byName !== undefined) return byName(described.data);
  const property = /^(not_int|not_string) (.+)$/.exec(description);
  if (property !== null) return [property[1]!, property[2]!];
  return description;
}

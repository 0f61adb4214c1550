/**
 * The building blocks of the management API's JSON schemas (each route declares its own params,
 * querystring and body with them, in routes/<resource>.ts), and the translation of a failed
 * validation into RabbitMQ's 400 answer: `{"error":"bad_request","reason":…}` with RabbitMQ 3.10's
 * reasons where it has one (`["not_boolean","maybe"]`, `[{key_missing,read}]`, `not_json`, …) and
 * a plain sentence where RabbitMQ itself fails with a 500 or stores the wrong type.
 *
 * A schema's `description` names the reason its failure gives (see `REASONS`); the validator runs
 * with `verbose` so the failing value is at hand.
 */
export type Schema = Record<string, unknown>;
/** A reason as RabbitMQ's API gives it: a text, or an Erlang tuple as a JSON array. */
export type Reason = string | (string | number | boolean | null | object)[];

// ---- building blocks ---------------------------------------------------------------------------

/** RabbitMQ's parse_bool: true/false, also as strings (rabbitmqadmin sends "true"). */
export const bool: Schema = { description: "not_boolean", anyOf: [{ type: "boolean" }, { type: "string", enum: ["true", "false"] }] };
/** RabbitMQ's parse_int: a number or a string of digits. */
export const int: Schema = { description: "not_integer", anyOf: [{ type: "number" }, { type: "string", pattern: "^-?[0-9]+$" }] };
export const text = (field: string): Schema => ({ type: "string", description: `${field} must be a string` });
export const object = (field: string): Schema => ({ type: "object", description: `${field} must be a JSON object` });
/** x-arguments and binding arguments: a JSON object (RabbitMQ fails on a list with a 500 or a crash report). */
export const args = object("arguments");
/** A body: an object (a list or a number is RabbitMQ's `not_json`), unknown fields ignored. */
export const body = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  description: "body",
  properties,
  ...(required.length > 0 && { required }),
});

export const tags: Schema = {
  description: "tags must be a string or a list of strings",
  anyOf: [{ type: "string" }, { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } }],
};
export const permission = (...names: string[]): Record<string, Schema> => Object.fromEntries(names.map((n) => [n, text(n)]));

// ---- params and querystring --------------------------------------------------------------------

/**
 * Path parameters, each one whole segment the router has percent-decoded (`%2F` is `/`, spaces and
 * unicode as sent), up to the router's maxParamLength (server.ts). RabbitMQ takes any name here and
 * answers 404 for what does not exist, so the schema only says which segments a route has.
 */
export const params = (...names: readonly string[]): Schema => ({
  type: "object",
  properties: Object.fromEntries(names.map((n) => [n, { type: "string" }])),
  ...(names.length > 0 && { required: names }),
  additionalProperties: false,
});

const queryText: Schema = { type: "string" };

/**
 * The query string: the parameters every route reads (columns, sort and sort_reverse, listing.ts)
 * and a route's own. Values are the text as sent: RabbitMQ reads a flag (if-empty, if-unused) as
 * true only when it is "true" and anything else as false, so none is refused; sort_reverse other
 * than true or false fails there with a 500, and Warren reads it as false too. A repeated
 * parameter counts once, its first value, as in RabbitMQ (api.ts). Parameters Warren does not act
 * on (lengths_age, msg_rates_age, …) are let through, as RabbitMQ lets through those it does not
 * know; so is `page` on a listing RabbitMQ does not paginate (it fails there with a 500 on a bad one).
 */
export const query = (own: Record<string, Schema> = {}): Schema => ({
  type: "object",
  properties: { columns: queryText, sort: queryText, sort_reverse: queryText, ...own },
  additionalProperties: true,
});
/** A query parameter read as a flag ("true" or not) or a text: never refused. */
export const flag: Schema = queryText;

/** A route's schema: its params, query string and (PUT, POST) body, all declared. */
export function routeSchema(s: { params?: readonly string[]; query?: Record<string, Schema>; body?: Schema }): {
  params: Schema;
  querystring: Schema;
  body?: Schema;
} {
  return { params: params(...(s.params ?? [])), querystring: query(s.query), ...(s.body !== undefined && { body: s.body }) };
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
  body: (d) =>
    typeof d === "string" ? "invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?" : "not_json",
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

/**
 * Messages through the API: POST /api/exchanges/:vhost/:name/publish and POST
 * /api/queues/:vhost/:name/get, with RabbitMQ's JSON for a message's properties both ways.
 */
import { BrokerError, fieldTableJson, jsonFieldTable, Message, type MessageProperties } from "../../core/index.js";
import { badRequest, notAuthorised } from "../errors.js";
import { body, int, object, routeSchema, type Schema, text } from "../schemas.js";
import type { Json, JsonObject } from "../views.js";
import { exchangeName, type Route, type RoutePlugin, str } from "./context.js";

/** AMQP message properties of a publish: RabbitMQ's `["not_int",key]` / `["not_string",key]`. */
const INT_PROPERTIES = ["delivery_mode", "priority", "timestamp"];
const STRING_PROPERTIES = [
  "content_type",
  "content_encoding",
  "correlation_id",
  "reply_to",
  "expiration",
  "message_id",
  "type",
  "user_id",
  "app_id",
  "cluster_id",
];
const MESSAGE_PROPERTIES: Schema = {
  type: "object",
  description: "properties must be a JSON object",
  properties: {
    ...Object.fromEntries(INT_PROPERTIES.map((k) => [k, { type: "integer", description: `not_int ${k}` }])),
    ...Object.fromEntries(STRING_PROPERTIES.map((k) => [k, { type: "string", description: `not_string ${k}` }])),
    headers: object("headers"),
  },
};

const PUBLISH_BODY = body(
  {
    properties: MESSAGE_PROPERTIES,
    routing_key: text("routing_key"),
    payload: { type: "string", description: "payload_not_string" },
    payload_encoding: { enum: ["string", "base64"], description: "unsupported_encoding" },
  },
  ["properties", "routing_key", "payload", "payload_encoding"],
);

const ACK_MODES = ["ack_requeue_true", "ack_requeue_false", "reject_requeue_true", "reject_requeue_false"];
const GET_BODY = body(
  {
    count: int,
    ackmode: { enum: ACK_MODES, description: "ackmode" },
    encoding: { enum: ["auto", "base64"], description: "Unsupported encoding. Please use auto or base64." },
    truncate: int,
  },
  ["count", "ackmode", "encoding"],
);

export const messagesRoutes: RoutePlugin = async (app, { api }) => {
  app.post<Route<"vhost" | "name">>(
    "/api/exchanges/:vhost/:name/publish",
    { schema: routeSchema({ params: ["vhost", "name"], body: PUBLISH_BODY }), attachValidation: true },
    async (req) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      // RabbitMQ reads the body before it looks for the exchange
      const body = api.body(req);
      const missing = ["properties", "routing_key", "payload", "payload_encoding"].filter((k) => body[k] === undefined);
      if (missing.length > 0) throw badRequest(`[${missing.map((k) => `{key_missing,${k}}`).join(",")}]`);
      const encoding = str(body.payload_encoding);
      if (encoding !== "string" && encoding !== "base64") throw badRequest(`{bad_payload_encoding,${encoding}}`);
      const payload = encoding === "base64" ? Buffer.from(str(body.payload), "base64") : Buffer.from(str(body.payload), "utf8");
      const name = exchangeName(req.params.name);
      const routingKey = str(body.routing_key);
      const refused = p.check(v.name, "exchange", name, "write");
      if (refused !== null) throw badRequest(refused.toString());
      const props = messageProperties(body.properties);
      const r = v.publish(name, routingKey, new Message(name, routingKey, payload, props, null));
      if (r instanceof BrokerError) throw badRequest(r.toString());
      return { routed: r.routed > 0 };
    },
  );

  app.post<Route<"vhost" | "name">>(
    "/api/queues/:vhost/:name/get",
    { schema: routeSchema({ params: ["vhost", "name"], body: GET_BODY }), attachValidation: true },
    async (req) => {
      const p = api.who(req);
      const v = api.vhostOf(req.params.vhost, p);
      // RabbitMQ reads the body before it looks for the queue
      const body = api.body(req);
      const q = api.queueOf(v, req.params.name);
      // RabbitMQ's get runs on an AMQP channel: the refusal carries the channel's reply text
      const refused = p.check(v.name, "queue", q.name, "read");
      if (refused !== null) throw notAuthorised(refused.text);
      const ackmode = str(body.ackmode, "ack_requeue_true");
      if (!ACK_MODES.includes(ackmode)) throw badRequest(`Unknown ackmode: ${ackmode}`);
      const encoding = str(body.encoding, "auto");
      if (encoding !== "auto" && encoding !== "base64") throw badRequest(`Unsupported encoding: ${encoding}`);
      // a number or a string of digits (the body schema); RabbitMQ takes 1.5 as 1 and 0 as none
      const count = Math.trunc(Number(str(body.count, "1")));
      const truncate = body.truncate === undefined || body.truncate === null || body.truncate === "" ? Infinity : Number(body.truncate);
      const requeue = ackmode.endsWith("requeue_true");
      // take them all first (as RabbitMQ's get on one channel), then settle: requeued ones come back redelivered
      const taken = [];
      const out: JsonObject[] = [];
      for (let i = 0; i < count; i++) {
        const e = q.get(false);
        if (e === null) break;
        taken.push(e);
        const m = e.message;
        const body = Number.isFinite(truncate) ? m.body.subarray(0, truncate) : m.body;
        const asText = encoding === "auto" && isUtf8(body);
        out.push({
          payload_bytes: m.bodySize,
          redelivered: e.redelivered,
          exchange: m.exchange,
          routing_key: m.routingKey,
          message_count: q.messageCount,
          properties: propertiesOrEmpty(propertiesJson(m.properties)),
          payload: asText ? body.toString("utf8") : body.toString("base64"),
          payload_encoding: asText ? "string" : "base64",
        });
      }
      // requeued messages go to the queue's consumers once they are all back (the queue dispatches)
      for (const e of taken) {
        if (requeue) q.requeue(e);
        else if (ackmode.startsWith("ack")) q.ack(e);
        else q.discard(e);
      }
      return out;
    },
  );
};

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** The properties JSON of a publish request, as the core's neutral properties. */
function messageProperties(raw: unknown): MessageProperties {
  const p = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const out: MessageProperties = {};
  const s = (k: string) => (p[k] === undefined || p[k] === null ? undefined : String(p[k]));
  const n = (k: string) => (p[k] === undefined || p[k] === null || p[k] === "" ? undefined : Number(p[k]));
  const set = <K extends keyof MessageProperties>(k: K, v: MessageProperties[K] | undefined) => {
    if (v !== undefined && !(typeof v === "number" && Number.isNaN(v))) out[k] = v;
  };
  set("contentType", s("content_type"));
  set("contentEncoding", s("content_encoding"));
  if (p.headers && typeof p.headers === "object") out.headers = jsonFieldTable(p.headers as Record<string, unknown>);
  set("deliveryMode", n("delivery_mode"));
  set("priority", n("priority"));
  set("correlationId", s("correlation_id"));
  set("replyTo", s("reply_to"));
  set("expiration", s("expiration"));
  set("messageId", s("message_id"));
  set("timestamp", n("timestamp"));
  set("type", s("type"));
  set("userId", s("user_id"));
  set("appId", s("app_id"));
  set("clusterId", s("cluster_id"));
  return out;
}

/** A message's properties as RabbitMQ's get answer shows them: only those that are set. */
/** RabbitMQ answers a message without properties with `[]` (Erlang's empty proplist), not `{}`. */
const propertiesOrEmpty = (props: JsonObject): JsonObject | [] => (Object.keys(props).length === 0 ? [] : props);

function propertiesJson(p: MessageProperties): JsonObject {
  const out: JsonObject = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v as Json;
  };
  put("content_type", p.contentType);
  put("content_encoding", p.contentEncoding);
  put("delivery_mode", p.deliveryMode);
  put("priority", p.priority);
  put("correlation_id", p.correlationId);
  put("reply_to", p.replyTo);
  put("expiration", p.expiration);
  put("message_id", p.messageId);
  // JSON has no bigint: a timestamp past 2^53 becomes the nearest number
  put("timestamp", typeof p.timestamp === "bigint" ? Number(p.timestamp) : p.timestamp);
  put("type", p.type);
  put("user_id", p.userId);
  put("app_id", p.appId);
  put("cluster_id", p.clusterId);
  if (p.headers !== undefined) out.headers = fieldTableJson(p.headers) as JsonObject;
  return out;
}

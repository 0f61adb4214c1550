/**
 * The management listener (RabbitMQ's 15672): the HTTP API under /api and the web UI beside it,
 * served by one fastify instance. `createManagementServer` is the one place the app is built; it
 * adopts the HTTP or HTTPS server the lazy listener (listeners.ts, lazy-http.ts) bound at start,
 * and is loaded only when that server's first request arrives.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { SecureContextOptions } from "node:tls";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "../server/logger.js";
import { type ManagementContext, registerApi } from "./api.js";
import { ApiError } from "./errors.js";
import { type ValidationFailure, validationReason } from "./schemas.js";
import { DEFAULT_SAMPLE_INTERVAL_MS, RateSampler } from "./rates.js";
import type { RequestListener } from "./lazy-http.js";

export type { ManagementContext } from "./api.js";

/** HTTPS for the management listener: Node's TLS options (key, cert, ca, requestCert, …). */
export type ManagementTlsOptions = SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };

export interface ManagementServerOptions {
  /** How often rates are sampled (RabbitMQ's collect_statistics_interval, 5000 ms). */
  sampleIntervalMs?: number;
  log?: Logger;
  /** A sampler already running (the lazy listener's, started with the broker); else one is made. */
  rates?: RateSampler;
}

/** Definitions uploads can be large: RabbitMQ accepts files of tens of megabytes. */
const BODY_LIMIT = 64 * 1024 * 1024;

/**
 * Path segments as long as a request line can carry (Node's 16 KiB header limit answers before the
 * router does). fastify's default of 100 characters answered 414 for names AMQP allows (255 bytes,
 * up to 765 characters percent-encoded) and for MQTT subscription queues of long client ids, which
 * RabbitMQ serves up to a request line of about 8.7 KB.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

const FASTIFY_OPTIONS = {
  logger: false,
  bodyLimit: BODY_LIMIT,
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  // bodies are checked as sent (no coercion: RabbitMQ refuses 1 for a boolean), with the failing
  // value in the report for RabbitMQ's reasons (schemas.ts)
  ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false, verbose: true } },
} as const;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/**
 * Where the UI's files are: beside this module in the source tree (src/management/ui), or copied
 * next to the bundle (dist/ui) by the build.
 */
export function uiDirectory(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, "ui"),
    join(here, "..", "ui"),
    join(here, "management", "ui"),
    join(here, "..", "src", "management", "ui"),
  ];
  for (const c of candidates) if (existsSync(join(c, "index.html"))) return c;
  return null;
}

/** Builds the management app (API, UI) on `server`, which it does not bind or close. */
export function createManagementServer(
  ctx: ManagementContext,
  server: Server,
  options: ManagementServerOptions = {},
): {
  app: FastifyInstance;
  rates: RateSampler;
  /** fastify's request handler: what `server` hands its requests to. */
  handler: RequestListener;
} {
  let handler: RequestListener | undefined;
  // fastify adopts the listener's server (already bound, HTTP or HTTPS) instead of making one
  const app = Fastify({
    ...FASTIFY_OPTIONS,
    serverFactory: (h: RequestListener) => {
      handler = h;
      return server;
    },
  }) as unknown as FastifyInstance;
  const rates = options.rates ?? new RateSampler(ctx.core, options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
  const log = options.log;

  // RabbitMQ takes an empty body as "no fields" (PUT /api/vhosts/v) and any content type as JSON
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ApiError(400, "bad_request", "failed_to_parse_json"), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const failures = (err as { validation?: ValidationFailure[] }).validation;
    if (failures !== undefined) {
      return reply.code(400).send({ error: "bad_request", reason: validationReason(failures) });
    }
    if (err instanceof ApiError) {
      // the web UI asks without the challenge, so the browser shows the UI's login form, not its own prompt
      const headers = req.headers["x-requested-with"] === "XMLHttpRequest" ? {} : err.headers;
      void reply.code(err.status).headers(headers);
      // a request without credentials gets RabbitMQ's bare 401
      if (err.error === "") return reply.send();
      return reply.send({ error: err.error, reason: err.reason });
    }
    const e = err as { statusCode?: number; message?: string; code?: string };
    if (e.statusCode !== undefined && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: "bad_request", reason: e.message ?? "bad request" });
    }
    log?.error({ err, url: req.url }, "management API request failed");
    return reply.code(500).send({ error: "internal_server_error", reason: String(e.message ?? err) });
  });

  app.setNotFoundHandler((req, reply) => {
    if (req.method === "GET" && !req.url.startsWith("/api/")) return serveUi(req.url, reply);
    return reply.code(404).send({ error: "Object Not Found", reason: "Not Found" });
  });

  // a request without a body validates as an empty one (PUT /api/vhosts/v)
  app.addHook("preValidation", async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });
  registerApi(app, ctx, rates, log);

  const uiDir = uiDirectory();
  const serveUi = async (url: string, reply: import("fastify").FastifyReply) => {
    const path = decodeURIComponent(url.split("?")[0]!);
    const file = path === "/" || path === "" ? "index.html" : normalize(path).replace(/^[/\\]+/, "");
    if (uiDir === null || file.split(sep).includes("..")) return reply.code(404).send({ error: "Object Not Found", reason: "Not Found" });
    try {
      const data = await readFile(join(uiDir, file));
      return reply.type(CONTENT_TYPES[extname(file)] ?? "application/octet-stream").send(data);
    } catch {
      return reply.code(404).send({ error: "Object Not Found", reason: "Not Found" });
    }
  };

  app.addHook("onClose", async () => rates.stop());
  return { app, rates, handler: handler as RequestListener };
}

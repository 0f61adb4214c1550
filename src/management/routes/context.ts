/**
 * What every route plugin shares, written once: the running broker (`ManagementContext`), who is
 * asking (`who`), how a vhost in the path is resolved and checked (`vhostOf`, `vhostsFor`), and how
 * a core refusal becomes RabbitMQ's answer (`check`). Each plugin gets one `RouteContext` as its
 * `api` option.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { type Broker, BrokerError, type Queue, ReplyCode, type VirtualHost } from "../../core/index.js";
import { compilePattern, PatternError } from "../../core/patterns.js";
import type { Logger } from "../../server/logger.js";
import { authenticate, type Principal } from "../auth.js";
import { ApiError, badRequest, notAuthorised, notFound } from "../errors.js";
import type { ListingQuery } from "../listing.js";
import type { RateSampler } from "../rates.js";
import type { ClusterView } from "../cluster-view.js";

/** What the management API needs from the running broker besides its core. */
export interface ManagementContext {
  readonly core: Broker;
  /** RabbitMQ's node name, e.g. warren@host. */
  readonly nodeName: string;
  readonly productVersion: string;
  readonly dataDir: string;
  /** The listeners, as RabbitMQ's overview lists them. */
  listeners(): { protocol: string; port: number; ip_address: string }[];
  /** Memory high watermark and disk free limit, in bytes. */
  limits(): { memLimit: number; memUsed: number; diskFreeLimit: number };
  /** Set on a cluster's leader (src/management/cluster-view.ts). */
  readonly cluster?: ClusterView;
}

/** RabbitMQ's management API version this API follows. */
export const MANAGEMENT_VERSION = "3.10.8";

/** The broker, principal lookup and vhost resolution the routes share. */
export class RouteContext {
  readonly broker: Broker;
  /** RabbitMQ's node name, e.g. warren@host. */
  readonly node: string;

  constructor(
    readonly ctx: ManagementContext,
    readonly rates: RateSampler,
    readonly log?: Logger,
  ) {
    this.broker = ctx.core;
    this.node = ctx.nodeName;
  }

  /** The request's user (basic auth), or RabbitMQ's 401. */
  who(req: FastifyRequest): Principal {
    return authenticate(this.broker, req.headers.authorization, req.socket.remoteAddress, this.log);
  }

  /** A vhost named in the path: 404 when missing, refused unless the user may use it. */
  vhostOf(name: string, p: Principal): VirtualHost {
    const v = this.broker.vhost(name);
    if (v instanceof BrokerError) throw notFound();
    p.requireVhost(name);
    return v;
  }

  /** The vhosts in the vhost listing and the overview's totals. */
  visibleVhosts(p: Principal): VirtualHost[] {
    return this.broker.listVhosts().filter((v) => p.visibleVhost(v.name));
  }

  /** A vhost path segment or, without one, every vhost whose objects the user's listings show. */
  vhostsFor(vhost: string | undefined, p: Principal): VirtualHost[] {
    return vhost !== undefined ? [this.vhostOf(vhost, p)] : this.broker.listVhosts().filter((v) => p.listsVhost(v.name));
  }

  /**
   * The request body, or the 400 its schema's check gave. Routes with a body are registered with
   * `attachValidation`, so the check's answer waits until the handler asks here: after the
   * credentials, the user's tags and the vhost (what RabbitMQ's is_authorized and resource_exists
   * answer before the body is read), before the action's own checks.
   */
  body(req: FastifyRequest): Body {
    if (req.validationError !== undefined) throw req.validationError;
    return (req.body ?? {}) as Body;
  }

  queueOf(v: VirtualHost, name: string): Queue {
    const q = v.queues.get(name);
    if (q === undefined) throw notFound();
    return q;
  }
}

/** The options every route plugin is registered with. */
export interface RouteOptions {
  api: RouteContext;
}

/** A plugin serving one resource's routes. */
export type RoutePlugin = FastifyPluginAsync<RouteOptions>;

/** A core refusal as RabbitMQ's API answers it. */
export function fromBrokerError(e: BrokerError): ApiError {
  const detail = e.text.slice(e.text.indexOf(" - ") + 3);
  if (e.code === ReplyCode.ACCESS_REFUSED) return notAuthorised("Access refused.");
  if (e.code === ReplyCode.NOT_FOUND) return new ApiError(404, "not_found", e.text);
  return badRequest(detail);
}

/** The core's answer, or its refusal thrown as RabbitMQ's. */
export function check<T>(r: T | BrokerError): T {
  if (r instanceof BrokerError) throw fromBrokerError(r);
  return r;
}

/** RabbitMQ's parse_bool of a field the body schema let through: rabbitmqadmin sends "true". */
export const parseBool = (v: unknown, dflt: boolean): boolean => (v === undefined || v === null ? dflt : v === true || v === "true");
/** A field as text, or the default when it is absent. */
export const str = (v: unknown, dflt = ""): string => (v === undefined || v === null ? dflt : String(v));

/** A `tags` field, a list or a comma-separated text, as a list. */
export const tagList = (tags: unknown): string[] =>
  Array.isArray(tags)
    ? tags.map(String)
    : str(tags)
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);

/** The default exchange's name in URLs. */
export const exchangeName = (name: string): string => (name === "amq.default" ? "" : name);

/** Permission patterns must compile: 400 `invalid_regexp` naming the first that does not. */
export function requireRegexps(...patterns: string[]): void {
  // the engine that will match them (linear-time RE2 syntax) decides what compiles
  for (const re of patterns) if (compilePattern(re) instanceof PatternError) throw badRequest(`invalid_regexp: ${re}`);
}

/** A request body as the schemas let it through: a JSON object, its fields checked per route. */
export type Body = Record<string, unknown>;

/** A route's request types: its path parameters, query string and body. */
export interface Route<P extends string = never, Q extends object = object> {
  Params: Record<P, string>;
  Querystring: ListingQuery & Q;
  Body: Body;
}

/** A listing of every vhost's objects or, under a `:vhost` segment, of one vhost's. */
export interface Listing<Q extends object = object> {
  Params: { vhost?: string };
  Querystring: ListingQuery & Q;
  Body: Body;
}

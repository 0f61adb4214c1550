/**
 * The management API's error answers, in RabbitMQ's shape: `{"error": ..., "reason": ...}` with
 * its status codes (400 bad_request, 401 not_authorised, 404 Object Not Found, 405).
 */
import type { Reason } from "./schemas.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    /** A text, or an Erlang tuple as RabbitMQ sends it: `["not_boolean","maybe"]`. */
    readonly reason: Reason,
    /** Extra response headers (WWW-Authenticate on 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof reason === "string" ? reason : JSON.stringify(reason));
  }
}

const REALM = { "www-authenticate": 'Basic realm="RabbitMQ Management"' };

export const notFound = (): ApiError => new ApiError(404, "Object Not Found", "Not Found");
export const badRequest = (reason: Reason): ApiError => new ApiError(400, "bad_request", reason);
/** RabbitMQ spells login failures "not_authorized" and every other refusal "not_authorised". */
export const loginFailed = (reason = "Login failed"): ApiError => new ApiError(401, "not_authorized", reason, REALM);
export const notAuthorised = (reason: string): ApiError => new ApiError(401, "not_authorised", reason, REALM);
export const vhostRefused = (): ApiError => notAuthorised("User not authorised to access virtual host");
/** RabbitMQ's refusal of an object the user's tags do not reach (another user's connection, a policy). */
export const objectRefused = (): ApiError => notAuthorised("User not authorised to access object");

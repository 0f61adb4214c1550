/**
 * A small client for the RabbitMQ-compatible management HTTP API, shared by `warren ctl`'s
 * commands. It speaks only the documented paths, so the same commands work against RabbitMQ.
 */

export interface ManagementTarget {
  /** Base URL of the management listener, e.g. http://localhost:15672 */
  url: string;
  user: string;
  password: string;
}

/** An API answer other than 2xx, with RabbitMQ's `reason` text when the body carried one. */
export class ManagementError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly path: string,
  ) {
    super(`${reason} (HTTP ${status} on ${path})`);
  }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Path segments are percent-encoded one by one, so the default vhost "/" becomes %2F. */
export const apiPath = (...segments: string[]): string => "/api/" + segments.map(encodeURIComponent).join("/");

export class ManagementClient {
  private readonly auth: string;
  private readonly base: string;

  constructor(target: ManagementTarget) {
    this.base = target.url.replace(/\/+$/, "");
    this.auth = "Basic " + Buffer.from(`${target.user}:${target.password}`).toString("base64");
  }

  get<T extends Json = Json>(path: string): Promise<T> {
    return this.request("GET", path) as Promise<T>;
  }
  put(path: string, body: Json = {}): Promise<Json> {
    return this.request("PUT", path, body);
  }
  post(path: string, body: Json = {}): Promise<Json> {
    return this.request("POST", path, body);
  }
  delete(path: string, headers: Record<string, string> = {}): Promise<Json> {
    return this.request("DELETE", path, undefined, headers);
  }

  private async request(method: string, path: string, body?: Json, headers: Record<string, string> = {}): Promise<Json> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          authorization: this.auth,
          ...(body !== undefined && { "content-type": "application/json" }),
          ...headers,
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new ManagementError(0, `cannot reach the management API at ${this.base}: ${cause}`, path);
    }
    const text = await res.text();
    let parsed: Json = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text) as Json;
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) {
      const reason =
        parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) && parsed.reason !== undefined
          ? typeof parsed.reason === "string"
            ? parsed.reason
            : JSON.stringify(parsed.reason)
          : res.statusText;
      throw new ManagementError(res.status, reason, path);
    }
    return parsed;
  }
}

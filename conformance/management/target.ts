// Which broker the management conformance scenarios talk to.
//
// WARREN_CONFORMANCE_MANAGEMENT=http://user:pass@host:port points them at an external broker's
// management API (RabbitMQ with rabbitmq_management, or a Warren started elsewhere); scenarios that
// need a client connection use WARREN_CONFORMANCE_AMQP for the same broker. Without it, each file
// starts its own embedded Warren with AMQP and management listeners.

export interface ManagementBrokerUnderTest {
  /** Base URL without credentials, e.g. http://127.0.0.1:15672 */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** amqp:// URL of the same broker, or null when only a management URL was given. */
  amqpUrl: string | null;
  /** mqtt:// URL of the same broker (WARREN_CONFORMANCE_MQTT when external), or null. */
  mqttUrl: string | null;
  external: boolean;
  close(): Promise<void>;
}

export const MANAGEMENT_TARGET_ENV = "WARREN_CONFORMANCE_MANAGEMENT";

export async function useManagementBroker(): Promise<ManagementBrokerUnderTest> {
  const external = process.env[MANAGEMENT_TARGET_ENV]?.trim();
  if (external) {
    const u = new URL(external);
    const amqp = process.env.WARREN_CONFORMANCE_AMQP?.trim();
    const mqtt = process.env.WARREN_CONFORMANCE_MQTT?.trim();
    return {
      url: `${u.protocol}//${u.host}`,
      host: u.hostname,
      port: Number(u.port || 15672),
      user: decodeURIComponent(u.username || "guest"),
      password: decodeURIComponent(u.password || "guest"),
      amqpUrl: amqp || null,
      mqttUrl: mqtt || null,
      external: true,
      close: async () => undefined,
    };
  }
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: { port: 0 }, mqtt: { port: 0 }, management: { port: 0 }, logLevel: "silent" });
  return {
    url: `http://127.0.0.1:${broker.ports.management}`,
    host: "127.0.0.1",
    port: broker.ports.management!,
    user: "guest",
    password: "guest",
    amqpUrl: `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`,
    mqttUrl: `mqtt://guest:guest@127.0.0.1:${broker.ports.mqtt}`,
    external: false,
    close: () => broker.close(),
  };
}

/** A name unique to this run, so scenarios can share an external broker with other users. */
export const unique = (base: string): string => `${base}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** Polls until `check` holds (RabbitMQ's management lists connections only after its stats interval). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One management API request as `user` (the broker's own by default): the status and the body
 * parsed as JSON (null when empty, the text itself when it is not JSON). A string body is sent
 * as it is, to try bodies that are not JSON.
 */
export async function apiCall<T = unknown>(
  broker: ManagementBrokerUnderTest,
  method: string,
  path: string,
  body?: unknown,
  user = broker.user,
  password = broker.password,
): Promise<{ status: number; json: T }> {
  const res = await fetch(`${broker.url}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json: json as T };
}

import { startBroker, type RunningBroker } from "warren";

/** A broker with AMQP, MQTT, STOMP, management and Prometheus on free ports. */
export async function startWithManagement(extra: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  return startBroker({
    amqp: { port: 0 },
    mqtt: { port: 0 },
    stomp: { port: 0 },
    management: { port: 0, sampleInterval: 50 },
    prometheus: { port: 0 },
    ...extra,
  });
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** One request to the management API, as `user:password` (null: no credentials). */
export async function api(
  broker: RunningBroker,
  method: string,
  path: string,
  body?: unknown,
  credentials: string | null = "guest:guest",
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  const res = await fetch(`http://127.0.0.1:${broker.ports.management}${path}`, {
    method,
    headers: {
      ...(credentials !== null && { authorization: "Basic " + Buffer.from(credentials).toString("base64") }),
      ...(body !== undefined && { "content-type": "application/json" }),
      ...headers,
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls until `check` returns a value that is not undefined/false, or fails after `ms`. */
export async function until<T>(check: () => T | Promise<T>, ms = 5000, what = "condition"): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v as Exclude<T, false | undefined | null>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

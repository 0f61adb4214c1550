// Sets policies on the broker under test, the way each broker's operators do: through the
// management HTTP API (WARREN_CONFORMANCE_MANAGEMENT, which `--management` sets), through
// `rabbitmqctl set_policy` (WARREN_CONFORMANCE_CTL names the command line, e.g.
// "env HOME=/tmp/rmq/home /usr/lib/rabbitmq/bin/rabbitmqctl -n node@localhost"; `warren ctl`
// works the same way for an external Warren), or through the embedded Warren's core API.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { BrokerUnderTest } from "../target.js";

const run = promisify(execFile);
export const CTL_ENV = "WARREN_CONFORMANCE_CTL";
const MANAGEMENT_ENV = "WARREN_CONFORMANCE_MANAGEMENT";

export type PolicyKind = "policy" | "operator";

export interface PolicyOptions {
  applyTo?: "queues" | "exchanges" | "all";
  priority?: number;
}

export interface PolicyAdmin {
  set(kind: PolicyKind, name: string, pattern: string, definition: Record<string, unknown>, options?: PolicyOptions): Promise<void>;
  clear(kind: PolicyKind, name: string): Promise<void>;
}

export function policyAdmin(broker: BrokerUnderTest): PolicyAdmin {
  const core = broker.core;
  if (core !== undefined) {
    return {
      async set(kind, name, pattern, definition, o = {}) {
        const r = core.setPolicy(
          "/",
          {
            name,
            pattern,
            definition: definition as never,
            ...(o.applyTo && { applyTo: o.applyTo }),
            ...(o.priority !== undefined && { priority: o.priority }),
          },
          kind,
        );
        if (!(r !== null && typeof r === "object" && "pattern" in r)) throw new Error(`setPolicy ${name}: ${String(r)}`);
      },
      async clear(kind, name) {
        const r = core.clearPolicy("/", name, kind);
        if (r !== null) throw new Error(`clearPolicy ${name}: ${String(r)}`);
      },
    };
  }
  const management = process.env[MANAGEMENT_ENV]?.trim();
  if (management) return managementPolicyAdmin(new URL(management));
  const ctl = process.env[CTL_ENV]?.trim();
  if (ctl) return ctlPolicyAdmin(ctl);
  throw new Error(
    `policy scenarios against an external broker need its management API (${MANAGEMENT_ENV}, set by --management) or ${CTL_ENV} (a rabbitmqctl command line)`,
  );
}

/** Policies through the management HTTP API, the same on RabbitMQ and Warren. */
function managementPolicyAdmin(url: URL): PolicyAdmin {
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username || "guest")}:${decodeURIComponent(url.password || "guest")}`).toString("base64")}`;
  const path = (kind: PolicyKind, name: string) =>
    `${url.protocol}//${url.host}/api/${kind === "operator" ? "operator-policies" : "policies"}/%2F/${encodeURIComponent(name)}`;
  const send = async (method: "PUT" | "DELETE", target: string, body?: unknown) => {
    const res = await fetch(target, {
      method,
      headers: { authorization: auth, ...(body !== undefined && { "content-type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${target}: HTTP ${res.status} ${await res.text()}`);
  };
  return {
    set: (kind, name, pattern, definition, o = {}) =>
      send("PUT", path(kind, name), { pattern, definition, priority: o.priority ?? 0, "apply-to": o.applyTo ?? "all" }),
    clear: (kind, name) => send("DELETE", path(kind, name)),
  };
}

/** Policies through `rabbitmqctl` (or `warren ctl`), as an operator would set them. */
function ctlPolicyAdmin(ctl: string): PolicyAdmin {
  const [cmd, ...base] = ctl.split(/\s+/);
  const exec = (args: string[]) => run(cmd!, [...base, ...args], { timeout: 30_000 });
  return {
    async set(kind, name, pattern, definition, o = {}) {
      await exec([
        kind === "operator" ? "set_operator_policy" : "set_policy",
        name,
        pattern,
        JSON.stringify(definition),
        "--apply-to",
        o.applyTo ?? "all",
        "--priority",
        String(o.priority ?? 0),
      ]);
    },
    async clear(kind, name) {
      await exec([kind === "operator" ? "clear_operator_policy" : "clear_policy", name]);
    },
  };
}

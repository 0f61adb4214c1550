// Sets policies on the broker under test, the way each broker's operators do: through
// `rabbitmqctl set_policy` (WARREN_CONFORMANCE_CTL names the command line, e.g.
// "env HOME=/tmp/rmq/home /usr/lib/rabbitmq/bin/rabbitmqctl -n node@localhost"; `warren ctl`
// works the same way for an external Warren), or through the embedded Warren's core API.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { BrokerUnderTest } from "../target.js";

const run = promisify(execFile);
export const CTL_ENV = "WARREN_CONFORMANCE_CTL";

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
        const r = core.setPolicy("/", {
          name, pattern, definition: definition as never, ...(o.applyTo && { applyTo: o.applyTo }), ...(o.priority !== undefined && { priority: o.priority }),
        }, kind);
        if (!(r !== null && typeof r === "object" && "pattern" in r)) throw new Error(`setPolicy ${name}: ${String(r)}`);
      },
      async clear(kind, name) {
        const r = core.clearPolicy("/", name, kind);
        if (r !== null) throw new Error(`clearPolicy ${name}: ${String(r)}`);
      },
    };
  }
  const ctl = process.env[CTL_ENV]?.trim();
  if (!ctl) throw new Error(`policy scenarios against an external broker need ${CTL_ENV} (a rabbitmqctl command line)`);
  const [cmd, ...base] = ctl.split(/\s+/);
  const exec = (args: string[]) => run(cmd!, [...base, ...args], { timeout: 30_000 });
  return {
    async set(kind, name, pattern, definition, o = {}) {
      await exec([
        kind === "operator" ? "set_operator_policy" : "set_policy", name, pattern, JSON.stringify(definition),
        "--apply-to", o.applyTo ?? "all", "--priority", String(o.priority ?? 0),
      ]);
    },
    async clear(kind, name) {
      await exec([kind === "operator" ? "clear_operator_policy" : "clear_policy", name]);
    },
  };
}

/**
 * set_policy / clear_policy and set_operator_policy / clear_operator_policy (their listings are in
 * lists.ts), over /api/policies and /api/operator-policies, with rabbitmqctl's banners and its
 * refusals: exit 69 for a definition that is not JSON, a policy the broker refuses or one that
 * does not exist, 65 (printed bare) for a vhost that does not exist.
 */
import { InvalidArgumentError } from "commander";
import { apiPath, type Json, ManagementError } from "../management-client.js";
import { noSuchVhost } from "./access.js";
import { type CommandFamily, CtlFailure, type CtlKit, ExitCode } from "./kit.js";

const integer = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("expected an integer");
  return n;
};

/** The API HTML-escapes Erlang terms in policy validation texts; rabbitmqctl prints them plain. */
const unescape = (text: string): string =>
  text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&amp;", "&");

async function refusalsAsRabbitmqctl<T>(kit: CtlKit, vhost: string, request: Promise<T>, notFound?: string): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (!(err instanceof ManagementError)) throw err;
    if (err.status === 404) {
      const vhosts = await kit.client().get<{ name: string }[]>(apiPath("vhosts"));
      if (!vhosts.some((v) => v.name === vhost)) throw noSuchVhost(vhost);
      if (notFound !== undefined) throw new CtlFailure(ExitCode.unavailable, notFound);
    }
    if (err.status === 400) throw new CtlFailure(ExitCode.unavailable, unescape(err.reason).replace(/\n$/, ""));
    throw err;
  }
}

function policyFamily(kind: "policy" | "operator"): CommandFamily {
  const resource = kind === "policy" ? "policies" : "operator-policies";
  const set = kind === "policy" ? "set_policy" : "set_operator_policy";
  const clear = kind === "policy" ? "clear_policy" : "clear_operator_policy";
  const setWords = kind === "policy" ? "policy" : "operator policy override";
  const clearWords = kind === "policy" ? "policy" : "operator policy";
  return (ctl, kit) => {
    ctl
      .command(`${set} <name> <pattern> <definition>`)
      .description(
        kind === "policy"
          ? "set a policy in the vhost (-p); definition is JSON, e.g. '{\"max-length\":10}'"
          : "set an operator policy in the vhost (-p), which caps what user policies and arguments set",
      )
      .option("--priority <n>", "policy priority", integer, 0)
      .option("--apply-to <kind>", "queues, exchanges or all", "all")
      .action(
        kit.change(async (name: string, pattern: string, definition: string, opts: { priority: number; applyTo: string }) => {
          const vhost = kit.globals().vhost;
          kit.info(
            `Setting ${setWords} "${name}" for pattern "${pattern}" to "${definition}" with priority "${opts.priority}" for vhost "${vhost}" ...`,
          );
          let parsed: Json;
          try {
            parsed = JSON.parse(definition) as Json;
          } catch {
            throw new CtlFailure(ExitCode.unavailable, "JSON decoding error. Reason: badarg");
          }
          const body = { pattern, definition: parsed, priority: opts.priority, "apply-to": opts.applyTo };
          await refusalsAsRabbitmqctl(kit, vhost, kit.client().put(apiPath(resource, vhost, name), body));
        }),
      );
    ctl
      .command(`${clear} <name>`)
      .description(`remove ${kind === "policy" ? "a policy" : "an operator policy"} from the vhost (-p)`)
      .action(
        kit.change(async (name: string) => {
          const vhost = kit.globals().vhost;
          kit.info(`Clearing ${clearWords} "${name}" on vhost "${vhost}" ...`);
          await refusalsAsRabbitmqctl(kit, vhost, kit.client().delete(apiPath(resource, vhost, name)), "Parameter does not exist");
        }),
      );
  };
}

export const policyCommands: CommandFamily = (ctl, kit) => {
  policyFamily("policy")(ctl, kit);
  policyFamily("operator")(ctl, kit);
};

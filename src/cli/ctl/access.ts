/**
 * Users, vhosts, permissions and topic permissions, with rabbitmqctl's banners, its refusals'
 * texts and exit codes (67 for a user that does not exist, 65 for a vhost, 70 for a user that
 * already exists).
 */
import { apiPath, type Json, ManagementError } from "../management-client.js";
import { plain } from "./columns.js";
import { type CommandFamily, CtlFailure, type CtlKit, ExitCode, notFoundAs, type Row } from "./kit.js";

/** A row of GET /api/topic-permissions/<vhost>/<user>, as RabbitMQ and Warren give it. */
type TopicPermissionRow = { user: string; vhost: string; exchange: string; write: string; read: string };

const tagsOf = (tags: Json | undefined): string => (Array.isArray(tags) ? tags.map((t) => plain(t).table).join(",") : plain(tags).table);

async function exists(kit: CtlKit, path: string): Promise<boolean> {
  try {
    await kit.client().get(path);
    return true;
  } catch (err) {
    if (err instanceof ManagementError && err.status === 404) return false;
    throw err;
  }
}

/**
 * The API answers a write that names a missing user or vhost with a 4xx; rabbitmqctl names
 * which one is missing. Any other refusal goes through as it came.
 */
async function naming<T>(kit: CtlKit, request: Promise<T>, names: { user?: string; vhost?: string }): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (!(err instanceof ManagementError) || (err.status !== 404 && err.status !== 400)) throw err;
    if (names.vhost !== undefined && !(await exists(kit, apiPath("vhosts", names.vhost)))) {
      throw new CtlFailure(ExitCode.unavailable, `Virtual host ${names.vhost} does not exist`);
    }
    if (names.user !== undefined && !(await exists(kit, apiPath("users", names.user)))) {
      throw new CtlFailure(ExitCode.noUser, `User ${names.user} does not exist`);
    }
    throw err;
  }
}

const noSuchUser = (username: string): CtlFailure => new CtlFailure(ExitCode.noUser, `User "${username}" does not exist`);

export const accessCommands: CommandFamily = (ctl, kit) => {
  ctl
    .command("add_user <username> <password>")
    .description("create a user with no tags")
    .action(
      kit.change(async (username: string, password: string) => {
        kit.info(`Adding user "${username}" ...`);
        // the API's PUT would replace an existing user: rabbitmqctl refuses that
        if (await exists(kit, apiPath("users", username))) {
          throw new CtlFailure(ExitCode.software, `User "${username}" already exists`);
        }
        await kit.client().put(apiPath("users", username), { password, tags: "" });
        kit.info(
          "Done. Don't forget to grant the user permissions to some virtual hosts! See 'rabbitmqctl help set_permissions' to learn more.",
        );
      }),
    );
  ctl
    .command("delete_user <username>")
    .description("delete a user")
    .action(
      kit.change(async (username: string) => {
        kit.info(`Deleting user "${username}" ...`);
        await notFoundAs(kit.client().delete(apiPath("users", username)), noSuchUser(username));
      }),
    );
  ctl
    .command("change_password <username> <password>")
    .description("change a user's password, keeping its tags")
    .action(
      kit.change(async (username: string, password: string) => {
        kit.info(`Changing password for user "${username}" ...`);
        const c = kit.client();
        const user = await notFoundAs(c.get<Row>(apiPath("users", username)), noSuchUser(username));
        await c.put(apiPath("users", username), { password, tags: tagsOf(user.tags) });
      }),
    );
  ctl
    .command("set_user_tags <username> [tags...]")
    .description("replace a user's tags (administrator, monitoring, management, policymaker)")
    .action(
      kit.change(async (username: string, tags: string[]) => {
        kit.info(`Setting tags for user "${username}" to [${tags.join(", ")}] ...`);
        const c = kit.client();
        const user = await notFoundAs(c.get<Row>(apiPath("users", username)), noSuchUser(username));
        await c.put(apiPath("users", username), { password_hash: plain(user.password_hash).table, tags: tags.join(",") });
      }),
    );
  ctl
    .command("set_permissions <username> <conf> <write> <read>")
    .description("set a user's configure, write and read patterns in the vhost (-p)")
    .action(
      kit.change(async (username: string, configure: string, write: string, read: string) => {
        const vhost = kit.globals().vhost;
        kit.info(`Setting permissions for user "${username}" in vhost "${vhost}" ...`);
        await naming(kit, kit.client().put(apiPath("permissions", vhost, username), { configure, write, read }), {
          user: username,
          vhost,
        });
      }),
    );
  ctl
    .command("clear_permissions <username>")
    .description("remove a user's permissions in the vhost (-p)")
    .action(
      kit.change(async (username: string) => {
        const vhost = kit.globals().vhost;
        kit.info(`Clearing permissions for user "${username}" in vhost "${vhost}" ...`);
        await clearing(kit, kit.client().delete(apiPath("permissions", vhost, username)), username);
      }),
    );
  ctl
    .command("set_topic_permissions <username> <exchange> <write> <read>")
    .description("set a user's write and read routing-key patterns on a topic exchange in the vhost (-p)")
    .action(
      kit.change(async (username: string, exchange: string, write: string, read: string) => {
        const vhost = kit.globals().vhost;
        kit.info(`Setting topic permissions on "${exchange}" for user "${username}" in vhost "${vhost}" ...`);
        await naming(kit, kit.client().put(apiPath("topic-permissions", vhost, username), { exchange, write, read }), {
          user: username,
          vhost,
        });
      }),
    );
  ctl
    .command("clear_topic_permissions <username> [exchange]")
    .description("remove a user's topic permissions in the vhost (-p), on every exchange or on one")
    .action(
      kit.change(async (username: string, exchange: string | undefined) => {
        const vhost = kit.globals().vhost;
        const c = kit.client();
        const path = apiPath("topic-permissions", vhost, username);
        if (exchange === undefined) {
          kit.info(`Clearing topic permissions for user "${username}" in vhost "${vhost}" ...`);
          await clearing(kit, c.delete(path), username);
          return;
        }
        kit.info(`Clearing topic permissions on "${exchange}" for user "${username}" in vhost "${vhost}" ...`);
        // the API deletes a user's topic permissions in a vhost all at once: put back the others
        const all = await clearing(kit, c.get<TopicPermissionRow[]>(path), username);
        if (all === null) return;
        const kept = all.filter((p) => p.exchange !== exchange);
        await c.delete(path);
        for (const p of kept) await c.put(path, { exchange: p.exchange, write: p.write, read: p.read });
      }),
    );
  ctl
    .command("add_vhost <vhost>")
    .description("create a virtual host")
    .option("--description <text>", "what the vhost is for")
    .option("--tags <tags>", "comma-separated tags")
    .option("--default-queue-type <type>", "classic, quorum or stream")
    .action(
      kit.change(async (vhost: string, opts: { description?: string; tags?: string; defaultQueueType?: string }) => {
        kit.info(`Adding vhost "${vhost}" ...`);
        const body: Row = {};
        if (opts.description !== undefined) body.description = opts.description;
        if (opts.tags !== undefined) body.tags = opts.tags;
        if (opts.defaultQueueType !== undefined) body.default_queue_type = opts.defaultQueueType;
        await kit.client().put(apiPath("vhosts", vhost), body);
      }),
    );
  ctl
    .command("delete_vhost <vhost>")
    .description("delete a virtual host and everything in it")
    .action(
      kit.change(async (vhost: string) => {
        kit.info(`Deleting vhost "${vhost}" ...`);
        await notFoundAs(kit.client().delete(apiPath("vhosts", vhost)), noSuchVhost(vhost));
      }),
    );
};

/** rabbitmqctl's words, printed bare, for a vhost that does not exist (exit 65). */
export const noSuchVhost = (vhost: string): CtlFailure =>
  new CtlFailure(ExitCode.dataError, `Virtual host '${vhost}' does not exist`, "bare");

/**
 * Clearing what is not there succeeds in rabbitmqctl when the user exists (the API answers 404),
 * and fails with 67 when the user does not: null for "nothing to clear".
 */
async function clearing<T>(kit: CtlKit, request: Promise<T>, username: string): Promise<T | null> {
  try {
    return await request;
  } catch (err) {
    if (!(err instanceof ManagementError && err.status === 404)) throw err;
    if (!(await exists(kit, apiPath("users", username)))) throw new CtlFailure(ExitCode.noUser, `User ${username} does not exist`);
    return null;
  }
}

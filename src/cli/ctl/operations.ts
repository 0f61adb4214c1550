/** purge_queue, delete_queue and close_connection, with rabbitmqctl's banners and refusals. */
import { apiPath } from "../management-client.js";
import { type CommandFamily, CtlFailure, ExitCode, notFoundAs } from "./kit.js";

export const operationCommands: CommandFamily = (ctl, kit) => {
  ctl
    .command("purge_queue <queue>")
    .description("remove every ready message from a queue in the vhost (-p)")
    .action(
      kit.run(async (queue: string) => {
        const vhost = kit.globals().vhost;
        kit.info(`Purging queue '${queue}' in vhost '${vhost}' ...`);
        await notFoundAs(
          kit.client().delete(apiPath("queues", vhost, queue, "contents")),
          new CtlFailure(ExitCode.unavailable, "not_found"),
        );
      }),
    );
  ctl
    .command("delete_queue <queue>")
    .description("delete a queue in the vhost (-p)")
    .option("-e, --if-empty", "only if it has no messages")
    .option("-u, --if-unused", "only if it has no consumers")
    .action(
      kit.run(async (queue: string, opts: { ifEmpty?: boolean; ifUnused?: boolean }) => {
        const vhost = kit.globals().vhost;
        kit.info(`Deleting queue '${queue}' on vhost '${vhost}' ...`);
        const query = new URLSearchParams();
        if (opts.ifEmpty) query.set("if-empty", "true");
        if (opts.ifUnused) query.set("if-unused", "true");
        const suffix = query.size > 0 ? `?${query}` : "";
        // rabbitmqctl exits 64 here, not 69 as for other missing objects
        await notFoundAs(
          kit.client().delete(apiPath("queues", vhost, queue) + suffix),
          new CtlFailure(ExitCode.usage, "Queue not found", "error"),
        );
      }),
    );
  ctl
    .command("close_connection <name> <explanation>")
    .description("close a client connection (name as list_connections name shows it)")
    .action(
      kit.run(async (name: string, explanation: string) => {
        kit.info(`Closing connection ${name}, reason: ${explanation}...`);
        await notFoundAs(
          kit.client().delete(apiPath("connections", name), { "x-reason": explanation }),
          new CtlFailure(ExitCode.unavailable, `connection ${name} not found`),
        );
      }),
    );
};

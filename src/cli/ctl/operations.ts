/** purge_queue, delete_queue and close_connection, with rabbitmqctl's banners and refusals. */
import { apiPath } from "../management-client.js";
import { type CommandFamily, CtlFailure, ExitCode, notFoundAs, type Row } from "./kit.js";

export const operationCommands: CommandFamily = (ctl, kit) => {
  ctl
    .command("purge_queue <queue>")
    .description("remove every ready message from a queue in the vhost (-p)")
    .action(
      kit.change(async (queue: string) => {
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
        const path = apiPath("queues", vhost, queue);
        // rabbitmqctl exits 64 here, not 69 as for other missing objects
        const missing = new CtlFailure(ExitCode.usage, "Queue not found", "error");
        // the API's DELETE does not say how many messages went with the queue: read it just before
        const ready = (await notFoundAs(kit.client().get<Row>(path), missing)).messages_ready;
        await notFoundAs(kit.client().delete(path + suffix), missing);
        const message = `Queue was successfully deleted with ${typeof ready === "number" ? ready : 0} ready messages`;
        kit.io.out(kit.globals().formatter === "json" ? `${JSON.stringify({ message })}\n` : `${message}\n`);
      }),
    );
  ctl
    .command("close_connection <name> <explanation>")
    .description("close a client connection (name as list_connections name shows it)")
    .action(
      kit.change(async (name: string, explanation: string) => {
        kit.info(`Closing connection ${name}, reason: ${explanation}...`);
        await notFoundAs(
          kit.client().delete(apiPath("connections", name), { "x-reason": explanation }),
          new CtlFailure(ExitCode.unavailable, `connection ${name} not found`),
        );
      }),
    );
};

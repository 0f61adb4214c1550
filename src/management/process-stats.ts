/** The process's file descriptors, as the node list (fd_used, fd_total) and Prometheus report them. */
import { readdir } from "node:fs/promises";
import { processFdLimit } from "../store/file-pool.js";

/** Open file descriptors of this process (Linux /proc); 0 where that is not available. */
export async function openFds(): Promise<number> {
  try {
    // less the descriptor the listing itself holds open
    return Math.max(0, (await readdir("/proc/self/fd")).length - 1);
  } catch {
    return 0;
  }
}

/** The process's soft limit on open files, as RabbitMQ reports it (fd_total, rabbitmq_process_max_fds). */
export function maxFds(): number {
  return processFdLimit() ?? 0;
}

/**
 * The node page's memory breakdown (GET /api/nodes/:node?memory=true). RabbitMQ splits the Erlang
 * VM's memory by process kind; Warren is one Node.js process, so its parts are V8's heap (used and
 * reserved but unused), the buffers outside it (message bodies, socket data) and the rest of the
 * resident set (code, stacks, the allocator's slack). `total` has RabbitMQ's rss/allocated pair.
 */
export function memoryBreakdown(): Record<string, number | string | Record<string, number>> {
  const m = process.memoryUsage();
  const other = Math.max(0, m.rss - m.heapTotal - m.external);
  return {
    heap_used: m.heapUsed,
    heap_unused: m.heapTotal - m.heapUsed,
    buffers: m.external,
    other_system: other,
    strategy: "rss",
    total: { rss: m.rss, allocated: m.heapTotal + m.external },
  };
}

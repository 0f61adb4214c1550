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

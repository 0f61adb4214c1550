/**
 * Fast detection of a dead leader (docs/clustering.md, "Failover"): a node's replication port is
 * held by its process for its whole life — the follower's listener, or while it leads this
 * liveness listener, which accepts and closes. When a follower's connection from the leader drops
 * it probes that port: a refused connection (the host answered, nothing listens: the process is
 * gone) lets it end the dead leader's lease at once instead of waiting for the TTL. Anything else
 * — the connection accepted, a timeout, an unreachable host (a partition looks like that) — proves
 * nothing, and the lease runs out as it would anyway.
 */
import * as net from "node:net";

/** What a probe of a node's replication port says about its process. */
export type ProbeResult = "alive" | "refused" | "unknown";

/** Connects to `host:port` once: accepted → alive, ECONNREFUSED → refused, anything else (a timeout too) → unknown. */
export function probe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (r: ProbeResult): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done("unknown"), timeoutMs);
    s.once("connect", () => done("alive"));
    s.once("error", (err: NodeJS.ErrnoException) => done(err.code === "ECONNREFUSED" ? "refused" : "unknown"));
  });
}

/**
 * Probes until the answer is not "alive", at most `attempts` times `gapMs` apart: a killed
 * process's connections may close a moment before its listener does.
 */
export async function probeDead(host: string, port: number, timeoutMs: number, attempts = 3, gapMs = 100): Promise<ProbeResult> {
  let r: ProbeResult = "unknown";
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, gapMs).unref());
    r = await probe(host, port, timeoutMs);
    if (r !== "alive") return r;
  }
  return r;
}

/** The leader's listener on its replication port: it only proves the process is there. */
export async function listenLiveness(port: number, host?: string): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.on("error", () => {});
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

export function closeServer(server: net.Server | null): Promise<void> {
  if (server === null) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A real etcd (Debian's etcd-server) for the cluster tests: started by the test on side ports with
 * a data dir of its own under /tmp, stopped and removed afterwards. Readiness is polled, bounded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Etcd3 } from "etcd3";

export interface EtcdProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGSTOP / SIGCONT: etcd unreachable without losing its state. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startEtcd(clientPort: number, peerPort: number): Promise<EtcdProcess> {
  const dir = mkdtempSync(`/tmp/cluster-etcd-${clientPort}-`);
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    "etcd",
    [
      "--name",
      "t",
      "--data-dir",
      dir,
      "--listen-client-urls",
      url,
      "--advertise-client-urls",
      url,
      "--listen-peer-urls",
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      `t=${peer}`,
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const client = new Etcd3({ hosts: url, dialTimeout: 500 });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}): ${stderr}`);
      try {
        await client.get("probe").string();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`etcd on ${url} not ready in 15 s: ${(err as Error).message} ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  return {
    url,
    child,
    stop,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
  };
}

/** Polls `check` until it returns something truthy, for at most `ms`. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The cluster's in-sync set as etcd holds it, sorted (empty before a leader wrote it). */
export async function inSync(client: Etcd3): Promise<string[]> {
  const v = await client.get("/warren/in-sync").string();
  return v === null ? [] : (JSON.parse(v) as { nodes: string[] }).nodes.sort();
}

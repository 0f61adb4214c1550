/**
 * Warren nodes as real processes for the cluster tests: the built CLI (dist/, `npm run build`)
 * on loopback in cluster mode, with only the client listeners a test names (the rest off), its
 * log kept for failure messages.
 */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import amqp from "amqplib";
import { listenerArgs, type ListenerName } from "../../bench/lib/cli-listeners.mjs";

/** The built `warren` command. */
export const CLI = join(import.meta.dirname, "../../dist/cli/main.js");

export interface CliNodeSpec {
  /** The `warren` command to run (default: this checkout's build). */
  cli?: string;
  name: string;
  etcdUrl: string;
  /** A rabbitmq.conf-style file (lease TTL and the like). */
  conf: string;
  dir: string;
  replicationPort: number;
  /** The client listeners this node opens when it leads; every other one is off. */
  ports: Partial<Record<ListenerName, number>>;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** What the node logged so far (plain text). */
  log(): string;
}

export function spawnCliNode(spec: CliNodeSpec): CliProcess {
  const listeners = listenerArgs(spec.ports);
  const child = spawn(
    process.execPath,
    [
      spec.cli ?? CLI,
      ...["-c", spec.conf, "--data-dir", spec.dir, "--host", "127.0.0.1", "--cluster-etcd", spec.etcdUrl, "--node-name", spec.name],
      ...["--replication-port", String(spec.replicationPort), ...listeners],
      ...["--log-level", "info", "--log-format", "plaintext"],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let out = "";
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, log: () => out };
}

/** A port free at the moment of asking (for listeners the test does not need to know in advance). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Connects to the first host of the list that accepts, as a client with a broker list does. */
export async function connectAny(ports: number[]): Promise<{ conn: amqp.ChannelModel; port: number }> {
  let last: unknown;
  for (const port of ports) {
    try {
      return { conn: await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`), port };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/**
 * One broker per data dir. The lock is a Unix socket, `<dataDir>/warren.lock`, that the owner
 * listens on: the kernel closes it when the owner dies, however it dies (kill -9, OOM), so a
 * socket nobody answers on is stale and is taken over. A pid file cannot tell: in a container
 * Warren is PID 1 again after a restart and finds "pid 1" alive (itself). Asking the socket also
 * works across PID namespaces (two containers sharing a volume, a host process and a container),
 * where a pid means nothing. A live owner answers with its pid, for the error message.
 */
import * as fs from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";

export const LOCK_FILE = "warren.lock";

/** The longest socket path bind() takes everywhere (sun_path: 108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 103;
/** How long a live owner may take to answer; a stale socket refuses at once. */
const PROBE_TIMEOUT_MS = 5000;

export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
  readonly code = "EWARRENLOCKED";
  constructor(
    readonly dataDir: string,
    readonly ownerPid: string,
    readonly lockPath: string,
  ) {
    super(`data dir ${dataDir} is in use by another Warren (pid ${ownerPid}, ${lockPath})`);
  }
}

/** A held data dir lock; `release` gives the dir up (the socket file goes with it). */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Takes the data dir's lock, taking over a stale one; rejects with DataDirInUseError while a live Warren holds it. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    const at = socketPath(dataDir, path);
    const held = await listen(at.path);
    if (!(held instanceof Error)) return lockOf(held, path, at);
    at.done();
    if ((held as NodeJS.ErrnoException).code !== "EADDRINUSE")
      throw new Error(`data dir ${dataDir}: could not take ${path}: ${held.message}`);
    const owner = await ownerOf(dataDir, path);
    if (owner !== null) throw new DataDirInUseError(dataDir, owner, path);
    // not atomic: two brokers starting in the same moment on a dead owner's dir could both find it
    // stale here (the pid file had the same window); one broker starting after another is refused
    fs.rmSync(path, { force: true });
  }
  throw new Error(`data dir ${dataDir}: could not take ${path}`);
}

function lockOf(server: Server, path: string, at: SocketPath): DataDirLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      // synchronously: the socket file is gone (Node unlinks it) before the directory handle goes
      server.close();
      fs.rmSync(path, { force: true });
      at.done();
    },
  };
}

/** Listens on the socket; the listener never keeps the process alive and answers with the pid. */
function listen(path: string): Promise<Server | Error> {
  return new Promise((resolve) => {
    const server = createServer((c) => {
      c.on("error", () => undefined);
      c.end(`${process.pid}\n`);
    });
    server.once("error", (err) => resolve(err));
    server.listen(path, () => {
      server.removeAllListeners("error");
      // an error on the lock's listener after start (none is expected) must not crash the broker
      server.on("error", () => undefined);
      server.unref();
      resolve(server);
    });
  });
}

/**
 * Who holds `path`: the pid a live owner answers with, or null when nobody answers (the owner
 * died; or a pid file an older Warren left, whose pid is gone).
 */
async function ownerOf(dataDir: string, path: string): Promise<string | null> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return null;
  }
  if (st.isFile()) return legacyOwner(path);
  const at = socketPath(dataDir, path);
  try {
    return await new Promise<string | null>((resolve) => {
      const c = createConnection(at.path);
      let answer = "";
      const done = (owner: string | null) => {
        clearTimeout(timer);
        c.destroy();
        resolve(owner);
      };
      // a live owner that does not answer in time is still live: it accepted the connection
      const timer = setTimeout(() => done("unknown"), PROBE_TIMEOUT_MS);
      c.setEncoding("utf8");
      c.on("data", (d: string) => (answer += d));
      c.on("end", () => done(answer.trim() || "unknown"));
      // refused (or gone): nobody listens, the owner died. Anything else (EACCES: another user's
      // socket) cannot tell, and a data dir is not taken on a guess
      c.on("error", (err: NodeJS.ErrnoException) => done(err.code === "ECONNREFUSED" || err.code === "ENOENT" ? null : "unknown"));
    });
  } finally {
    at.done();
  }
}

/** A lock file from a Warren that wrote its pid: live only if that pid is. */
function legacyOwner(path: string): string | null {
  const pid = Number(fs.readFileSync(path, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return String(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM" ? String(pid) : null;
  }
}

interface SocketPath {
  readonly path: string;
  /** Closes the directory handle a long path went through (after the socket is closed). */
  done(): void;
}

/**
 * A path to the socket that bind() and connect() accept: a data dir deeper than a socket path may
 * be is reached through /proc/self/fd (Linux), a short name for an open handle on the directory.
 */
function socketPath(dataDir: string, path: string): SocketPath {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return { path, done: () => undefined };
  let fd: number;
  try {
    fd = fs.openSync(dataDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (err) {
    throw new Error(`data dir ${dataDir}: its lock ${path} is too long a socket path (${(err as Error).message})`);
  }
  if (!fs.existsSync(`/proc/self/fd/${fd}`)) {
    fs.closeSync(fd);
    throw new Error(`data dir ${dataDir}: its lock ${path} is too long a socket path`);
  }
  let open = true;
  return {
    path: `/proc/self/fd/${fd}/${LOCK_FILE}`,
    done() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

import * as fs from "node:fs";
import { join } from "node:path";
import { Broker } from "../core/index.js";
import { amqpPropertiesCodec, encodeProperties } from "../../protocols/amqp/codec/properties.js";
import { DiskPersistence } from "../store/persistence.js";
import type { DataDirLock } from "../store/lock.js";
import type { StoreTap } from "../store/tap.js";
import { DefinitionsRefused, describeImport, importDefinitions, readDefinitions } from "../store/definitions.js";
import type { RecordPropertiesCodec } from "../store/message-record.js";
import type { Logger } from "./logger.js";
import type { parseOptions } from "./options.js";

/** Records keep AMQP 0-9-1 property bytes: AMQP publishers' own bytes go to disk untouched. */
const recordCodec: RecordPropertiesCodec = { properties: amqpPropertiesCodec, encode: encodeProperties };

/**
 * Opens the store in a data dir that `prepareDataDir` checked and whose lock the caller holds,
 * and restores definitions and durable messages into a new core. Never runs without durability:
 * any problem is an error naming the path (and the lock is given back).
 */
export function openStore(
  dataDir: string,
  options: ReturnType<typeof parseOptions>,
  log: Logger,
  lock: DataDirLock,
  /** A cluster leader's replication: told every durable write (none on a single node). */
  tap?: StoreTap,
  /** A promoted follower's records were CRC-checked as they arrived (DiskPersistenceOptions). */
  checksumsVerified?: boolean,
): { core: Broker; persistence: DiskPersistence } {
  let persistence: DiskPersistence;
  try {
    persistence = new DiskPersistence({
      dataDir,
      codec: recordCodec,
      log,
      lock,
      ...(tap !== undefined && { tap }),
      ...(checksumsVerified === true && { checksumsVerified }),
      ...(options.segmentSize !== undefined && { segmentSize: options.segmentSize }),
      ...(options.pageOutBytes !== undefined && { pageOutBytes: options.pageOutBytes }),
      ...(options.maxOpenFiles !== undefined && { maxOpenFiles: options.maxOpenFiles }),
    });
  } catch (err) {
    lock.release();
    throw err;
  }
  const core = new Broker({
    defaultUser: options.defaultUser,
    defaultPass: options.defaultPass,
    defaultVhost: options.defaultVhost,
    loopbackUsers: options.loopbackUsers,
    seedDefaults: false,
  });
  let restored: boolean;
  const started = Date.now();
  try {
    restored = persistence.restore(core);
  } catch (err) {
    persistence.releaseLock();
    log.error({ err, dataDir }, "store recovery failed");
    throw err;
  }
  if (restored) {
    let queues = 0;
    let messages = 0;
    for (const v of core.listVhosts()) {
      for (const q of v.queues.values()) {
        if (!q.durable) continue;
        queues++;
        messages += q.messageCount;
      }
    }
    log.info({ dataDir, vhosts: core.listVhosts().length, queues, messages, ms: Date.now() - started }, "store recovered");
  }
  // RabbitMQ's load_definitions, then the management plugin's management.load_definitions
  const toLoad = [
    ...(options.loadDefinitions !== undefined ? [["load_definitions", options.loadDefinitions] as const] : []),
    ...(options.managementLoadDefinitions !== undefined
      ? [["management.load_definitions", options.managementLoadDefinitions] as const]
      : []),
  ];
  if (toLoad.length > 0) {
    // imported at every start, over what the data dir restored; a file with anything refused stops
    // the start, naming what and why
    let key: string = toLoad[0]![0];
    try {
      for (const [k, file] of toLoad.flatMap(([k, path]) => definitionsFiles(path).map((f) => [k, f] as const))) {
        key = k;
        const d = readDefinitions(file);
        if (d === null) throw new Error(`${key}: ${file} does not exist`);
        const report = importDefinitions(core, d, file);
        log.info({ file, ...report }, `definitions loaded from ${file}: ${describeImport(report)}`);
      }
    } catch (err) {
      persistence.releaseLock();
      if (err instanceof DefinitionsRefused) {
        log.error({ file: err.source, ...err.report }, `definitions refused: ${describeImport(err.report)}`);
        throw new Error(`${key}: ${err.message}`);
      }
      throw err;
    }
    void persistence.flush();
  } else if (!restored) {
    // first start on this data dir: the default vhost and user, as RabbitMQ creates them
    // (RabbitMQ skips them when definitions are loaded at boot, and so does Warren)
    const user = options.defaultUser ?? "guest";
    core.users.add(user, options.defaultPass ?? "guest", ["administrator"]);
    core.addVhost(core.defaultVhost);
    core.users.setPermission(user, core.defaultVhost, { configure: ".*", write: ".*", read: ".*" });
    void persistence.flush(); // written now (synchronously), so the data dir is complete from the start
  }
  return { core, persistence };
}

/** A definitions file, or every .json file of a directory in name order (as RabbitMQ reads one). */
function definitionsFiles(path: string): string[] {
  let isDir = false;
  try {
    isDir = fs.statSync(path).isDirectory();
  } catch {
    return [path]; // readDefinitions names it
  }
  if (!isDir) return [path];
  return fs
    .readdirSync(path)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(path, f));
}

/** The data dir exists (created when missing) and is a writable directory, or an error names the path. */
export function prepareDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EEXIST" || e.code === "ENOTDIR") throw new Error(`data dir ${dir} is not a directory`);
    throw new Error(`data dir ${dir} cannot be created: ${e.message}`);
  }
  if (!fs.statSync(dir).isDirectory()) throw new Error(`data dir ${dir} is not a directory`);
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    const fd = fs.openSync(probe, "w");
    fs.writeSync(fd, Buffer.from("warren"));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.rmSync(probe);
  } catch (err) {
    throw new Error(`data dir ${dir} is not writable: ${(err as Error).message}`);
  }
}

import * as fs from "node:fs";
import { join } from "node:path";
import { Broker } from "../core/index.js";
import { amqpPropertiesCodec, encodeProperties } from "../../protocols/amqp/codec/properties.js";
import { DiskPersistence } from "../store/persistence.js";
import type { DataDirLock } from "../store/lock.js";
import { importDefinitions, readDefinitions } from "../store/definitions.js";
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
): { core: Broker; persistence: DiskPersistence } {
  let persistence: DiskPersistence;
  try {
    persistence = new DiskPersistence({
      dataDir,
      codec: recordCodec,
      log,
      lock,
      ...(options.segmentSize !== undefined && { segmentSize: options.segmentSize }),
      ...(options.pageOutBytes !== undefined && { pageOutBytes: options.pageOutBytes }),
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
  if (options.loadDefinitions !== undefined) {
    // RabbitMQ's load_definitions: imported at every start, over what the data dir restored
    const d = readDefinitions(options.loadDefinitions);
    if (d === null) {
      persistence.releaseLock();
      throw new Error(`load_definitions: ${options.loadDefinitions} does not exist`);
    }
    try {
      importDefinitions(core, d, options.loadDefinitions);
    } catch (err) {
      persistence.releaseLock();
      throw err;
    }
    log.info({ file: options.loadDefinitions }, "definitions loaded");
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

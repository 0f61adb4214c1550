#!/usr/bin/env node
// The floor under a persistent send: what one synchronous record write costs this machine's kernel,
// with nothing of a broker around it. Writes N records of SIZE bytes one at a time, each waited for
// before the next (a synchronous JMS send waits for its record), in the patterns a store can use:
//   dsync-sync   O_DSYNC file, fs.writeSync at the file's end (on the main thread)
//   dsync-pool   O_DSYNC file, fs.write through libuv's thread pool, awaited (Warren's segment log)
//   fdatasync    plain file, fs.writeSync then fs.fdatasyncSync (KahaDB's journal: write, then force)
// and reports wall time and the process's CPU (user and system, every thread) per record.
// usage: node bench/dsync-floor.mjs [--dir DIR] [--count 2000] [--size 1024]
import fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { promisify } from "node:util";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const count = Number(opt("--count", 2000));
const size = Number(opt("--size", 1024));
const dir = mkdtempSync(join(opt("--dir", tmpdir()), "dsync-floor-"));
const write = promisify(fs.write);
const rec = Buffer.alloc(size, 0x61);

async function run(mode) {
  const path = join(dir, mode);
  const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | (mode === "fdatasync" ? 0 : fs.constants.O_DSYNC);
  const fd = fs.openSync(path, flags);
  // a segment file is written from its start: warm the path up with a few records first
  for (let i = 0; i < 20; i++) fs.writeSync(fd, rec, 0, size, i * size);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 20; i < count + 20; i++) {
    const at = i * size;
    if (mode === "dsync-pool") await write(fd, rec, 0, size, at);
    else {
      fs.writeSync(fd, rec, 0, size, at);
      if (mode === "fdatasync") fs.fdatasyncSync(fd);
    }
  }
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const c = process.cpuUsage(c0);
  fs.closeSync(fd);
  return { mode, count, size, wallUsPerRecord: wallUs / count, userUsPerRecord: c.user / count, systemUsPerRecord: c.system / count };
}

const out = [];
for (const mode of ["dsync-sync", "dsync-pool", "fdatasync"]) out.push(await run(mode));
rmSync(dir, { recursive: true, force: true });
console.log(`| pattern | wall µs/record | user µs | system µs | CPU µs/record |\n|---|---:|---:|---:|---:|`);
for (const r of out) {
  const f = (n) => n.toFixed(1);
  console.log(
    `| ${r.mode} (${r.size} B) | ${f(r.wallUsPerRecord)} | ${f(r.userUsPerRecord)} | ${f(r.systemUsPerRecord)} | ${f(r.userUsPerRecord + r.systemUsPerRecord)} |`,
  );
}
console.log(JSON.stringify({ date: new Date().toISOString(), loadAverage: fs.readFileSync("/proc/loadavg", "utf8").trim(), results: out }));

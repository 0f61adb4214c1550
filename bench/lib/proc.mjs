// Reading a broker process's CPU time and memory from /proc (Linux only).

import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { execFileSync } from "node:child_process";

let clkTck = 100;
try {
  clkTck = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // getconf missing: 100 is the Linux default (USER_HZ)
}
/** Clock ticks per second of /proc/PID/stat's utime and stime. */
export const CLK_TCK = clkTck;

/**
 * utime+stime of the process in clock ticks, summed over all its threads
 * (fields 14 and 15 of /proc/PID/stat; field 2 may contain spaces, so
 * count from the last ')'). Returns null if the process is gone.
 */
export function cpuTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state) → field N is rest[N - 3]
    return Number(rest[14 - 3]) + Number(rest[15 - 3]);
  } catch {
    return null;
  }
}

/**
 * read and write syscalls the process has made so far, all threads (/proc/PID/io's syscr and
 * syscw), or null when that file cannot be read (gone, or another user's process).
 */
export function syscallCounts(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/io`, "utf8");
    const r = /^syscr:\s+(\d+)/m.exec(s);
    const w = /^syscw:\s+(\d+)/m.exec(s);
    return r && w ? { reads: Number(r[1]), writes: Number(w[1]) } : null;
  } catch {
    return null;
  }
}

/** Minor page faults of the process so far (field 10 of /proc/PID/stat, minflt), or null if it is gone. */
export function minorFaults(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[10 - 3]);
  } catch {
    return null;
  }
}

/** Resident set size in bytes (VmRSS), or null if the process is gone. */
export function rssBytes(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(s);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** Samples RSS every `everyMs` to know the peak over a scenario. */
export class RssSampler {
  constructor(pid, everyMs = 100) {
    this.pid = pid;
    this.peak = 0;
    this.last = null;
    this.timer = null;
    if (pid) {
      this.sample();
      this.timer = setInterval(() => this.sample(), everyMs);
    }
  }
  sample() {
    const r = rssBytes(this.pid);
    if (r !== null) {
      this.last = r;
      if (r > this.peak) this.peak = r;
    }
    return r;
  }
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Machine-wide busy CPU time in ticks (all cores; /proc/stat "cpu" line minus idle and iowait). */
export function machineBusyTicks() {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  } catch {
    return null;
  }
}

/**
 * The pid of the local process listening on TCP `port` (from /proc/net/tcp{,6}
 * and /proc/PID/fd), or null when none is visible (not local, or no permission).
 */
export function pidListeningOn(port) {
  const inodes = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // 0A = LISTEN
      if (parseInt(f[1].split(":")[1], 16) === port) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return null;
  let pids;
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1])) return Number(pid);
    }
  }
  return null;
}

// Orchestrator side of a forked client process: config in, ready, marks
// (counters read at a given instant), stop, and hard kill when anything
// takes too long. A worker never blocks the orchestrator: every wait has a
// timeout, and a worker that exits or reports an error fails its waits.

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
export const WORKER_SCRIPTS = {
  publisher: path.join(here, "..", "workers", "publisher.mjs"),
  consumer: path.join(here, "..", "workers", "consumer.mjs"),
  latency: path.join(here, "..", "workers", "latency.mjs"),
  "mqtt-publisher": path.join(here, "..", "workers", "mqtt-publisher.mjs"),
  "mqtt-consumer": path.join(here, "..", "workers", "mqtt-consumer.mjs"),
  "mqtt-latency": path.join(here, "..", "workers", "mqtt-latency.mjs"),
  "mqtt-idle": path.join(here, "..", "workers", "mqtt-idle.mjs"),
  "stomp-publisher": path.join(here, "..", "workers", "stomp-publisher.mjs"),
  "stomp-consumer": path.join(here, "..", "workers", "stomp-consumer.mjs"),
  "stomp-latency": path.join(here, "..", "workers", "stomp-latency.mjs"),
  "amqp10-publisher": path.join(here, "..", "workers", "amqp10-publisher.mjs"),
  "amqp10-consumer": path.join(here, "..", "workers", "amqp10-consumer.mjs"),
  "amqp10-latency": path.join(here, "..", "workers", "amqp10-latency.mjs"),
};

let nextId = 1;

export class WorkerHandle {
  constructor(kind, cfg, label = kind) {
    this.kind = kind;
    this.label = label;
    this.error = null;
    this.exited = false;
    this.stopping = false;
    this.waiters = []; // { match(msg), resolve, reject, timer }
    this.onProgress = null;
    this.child = fork(WORKER_SCRIPTS[kind], [], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      // keep the orchestrator's flags (e.g. --inspect) away from workers
      execArgv: [],
    });
    this.pid = this.child.pid;
    this.exitPromise = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exited = true;
        if (!this.stopping && !this.error) {
          this._fail(new Error(`${this.label} exited unexpectedly (code ${code}, signal ${signal})`));
        }
        this._fail(this.error || new Error(`${this.label} exited`));
        resolve();
      });
    });
    this.child.on("error", (e) => this._fail(e));
    this.child.on("message", (msg) => this._onMessage(msg));
    this.child.send(cfg);
  }

  _onMessage(msg) {
    if (msg.t === "progress") {
      if (this.onProgress) this.onProgress(msg.counts);
      return;
    }
    if (msg.t === "error") {
      this._fail(new Error(`${this.label}: ${msg.message}`));
      return;
    }
    const i = this.waiters.findIndex((w) => w.match(msg));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(msg);
    }
  }

  _fail(err) {
    if (!this.error) this.error = err;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      clearTimeout(w.timer);
      w.reject(this.error);
    }
  }

  _wait(match, timeoutMs, what) {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const w = { match, resolve, reject, timer: null };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${this.label}: timeout waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  send(msg) {
    if (!this.exited && this.child.connected) {
      try {
        this.child.send(msg);
      } catch {
        /* exiting */
      }
    }
  }

  ready(timeoutMs = 15000) {
    return this._wait((m) => m.t === "ready", timeoutMs, "ready");
  }

  /** Ask for the worker's counters now; resolves with its reply. */
  mark(extra = {}, timeoutMs = 5000) {
    const id = nextId++;
    const p = this._wait((m) => m.t === "mark" && m.id === id, timeoutMs, "mark");
    this.send({ t: "mark", id, ...extra });
    return p;
  }

  /** Send command `t` and wait for the worker's `reply` message to it (matched by id). */
  request(t, reply, extra = {}, timeoutMs = 5000) {
    const id = nextId++;
    const p = this._wait((m) => m.t === reply && m.id === id, timeoutMs, reply);
    this.send({ t, id, ...extra });
    return p;
  }

  /** Polite stop, then SIGKILL if it hasn't exited in time. */
  async stop(timeoutMs = 4000) {
    this.stopping = true;
    if (this.exited) return;
    this.send({ t: "stop" });
    const t = setTimeout(() => this.kill(), timeoutMs);
    await this.exitPromise;
    clearTimeout(t);
  }

  kill() {
    this.stopping = true;
    if (!this.exited) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}

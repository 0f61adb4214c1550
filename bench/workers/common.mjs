// Shared plumbing for the forked client processes: IPC messages in and out,
// reporting failures, and never outliving the orchestrator.

/** Send a message to the orchestrator (ignored if it is gone). */
export function send(msg) {
  if (process.connected) process.send(msg);
}

/** Report a fatal error and exit non-zero. */
export function die(err) {
  send({ t: "error", message: err && err.message ? err.message : String(err) });
  // Give the IPC message a moment to flush before exiting.
  setTimeout(() => process.exit(1), 50).unref();
}

/** CPU time this process has used so far, in microseconds. */
export function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Wire up the lifecycle: first message is the config, then commands. */
export function runWorker(handlers) {
  process.on("disconnect", () => process.exit(0)); // orchestrator died or finished
  process.on("uncaughtException", die);
  process.on("unhandledRejection", die);
  let started = false;
  process.on("message", (msg) => {
    if (!started) {
      started = true;
      Promise.resolve(handlers.init(msg)).then(() => send({ t: "ready" }), die);
      return;
    }
    const h = handlers[msg.t];
    if (h) Promise.resolve(h(msg)).catch(die);
  });
}

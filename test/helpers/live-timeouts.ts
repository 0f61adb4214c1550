import { createHook } from "node:async_hooks";

/**
 * Counts the Timeout objects alive from now on, unref'd ones included: process.getActiveResourcesInfo()
 * lists only ref'd timers, and the broker's are all unref'd, so it would not see a timer per
 * connection. Destroy hooks run a turn after a timer is cleared: let one pass before counting.
 */
export function liveTimeouts(): { count(): number; stop(): void } {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === "Timeout") live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { count: () => live.size, stop: () => hook.disable() };
}

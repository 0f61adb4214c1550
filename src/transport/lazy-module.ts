/**
 * A front-end's connection code, imported when its first client connects instead of at start.
 * A broker starts every standard listener, but most deployments see clients of one or two
 * protocols: the others' codecs and handlers (and the libraries under them, such as mqtt-packet)
 * would cost start-up CPU and idle memory for nothing (bench/README.md, "Start-up"). The listener
 * is bound at start as before; a socket accepted while the code loads waits, unread, for it.
 */
import type { Duplex } from "node:stream";
import type { Logger } from "../server/logger.js";

export interface LazyModule<T> {
  /** The module once loaded, synchronously: the path every connection after the first takes. */
  readonly current: T | undefined;
  /** Loads it once; a failed import is tried again at the next call. */
  load(): Promise<T>;
}

export function lazyModule<T>(importer: () => Promise<T>): LazyModule<T> {
  let current: T | undefined;
  let loading: Promise<T> | undefined;
  return {
    get current() {
      return current;
    },
    load() {
      loading ??= importer().then(
        (mod) => (current = mod),
        (err: unknown) => {
          loading = undefined;
          throw err;
        },
      );
      return loading;
    },
  };
}

function ignoreError(): void {}

/**
 * Calls `use(module)` for an accepted stream: at once when the module is loaded, else once it is.
 * Meanwhile nothing reads the stream (its bytes wait in its buffer) and its errors are ignored; a
 * stream destroyed meanwhile, or when `stillOpen()` says the listener has closed, is dropped.
 * A failed load is logged and the stream destroyed.
 */
export function whenLoaded<T>(
  mod: LazyModule<T>,
  stream: Duplex,
  use: (mod: T) => void,
  log: Logger,
  what: string,
  stillOpen: () => boolean = () => true,
): void {
  const loaded = mod.current;
  if (loaded !== undefined) return use(loaded);
  stream.on("error", ignoreError);
  mod.load().then(
    (m) => {
      stream.removeListener("error", ignoreError);
      if (stream.destroyed || !stillOpen()) return void stream.destroy();
      use(m);
    },
    (err: unknown) => {
      log.error({ err }, `${what}: loading the connection code failed`);
      stream.destroy();
    },
  );
}

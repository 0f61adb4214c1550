// Which broker the OpenWire scenarios talk to.
//
// WARREN_CONFORMANCE_OPENWIRE=tcp://host:port points them at an external broker (ActiveMQ 5.17
// from conformance/activemq.sh, whose OpenWire port is WARREN_ACTIVEMQ_OPENWIRE_PORT; `npm run
// conformance -- --openwire tcp://127.0.0.1:PORT`). Without it, each file starts its own embedded
// Warren with only the OpenWire listener, on a free port.

export const OPENWIRE_TARGET_ENV = "WARREN_CONFORMANCE_OPENWIRE";

export interface OpenWireBroker {
  url: string;
  kind: "warren" | "external";
  close(): Promise<void>;
}

/** How an embedded Warren is started: `pageOutBytes` gives it a data dir of its own, paging past that many bytes. */
export interface EmbeddedOptions {
  pageOutBytes?: number;
  /** Offer tight encoding and the marshal cache, as ActiveMQ's broker does (Warren's default offers neither). */
  offerTightAndCache?: boolean;
}

export async function useOpenWireBroker(options: EmbeddedOptions = {}): Promise<OpenWireBroker> {
  const external = process.env[OPENWIRE_TARGET_ENV]?.trim();
  if (external) return { url: external, kind: "external", close: async () => undefined };
  const { startBroker } = await import("warren");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dataDir = options.pageOutBytes === undefined ? undefined : mkdtempSync(join(tmpdir(), "warren-openwire-"));
  const broker = await startBroker({
    openwire: { port: 0 },
    logLevel: "silent",
    ...(dataDir !== undefined && { dataDir, pageOutBytes: options.pageOutBytes }),
    ...(options.offerTightAndCache === true && { openwireTightEncoding: true, openwireCache: true }),
  });
  return {
    url: `tcp://127.0.0.1:${broker.ports.openwire}`,
    kind: "warren",
    close: async () => {
      await broker.close();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

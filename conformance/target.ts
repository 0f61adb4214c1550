// Which broker the conformance scenarios talk to.
//
// WARREN_CONFORMANCE_AMQP=amqp://user:pass@host:port points every scenario at an external broker
// (RabbitMQ, or a Warren started elsewhere). Without it, each test file starts its own embedded
// Warren on a free port, so files stay isolated from one another.

/** The broker a test file runs against. */
export interface BrokerUnderTest {
  /** amqp:// URL with credentials for the default user and vhost. */
  url: string;
  /** True when the broker was given from outside (and may be shared with other users). */
  external: boolean;
  /** Stops an embedded broker; a no-op for an external one. */
  close(): Promise<void>;
  /** The embedded Warren's core (policies are set through it); undefined for an external broker. */
  core?: import("warren").RunningBroker["core"];
}

export const TARGET_ENV = "WARREN_CONFORMANCE_AMQP";

/** Returns the broker under test: the one in WARREN_CONFORMANCE_AMQP, or a fresh embedded Warren. */
export async function useBroker(): Promise<BrokerUnderTest> {
  const external = process.env[TARGET_ENV];
  if (external && external.trim() !== "") {
    return { url: external.trim(), external: true, close: async () => undefined };
  }
  // Imported lazily so that running against an external broker never loads Warren at all.
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false });
  if (!broker.ports.amqp) {
    await broker.close();
    throw new Error("embedded Warren started without an AMQP listener");
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`,
    external: false,
    core: broker.core,
    close: () => broker.close(),
  };
}

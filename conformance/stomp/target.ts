// Which STOMP broker the STOMP conformance scenarios talk to.
//
// WARREN_CONFORMANCE_STOMP=host:port points every scenario at an external broker (RabbitMQ with
// rabbitmq_stomp, or a Warren started elsewhere; guest/guest on vhost "/"). Without it, each test
// file starts its own embedded Warren on free ports.

export interface StompBrokerUnderTest {
  host: string;
  port: number;
  external: boolean;
  close(): Promise<void>;
}

export const STOMP_TARGET_ENV = "WARREN_CONFORMANCE_STOMP";

export async function useStompBroker(): Promise<StompBrokerUnderTest> {
  const external = process.env[STOMP_TARGET_ENV]?.trim();
  if (external) {
    const at = external.lastIndexOf(":");
    return { host: external.slice(0, at), port: Number(external.slice(at + 1)), external: true, close: async () => undefined };
  }
  // Imported lazily so that running against an external broker never loads Warren at all.
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
  return { host: "127.0.0.1", port: broker.ports.stomp!, external: false, close: () => broker.close() };
}

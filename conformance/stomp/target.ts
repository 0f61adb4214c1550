// Which STOMP broker the STOMP conformance scenarios talk to.
//
// Scenarios are written for one broker's conventions (capabilities), and each convention has its
// own target:
// - "rabbitmq": RabbitMQ's destinations and headers (/exchange/, /amq/queue/, /temp-queue/,
//   persistent:true subscriptions, its error texts). WARREN_CONFORMANCE_STOMP=host:port points
//   them at RabbitMQ with rabbitmq_stomp (guest/guest on vhost "/") or a Warren started elsewhere.
// - "activemq": ActiveMQ's dotted names, topic wildcards `*` and `>`, durable subscriptions by
//   client-id + activemq.subscriptionName. WARREN_CONFORMANCE_STOMP_ACTIVEMQ=host:port points them
//   at ActiveMQ 5.17 (conformance/activemq.sh) or a Warren started elsewhere.
// A scenario never runs against a broker of the other convention. Without the variable, each
// test file starts its own embedded Warren on free ports, which must pass both.

export type StompConvention = "rabbitmq" | "activemq";

export interface StompBrokerUnderTest {
  host: string;
  port: number;
  external: boolean;
  convention: StompConvention;
  close(): Promise<void>;
}

export const STOMP_TARGET_ENV: Record<StompConvention, string> = {
  rabbitmq: "WARREN_CONFORMANCE_STOMP",
  activemq: "WARREN_CONFORMANCE_STOMP_ACTIVEMQ",
};

export async function useStompBroker(convention: StompConvention = "rabbitmq"): Promise<StompBrokerUnderTest> {
  const external = process.env[STOMP_TARGET_ENV[convention]]?.trim();
  if (external) {
    const at = external.lastIndexOf(":");
    return { host: external.slice(0, at), port: Number(external.slice(at + 1)), external: true, convention, close: async () => undefined };
  }
  // Imported lazily so that running against an external broker never loads Warren at all.
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: false, stomp: { port: 0 }, webStomp: false, logLevel: "silent" });
  return { host: "127.0.0.1", port: broker.ports.stomp!, external: false, convention, close: () => broker.close() };
}

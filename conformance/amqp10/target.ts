// Which broker the AMQP 1.0 scenarios talk to.
//
// WARREN_CONFORMANCE_AMQP10=amqp://user:pass@host:port points them at an external broker: AMQP 1.0
// and AMQP 0-9-1 on that one port (RabbitMQ 3.10 with rabbitmq_amqp1_0; `npm run conformance --
// --amqp10 URL`). Without it, each file starts its own embedded Warren. Where RabbitMQ 3.10 and
// Warren differ on purpose (Warren maps as RabbitMQ 4 does), a scenario says what each does;
// docs/compatibility.md says why.

export const AMQP10_TARGET_ENV = "WARREN_CONFORMANCE_AMQP10";

export interface Amqp10Broker {
  host: string;
  port: number;
  username: string;
  password: string;
  /** The same broker's AMQP 0-9-1 URL (same port), for cross-protocol scenarios and set-up. */
  amqpUrl: string;
  /** "rabbitmq" for an external broker (RabbitMQ 3.10 and its AMQP 1.0 plugin), else "warren". */
  kind: "warren" | "rabbitmq";
  close(): Promise<void>;
}

export async function useAmqp10Broker(): Promise<Amqp10Broker> {
  const external = process.env[AMQP10_TARGET_ENV]?.trim();
  if (external) {
    const u = new URL(external);
    return {
      host: u.hostname,
      port: Number(u.port || 5672),
      username: decodeURIComponent(u.username || "guest"),
      password: decodeURIComponent(u.password || "guest"),
      amqpUrl: external,
      kind: "rabbitmq",
      close: async () => undefined,
    };
  }
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: { port: 0 }, stomp: false, webStomp: false, mqtt: false, webMqtt: false, logLevel: "silent" });
  const port = broker.ports.amqp!;
  return {
    host: "127.0.0.1",
    port,
    username: "guest",
    password: "guest",
    amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`,
    kind: "warren",
    close: () => broker.close(),
  };
}

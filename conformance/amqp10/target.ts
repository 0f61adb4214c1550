// Which broker the AMQP 1.0 scenarios talk to.
//
// WARREN_CONFORMANCE_AMQP10=amqp://user:pass@host:port points them at an external broker: AMQP 1.0
// and AMQP 0-9-1 on that one port (RabbitMQ 3.10 with rabbitmq_amqp1_0; `npm run conformance --
// --amqp10 URL`). Without it, each file starts its own embedded Warren. Where RabbitMQ 3.10 and
// Warren differ on purpose (Warren maps as RabbitMQ 4 does), a scenario says what each does;
// docs/compatibility.md says why.
//
// The cross-protocol scenarios also need the same broker's MQTT and STOMP listeners: for an external
// broker WARREN_CONFORMANCE_MQTT (mqtt://user:pass@host:port, `--mqtt`) and WARREN_CONFORMANCE_STOMP
// (host:port, `--stomp`) name them, as .ci/run passes its RabbitMQ node's; the embedded Warren
// starts both.

export const AMQP10_TARGET_ENV = "WARREN_CONFORMANCE_AMQP10";

export interface Amqp10Broker {
  host: string;
  port: number;
  username: string;
  password: string;
  /** The same broker's AMQP 0-9-1 URL (same port), for cross-protocol scenarios and set-up. */
  amqpUrl: string;
  /** The same broker's MQTT listener (mqtt://user:pass@host:port), null when none was named. */
  mqttUrl: string | null;
  /** The same broker's STOMP listener, null when none was named. */
  stomp: { host: string; port: number } | null;
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
      mqttUrl: process.env.WARREN_CONFORMANCE_MQTT?.trim() || null,
      stomp: hostPort(process.env.WARREN_CONFORMANCE_STOMP),
      kind: "rabbitmq",
      close: async () => undefined,
    };
  }
  const { startBroker } = await import("warren");
  const broker = await startBroker({
    amqp: { port: 0 },
    stomp: { port: 0 },
    webStomp: false,
    mqtt: { port: 0 },
    webMqtt: false,
    logLevel: "silent",
  });
  const port = broker.ports.amqp!;
  return {
    host: "127.0.0.1",
    port,
    username: "guest",
    password: "guest",
    amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`,
    mqttUrl: `mqtt://guest:guest@127.0.0.1:${broker.ports.mqtt}`,
    stomp: { host: "127.0.0.1", port: broker.ports.stomp! },
    kind: "warren",
    close: () => broker.close(),
  };
}

function hostPort(v: string | undefined): { host: string; port: number } | null {
  const t = v?.trim();
  if (!t) return null;
  const at = t.lastIndexOf(":");
  return { host: t.slice(0, at), port: Number(t.slice(at + 1)) };
}

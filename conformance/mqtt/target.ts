// Which broker the MQTT conformance scenarios talk to.
//
// WARREN_CONFORMANCE_MQTT=mqtt://user:pass@host:port points them at an external broker (RabbitMQ
// with rabbitmq_mqtt, or a Warren started elsewhere); the cross-protocol scenarios then need
// WARREN_CONFORMANCE_AMQP for the same broker's AMQP port. Without it, each file starts its own
// embedded Warren with both listeners, whatever WARREN_CONFORMANCE_AMQP says (that one may point
// at a different broker, as .ci/run does).

export interface MqttBrokerUnderTest {
  /** mqtt:// URL with credentials for the default user and vhost. */
  mqttUrl: string;
  /** amqp:// URL of the same broker, or null when only an external MQTT URL was given. */
  amqpUrl: string | null;
  external: boolean;
  close(): Promise<void>;
}

export const MQTT_TARGET_ENV = "WARREN_CONFORMANCE_MQTT";

export async function useMqttBroker(): Promise<MqttBrokerUnderTest> {
  const external = process.env[MQTT_TARGET_ENV]?.trim();
  if (external) {
    const amqp = process.env.WARREN_CONFORMANCE_AMQP?.trim();
    return { mqttUrl: external, amqpUrl: amqp || null, external: true, close: async () => undefined };
  }
  const { startBroker } = await import("warren");
  const broker = await startBroker({ amqp: { port: 0 }, mqtt: { port: 0 }, webMqtt: false });
  return {
    mqttUrl: `mqtt://guest:guest@127.0.0.1:${broker.ports.mqtt}`,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${broker.ports.amqp}`,
    external: false,
    close: () => broker.close(),
  };
}

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

/**
 * What the MQTT broker under test can do, declared by whoever points the scenarios at it (run.mjs
 * flags), so a scenario that needs more is not run rather than failed:
 * - `v5`: speaks MQTT 5 (mosquitto 2 and Warren; RabbitMQ 3.10's plugin has 3.1/3.1.1 only).
 *   WARREN_CONFORMANCE_MQTT_V5=1, run.mjs `--mqtt-v5`.
 * - `crossProtocol`: also speaks AMQP, so MQTT ↔ AMQP scenarios apply (RabbitMQ and Warren, not
 *   mosquitto). WARREN_CONFORMANCE_MQTT_ONLY=1, run.mjs `--mqtt-only-broker`, turns it off.
 * The embedded Warren can do both.
 */
export interface MqttCapabilities {
  v5: boolean;
  crossProtocol: boolean;
}

export function mqttCapabilities(): MqttCapabilities {
  if (!process.env[MQTT_TARGET_ENV]?.trim()) return { v5: true, crossProtocol: true };
  return { v5: process.env.WARREN_CONFORMANCE_MQTT_V5 === "1", crossProtocol: process.env.WARREN_CONFORMANCE_MQTT_ONLY !== "1" };
}

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

/** The MQTT front-end's settings, shared by every listener of one `MqttServer`. */
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../../src/transport/handshake-deadlines.js";

export interface MqttOptions {
  /** Largest packet accepted from a client, in bytes (MQTT's own limit is 268435455). */
  maxPacketSize: number;
  /** Whether clients without a username log in as `defaultUser` (RabbitMQ's mqtt.allow_anonymous). */
  allowAnonymous: boolean;
  defaultUser: string;
  defaultPass: string;
  /** Vhost for usernames without a `vhost:` prefix (RabbitMQ's mqtt.vhost). */
  vhost: string;
  /** QoS 1/2 deliveries in flight per client when it does not say (v5 receive maximum). */
  receiveMaximum: number;
  /** Topic aliases a v5 client may use towards the broker. */
  topicAliasMaximum: number;
  /**
   * QoS 1/2 publishes a v5 client may have unacknowledged towards the broker (CONNACK receive
   * maximum); more is DISCONNECT 0x93 [MQTT-3.3.4-9]. PUBACKs leave at once unless the disk holds them.
   */
  inboundReceiveMaximum: number;
  /** ms from accept to CONNACK before the socket is closed (RabbitMQ's mqtt.login_timeout); 0: none. */
  loginTimeout: number;
  /** Where retained messages and persistent sessions are saved (the data dir's mqtt/); none: in memory only. */
  stateDir?: string;
  /** Told each time the state file was rewritten (a cluster leader replicates it). */
  onStateWritten?: (path: string, bytes: Buffer) => void;
}

export const DEFAULT_MQTT_OPTIONS: MqttOptions = {
  maxPacketSize: 16 * 1024 * 1024,
  allowAnonymous: true,
  defaultUser: "guest",
  defaultPass: "guest",
  vhost: "/",
  // RabbitMQ's mqtt.prefetch default
  receiveMaximum: 10,
  topicAliasMaximum: 16,
  inboundReceiveMaximum: 1024,
  loginTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
};

/** RabbitMQ's mqtt.max_packet_size_unauthenticated: a CONNECT is never bigger than this. */
export const MAX_PACKET_UNAUTHENTICATED = 65536;

/** The largest packet MQTT can frame: remaining length 268,435,455 plus a five-byte fixed header. */
export const MQTT_MAX_PACKET = 268_435_455 + 5;

/** What a listener negotiates with every connection, RabbitMQ 3.10's defaults unless configured. */
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../../src/transport/handshake-deadlines.js";

export interface AmqpLimits {
  channelMax: number;
  frameMax: number;
  /** Seconds; 0 disables. */
  heartbeat: number;
  maxMessageSize: number;
  /** ms from accept to connection.open before the socket is closed (RabbitMQ's handshake_timeout); 0: none. */
  handshakeTimeout: number;
}

export const DEFAULT_LIMITS: AmqpLimits = {
  channelMax: 2047,
  frameMax: 131072,
  heartbeat: 60,
  maxMessageSize: 134217728, // RabbitMQ 3.10's max_message_size default, 128 MiB
  handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
};

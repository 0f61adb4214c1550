/**
 * The STOMP front-end's size limits: what its listeners need at start, apart from the connection
 * code they import at the first client (protocols/stomp/server.ts).
 */

export interface ParserLimits {
  /** Longest command or header line, in bytes. */
  maxLineLength: number;
  maxHeaders: number;
  maxBodyLength: number;
}

/** RabbitMQ's STOMP defaults: 100 KiB header lines, 1000 headers; bodies as AMQP's 128 MiB max_message_size. */
export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxLineLength: 102_400,
  maxHeaders: 1000,
  maxBodyLength: 134_217_728,
};

/**
 * Before CONNECTED a client may make the broker hold at most this much of a frame (RabbitMQ 3.10's
 * STOMP reader buffers a frame of any size; its MQTT sets the same 64 KiB for unauthenticated
 * packets, mqtt.max_packet_size_unauthenticated). CONNECT frames are small; this leaves room for
 * long passcodes such as OAuth 2 tokens.
 */
export const MAX_FRAME_UNAUTHENTICATED = 65536;

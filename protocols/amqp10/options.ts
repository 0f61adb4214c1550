import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../../src/transport/handshake-deadlines.js";
import type { CertLoginFrom } from "../../src/transport/tls.js";

/** Settings of the AMQP 1.0 front-end (it shares the AMQP listener, so it has no port of its own). */
export interface Amqp10Options {
  /**
   * ANONYMOUS logins and clients that skip SASL log in as this user (RabbitMQ's
   * amqp1_0.default_user, "guest"); null refuses them.
   */
  defaultUser: string | null;
  defaultPass: string;
  /** The vhost of an open whose hostname is not `vhost:NAME` (RabbitMQ's default_vhost). */
  defaultVhost: string;
  /** The largest frame we take (our max-frame-size); RabbitMQ's frame_max, 128 KiB. */
  maxFrameSize: number;
  /** The highest channel a client may begin a session on. */
  channelMax: number;
  /** Our idle-time-out (ms; RabbitMQ sends its heartbeat × 1000): a peer silent twice this long is closed. 0: none. */
  idleTimeoutMs: number;
  /** Messages larger than this are refused (RabbitMQ's max_message_size, 128 MiB). */
  maxMessageSize: number;
  handshakeTimeoutMs: number;
  /** What names the user of a SASL EXTERNAL login: the client certificate's subject or its CN (ssl_cert_login_from). */
  certLoginFrom: CertLoginFrom;
}

export const DEFAULT_AMQP10_OPTIONS: Amqp10Options = {
  defaultUser: "guest",
  defaultPass: "guest",
  defaultVhost: "/",
  maxFrameSize: 131072,
  channelMax: 65535,
  idleTimeoutMs: 60_000,
  maxMessageSize: 128 * 1024 * 1024,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  certLoginFrom: "distinguished_name",
};

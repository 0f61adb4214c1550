import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "../../src/transport/handshake-deadlines.js";

/** Settings of the OpenWire front-end. */
export interface OpenWireOptions {
  /** The vhost every OpenWire connection uses (ActiveMQ has none; RabbitMQ's default_vhost). */
  defaultVhost: string;
  /** Largest frame taken (ActiveMQ's wireFormat.maxFrameSize, 100 MiB). */
  maxFrameSize: number;
  /** Our MaxInactivityDuration (ms): a peer silent this long is closed; keep-alives go at a third of it. 0: none. */
  maxInactivityMs: number;
  /** ms from accept to ConnectionInfo before the socket is closed; 0: none. */
  handshakeTimeoutMs: number;
  /** The name in BrokerInfo and in InvalidClientIDException's text. */
  brokerName: string;
  /**
   * Where dead letters (poisoned or expired persistent messages) go: `shared`, ActiveMQ.DLQ
   * (ActiveMQ's default); `individual`, ActiveMQ.DLQ.Queue.<queue> or ActiveMQ.DLQ.Topic.<topic>
   * (its individualDeadLetterStrategy with the default prefixes).
   */
  deadLetterStrategy: "shared" | "individual";
  /**
   * Whether Warren's WireFormatInfo offers tight encoding and the marshal cache (ActiveMQ's broker
   * offers both). Off by default: a connection with either converts each message between its
   * encoding and the stored one, at about 1.2-1.8 times the CPU per message of a loose, uncached
   * connection, whose messages go out as they came in (bench/README.md, OpenWire).
   */
  tightEncoding: boolean;
  cache: boolean;
}

export const DEFAULT_OPENWIRE_OPTIONS: OpenWireOptions = {
  defaultVhost: "/",
  maxFrameSize: 100 * 1024 * 1024,
  maxInactivityMs: 30_000,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  brokerName: "warren",
  deadLetterStrategy: "shared",
  tightEncoding: false,
  cache: false,
};

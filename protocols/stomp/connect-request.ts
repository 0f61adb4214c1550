import type { StompHeaders, StompVersion } from "./frame-parser.js";

/** Highest first: the version negotiated is the highest the client accepts (STOMP 1.2 §"Protocol Negotiation"). */
const SUPPORTED: readonly StompVersion[] = ["1.2", "1.1", "1.0"];
/** Every version Warren speaks, as CONNECT's ERROR and every ERROR frame name them. */
export const VERSIONS_HEADER = "1.0,1.1,1.2";

/** Who logs in where when CONNECT does not say (RabbitMQ's stomp.default_user / default_pass, default vhost). */
export interface ConnectDefaults {
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
}

/** What a CONNECT (or STOMP) frame asks for. */
export interface ConnectRequest {
  version: StompVersion;
  username: string;
  password: string;
  vhost: string;
}

/**
 * Reads a CONNECT frame's version negotiation and credentials; null when it accepts no version
 * Warren speaks. STOMP 1.0 clients pad header values with spaces; RabbitMQ trims them.
 */
export function readConnect(h: StompHeaders, defaults: ConnectDefaults): ConnectRequest | null {
  const accepted = (h["accept-version"] ?? "1.0").split(",").map((v) => v.trim());
  const version = SUPPORTED.find((v) => accepted.includes(v));
  if (version === undefined) return null;
  const trim = (s: string | undefined) => (version === "1.0" && s !== undefined ? s.trim() : s);
  const login = trim(h["login"]);
  return {
    version,
    username: login ?? defaults.defaultUser,
    password: login !== undefined ? (trim(h["passcode"]) ?? "") : defaults.defaultPass,
    vhost: trim(h["host"]) ?? defaults.defaultVhost,
  };
}

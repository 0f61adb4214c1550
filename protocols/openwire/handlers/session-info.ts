import type { SessionInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { OpenWireRefusal, UNSUPPORTED } from "../exceptions.js";
import { sessionKey } from "../ids.js";

/** SessionInfo: the session is remembered, so RemoveInfo of it can close its consumers. */
export function sessionInfo(conn: OpenWireConnection, info: SessionInfo): OpenWireRefusal | null {
  if (info.sessionId === null) return new OpenWireRefusal(UNSUPPORTED, "SessionInfo without a session id");
  const k = sessionKey(info.sessionId.connectionId, info.sessionId.value);
  if (!conn.sessions.has(k)) conn.sessions.set(k, new Set());
  return null;
}

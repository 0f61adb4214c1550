import { DataType, type RemoveInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import type { OpenWireRefusal } from "../exceptions.js";
import { idKey, sessionKey } from "../ids.js";
import { tempsOf } from "../temp-destinations.js";

/** RemoveInfo: a consumer, a session (its consumers) or the connection's consumers go. */
export function removeInfo(conn: OpenWireConnection, info: RemoveInfo): OpenWireRefusal | null {
  const id = info.objectId;
  if (id === null) return null;
  switch (id.dataType) {
    case DataType.ConsumerId: {
      const key = idKey(id);
      const c = conn.consumers.get(key);
      if (c !== undefined) conn.removeConsumer(c);
      else if (!conn.browsers.delete(key)) tempsOf(conn.server).unsubscribe(conn, id);
      break;
    }
    case DataType.SessionId: {
      const k = sessionKey(id.connectionId, id.value);
      const keys = conn.sessions.get(k);
      conn.sessions.delete(k);
      for (const key of keys ?? []) {
        const c = conn.consumers.get(key);
        if (c !== undefined) conn.removeConsumer(c);
        else conn.browsers.delete(key);
      }
      break;
    }
    case DataType.ConnectionId:
      conn.releaseConsumers();
      conn.dropTemporaries();
      break;
  }
  return null;
}

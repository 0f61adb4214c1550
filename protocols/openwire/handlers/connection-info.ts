import { LoginRefused } from "../../../src/core/index.js";
import { isLoopback } from "../../../src/transport/listen.js";
import type { ConnectionInfo } from "../codec/commands.generated.js";
import type { OpenWireConnection } from "../connection.js";
import { INVALID_CLIENT_ID, OpenWireRefusal, SECURITY } from "../exceptions.js";

/**
 * ConnectionInfo: login with its user name and password (vhost: the front-end's default), then
 * the clientID, unique per vhost. A repeated ConnectionInfo (the client's reconnect path) changes
 * nothing.
 */
export function connectionInfo(conn: OpenWireConnection, info: ConnectionInfo): OpenWireRefusal | null {
  if (conn.state === "open") return null;
  const o = conn.server.options;
  const username = info.userName ?? "guest";
  const password = info.password ?? (info.userName === null ? "guest" : "");
  const granted = conn.broker.login({
    username,
    password,
    loopback: isLoopback(conn.socket.remoteAddress),
    vhost: o.defaultVhost,
    protocol: "openwire",
  });
  if (granted instanceof LoginRefused) {
    conn.log.warn({ user: username, reason: granted.reason }, `OpenWire login refused: ${granted.reason}`);
    return new OpenWireRefusal(SECURITY, `User name [${username}] or password is invalid.`);
  }
  const clientId = info.clientId ?? "";
  const key = `${granted.vhost.name}\u0000${clientId}`;
  if (clientId !== "" && conn.server.clientIds.has(key)) {
    const other = conn.server.clientIds.get(key)!;
    return new OpenWireRefusal(INVALID_CLIENT_ID, `Broker: ${o.brokerName} - Client: ${clientId} already connected from ${other.remote}`);
  }
  if (clientId !== "") conn.server.clientIds.set(key, conn);
  conn.opened(info, clientId, granted.user, granted.vhost, granted.access);
  return null;
}

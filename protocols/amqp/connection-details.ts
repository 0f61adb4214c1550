import type { Socket } from "node:net";
import { type ChannelInfo, type ConnectionDetails, fieldTableJson, type FieldTable } from "../../src/core/index.js";
import { tlsInfo } from "../../src/transport/tls.js";

/** What the details are read from: the connection's negotiated state, at the time of the listing. */
export interface DescribedConnection {
  readonly user: { readonly name: string };
  readonly vhost: { readonly name: string };
  readonly clientProperties: FieldTable;
  readonly authMechanism: string;
  readonly frameMax: number;
  readonly channelMax: number;
  channelInfos(): ChannelInfo[];
  forceClose(reason: string): void;
}

/**
 * What the management API shows of an AMQP connection (ConnectionSource.connectionDetails): read
 * from the socket and the connection when something lists it, nothing copied before.
 */
export function connectionDetails(socket: Socket, conn: DescribedConnection, heartbeat: number): ConnectionDetails {
  return {
    protocol: "AMQP 0-9-1",
    peerHost: socket.remoteAddress ?? "",
    peerPort: socket.remotePort ?? 0,
    host: socket.localAddress ?? "",
    port: socket.localPort ?? 0,
    user: conn.user.name,
    vhost: conn.vhost.name,
    clientProperties: fieldTableJson(conn.clientProperties),
    authMechanism: conn.authMechanism,
    tls: tlsInfo(socket),
    frameMax: conn.frameMax,
    channelMax: conn.channelMax,
    timeout: heartbeat,
    channels: () => conn.channelInfos(),
    close: (reason) => conn.forceClose(reason),
    bytes: () => ({ recv: socket.bytesRead, send: socket.bytesWritten }),
  };
}

/** Map keys for OpenWire's ids: a ConnectionId, SessionId, ConsumerId or ProducerId as one string. */

/** The key of a consumer or producer id (connection, session, value). */
export const idKey = (id: { connectionId: string | null; sessionId: number; value: number }): string =>
  `${id.connectionId}:${id.sessionId}:${id.value}`;

/** The key of a session, from its SessionId or from a ConsumerId's session part. */
export const sessionKey = (connectionId: string | null, session: number): string => `${connectionId}:${session}`;

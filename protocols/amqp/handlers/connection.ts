import { BrokerError, type FieldTable, LoginRefused, ReplyCode } from "../../../src/core/index.js";
import type { AmqpMethod } from "../codec/methods.js";
import { METHOD_IDS } from "../codec/methods.js";
import type { ConnectionScope } from "../connection-scope.js";
import { parseCredentials, SASL_MECHANISMS } from "../sasl.js";

/** AMQP 0-9-1 §4.2.3: no frame may be smaller than this, so frame-max below it is refused. */
export const FRAME_MIN_SIZE = 4096;

/**
 * The connection class (10) on channel 0: the handshake (§2.2.4: start, start-ok, tune, tune-ok,
 * open) and the client's close. Closing on our side is the connection's (connection.ts).
 */
export function connectionMethod(conn: ConnectionScope, m: AmqpMethod): void {
  switch (m.kind) {
    case "connection.start-ok":
      if (conn.state !== "start-ok") return unexpected(conn, m);
      return startOk(conn, m.clientProperties, m.mechanism, m.response);
    case "connection.secure-ok":
      return unexpected(conn, m);
    case "connection.tune-ok":
      if (conn.state !== "tune-ok") return unexpected(conn, m);
      return tuneOk(conn, m.channelMax, m.frameMax, m.heartbeat);
    case "connection.open":
      if (conn.state !== "open") return unexpected(conn, m);
      return open(conn, m.virtualHost);
    case "connection.close":
      return conn.closedByClient();
    case "connection.close-ok":
      // close-ok for a close we never sent: RabbitMQ ignores it while running
      return;
    case "connection.blocked":
    case "connection.unblocked":
      return;
    case "connection.update-secret":
      return conn.send(0, { kind: "connection.update-secret-ok" });
    default:
      return unexpected(conn, m);
  }
}

/** The protocol header was right: connection.start, and start-ok is awaited. */
export function start(conn: ConnectionScope, serverProperties: FieldTable): void {
  conn.state = "start-ok";
  conn.send(0, {
    kind: "connection.start",
    versionMajor: 0,
    versionMinor: 9,
    serverProperties,
    mechanisms: Buffer.from(SASL_MECHANISMS),
    locales: Buffer.from("en_US"),
  });
}

const STATE_NAMES: { readonly [state: string]: string } = {
  "start-ok": "starting",
  "secure-ok": "securing",
  "tune-ok": "tuning",
  open: "opening",
  opened: "running",
};

/** RabbitMQ's answer to a connection method out of sequence, naming its own state. */
function unexpected(conn: ConnectionScope, m: AmqpMethod): void {
  const state = STATE_NAMES[conn.state] ?? conn.state;
  const [classId, methodId] = METHOD_IDS[m.kind];
  conn.connectionError(ReplyCode.CHANNEL_ERROR, `CHANNEL_ERROR - unexpected method in connection state ${state}`, classId, methodId);
}

/** The client's properties and credentials: authenticated, then connection.tune. */
function startOk(conn: ConnectionScope, clientProperties: FieldTable, mechanism: string, response: Buffer): void {
  conn.clientProperties = clientProperties;
  const caps = clientProperties["capabilities"];
  conn.capabilities =
    caps && typeof caps === "object" && !Array.isArray(caps) && !Buffer.isBuffer(caps) && !(caps instanceof Date)
      ? (caps as FieldTable)
      : {};
  conn.authMechanism = mechanism;
  const creds = parseCredentials(mechanism, response);
  if (creds instanceof BrokerError) {
    return conn.connectionError(creds.code, creds.text, 10, 11);
  }
  const user = conn.broker.authenticate({
    username: creds.username,
    password: creds.password,
    loopback: conn.fromLoopback,
    protocol: "amqp091",
  });
  if (user instanceof LoginRefused) {
    // RabbitMQ's log line: "PLAIN login refused: user 'bob' - invalid credentials"
    conn.log.warn({ user: creds.username, mechanism, reason: user.reason }, `${mechanism} login refused: ${user.reason}`);
    if (conn.capabilities["authentication_failure_close"] === true) {
      return conn.connectionError(user.code, user.text.replace("PLAIN", mechanism), 10, 11);
    }
    return conn.dropHandshake("authentication failed");
  }
  conn.user = user;
  conn.state = "tune-ok";
  conn.send(0, {
    kind: "connection.tune",
    channelMax: conn.limits.channelMax,
    frameMax: conn.limits.frameMax,
    heartbeat: conn.limits.heartbeat,
  });
}

/** §4.2.3 / tune-ok: the client may lower the limits we proposed, 0 meaning "no limit" for the client. */
function tuneOk(conn: ConnectionScope, channelMax: number, frameMax: number, heartbeat: number): void {
  const limits = conn.limits;
  if (channelMax > limits.channelMax) {
    return conn.dropHandshake(`channel_max=${channelMax} > ${limits.channelMax} max`);
  }
  if (frameMax !== 0 && frameMax < FRAME_MIN_SIZE) {
    return conn.dropHandshake(`frame_max=${frameMax} < ${FRAME_MIN_SIZE} min size`);
  }
  if (frameMax > limits.frameMax) {
    return conn.dropHandshake(`frame_max=${frameMax} > ${limits.frameMax} max size`);
  }
  conn.tuned(channelMax === 0 ? limits.channelMax : channelMax, frameMax === 0 ? limits.frameMax : frameMax, heartbeat);
}

/** connection.open: the user's access to the vhost, then open-ok. */
function open(conn: ConnectionScope, vhostName: string): void {
  const granted = conn.broker.enterVhost(conn.user, vhostName);
  if (granted instanceof LoginRefused) {
    conn.log.warn({ user: conn.user.name, vhost: vhostName, reason: granted.reason }, `login refused: ${granted.reason}`);
    return conn.connectionError(granted.code, granted.text, 10, 40);
  }
  conn.opened(granted.vhost, granted.access);
  conn.log.info({ vhost: vhostName, user: conn.user.name }, "connection opened");
}

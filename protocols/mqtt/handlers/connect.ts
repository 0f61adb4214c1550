/**
 * CONNECT (MQTT 3.1.1 §3.1, MQTT 5 §3.1): protocol checks, client id, RabbitMQ's login
 * (`vhost:user`), will, v5 properties, the session (taken over, discarded or resumed), CONNACK.
 */
import { randomBytes } from "node:crypto";
import type { IConnectPacket } from "mqtt-packet";
import { LoginRefused } from "../../../src/core/index.js";
import { isLoopback } from "../../../src/transport/listen.js";
import type { ConnectionContext } from "../context.js";
import { MQTT_MAX_PACKET } from "../options.js";
import { CONNACK_V3, REASON } from "../reason-codes.js";
import { NEVER } from "../session.js";
import { SessionRegistry } from "../session-registry.js";
import { OutboundAliases } from "../topic-alias.js";
import { type Will, willFromConnect } from "../will.js";

/** A refused CONNECT: CONNACK with the level's code, then the connection closes. */
function refuse(conn: ConnectionContext, v3: number, v5: number, why: string): void {
  conn.log.info({ why }, "MQTT connection refused");
  conn.send(
    conn.protocolVersion === 5
      ? { cmd: "connack", reasonCode: v5, sessionPresent: false }
      : { cmd: "connack", returnCode: v3, sessionPresent: false },
  );
  conn.close();
}

export function handleConnect(conn: ConnectionContext, p: IConnectPacket): void {
  const version = p.protocolVersion ?? 4;
  conn.protocolVersion = version;
  // [MQTT-3.1.2-1]: 3.1 says MQIsdp, 3.1.1 and 5 say MQTT
  if ((version === 3) !== (p.protocolId === "MQIsdp")) {
    return refuse(conn, CONNACK_V3.UNACCEPTABLE_PROTOCOL, REASON.UNSUPPORTED_PROTOCOL_VERSION, "protocol name does not match level");
  }
  const props = p.properties ?? {};
  if (props.authenticationMethod !== undefined) {
    // v5 enhanced authentication (AUTH exchanges, MQTT 5 §4.12) is not offered
    return refuse(conn, CONNACK_V3.NOT_AUTHORIZED, REASON.BAD_AUTHENTICATION_METHOD, "enhanced authentication not supported");
  }
  const clean = p.clean !== false;
  let clientId = p.clientId;
  let assigned = false;
  if (clientId === "") {
    // [MQTT-3.1.3-7, MQTT-3.1.3-8]: 3.1.1 assigns one only with a clean session; 3.1 never
    if (version === 3 || (version === 4 && !clean)) {
      return refuse(conn, CONNACK_V3.IDENTIFIER_REJECTED, REASON.CLIENT_ID_NOT_VALID, "empty client id");
    }
    clientId = `warren-${randomBytes(12).toString("base64url")}`;
    assigned = true;
    // MQTT 3.1 says 23 characters at most, but RabbitMQ 3.10 takes longer ids on every level
    // (CONNACK 0 up to 65,535), and clients written against it send them
  } else if (/[\u0000\uFFFD]/.test(clientId)) {
    return refuse(conn, CONNACK_V3.IDENTIFIER_REJECTED, REASON.CLIENT_ID_NOT_VALID, "client id is not valid UTF-8");
  }

  if (version < 5 && p.password !== undefined && p.username === undefined) {
    // [MQTT-3.1.2-22]: before MQTT 5 a password needs a user name
    conn.log.info("password without user name; closing");
    return conn.close();
  }
  const { broker, options: opts } = conn.ctx;
  let username = p.username;
  let password = p.password?.toString("utf8") ?? "";
  if (username === undefined) {
    if (!opts.allowAnonymous) return refuse(conn, CONNACK_V3.NOT_AUTHORIZED, REASON.NOT_AUTHORIZED, "anonymous login disabled");
    username = opts.defaultUser;
    password = opts.defaultPass;
  }
  // RabbitMQ's MQTT login: "vhost:user" picks the vhost
  let vhostName = opts.vhost;
  const colon = username.indexOf(":");
  if (colon > 0) {
    vhostName = username.slice(0, colon);
    username = username.slice(colon + 1);
  }
  const granted = broker.login({
    username,
    password,
    loopback: isLoopback(conn.remoteAddress),
    vhost: vhostName,
    clientId,
    protocol: "mqtt",
  });
  if (granted instanceof LoginRefused) {
    // RabbitMQ: "MQTT login failed for user 'bob', authentication failed: Refused"; Warren says why
    conn.log.warn({ user: username, vhost: vhostName, reason: granted.reason }, `MQTT login refused: ${granted.reason}`);
    return granted.stage === "vhost"
      ? refuse(conn, CONNACK_V3.NOT_AUTHORIZED, REASON.NOT_AUTHORIZED, granted.text)
      : refuse(conn, CONNACK_V3.BAD_CREDENTIALS, REASON.BAD_CREDENTIALS, `login refused for '${username}'`);
  }
  const { user, vhost, access } = granted;

  let will: Will | null = null;
  if (p.will) {
    const w = willFromConnect(p.will, version);
    if ("problem" in w) return refuse(conn, CONNACK_V3.UNACCEPTABLE_PROTOCOL, REASON.TOPIC_NAME_INVALID, `will: ${w.problem}`);
    will = w;
  }
  let receiveMaximum = opts.receiveMaximum;
  let clientMaxPacket = MQTT_MAX_PACKET;
  let outboundAliases: OutboundAliases | null = null;
  let sessionExpiry = 0;
  if (version === 5) {
    if (props.receiveMaximum !== undefined) receiveMaximum = props.receiveMaximum;
    if (props.maximumPacketSize !== undefined) clientMaxPacket = props.maximumPacketSize;
    if (props.topicAliasMaximum) outboundAliases = new OutboundAliases(props.topicAliasMaximum);
    sessionExpiry = props.sessionExpiryInterval ?? 0;
  }
  const persistent = version === 5 ? sessionExpiry > 0 : !clean;

  // session takeover [MQTT-3.1.4-3]: the same client id closes the existing connection
  const sessionKey = SessionRegistry.key(vhost.name, clientId);
  const { session, present } = conn.ctx.sessions.claim(
    sessionKey,
    vhost,
    clientId,
    clean,
    persistent,
    version === 5 ? sessionExpiry : NEVER,
  );
  conn.establish({
    user,
    vhost,
    access,
    will,
    receiveMaximum,
    clientMaxPacket,
    outboundAliases,
    sessionExpiry,
    session,
    sessionKey,
    clientId,
    sessionWasPersistent: persistent || present,
    keepAliveMs: (p.keepalive ?? 0) * 1000,
  });
  // asked first: `conn.log` makes a pino child per call, wasted when the level drops the line
  if (conn.ctx.log.isLevelEnabled("info")) {
    conn.log.info({ user: user.name, vhost: vhost.name, version }, "connection opened");
  }
  if (version === 5) {
    conn.send({
      cmd: "connack",
      reasonCode: REASON.SUCCESS,
      sessionPresent: present,
      properties: {
        ...(assigned && { assignedClientIdentifier: clientId }),
        topicAliasMaximum: opts.topicAliasMaximum,
        receiveMaximum: opts.inboundReceiveMaximum,
        // request/response (MQTT 5 §4.10): a topic prefix this client may use for responses
        ...(props.requestResponseInformation === true || (props.requestResponseInformation as unknown) === 1
          ? { responseInformation: `response/${clientId}/` }
          : {}),
        maximumPacketSize: opts.maxPacketSize,
        retainAvailable: true,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: true,
        sharedSubscriptionAvailable: true,
      },
    });
  } else {
    // [MQTT-3.2.2-1]: session present is 0 for a clean session
    conn.send({ cmd: "connack", returnCode: CONNACK_V3.ACCEPTED, sessionPresent: version === 4 && present });
  }
  session.attach(conn);
  broker.connections.register(conn, vhost.name);
}

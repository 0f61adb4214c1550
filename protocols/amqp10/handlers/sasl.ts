import { LoginRefused } from "../../../src/core/index.js";
import { type SaslFrame, SaslCode, writeSaslMechanisms, writeSaslOutcome } from "../codec/types.generated.js";
import type { Amqp10Connection } from "../connection.js";

/**
 * sasl-mechanisms: EXTERNAL when the client presented a TLS certificate that verified (the
 * listener's verify_peer), ANONYMOUS when a default user is configured, and PLAIN (RabbitMQ 3.10
 * also offers AMQPLAIN).
 */
export function saslMechanisms(c: Amqp10Connection): void {
  const mechanisms = c.options.defaultUser !== null ? ["ANONYMOUS", "PLAIN"] : ["PLAIN"];
  if (c.peerCertName() !== null) mechanisms.unshift("EXTERNAL");
  const start = c.beginSaslFrame();
  writeSaslMechanisms(c.out, { saslServerMechanisms: mechanisms });
  c.endFrame(start);
}

function outcome(c: Amqp10Connection, code: number): void {
  const start = c.beginSaslFrame();
  writeSaslOutcome(c.out, { code });
  c.endFrame(start);
}

/** PLAIN's response: [authzid] NUL authcid NUL passwd (RFC 4616); null when it is not that. */
export function parsePlain(response: Buffer): { username: string; password: string } | null {
  const first = response.indexOf(0);
  const second = first < 0 ? -1 : response.indexOf(0, first + 1);
  if (second < 0) return null;
  return { username: response.toString("utf8", first + 1, second), password: response.toString("utf8", second + 1) };
}

/**
 * sasl-init decides the login (no mechanism here needs a challenge): outcome ok, then the client
 * sends the AMQP header; a refusal gets outcome auth and the socket closes, logged once.
 */
export function handleSaslFrame(c: Amqp10Connection, f: SaslFrame): void {
  if (f.kind !== "sasl-init") {
    refuse(c, SaslCode.sys, `unexpected ${f.kind}`);
    return;
  }
  if (f.mechanism === "ANONYMOUS" && c.options.defaultUser !== null) {
    const refused = c.loginDefaultUser();
    if (refused !== null) return refuse(c, SaslCode.auth, refused);
  } else if (f.mechanism === "EXTERNAL") {
    // the certificate is the credential (its initial response, an authorization id, is not used)
    const name = c.peerCertName();
    if (name === null) return refuse(c, SaslCode.auth, "connection peer presented no TLS (x.509) certificate");
    const user = c.broker.authenticateExternal({ username: name, loopback: c.fromLoopback });
    if (user instanceof LoginRefused) return refuse(c, SaslCode.auth, user.reason);
    c.authenticated = user;
    c.authMechanism = "EXTERNAL";
  } else if (f.mechanism === "PLAIN") {
    const creds = f.initialResponse === undefined ? null : parsePlain(f.initialResponse);
    if (creds === null) return refuse(c, SaslCode.auth, "PLAIN response is not [authzid] NUL user NUL password");
    const user = c.broker.authenticate({ ...creds, loopback: c.fromLoopback });
    if (user instanceof LoginRefused) return refuse(c, SaslCode.auth, user.reason);
    c.authenticated = user;
    c.authMechanism = "PLAIN";
  } else {
    return refuse(c, SaslCode.auth, `unsupported mechanism ${f.mechanism}`);
  }
  outcome(c, SaslCode.ok);
  c.state = "amqp-header";
}

function refuse(c: Amqp10Connection, code: number, reason: string): void {
  c.log.warn(`AMQP 1.0 login refused: ${reason}`);
  outcome(c, code);
  c.state = "closed";
  c.writer.end();
}

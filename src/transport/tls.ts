/**
 * TLS for every listener, configured as RabbitMQ's ssl_options: PEM files (or PEM text), and peer
 * verification — `verify_peer` asks clients for a certificate and checks it against the CA;
 * `fail_if_no_peer_cert` refuses clients that send none. The management listener takes the same
 * options (tlsServerOptions gives node's SecureContextOptions for fastify's `https`).
 */
import { DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS } from "./handshake-deadlines.js";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Socket } from "node:net";
import type { SecureContextOptions, Server, TLSSocket } from "node:tls";
import type { TlsInfo } from "../core/connections.js";
import type { TlsOptions } from "../server/options.js";

export type { TlsOptions };

/**
 * node:tls is required when a TLS listener is created, not imported at start: it and the crypto
 * modules it loads cost a broker without TLS listeners ~10 ms of start-up CPU and ~1.5 MiB
 * (bench/README.md, "Start-up").
 */
const nodeRequire = createRequire(import.meta.url);
const nodeTls = (): typeof import("node:tls") => nodeRequire("node:tls") as typeof import("node:tls");

/** node's TLS server options for one listener. */
export interface TlsServerOptions extends SecureContextOptions {
  /** Ask the client for a certificate (verify_peer). */
  requestCert: boolean;
  /** Refuse the handshake without a valid client certificate (verify_peer + fail_if_no_peer_cert). */
  rejectUnauthorized: boolean;
  /** ms a TLS handshake may take (RabbitMQ's ssl_handshake_timeout, default 5000). */
  handshakeTimeout?: number;
}

function pem(file: string | undefined, inline: string | undefined, what: string, key: string): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`ssl_options.${key}: cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

/** RabbitMQ's version atoms as node names them (these sort in version order). */
const NODE_TLS_VERSIONS = { tlsv1: "TLSv1", "tlsv1.1": "TLSv1.1", "tlsv1.2": "TLSv1.2", "tlsv1.3": "TLSv1.3" } as const;

/** Reads the PEM files once at startup; errors name the ssl_options key and the file. */
export function tlsServerOptions(o: TlsOptions): TlsServerOptions {
  const cert = pem(o.certfile, o.cert, "the certificate", "certfile");
  const key = pem(o.keyfile, o.key, "the private key", "keyfile");
  const ca = pem(o.cacertfile, o.ca, "the CA certificates", "cacertfile");
  if (cert === undefined || key === undefined) {
    throw new Error("a TLS listener needs ssl_options.certfile and ssl_options.keyfile (or tls.cert and tls.key)");
  }
  const verify = o.verify === "verify_peer";
  const versions = o.versions?.map((v) => NODE_TLS_VERSIONS[v]).sort();
  return {
    cert,
    key,
    ...(ca !== undefined && { ca }),
    ...(o.password !== undefined && { passphrase: o.password }),
    ...(versions !== undefined && versions.length > 0 && { minVersion: versions[0], maxVersion: versions[versions.length - 1] }),
    ...(o.ciphers !== undefined && o.ciphers.length > 0 && { ciphers: o.ciphers.join(":") }),
    ...(o.honorCipherOrder !== undefined && { honorCipherOrder: o.honorCipherOrder }),
    requestCert: verify,
    rejectUnauthorized: verify && o.failIfNoPeerCert === true,
  };
}

/**
 * A TLS server handing each established connection to `onConnection`. With verify_peer but not
 * fail_if_no_peer_cert a client may come without a certificate, but one it presents must verify
 * (RabbitMQ's verify_peer), so an unverifiable certificate is dropped here.
 */
export function createTlsServer(
  options: TlsServerOptions,
  onConnection: (socket: TLSSocket) => void,
  onHandshakeTimeout?: () => void,
): Server {
  // RabbitMQ's ssl_handshake_timeout (5 s) rather than node's 120 s; the protocol's own handshake
  // timeout starts once TLS is up
  const server = nodeTls().createServer({ handshakeTimeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, ...options }, (socket) => {
    if (options.requestCert && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
      socket.destroy();
      return;
    }
    onConnection(socket);
  });
  // node reports a handshake error here but leaves the socket open: a client that never sends a
  // ClientHello would keep its descriptor for ever
  server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    if (err.code === "ERR_TLS_HANDSHAKE_TIMEOUT") onHandshakeTimeout?.();
    socket.destroy();
  });
  return server;
}

/**
 * What RabbitMQ's /api/connections shows of a TLS connection (rabbit_net's ssl_info and the peer
 * certificate), as 3.10.8 words it: protocol "tlsv1.3", cipher "aes_256_gcm", key exchange
 * "ecdhe_rsa" ("any" under TLS 1.3), hash "aead" for AEAD ciphers, and the peer certificate's
 * subject and issuer in RFC 4514 order ("O=Warren,CN=client") and validity
 * ("2026-12-06T18:26:59Z - 2026-12-08T18:26:59Z"). Null for a plain TCP socket. Computed when a
 * listing asks, never kept per connection.
 */
export function tlsInfo(socket: Socket | undefined): TlsInfo | null {
  // a TLSSocket says so (`encrypted`); asking never loads node:tls for a plain socket
  if (socket === undefined || (socket as Partial<TLSSocket>).encrypted !== true) return null;
  const tls = socket as TLSSocket;
  const suite = cipherSuite(tls.getCipher()?.standardName ?? "");
  const cert = tls.getPeerCertificate();
  const hasCert = cert !== null && Object.keys(cert).length > 0;
  return {
    protocol: (tls.getProtocol() ?? "").toLowerCase(),
    ...suite,
    peerCertSubject: hasCert ? distinguishedName(cert.subject) : null,
    peerCertIssuer: hasCert ? distinguishedName(cert.issuer) : null,
    peerCertValidity: hasCert ? `${certTime(cert.valid_from)} - ${certTime(cert.valid_to)}` : null,
  };
}

/** Which part of a client certificate names the user (RabbitMQ's ssl_cert_login_from). */
export type CertLoginFrom = "distinguished_name" | "common_name";

/**
 * The user name a verified client certificate gives (SASL EXTERNAL): its subject in RFC 4514
 * order ("O=Warren,CN=client", RabbitMQ's default distinguished_name) or its first CN
 * (common_name). Null when the socket is not TLS or presented no certificate that verified.
 */
export function peerCertLoginName(socket: Socket, from: CertLoginFrom): string | null {
  // node:tls's class is not loaded without a TLS listener: a TLS socket is told by `encrypted`
  const tlsSocket = socket as Socket & Partial<TLSSocket>;
  if (tlsSocket.encrypted !== true || tlsSocket.authorized !== true || tlsSocket.getPeerCertificate === undefined) return null;
  const cert = tlsSocket.getPeerCertificate();
  if (cert === null || cert.subject === undefined || Object.keys(cert).length === 0) return null;
  if (from === "distinguished_name") return distinguishedName(cert.subject);
  const cn = (cert.subject as Readonly<Record<string, string | string[] | undefined>>).CN;
  const first = Array.isArray(cn) ? cn[0] : cn;
  return first === undefined || first === "" ? null : first;
}

/** An IANA suite name ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_AES_256_GCM_SHA384") as Erlang's ssl names its parts. */
function cipherSuite(name: string): { cipher: string; keyExchange: string; hash: string } {
  const m = /^TLS_(?:(.+)_WITH_)?(.+)_(SHA\d*|MD5)$/.exec(name);
  if (m === null) return { cipher: name.toLowerCase(), keyExchange: "any", hash: "aead" };
  const cipher = m[2]!.toLowerCase();
  const aead = /_(gcm|ccm|ccm_8)$|chacha20_poly1305$/.test(cipher);
  return { cipher, keyExchange: m[1]?.toLowerCase() ?? "any", hash: aead ? "aead" : m[3]!.toLowerCase() };
}

/** RFC 4514: the certificate's RDNs last to first, "O=Warren,CN=client". */
function distinguishedName(dn: Readonly<Record<string, string | string[] | undefined>> | undefined): string | null {
  if (dn === undefined) return null;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(dn)) if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) parts.push(`${k}=${one}`);
  return parts.reverse().join(",");
}

/** node's "Dec  6 18:26:59 2026 GMT" as "2026-12-06T18:26:59Z". */
function certTime(t: string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

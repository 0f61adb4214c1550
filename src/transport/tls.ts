/**
 * TLS for every listener, configured as RabbitMQ's ssl_options: PEM files (or PEM text), and peer
 * verification — `verify_peer` asks clients for a certificate and checks it against the CA;
 * `fail_if_no_peer_cert` refuses clients that send none. The management listener takes the same
 * options (tlsServerOptions gives node's SecureContextOptions for fastify's `https`).
 */
import { DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS } from "./handshake-deadlines.js";
import { readFileSync } from "node:fs";
import { createServer, type SecureContextOptions, type Server, type TLSSocket } from "node:tls";
import type { TlsOptions } from "../server/options.js";

export type { TlsOptions };

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
const NODE_TLS_VERSIONS = { "tlsv1": "TLSv1", "tlsv1.1": "TLSv1.1", "tlsv1.2": "TLSv1.2", "tlsv1.3": "TLSv1.3" } as const;

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
  options: TlsServerOptions, onConnection: (socket: TLSSocket) => void, onHandshakeTimeout?: () => void,
): Server {
  // RabbitMQ's ssl_handshake_timeout (5 s) rather than node's 120 s; the protocol's own handshake
  // timeout starts once TLS is up
  const server = createServer({ handshakeTimeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS, ...options }, (socket) => {
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

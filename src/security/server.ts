/**
 * The server of one listener: plain TCP for PLAINTEXT and SASL_PLAINTEXT, `node:tls` for SSL and
 * SASL_SSL. A TLS connection is handed over once its handshake is done, with the principal of
 * its client certificate (SSL listeners) already established.
 */
import { X509Certificate } from 'node:crypto';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ConnectionAuth, type ListenerInfo } from './connection-auth.js';
import type { PreparedListener } from './index.js';
import { SaslSession } from './sasl/session.js';
import { mapPrincipal, subjectDn } from './principal.js';
import { type TlsSetup, watchFiles } from './tls.js';

/** How often certificate files are checked for a change. */
const RELOAD_POLL_MS = 1000;

export interface ListenerServer {
  readonly server: Server;
  /** Stop watching certificate files. */
  close(): void;
}

/** `accept(socket, auth, tls)` gets each connection; plain sockets arrive paused (`pauseOnConnect`). */
export function createListenerServer(listener: PreparedListener, logger: Logger, accept: (socket: Socket, auth: ConnectionAuth, tls: boolean) => void): ListenerServer {
  const { spec, tls, sasl } = listener;
  const info: ListenerInfo = { name: spec.name, securityProtocol: spec.securityProtocol };
  const newAuth = () => {
    const auth = new ConnectionAuth(info);
    if (sasl !== null) auth.sasl = new SaslSession(sasl, auth);
    return auth;
  };
  if (tls === null) {
    const server = createNetServer({ noDelay: true, pauseOnConnect: true }, (socket) => accept(socket, newAuth(), false));
    return { server, close: () => sasl?.close() };
  }
  const server = createTlsServer({ ...tls.options(), noDelay: true } as Parameters<typeof createTlsServer>[0], (socket: TLSSocket) => {
    const auth = newAuth();
    if (tls.clientAuth !== 'none') {
      const cert = socket.getPeerX509Certificate();
      if (cert !== undefined) {
        if (!socket.authorized) {
          logger.info({ listener: spec.name, remote: socket.remoteAddress, reason: socket.authorizationError }, 'refusing a client certificate');
          socket.destroy();
          return;
        }
        if (spec.securityProtocol === 'SSL') {
          const principal = principalOf(cert, tls);
          if (principal === null) {
            logger.info({ listener: spec.name, remote: socket.remoteAddress, subject: subjectDn(cert) }, 'no ssl.principal.mapping.rules rule applies to the client certificate');
            socket.destroy();
            return;
          }
          auth.principal = principal;
          logger.debug({ listener: spec.name, remote: socket.remoteAddress, principal }, 'client certificate accepted');
        }
      }
    }
    accept(socket, auth, true);
  });
  server.on('tlsClientError', (err, socket) => logger.debug({ listener: spec.name, remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));
  const stop = watchFiles(tls.files, RELOAD_POLL_MS, () => {
    try {
      server.setSecureContext(tls.options());
      logger.info({ listener: spec.name, files: tls.files }, 'TLS certificates reloaded');
    } catch (err) {
      logger.error({ listener: spec.name, err: (err as Error).message }, 'TLS certificates changed but cannot be used; the previous ones stay');
    }
  });
  return {
    server,
    close: () => {
      stop();
      sasl?.close();
    },
  };
}

function principalOf(cert: X509Certificate, tls: TlsSetup): string | null {
  const name = mapPrincipal(tls.mappingRules, subjectDn(cert));
  return name === null ? null : `User:${name}`;
}

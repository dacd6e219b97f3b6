/**
 * Opening a connection's socket: plain TCP, or TLS as Kafka's SSL and SASL_SSL protocols use it.
 * The broker's certificate is checked against `ca` (else the system's roots) and, unless
 * `endpointIdentification` is false, its host name or IP address against the certificate's
 * subject alternative names: Kafka's `ssl.endpoint.identification.algorithm=https`, the default
 * since Kafka 2.0. A client certificate and key are sent when the broker asks (mTLS).
 */
import { isIP, connect as netConnect, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as NodeTlsOptions, type SecureVersion } from 'node:tls';
import { ConnectionError, formatAddress, SslAuthenticationError } from './errors.js';

export interface ClientTlsOptions {
  /** Trusted CA certificates (PEM); default the system's roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate chain (PEM), for brokers with ssl.client.auth=required|requested. */
  cert?: string | Buffer;
  /** Client private key (PEM). */
  key?: string | Buffer;
  /** Client key and certificate as PKCS12 (instead of `key` and `cert`). */
  pfx?: Buffer;
  /** Password of an encrypted `key` or of `pfx` (Kafka's ssl.key.password, ssl.keystore.password). */
  passphrase?: string;
  /** Check the broker's certificate names this host (ssl.endpoint.identification.algorithm=https). Default true. */
  endpointIdentification?: boolean;
  /** SNI and the name checked; default the host connected to (no SNI for an IP address). */
  servername?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
}

/**
 * Connect to `host:port` (TLS when `tls` is given); rejects with ConnectionError, or
 * SslAuthenticationError for a failed handshake. A plain socket reads into the buffers `onread`
 * gives (no `'data'` chunks); a TLS socket emits `'data'` as usual (Node's TLS sockets do not
 * take `onread`).
 */
export function openSocket(host: string, port: number, timeoutMs: number, tls: ClientTlsOptions | undefined, onread?: OnReadOpts): Promise<Socket> {
  const address = formatAddress(host, port);
  return new Promise<Socket>((resolve, reject) => {
    let tcpUp = false;
    const s: Socket = tls === undefined ? netConnect(onread === undefined ? { host, port } : { host, port, onread }) : tlsConnect(tlsOptions(host, port, tls));
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      s.destroy();
      const reason = err.code ?? err.message;
      // Once TCP is up, a failure before the handshake completes is the handshake's.
      if (tls !== undefined && tcpUp) reject(new SslAuthenticationError(address, `${reason}${err.code !== undefined && err.message !== err.code ? ` (${err.message})` : ''}`, { cause: err }));
      else reject(new ConnectionError(host, port, `cannot connect to ${address}: ${reason}`, { cause: err, syscallCode: err.code, duringConnect: true }));
    };
    const timer = setTimeout(() => {
      s.destroy();
      const what = tls !== undefined && tcpUp ? 'the TLS handshake got no answer' : 'ETIMEDOUT';
      reject(new ConnectionError(host, port, `cannot connect to ${address}: ${what} after ${timeoutMs} ms`, { syscallCode: 'ETIMEDOUT', duringConnect: true }));
    }, timeoutMs);
    s.once('error', onError);
    s.once('connect', () => {
      tcpUp = true;
    });
    s.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      // The caller installs its own error handler before this one goes.
      queueMicrotask(() => s.off('error', onError));
      resolve(s);
    });
  });
}

function tlsOptions(host: string, port: number, t: ClientTlsOptions): NodeTlsOptions {
  const o: NodeTlsOptions = { host, port, rejectUnauthorized: true };
  if (t.ca !== undefined) o.ca = t.ca;
  if (t.cert !== undefined) o.cert = t.cert;
  if (t.key !== undefined) o.key = t.key;
  if (t.pfx !== undefined) o.pfx = t.pfx;
  if (t.passphrase !== undefined) o.passphrase = t.passphrase;
  if (t.minVersion !== undefined) o.minVersion = t.minVersion;
  if (t.maxVersion !== undefined) o.maxVersion = t.maxVersion;
  // RFC 6066 forbids an IP address as SNI; Node then checks the IP against the certificate's IP SANs.
  const name = t.servername ?? (isIP(host) === 0 ? host : undefined);
  if (name !== undefined) o.servername = name;
  // Kafka's ssl.endpoint.identification.algorithm= (empty): the chain is still verified, the name is not.
  if (t.endpointIdentification === false) o.checkServerIdentity = () => undefined;
  return o;
}

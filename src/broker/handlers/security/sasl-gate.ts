/**
 * The SASL front of a SASL_PLAINTEXT / SASL_SSL listener, in front of the dispatcher, as
 * Kafka's SaslServerAuthenticator: until the connection is authenticated only ApiVersions,
 * SaslHandshake and SaslAuthenticate are served, anything else closes the connection; after a
 * SaslHandshake v0 the next frames are raw SASL tokens (size-prefixed, no Kafka header, as
 * kafka-python and other old clients send them) answered with raw size-prefixed tokens. A failed
 * authentication is answered with SASL_AUTHENTICATION_FAILED after
 * `connection.failed.authentication.delay.ms`, then the connection closes. A session past
 * `connections.max.reauth.ms` is closed at its next request unless that request starts a
 * re-authentication (KIP-368).
 *
 * Frames are handled in arrival order and the SASL steps synchronously, so a request pipelined
 * behind a SaslAuthenticate sees the state that SaslAuthenticate left.
 */
import type { Logger } from 'pino';
import { StrandError } from '../../../errors.js';
import { UnsupportedVersionError } from '../../../protocol/errors.js';
import { encodeResponseFrame, readRequestFrame } from '../../../protocol/frame.js';
import { API_BY_KEY, ApiKey, SaslAuthenticateApi, SaslHandshakeApi } from '../../../protocol/messages/index.js';
import { SaslAuthenticationError, type SaslSession } from '../../../security/index.js';
import type { Connection, FrameHandler } from '../../connection.js';
import type { ApiRegistry } from '../registry.js';

class SaslStateError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_SASL_STATE');
  }
}

export function saslGate(inner: FrameHandler, registry: ApiRegistry, logger: Logger): FrameHandler {
  const delayed = (session: SaslSession, conn: Connection, chunks: Buffer[] | null, reason: string): Promise<Buffer[] | null> => {
    conn.closeAfterResponses(reason);
    const ms = session.config.failedAuthDelayMs;
    return new Promise((resolve) => setTimeout(() => resolve(chunks), ms));
  };

  return (frame: Buffer, conn: Connection) => {
    const session = conn.auth.sasl;
    if (session === null) return inner(frame, conn);
    const now = Date.now();
    if (session.state === 'raw') {
      const answer = ({ challenge }: { challenge: Buffer }) => {
        const size = Buffer.allocUnsafe(4);
        size.writeInt32BE(challenge.length, 0);
        return [size, challenge];
      };
      const fail = (err: unknown) => {
        logger.info({ remote: conn.remote, listener: conn.auth.listener.name, err: describe(err) }, 'SASL authentication failed');
        return delayed(session, conn, null, `SASL authentication failed: ${(err as Error).message}`);
      };
      try {
        const result = session.authenticate(frame, now);
        return result instanceof Promise ? result.then(answer, fail) : answer(result);
      } catch (err) {
        return fail(err);
      }
    }
    if (session.state === 'failed') throw new SaslStateError('request after a failed SASL authentication');
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    if (apiKey === ApiKey.SaslHandshake) return handshake(frame, conn, session, registry);
    if (session.state === 'authenticate' && apiKey === ApiKey.SaslAuthenticate) return authenticate(frame, conn, session, registry, now, logger, delayed);
    if (session.authenticated) {
      if (session.expired(now)) throw new SaslStateError(`SASL session expired (connections.max.reauth.ms=${session.config.reauthMs}) and the client did not re-authenticate`);
      return inner(frame, conn);
    }
    if (session.state === 'handshake' && apiKey === ApiKey.ApiVersions) return inner(frame, conn);
    throw new SaslStateError(`Unexpected Kafka request of type ${API_BY_KEY[apiKey]?.name ?? apiKey} during SASL ${session.state === 'handshake' ? 'handshake' : 'authentication'}`);
  };
}

function checkVersion(registry: ApiRegistry, apiKey: number, version: number): void {
  const served = registry.get(apiKey);
  if (served === undefined || version < served.minVersion || version > served.maxVersion) throw new UnsupportedVersionError(apiKey, version);
}

function handshake(frame: Buffer, conn: Connection, session: SaslSession, registry: ApiRegistry): Buffer[] {
  const req = readRequestFrame(frame);
  checkVersion(registry, req.apiKey, req.apiVersion);
  const body = SaslHandshakeApi.decodeRequest(req.body, req.apiVersion);
  req.body.complete();
  const result = session.handshake(body.mechanism, req.apiVersion);
  if (result.close) conn.closeAfterResponses(`SaslHandshake for ${body.mechanism} refused (error ${result.errorCode})`);
  return encodeResponseFrame(SaslHandshakeApi, req.apiVersion, req.correlationId, { errorCode: result.errorCode, mechanisms: result.mechanisms });
}

function authenticate(
  frame: Buffer, conn: Connection, session: SaslSession, registry: ApiRegistry, now: number, logger: Logger,
  delayed: (session: SaslSession, conn: Connection, chunks: Buffer[] | null, reason: string) => Promise<Buffer[] | null>,
): Buffer[] | Promise<Buffer[] | null> {
  const req = readRequestFrame(frame);
  checkVersion(registry, req.apiKey, req.apiVersion);
  const body = SaslAuthenticateApi.decodeRequest(req.body, req.apiVersion);
  req.body.complete();
  const answer = ({ challenge, sessionLifetimeMs }: { challenge: Buffer; sessionLifetimeMs: number }) => {
    if (session.state === 'complete') logger.debug({ remote: conn.remote, listener: conn.auth.listener.name, principal: conn.auth.principal, sessionLifetimeMs }, 'SASL authentication succeeded');
    return encodeResponseFrame(SaslAuthenticateApi, req.apiVersion, req.correlationId, { errorCode: 0, errorMessage: null, authBytes: challenge, sessionLifetimeMs: BigInt(sessionLifetimeMs) });
  };
  const fail = (err: unknown) => {
    if (!(err instanceof SaslAuthenticationError)) throw err;
    logger.info({ remote: conn.remote, listener: conn.auth.listener.name, err: describe(err) }, 'SASL authentication failed');
    const response = encodeResponseFrame(SaslAuthenticateApi, req.apiVersion, req.correlationId, { errorCode: err.kafkaCode, errorMessage: err.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n });
    return delayed(session, conn, response, `SASL authentication failed: ${err.message}`);
  };
  try {
    const result = session.authenticate(body.authBytes, now);
    return result instanceof Promise ? result.then(answer, fail) : answer(result);
  } catch (err) {
    return fail(err);
  }
}

function describe(err: unknown): string {
  const e = err as Error;
  return e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message;
}

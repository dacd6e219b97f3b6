/**
 * The SASL state of one connection, as Kafka's SaslServerAuthenticator keeps it: a handshake
 * names the mechanism (v0: the tokens then come raw, without Kafka headers; v1: inside
 * SaslAuthenticate), the mechanism's exchange runs, and on success the principal is set and
 * the session gets its lifetime (KIP-368 `connections.max.reauth.ms`). A complete connection
 * may re-authenticate with a new handshake (v1) for the same principal and mechanism, which
 * starts a new session. One failure ends the connection.
 */
import { KafkaErrorCode } from '../../errors.js';
import type { ConnectionAuth } from '../connection-auth.js';
import { SaslAuthenticationError } from '../errors.js';
import type { ListenerSasl } from './listener-sasl.js';
import type { SaslServer } from './mechanism.js';

/** `verifying`: a token is being checked asynchronously (OAUTHBEARER); nothing else is served meanwhile. */
export type SaslState = 'handshake' | 'authenticate' | 'raw' | 'verifying' | 'complete' | 'failed';

export interface HandshakeResult {
  errorCode: number;
  mechanisms: string[];
  /** The connection ends after this answer. */
  close: boolean;
}

export interface AuthenticateResult {
  challenge: Buffer;
  /** KIP-368 session lifetime (0: none), set once complete. */
  sessionLifetimeMs: number;
}

export class SaslSession {
  state: SaslState = 'handshake';
  /** When the session ends (ms since the epoch); 0: never. */
  expiresAt = 0;
  private server: SaslServer | null = null;
  private mechanism: string | null = null;
  private previousMechanism: string | null = null;

  constructor(readonly config: ListenerSasl, private readonly auth: ConnectionAuth) {}

  get authenticated(): boolean {
    return this.previousMechanism !== null;
  }

  /** Whether the session is past its lifetime: only a re-authentication may follow. */
  expired(now: number): boolean {
    return this.expiresAt > 0 && now >= this.expiresAt;
  }

  handshake(mechanism: string, version: number): HandshakeResult {
    const mechanisms = [...this.config.mechanisms];
    const reauth = this.state === 'complete';
    if (this.state !== 'handshake' && !(reauth && version >= 1)) {
      this.state = 'failed';
      return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms, close: true };
    }
    if (!this.config.mechanisms.includes(mechanism)) {
      this.state = 'failed';
      return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms, close: true };
    }
    this.mechanism = mechanism;
    this.server = this.config.server(mechanism);
    this.state = version === 0 ? 'raw' : 'authenticate';
    return { errorCode: KafkaErrorCode.NONE, mechanisms, close: false };
  }

  /**
   * The answer to one token (a promise when the mechanism checks it asynchronously); throws, or
   * rejects with, SaslAuthenticationError carrying the message the client sees.
   */
  authenticate(token: Buffer, now: number): AuthenticateResult | Promise<AuthenticateResult> {
    if ((this.state !== 'authenticate' && this.state !== 'raw') || this.server === null) {
      this.state = 'failed';
      throw new SaslAuthenticationError(`Unexpected SASL token in state ${this.state}`);
    }
    let challenge: Buffer | Promise<Buffer>;
    try {
      challenge = this.server.evaluate(token);
    } catch (err) {
      throw this.failure(err);
    }
    if (challenge instanceof Promise) {
      const resume = this.state;
      this.state = 'verifying';
      return challenge.then((c) => {
        this.state = resume;
        return this.evaluated(c, Date.now());
      }, (err) => {
        throw this.failure(err);
      });
    }
    return this.evaluated(challenge, now);
  }

  private failure(err: unknown): SaslAuthenticationError {
    this.state = 'failed';
    if (err instanceof SaslAuthenticationError) return err;
    // Kafka answers a SaslException with a generic message, keeping the reason to its log.
    return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`, { cause: err });
  }

  private evaluated(challenge: Buffer, now: number): AuthenticateResult {
    if (!this.server!.complete) return { challenge, sessionLifetimeMs: 0 };
    const server = this.server!;
    const principal = `User:${server.authorizationId}`;
    if (this.previousMechanism !== null) {
      if (principal !== this.auth.principal) {
        this.state = 'failed';
        throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${this.auth.principal}: ${principal}`);
      }
      if (this.mechanism !== this.previousMechanism) {
        this.state = 'failed';
        throw new SaslAuthenticationError(`SASL mechanism changed from ${this.previousMechanism} to ${this.mechanism} during re-authentication`);
      }
    }
    this.auth.principal = principal;
    this.previousMechanism = this.mechanism;
    this.state = 'complete';
    this.server = null;
    // Kafka's ReauthInfo: the session ends at the earlier of connections.max.reauth.ms and the credential's expiry.
    const expiry = server.credentialExpiresAt;
    const lifetimes = [...(this.config.reauthMs > 0 ? [this.config.reauthMs] : []), ...(expiry !== undefined ? [Math.max(0, expiry - now)] : [])];
    const lifetime = lifetimes.length === 0 ? 0 : Math.min(...lifetimes);
    this.expiresAt = lifetimes.length === 0 ? 0 : now + lifetime;
    return { challenge, sessionLifetimeMs: lifetime };
  }
}

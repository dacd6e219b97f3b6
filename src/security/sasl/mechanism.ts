/** What a SASL mechanism's server side does with the client's tokens. */
import { SaslAuthenticationError } from '../errors.js';

export interface SaslServer {
  /**
   * The answer to the client's next token. Throws SaslAuthenticationError (its message is the
   * one the client sees) or SaslFailure (the client sees Kafka's generic message).
   */
  evaluate(token: Buffer): Buffer | Promise<Buffer>;
  readonly complete: boolean;
  /** The authenticated user name, once complete. */
  readonly authorizationId: string;
  /** When the credential expires (ms since the epoch; an OAUTHBEARER token's exp), bounding the session. */
  readonly credentialExpiresAt?: number | undefined;
}

/**
 * A failure Kafka reports as a SaslException: the client sees "Authentication failed during
 * authentication due to invalid credentials with SASL mechanism <M>"; `message` goes to the log.
 */
export class SaslFailure extends Error {}

export { SaslAuthenticationError };

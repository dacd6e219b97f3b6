/**
 * Errors of the security layer. A listener or setting the broker cannot honour is a
 * SecurityConfigError thrown before anything listens (fail closed: a user who configured
 * security must never get a broker that silently serves without it).
 */
import { KafkaErrorCode, StrandError } from '../errors.js';

export class SecurityConfigError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_CONFIG', KafkaErrorCode.INVALID_CONFIG);
  }
}

/** A SASL exchange failed: bad credentials, a malformed token, a replayed nonce. */
export class SaslAuthenticationError extends StrandError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_STRAND_SASL_AUTHENTICATION', KafkaErrorCode.SASL_AUTHENTICATION_FAILED, options);
  }
}

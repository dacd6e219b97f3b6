/**
 * Who is on the other end of one connection, as far as the listener has established it: the
 * listener's name and security protocol, and the principal (Kafka's `User:<name>`, or
 * `User:ANONYMOUS` until a client certificate or a SASL exchange says otherwise).
 */
import type { SecurityProtocol } from './listeners.js';
import type { SaslSession } from './sasl/session.js';

export const ANONYMOUS = 'User:ANONYMOUS';

export interface ListenerInfo {
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
}

export class ConnectionAuth {
  principal = ANONYMOUS;
  /** The SASL exchange of a SASL_PLAINTEXT or SASL_SSL connection; null on other listeners. */
  sasl: SaslSession | null = null;

  constructor(readonly listener: ListenerInfo) {}
}

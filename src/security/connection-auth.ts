/**
 * Who is on the other end of one connection, as far as the listener has established it: the
 * listener's name and security protocol, and the principal (Kafka's `User:<name>`, or
 * `User:ANONYMOUS` until a client certificate or a SASL exchange says otherwise).
 */
import type { SecurityProtocol } from './listeners.js';

export const ANONYMOUS = 'User:ANONYMOUS';

export interface ListenerInfo {
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
}

export class ConnectionAuth {
  principal = ANONYMOUS;

  constructor(readonly listener: ListenerInfo) {}
}

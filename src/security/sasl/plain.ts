/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer: one token `authzid NUL authcid NUL passwd`,
 * checked against the `user_<name>="<password>"` options of the listener's PlainLoginModule.
 * The messages are Kafka's.
 */
import { timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError } from '../errors.js';
import type { SaslServer } from './mechanism.js';

export class PlainServer implements SaslServer {
  complete = false;
  authorizationId = '';

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): Buffer {
    if (this.complete) throw new SaslAuthenticationError('Authentication failed: PLAIN exchange already complete');
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
    const [authzid, username, password] = parts as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    const expected = this.users.get(username);
    if (expected === undefined || !sameSecret(expected, password)) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    this.complete = true;
    this.authorizationId = username;
    return Buffer.alloc(0);
  }
}

/** Compare without leaking where the strings differ. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

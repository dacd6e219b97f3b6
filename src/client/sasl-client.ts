/**
 * The client side of SASL as Kafka's SaslClientAuthenticator runs it after ApiVersions:
 * SaslHandshake v1 names the mechanism, then the mechanism's tokens travel inside
 * SaslAuthenticate (v1+ carries the KIP-368 session lifetime). Mechanisms:
 *
 * - PLAIN (RFC 4616): one token `authzid NUL user NUL password`, authzid empty as Kafka sends it.
 * - SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677): client-first `n,,n=user,r=nonce`,
 *   client-final with the proof, and the server-final signature checked, so a broker that does
 *   not know the credential is not trusted (Kafka's ScramSaslClient does the same).
 * - OAUTHBEARER (RFC 7628): one token `n,,\x01auth=Bearer <token>\x01\x01` with a given token.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash, hmac, SCRAM_PARAMS, type ScramMechanism, xor } from '../security/sasl/scram-formatter.js';

const pbkdf2Async = promisify(pbkdf2);

export type SaslMechanism = 'PLAIN' | ScramMechanism | 'OAUTHBEARER';

export type SaslClientOptions =
  | { mechanism: 'PLAIN' | ScramMechanism; username: string; password: string }
  /** `token`: the compact JWS, or a function returning a fresh one at each authentication. */
  | { mechanism: 'OAUTHBEARER'; token: string | (() => string | Promise<string>); extensions?: Readonly<Record<string, string>> };

export const CLIENT_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** A mechanism's half of one exchange: the first token, then one answer per challenge until done. */
export interface SaslClientExchange {
  first(): Promise<Buffer>;
  /** The next token for `challenge`, or null when the exchange is complete (nothing more to send). */
  next(challenge: Buffer): Promise<Buffer | null>;
}

/** A failure found on the client's side of an exchange (a server that cannot prove itself, a malformed challenge). */
export class SaslClientFailure extends Error {}

export function saslExchange(options: SaslClientOptions): SaslClientExchange {
  if (options.mechanism === 'PLAIN') return plain(options.username, options.password);
  if (options.mechanism === 'OAUTHBEARER') return oauthBearer(options.token, options.extensions ?? {});
  return new ScramClientExchange(options.mechanism, options.username, options.password);
}

function plain(username: string, password: string): SaslClientExchange {
  return {
    first: async () => Buffer.from(`\u0000${username}\u0000${password}`, 'utf8'),
    next: async () => null,
  };
}

function oauthBearer(token: string | (() => string | Promise<string>), extensions: Readonly<Record<string, string>>): SaslClientExchange {
  let sent = false;
  return {
    first: async () => {
      const value = typeof token === 'string' ? token : await token();
      const ext = Object.entries(extensions).map(([k, v]) => `${k}=${v}\u0001`).join('');
      return Buffer.from(`n,,\u0001auth=Bearer ${value}\u0001${ext}\u0001`, 'utf8');
    },
    // RFC 7628 3.2.2: on failure the server sends a JSON error and expects a lone 0x01 back.
    next: async (challenge) => {
      if (challenge.length === 0 || sent) return null;
      sent = true;
      return Buffer.from([1]);
    },
  };
}

/** RFC 5802 saslname: `=` and `,` escaped. */
const saslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

class ScramClientExchange implements SaslClientExchange {
  private readonly nonce = randomBytes(24).toString('base64url');
  private readonly clientFirstBare: string;
  private state: 'first' | 'final' | 'verify' | 'done' = 'first';
  private expectedServerSignature: Buffer | null = null;

  constructor(private readonly mechanism: ScramMechanism, username: string, private readonly password: string) {
    this.clientFirstBare = `n=${saslName(username)},r=${this.nonce}`;
  }

  async first(): Promise<Buffer> {
    this.state = 'final';
    // gs2 header `n,,`: no channel binding, no authzid, as Kafka's clients send.
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  async next(challenge: Buffer): Promise<Buffer | null> {
    if (this.state === 'final') return this.final(challenge.toString('utf8'));
    if (this.state === 'verify') {
      this.verify(challenge.toString('utf8'));
      return null;
    }
    throw new SaslClientFailure(`unexpected ${this.mechanism} challenge after the exchange completed`);
  }

  private async final(serverFirst: string): Promise<Buffer> {
    const m = /^(?:m=[^,]*,)?r=([\x21-\x2B\x2D-\x7E]+),s=([A-Za-z0-9+/=]+),i=(\d+)(?:,.*)?$/.exec(serverFirst);
    if (m === null) throw new SaslClientFailure(`invalid ${this.mechanism} server-first message`);
    const [, nonce, salt, iter] = m as unknown as [string, string, string, string];
    // The server's nonce must extend ours: otherwise this answers some other exchange.
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw new SaslClientFailure(`${this.mechanism} server nonce does not extend the client nonce`);
    const iterations = Number(iter);
    const { minIterations } = SCRAM_PARAMS[this.mechanism];
    if (iterations < minIterations) throw new SaslClientFailure(`${this.mechanism} server asked for ${iterations} iterations, below the minimum ${minIterations}`);
    const { hash: digest, bytes } = SCRAM_PARAMS[this.mechanism];
    // Asynchronous PBKDF2: thousands of HMAC rounds must not hold the event loop.
    const salted = await pbkdf2Async(Buffer.from(this.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, bytes, digest);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const storedKey = hash(this.mechanism, clientKey);
    const proof = xor(clientKey, hmac(this.mechanism, storedKey, authMessage));
    this.expectedServerSignature = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    this.state = 'verify';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  private verify(serverFinal: string): void {
    this.state = 'done';
    const err = /^e=(.*)$/.exec(serverFinal);
    if (err !== null) throw new SaslClientFailure(`${this.mechanism} server-final error: ${err[1]}`);
    const m = /^v=([A-Za-z0-9+/=]+)(?:,.*)?$/.exec(serverFinal);
    if (m === null) throw new SaslClientFailure(`invalid ${this.mechanism} server-final message`);
    const got = Buffer.from(m[1]!, 'base64');
    const expected = this.expectedServerSignature!;
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new SaslClientFailure(`${this.mechanism} server signature does not match: the broker does not hold this user's credential`);
  }
}

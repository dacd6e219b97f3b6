/**
 * The server side of SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's
 * ScramSaslServer: client-first (`n,[a=authzid],n=user,r=cnonce[,ext]`), server-first
 * (`r=cnonce+snonce,s=salt,i=iterations`), client-final (`c=biws,r=nonce,p=proof`), server-final
 * (`v=signature`). No channel binding (Kafka's gs2 header is always `n`). Each exchange has a
 * fresh server nonce, so a client-final captured from another exchange fails its nonce check.
 * Message formats follow Kafka's ScramMessages patterns.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError } from '../errors.js';
import { SaslFailure, type SaslServer } from './mechanism.js';
import { hash, hmac, SCRAM_PARAMS, type ScramCredential, type ScramMechanism, xor } from './scram-formatter.js';

const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const VALUE = '[\\x01-\\x2B\\x2D-\\x7F]+';
const PRINTABLE = '[\\x21-\\x2B\\x2D-\\x7E]+';
const BASE64 = '(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?';
const EXTENSIONS = `(?:,[A-Za-z]+=${VALUE})*`;
const CLIENT_FIRST = new RegExp(`^n,(?:a=(${SASLNAME}))?,(?:m=${VALUE},)?n=(${SASLNAME}),r=(${PRINTABLE})(${EXTENSIONS})$`);
const CLIENT_FINAL = new RegExp(`^c=(${BASE64}),r=(${PRINTABLE})${EXTENSIONS},p=(${BASE64})$`);

/** `=2C` and `=3D` back to `,` and `=` (RFC 5802 saslname). */
const decodeName = (s: string) => s.replace(/=2C/g, ',').replace(/=3D/g, '=');

export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

export class ScramServer implements SaslServer {
  complete = false;
  authorizationId = '';
  private state: 'first' | 'final' | 'done' = 'first';
  private username = '';
  private nonce = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private credential: ScramCredential | null = null;

  constructor(private readonly mechanism: ScramMechanism, private readonly lookup: CredentialLookup) {}

  evaluate(token: Buffer): Buffer {
    const text = token.toString('utf8');
    if (this.state === 'first') return this.first(text);
    if (this.state === 'final') return this.final(text);
    throw new SaslFailure('Unexpected SCRAM message after the exchange completed');
  }

  private first(text: string): Buffer {
    const m = CLIENT_FIRST.exec(text);
    if (m === null) throw new SaslFailure(`Invalid SCRAM client first message format: ${JSON.stringify(text.slice(0, 100))}`);
    const authzid = m[1] === undefined ? '' : decodeName(m[1]);
    this.username = decodeName(m[2]!);
    const extensions = m[4]!;
    if (/(^|,)tokenauth=true(,|$)/i.test(extensions)) throw new SaslFailure('Authentication failed: delegation tokens are not supported');
    if (authzid !== '' && authzid !== this.username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    const credential = this.lookup(this.username, this.mechanism);
    if (credential === undefined) throw new SaslFailure('Authentication failed: Invalid user credentials');
    const { minIterations } = SCRAM_PARAMS[this.mechanism];
    if (credential.iterations < minIterations) throw new SaslFailure(`Iterations ${credential.iterations} is less than the minimum ${minIterations} for ${this.mechanism}`);
    this.credential = credential;
    this.gs2Header = text.slice(0, text.indexOf(',', 2) + 1);
    this.clientFirstBare = text.slice(this.gs2Header.length);
    this.nonce = m[3]! + randomBytes(24).toString('base64url');
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private final(text: string): Buffer {
    this.state = 'done'; // one attempt per exchange
    const m = CLIENT_FINAL.exec(text);
    if (m === null) throw new SaslFailure('Invalid SCRAM client final message format');
    // Kafka checks endsWith, not equality: librdkafka (up to 2.x at least) sends its client nonce
    // followed by the whole combined nonce. The fresh server part must still be there.
    if (!m[2]!.endsWith(this.nonce)) throw new SaslFailure('Invalid client nonce in the final client message.');
    if (Buffer.from(m[1]!, 'base64').toString('latin1') !== this.gs2Header) throw new SaslFailure('Invalid channel binding in the final client message.');
    const withoutProof = text.slice(0, text.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const c = this.credential!;
    const proof = Buffer.from(m[3]!, 'base64');
    const clientSignature = hmac(this.mechanism, c.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslFailure('Invalid client credentials');
    const computed = hash(this.mechanism, xor(proof, clientSignature));
    if (!timingSafeEqual(computed, c.storedKey)) throw new SaslFailure('Invalid client credentials');
    this.complete = true;
    this.authorizationId = this.username;
    return Buffer.from(`v=${hmac(this.mechanism, c.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}

/**
 * SASL/OAUTHBEARER (RFC 7628) as Kafka's OAuthBearerSaslServer with its secured validator
 * (KIP-768, OAuthBearerValidatorCallbackHandler): the client's first message carries
 * `auth=Bearer <JWT>`; the JWT's signature is checked against the keys of
 * `sasl.oauthbearer.jwks.endpoint.url` (a file: or http(s): URL), and its `exp`, subject claim
 * (`sasl.oauthbearer.sub.claim.name`), `sasl.oauthbearer.expected.audience` and
 * `sasl.oauthbearer.expected.issuer`, with `sasl.oauthbearer.clock.skew.seconds` of tolerance,
 * through `jose`. The principal is `User:<subject>`; the token's expiry bounds the session
 * (KIP-368). A refused token is answered, as Kafka does, with the RFC 7628 error challenge
 * `{"status":"invalid_token"}`, and the exchange fails when the client acknowledges it.
 * Unsigned tokens (Kafka's default, unsecured validator) are never accepted.
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { SaslAuthenticationError, SecurityConfigError } from '../errors.js';
import { SaslFailure, type SaslServer } from './mechanism.js';

export interface OAuthBearerSettings {
  jwksUrl: string;
  audience: readonly string[];
  issuer: string | null;
  subClaim: string;
  clockSkewSeconds: number;
}

// Kafka's OAuthBearerClientInitialResponse: gs2 header, then \x01-separated key=value pairs.
const CLIENT_FIRST = /^n,(?:a=((?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+))?,\x01((?:[A-Za-z]+=[\x21-\x7E \t\r\n]*\x01)*)\x01$/;
const AUTH = /^([A-Za-z]+) +([-_.a-zA-Z0-9]+)$/;
const INVALID_TOKEN = '{"status":"invalid_token"}';

/** The key set of `settings.jwksUrl`; a file is read now (fail closed) and again when `reload` is called. */
export class JwksSource {
  private keys: JWTVerifyGetKey;

  constructor(private readonly url: string, key: string) {
    this.keys = this.load(key);
  }

  get(): JWTVerifyGetKey {
    return this.keys;
  }

  /** The file, when the key set is one (for reload on change). */
  get file(): string | null {
    return this.url.startsWith('file:') ? new URL(this.url).pathname : null;
  }

  reload(): void {
    this.keys = this.load('sasl.oauthbearer.jwks.endpoint.url');
  }

  private load(key: string): JWTVerifyGetKey {
    let url: URL;
    try {
      url = new URL(this.url);
    } catch {
      throw new SecurityConfigError(`${key}=${this.url} is not a URL (file:///path/jwks.json or https://...)`);
    }
    if (url.protocol === 'https:' || url.protocol === 'http:') return createRemoteJWKSet(url);
    if (url.protocol !== 'file:') throw new SecurityConfigError(`${key}=${this.url}: expected a file:, http: or https: URL`);
    try {
      return createLocalJWKSet(JSON.parse(readFileSync(url.pathname, 'utf8')));
    } catch (err) {
      throw new SecurityConfigError(`${key}=${this.url}: cannot read a JSON Web Key Set from it: ${(err as Error).message}`);
    }
  }
}

export class OAuthBearerServer implements SaslServer {
  complete = false;
  authorizationId = '';
  credentialExpiresAt: number | undefined;
  private failed: string | null = null;
  private reason = '';

  constructor(private readonly settings: OAuthBearerSettings, private readonly jwks: JwksSource) {}

  evaluate(token: Buffer): Buffer | Promise<Buffer> {
    if (this.failed !== null) {
      // The client's acknowledgement of the error challenge (a lone %x01), or anything else: the end.
      throw new SaslAuthenticationError(`Authentication failed: ${this.failed}`, { cause: new Error(this.reason) });
    }
    if (this.complete) throw new SaslFailure('Unexpected OAUTHBEARER message after the exchange completed');
    const m = CLIENT_FIRST.exec(token.toString('latin1'));
    if (m === null) throw new SaslFailure('Invalid OAUTHBEARER client first message');
    const authzid = m[1] === undefined ? '' : m[1].replace(/=2C/g, ',').replace(/=3D/g, '=');
    const pairs = new Map(m[2]!.split('\x01').filter((p) => p !== '').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
    const auth = AUTH.exec(pairs.get('auth') ?? '');
    if (auth === null || auth[1]!.toLowerCase() !== 'bearer') throw new SaslFailure('Invalid OAUTHBEARER client first message: no auth=Bearer <token>');
    return this.verify(auth[2]!, authzid);
  }

  private async verify(jwt: string, authzid: string): Promise<Buffer> {
    const s = this.settings;
    let subject: unknown;
    let exp: unknown;
    try {
      const { payload } = await jwtVerify(jwt, this.jwks.get(), {
        clockTolerance: s.clockSkewSeconds,
        requiredClaims: ['exp', s.subClaim],
        ...(s.audience.length > 0 ? { audience: [...s.audience] } : {}),
        ...(s.issuer !== null ? { issuer: s.issuer } : {}),
      });
      subject = payload[s.subClaim];
      exp = payload.exp;
      if (typeof subject !== 'string' || subject === '') throw new Error(`the ${s.subClaim} claim is not a non-empty string`);
    } catch (err) {
      this.failed = INVALID_TOKEN;
      this.reason = (err as Error).message;
      return Buffer.from(INVALID_TOKEN);
    }
    if (authzid !== '' && authzid !== subject) throw new SaslAuthenticationError(`Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${subject})`);
    this.complete = true;
    this.authorizationId = subject;
    this.credentialExpiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
    return Buffer.alloc(0);
  }
}

/**
 * Bearer tokens (RFC 6750) as the Kafka listeners take OAUTHBEARER tokens: the JWT is handed to
 * the same validator a Kafka listener runs (src/security/sasl/oauthbearer.ts: signature against
 * the listener's key set, exp, subject claim, audience, issuer, clock skew), built from the
 * settings of the first Kafka listener that enables OAUTHBEARER. The principal is `User:<sub>`.
 */
import { ConfigError } from '../../broker/config.js';
import { resolveListeners, usesSasl } from '../../security/listeners.js';
import { prepareOAuth } from '../../security/sasl/listener-sasl.js';
import { OAuthBearerServer } from '../../security/sasl/oauthbearer.js';
import { listenerSetting, type SettingsSource } from '../../security/settings.js';

/** RFC 6750 b64token, narrowed to a JWT's characters (as the OAUTHBEARER listener accepts them). */
const TOKEN = /^Bearer +([-_.a-zA-Z0-9]+) *$/i;

export interface BearerVerifier {
  /** The token's subject, or null when the token is refused. */
  verify(token: string): Promise<string | null>;
  close(): void;
}

export function parseBearer(header: string): string | null {
  return TOKEN.exec(header)?.[1] ?? null;
}

export function prepareBearer(src: SettingsSource): BearerVerifier {
  const listener = resolveListeners(src).listeners.find((l) => usesSasl(l.securityProtocol) && (listenerSetting(src, l.name, 'sasl.enabled.mechanisms') ?? '').split(',').map((s) => s.trim().toUpperCase()).includes('OAUTHBEARER'));
  if (listener === undefined) throw new ConfigError('http.authentication.method=BEARER needs the keys tokens are checked with: enable OAUTHBEARER on a Kafka listener (sasl.enabled.mechanisms, listener.name.<l>.oauthbearer.sasl.server.callback.handler.class, sasl.oauthbearer.jwks.endpoint.url)');
  const oauth = prepareOAuth(src, listener.name);
  return {
    async verify(token: string): Promise<string | null> {
      // The listener's own exchange: a client first message carrying the token (RFC 7628).
      const server = new OAuthBearerServer(oauth.settings, oauth.jwks);
      try {
        await server.evaluate(Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`, 'latin1'));
      } catch {
        return null;
      }
      return server.complete ? server.authorizationId : null;
    },
    close: () => oauth.stop(),
  };
}

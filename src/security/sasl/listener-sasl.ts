/**
 * The SASL settings of one SASL_PLAINTEXT or SASL_SSL listener: `sasl.enabled.mechanisms`
 * (Kafka's default, GSSAPI, is refused: strand serves PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512),
 * PLAIN's users from the PlainLoginModule's `user_<name>="<password>"` options
 * (`listener.name.<listener>.plain.sasl.jaas.config`, else `sasl.jaas.config`), SCRAM's
 * credentials from the broker's store, `connections.max.reauth.ms` (KIP-368) and
 * `connection.failed.authentication.delay.ms` (KIP-306).
 */
import { SecurityConfigError } from '../errors.js';
import type { ScramCredentials } from '../scram-store.js';
import { listenerInt, listenerSetting, OAUTH_VALIDATORS, type SettingsSource, SUPPORTED_MECHANISMS } from '../settings.js';
import { watchFiles } from '../tls.js';
import { JwksSource, OAuthBearerServer, type OAuthBearerSettings } from './oauthbearer.js';
import { parseJaasConfig } from './jaas.js';
import type { SaslServer } from './mechanism.js';
import { PlainServer } from './plain.js';
import { ScramServer } from './scram.js';
import type { ScramMechanism } from './scram-formatter.js';

const LOGIN_MODULES: Readonly<Record<string, string>> = {
  OAUTHBEARER: 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule',
  PLAIN: 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule',
};

export interface ListenerSasl {
  readonly mechanisms: readonly string[];
  /** 0: sessions do not expire. */
  readonly reauthMs: number;
  readonly failedAuthDelayMs: number;
  /** A fresh server for one exchange of `mechanism` (one of `mechanisms`). */
  server(mechanism: string): SaslServer;
  /** Stop watching files (the OAUTHBEARER key set). */
  close(): void;
}

export function prepareListenerSasl(src: SettingsSource, listener: string, credentials: ScramCredentials): ListenerSasl {
  const where = `(listener ${listener})`;
  const enabled = (listenerSetting(src, listener, 'sasl.enabled.mechanisms') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  if (enabled.length === 0) throw new SecurityConfigError(`sasl.enabled.mechanisms ${where} is empty; strand serves ${SUPPORTED_MECHANISMS.join(', ')}`);
  const unsupported = enabled.filter((m) => !SUPPORTED_MECHANISMS.includes(m));
  if (unsupported.length > 0) {
    const isDefault = listenerSetting(src, listener, 'sasl.enabled.mechanisms') === 'GSSAPI' && src.raw('sasl.enabled.mechanisms') === undefined;
    throw new SecurityConfigError(`sasl.enabled.mechanisms=${enabled.join(',')} ${where}${isDefault ? " (Kafka's default)" : ''}: strand cannot serve ${unsupported.join(', ')}; it serves ${SUPPORTED_MECHANISMS.join(', ')}`);
  }
  const jaasOf = (mech: string) => {
    const prefixed = `listener.name.${listener.toLowerCase()}.${mech.toLowerCase()}.sasl.jaas.config`;
    const key = src.raw(prefixed) !== undefined ? prefixed : src.raw('sasl.jaas.config') !== undefined ? 'sasl.jaas.config' : null;
    if (key === null) return null;
    const jaas = parseJaasConfig(src.raw(key)!, key);
    if (jaas.loginModule !== LOGIN_MODULES[mech]) {
      if (key === 'sasl.jaas.config') return null; // a bare setting for another mechanism
      throw new SecurityConfigError(`${key}: ${jaas.loginModule} is not the login module of ${mech} (${LOGIN_MODULES[mech]})`);
    }
    return jaas;
  };
  let plainUsers: Map<string, string> | null = null;
  if (enabled.includes('PLAIN')) {
    const jaas = jaasOf('PLAIN');
    if (jaas === null) throw new SecurityConfigError(`listener ${listener} enables PLAIN but has no users: set listener.name.${listener.toLowerCase()}.plain.sasl.jaas.config to ${LOGIN_MODULES.PLAIN} required user_<name>="<password>";`);
    plainUsers = new Map();
    for (const [k, v] of jaas.options) if (k.startsWith('user_')) plainUsers.set(k.slice(5), v);
    if (plainUsers.size === 0) throw new SecurityConfigError(`listener ${listener} enables PLAIN but its PlainLoginModule lists no user_<name>="<password>" options`);
  }
  for (const m of enabled) if (m.startsWith('SCRAM-') || m === 'OAUTHBEARER') jaasOf(m); // checked, not needed by the server side
  const users = plainUsers;
  const oauth = enabled.includes('OAUTHBEARER') ? prepareOAuth(src, listener) : null;
  return {
    mechanisms: enabled,
    reauthMs: listenerInt(src, listener, 'connections.max.reauth.ms'),
    failedAuthDelayMs: listenerInt(src, listener, 'connection.failed.authentication.delay.ms'),
    server(mechanism: string): SaslServer {
      if (mechanism === 'PLAIN') return new PlainServer(users!);
      if (mechanism === 'OAUTHBEARER') return new OAuthBearerServer(oauth!.settings, oauth!.jwks);
      return new ScramServer(mechanism as ScramMechanism, (u, m) => credentials.get(u, m));
    },
    close: () => oauth?.stop(),
  };
}

/** How often a key set file is checked for a change. */
const JWKS_POLL_MS = 1000;

export function prepareOAuth(src: SettingsSource, listener: string): { settings: OAuthBearerSettings; jwks: JwksSource; stop: () => void } {
  const prefix = `listener.name.${listener.toLowerCase()}.oauthbearer.`;
  // Kafka reads these for the mechanism with its listener prefix, else bare.
  const get = (key: string) => src.raw(prefix + key) ?? listenerSetting(src, listener, key);
  const handler = src.raw(prefix + 'sasl.server.callback.handler.class');
  if (handler === undefined || !OAUTH_VALIDATORS.has(handler)) {
    throw new SecurityConfigError(`listener ${listener} enables OAUTHBEARER without ${prefix}sasl.server.callback.handler.class=${[...OAUTH_VALIDATORS][0]}: Kafka then accepts unsigned tokens (its unsecured validator), which strand refuses to do`);
  }
  const jwksUrl = get('sasl.oauthbearer.jwks.endpoint.url');
  if (jwksUrl === undefined) throw new SecurityConfigError(`listener ${listener} enables OAUTHBEARER but sasl.oauthbearer.jwks.endpoint.url is not set: the keys that sign tokens are needed`);
  const skew = get('sasl.oauthbearer.clock.skew.seconds') ?? '30';
  if (!/^\d+$/.test(skew)) throw new SecurityConfigError(`sasl.oauthbearer.clock.skew.seconds=${skew} (listener ${listener}) is invalid: expected a non-negative integer`);
  const scope = get('sasl.oauthbearer.scope.claim.name');
  if (scope !== undefined && scope !== 'scope') throw new SecurityConfigError(`sasl.oauthbearer.scope.claim.name=${scope} (listener ${listener}): strand does not use scopes`);
  const settings: OAuthBearerSettings = {
    jwksUrl,
    audience: (get('sasl.oauthbearer.expected.audience') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    issuer: get('sasl.oauthbearer.expected.issuer') ?? null,
    subClaim: get('sasl.oauthbearer.sub.claim.name') ?? 'sub',
    clockSkewSeconds: Number(skew),
  };
  const jwks = new JwksSource(jwksUrl, 'sasl.oauthbearer.jwks.endpoint.url');
  const file = jwks.file;
  const stop = file === null ? () => {} : watchFiles([file], JWKS_POLL_MS, () => {
    try {
      jwks.reload();
    } catch {
      // A key set caught half-written: the previous keys stay until the next change.
    }
  });
  return { settings, jwks, stop };
}

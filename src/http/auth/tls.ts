/**
 * TLS of the https admin listeners from `http.ssl.*`, which mirror Kafka's `ssl.*` (PEM or
 * PKCS12 key store, PEM trust store, client auth, principal mapping rules, protocols, cipher
 * suites): the broker's own TLS setup (src/security/tls.ts) reads them through a view that
 * answers `ssl.X` with `http.ssl.X`, so the checks, the reload and the principal mapping are
 * the Kafka listeners'. Trust and key stores default to PEM (Kafka's JKS cannot be read anyway).
 */
import { ConfigError } from '../../broker/config.js';
import { SecurityConfigError } from '../../security/errors.js';
import type { SettingsSource } from '../../security/settings.js';
import { prepareTls, type TlsSetup } from '../../security/tls.js';

const DEFAULTS: Readonly<Record<string, string>> = { 'ssl.keystore.type': 'PEM', 'ssl.truststore.type': 'PEM', 'ssl.client.auth': 'none' };

export function prepareHttpTls(src: SettingsSource): TlsSetup {
  if (src.raw('http.ssl.keystore.location') === undefined) throw new ConfigError('http.listeners has an https:// listener but http.ssl.keystore.location is not set: give the file of its private key and certificate chain (PEM)');
  const view: SettingsSource = {
    raw: (key) => (key.startsWith('ssl.') ? src.raw(`http.${key}`) ?? DEFAULTS[key] : undefined),
    entries: () => [][Symbol.iterator](),
  };
  try {
    return prepareTls(view, 'HTTP', 'SSL');
  } catch (err) {
    if (!(err instanceof SecurityConfigError)) throw err;
    // The messages name Kafka's keys; these are the admin listener's.
    throw new ConfigError(err.message.replace(/(^|[^.\w])ssl\./g, '$1http.ssl.').replace(/listener HTTP\b/g, 'the https admin listeners'));
  }
}

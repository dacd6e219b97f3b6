/**
 * The security settings strand honours, under Kafka's names, and the rule that guards them:
 * a `ssl.*`, `sasl.*` or `listener.name.*` setting strand does not know, or a value of a known
 * one it cannot honour, stops the broker at start with a message naming it. Kafka ignores
 * unknown keys with a warning; for security settings that would leave a user believing they
 * have protection they do not have, so strand refuses them instead.
 *
 * Settings are read as Kafka reads them for a listener: `listener.name.<name>.<key>` first
 * (the listener name in lower case), then the bare `<key>`, then Kafka's default.
 */
import { SecurityConfigError } from './errors.js';

/** What the security layer reads of the broker configuration (BrokerConfig fits it). */
export interface SettingsSource {
  raw(key: string): string | undefined;
  entries(): Iterable<[string, string]>;
}

/** Kafka's defaults of the security settings strand reads. */
export const SECURITY_DEFAULTS: Readonly<Record<string, string>> = {
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
  'security.inter.broker.protocol': 'PLAINTEXT',
  'ssl.keystore.type': 'JKS',
  'ssl.truststore.type': 'JKS',
  'ssl.client.auth': 'none',
  'ssl.principal.mapping.rules': 'DEFAULT',
  'ssl.enabled.protocols': 'TLSv1.2,TLSv1.3',
  'ssl.protocol': 'TLSv1.3',
  'ssl.cipher.suites': '',
  'sasl.enabled.mechanisms': 'GSSAPI',
  'sasl.mechanism.inter.broker.protocol': 'GSSAPI',
  'connections.max.reauth.ms': '0',
  'connection.failed.authentication.delay.ms': '100',
};

/** ssl.* keys strand reads (per listener or bare). */
export const SSL_KEYS: ReadonlySet<string> = new Set([
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.certificates',
  'ssl.client.auth', 'ssl.principal.mapping.rules', 'ssl.enabled.protocols', 'ssl.protocol', 'ssl.cipher.suites',
]);

/**
 * ssl.* keys that only choose among the JVM's implementations; OpenSSL has no such choice, so
 * any value is accepted and has no effect on what is protected. `ssl.endpoint.identification.algorithm`
 * is a client setting (the broker's own connections); a broker checks no host names of clients.
 */
const SSL_JVM_ONLY: ReadonlySet<string> = new Set(['ssl.keymanager.algorithm', 'ssl.trustmanager.algorithm', 'ssl.secure.random.implementation', 'ssl.endpoint.identification.algorithm']);

/** sasl.* keys strand reads. `sasl.mechanism.inter.broker.protocol` is for the broker's own client connections. */
export const SASL_KEYS: ReadonlySet<string> = new Set([
  'sasl.enabled.mechanisms', 'sasl.jaas.config', 'sasl.mechanism.inter.broker.protocol',
  // OAUTHBEARER's secured validator (KIP-768); the retry settings only pace fetches of a remote key set.
  'sasl.oauthbearer.jwks.endpoint.url', 'sasl.oauthbearer.expected.audience', 'sasl.oauthbearer.expected.issuer', 'sasl.oauthbearer.sub.claim.name',
  'sasl.oauthbearer.scope.claim.name', 'sasl.oauthbearer.clock.skew.seconds', 'sasl.oauthbearer.jwks.endpoint.refresh.ms',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', 'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms',
]);

/** The validator classes of Kafka's secured OAUTHBEARER (3.4+ and 3.1-3.3 names). */
export const OAUTH_VALIDATORS: ReadonlySet<string> = new Set([
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
]);

/** Other keys of listeners and security strand reads; they may carry a listener prefix too. */
export const OTHER_LISTENER_KEYS: ReadonlySet<string> = new Set(['connections.max.reauth.ms', 'connection.failed.authentication.delay.ms', 'max.connections', 'max.connection.creation.rate']);

/** The SASL mechanisms strand serves. */
export const SUPPORTED_MECHANISMS: readonly string[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

/** Settings with no effect when left empty, and that strand cannot honour when set (a class of Java code to load, say). */
const MUST_BE_EMPTY: ReadonlySet<string> = new Set([
  'ssl.engine.factory.class', 'ssl.provider', 'sasl.server.callback.handler.class', 'sasl.client.callback.handler.class', 'sasl.login.class',
  'sasl.login.callback.handler.class', 'principal.builder.class',
]);

/** Values of those settings that name what strand does anyway (Kafka's defaults, written out). */
const HONOURED_CLASSES: ReadonlySet<string> = new Set(['org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder']);

const LISTENER_PREFIX = /^listener\.name\.([^.]+)\.(.+)$/;

/** `key` for `listener` as Kafka reads it: the listener-prefixed value, the bare one, Kafka's default. */
export function listenerSetting(src: SettingsSource, listener: string, key: string): string | undefined {
  return src.raw(`listener.name.${listener.toLowerCase()}.${key}`) ?? src.raw(key) ?? nonEmpty(SECURITY_DEFAULTS[key]);
}

/** `key` without a listener prefix (bare value or Kafka's default). */
export function setting(src: SettingsSource, key: string): string | undefined {
  return src.raw(key) ?? nonEmpty(SECURITY_DEFAULTS[key]);
}

/** A non-negative integer setting of a listener, checked. */
export function listenerInt(src: SettingsSource, listener: string, key: string): number {
  const v = listenerSetting(src, listener, key) ?? '0';
  if (!/^\d+$/.test(v)) throw new SecurityConfigError(`${key}=${JSON.stringify(v)} (listener ${listener}) is invalid: expected a non-negative integer`);
  return Number(v);
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/**
 * Refuse every security-related key strand would not honour: unknown `ssl.*` / `sasl.*` keys,
 * listener-prefixed keys of unknown listeners or unknown settings, Java plug-in classes, and
 * mechanism-prefixed settings of mechanisms strand does not serve. `listenerNames` are the
 * names in `listeners`.
 */
export function checkSecurityKeys(src: SettingsSource, listenerNames: readonly string[]): void {
  const lower = new Set(listenerNames.map((n) => n.toLowerCase()));
  const refused: string[] = [];
  for (const [key, value] of src.entries()) {
    if (value === '') continue;
    if (MUST_BE_EMPTY.has(key) && !HONOURED_CLASSES.has(value)) {
      refused.push(`${key}=${value} (strand loads no Java classes)`);
      continue;
    }
    const m = LISTENER_PREFIX.exec(key);
    if (m !== null) {
      const [, name, rest] = m as unknown as [string, string, string];
      if (!lower.has(name)) refused.push(`${key} (no listener named ${name.toUpperCase()} in listeners)`);
      else if (rest === 'oauthbearer.sasl.server.callback.handler.class') {
        if (!OAUTH_VALIDATORS.has(value)) refused.push(`${key}=${value} (strand validates OAUTHBEARER tokens only as ${[...OAUTH_VALIDATORS][0]} does)`);
      } else if (!knownListenerKey(rest)) refused.push(`${key} (strand does not support ${rest})`);
      else if (MUST_BE_EMPTY.has(rest)) refused.push(`${key}=${value} (strand loads no Java classes)`);
      continue;
    }
    if (key.startsWith('ssl.') && !SSL_KEYS.has(key) && !SSL_JVM_ONLY.has(key)) refused.push(`${key} (strand does not support it)`);
    else if (key.startsWith('sasl.') && !SASL_KEYS.has(key) && !key.startsWith('sasl.kerberos.') && !key.startsWith('sasl.login.')) refused.push(`${key} (strand does not support it)`);
  }
  if (refused.length > 0) throw new SecurityConfigError(`refusing to start: security settings strand cannot honour: ${refused.join('; ')}`);
}

/** A key allowed after `listener.name.<name>.`: an ssl/sasl/listener key, or `<mechanism>.sasl.jaas.config`. */
function knownListenerKey(rest: string): boolean {
  if (SSL_KEYS.has(rest) || SSL_JVM_ONLY.has(rest) || SASL_KEYS.has(rest) || OTHER_LISTENER_KEYS.has(rest) || MUST_BE_EMPTY.has(rest)) return true;
  if (/^oauthbearer\.sasl\.oauthbearer\./.test(rest)) return SASL_KEYS.has(rest.slice('oauthbearer.'.length));
  const mech = /^([a-z0-9-]+)\.sasl\.jaas\.config$/.exec(rest);
  return mech !== null && SUPPORTED_MECHANISMS.includes(mech[1]!.toUpperCase());
}

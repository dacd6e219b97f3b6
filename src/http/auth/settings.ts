/**
 * The admin listener's authentication settings: `http.authentication.method` (NONE, BASIC,
 * BEARER, MTLS, the names Confluent's REST Proxy uses for its `authentication.method`),
 * `http.super.users` (else `super.users`) for who may change things, and
 * `http.metrics.authentication.enable`. Read and checked once, before anything is bound: a
 * method the broker cannot back (BEARER without a Kafka listener that validates OAUTHBEARER
 * tokens, MTLS without an https listener that asks for certificates) stops the start.
 */
import { ConfigError } from '../../broker/config.js';
import type { SettingsSource } from '../../security/settings.js';

export type HttpAuthMethod = 'NONE' | 'BASIC' | 'BEARER' | 'MTLS';

const METHODS: readonly HttpAuthMethod[] = ['NONE', 'BASIC', 'BEARER', 'MTLS'];

export interface HttpAuthSettings {
  readonly method: HttpAuthMethod;
  /** Principals who may change things; empty: see `mayChange` in access.ts. */
  readonly superUsers: ReadonlySet<string>;
  /** Whether /metrics needs authentication (only meaningful when `method` is not NONE). */
  readonly metricsProtected: boolean;
}

function principals(value: string | undefined, key: string): Set<string> {
  const out = new Set<string>();
  for (const entry of (value ?? '').split(';')) {
    const p = entry.trim();
    if (p === '') continue;
    // KafkaPrincipal.fromString: "<type>:<name>".
    if (p.indexOf(':') <= 0) throw new ConfigError(`${key}: ${JSON.stringify(p)} is not a principal (expected <type>:<name>, e.g. User:alice)`);
    out.add(p);
  }
  return out;
}

export function readHttpAuthSettings(src: SettingsSource | undefined): HttpAuthSettings {
  const raw = (src?.raw('http.authentication.method') ?? 'NONE').trim().toUpperCase();
  if (!METHODS.includes(raw as HttpAuthMethod)) throw new ConfigError(`http.authentication.method=${raw}: expected one of ${METHODS.join(', ')}`);
  const own = src?.raw('http.super.users');
  // Without authentication everyone is User:ANONYMOUS: super.users (meant for authenticated
  // principals) then restricts nothing, as it restricts nothing on a Kafka listener without an authorizer.
  const superUsers = own !== undefined ? principals(own, 'http.super.users') : raw === 'NONE' ? new Set<string>() : principals(src?.raw('super.users'), 'super.users');
  const metrics = (src?.raw('http.metrics.authentication.enable') ?? 'true').trim().toLowerCase();
  if (metrics !== 'true' && metrics !== 'false') throw new ConfigError(`http.metrics.authentication.enable=${metrics}: expected true or false`);
  return { method: raw as HttpAuthMethod, superUsers, metricsProtected: metrics === 'true' };
}

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
import { listenerInt, listenerSetting, type SettingsSource, SUPPORTED_MECHANISMS } from '../settings.js';
import { parseJaasConfig } from './jaas.js';
import type { SaslServer } from './mechanism.js';
import { PlainServer } from './plain.js';
import { ScramServer } from './scram.js';
import type { ScramMechanism } from './scram-formatter.js';

const LOGIN_MODULES: Readonly<Record<string, string>> = {
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
  for (const m of enabled) if (m.startsWith('SCRAM-')) jaasOf(m); // checked, not needed by the server side
  const users = plainUsers;
  return {
    mechanisms: enabled,
    reauthMs: listenerInt(src, listener, 'connections.max.reauth.ms'),
    failedAuthDelayMs: listenerInt(src, listener, 'connection.failed.authentication.delay.ms'),
    server(mechanism: string): SaslServer {
      if (mechanism === 'PLAIN') return new PlainServer(users!);
      return new ScramServer(mechanism as ScramMechanism, (u, m) => credentials.get(u, m));
    },
  };
}

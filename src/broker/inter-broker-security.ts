/**
 * How this broker's own connections to other brokers (replica fetchers, transaction markers)
 * are secured, read as Kafka reads it for its inter-broker client:
 *
 * - the protocol is the inter-broker listener's (`inter.broker.listener.name`, else
 *   `security.inter.broker.protocol`);
 * - SASL: `sasl.mechanism.inter.broker.protocol` (Kafka's default GSSAPI is refused: strand
 *   authenticates with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512), which the listener must enable
 *   (Kafka's KafkaConfig check); the credentials are the `username` and `password` options of
 *   `listener.name.<listener>.<mechanism>.sasl.jaas.config`, else of `sasl.jaas.config`;
 * - TLS: the listener's trust store (`ssl.truststore.location` or `ssl.truststore.certificates`,
 *   PEM) verifies the other brokers, the listener's key store is presented when they ask for a
 *   client certificate, and `ssl.endpoint.identification.algorithm` (default `https`; empty
 *   turns it off) checks the advertised host against their certificates.
 *
 * Anything missing stops the broker at start with a message naming the setting (fail closed).
 */
import type { ClientTlsOptions } from '../client/secure-socket.js';
import type { SaslClientOptions } from '../client/sasl-client.js';
import { SecurityConfigError } from '../security/errors.js';
import { resolveListeners, type SecurityProtocol, usesSasl, usesTls } from '../security/listeners.js';
import { parseJaasConfig } from '../security/sasl/jaas.js';
import { listenerSetting, type SettingsSource } from '../security/settings.js';
import { prepareTls } from '../security/tls.js';

export interface InterBrokerSecurity {
  readonly listener: string;
  readonly protocol: SecurityProtocol;
  readonly tls?: ClientTlsOptions;
  readonly sasl?: SaslClientOptions;
}

const LOGIN_MODULES = {
  PLAIN: 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule',
} as const;

type InterBrokerMechanism = keyof typeof LOGIN_MODULES;

const cache = new WeakMap<SettingsSource, InterBrokerSecurity>();

/** The inter-broker client's security of `src` (read once per configuration object). */
export function interBrokerSecurity(src: SettingsSource): InterBrokerSecurity {
  let s = cache.get(src);
  if (s === undefined) {
    s = readInterBrokerSecurity(src);
    cache.set(src, s);
  }
  return s;
}

/** The connection options (`tls`, `sasl`) for Connection.connect. */
export function interBrokerConnectOptions(src: SettingsSource): { tls?: ClientTlsOptions; sasl?: SaslClientOptions } {
  const { tls, sasl } = interBrokerSecurity(src);
  return { ...(tls !== undefined ? { tls } : {}), ...(sasl !== undefined ? { sasl } : {}) };
}

function readInterBrokerSecurity(src: SettingsSource): InterBrokerSecurity {
  const layout = resolveListeners(src);
  const listener = layout.interBrokerListener;
  const protocol = layout.listeners.find((l) => l.name === listener)?.securityProtocol;
  if (protocol === undefined) throw new SecurityConfigError(`the inter-broker listener ${listener} is not one of listeners`);
  return {
    listener,
    protocol,
    ...(usesTls(protocol) ? { tls: interBrokerTls(src, listener, protocol) } : {}),
    ...(usesSasl(protocol) ? { sasl: interBrokerSasl(src, listener) } : {}),
  };
}

function interBrokerTls(src: SettingsSource, listener: string, protocol: SecurityProtocol): ClientTlsOptions {
  const prefix = `listener.name.${listener.toLowerCase()}.`;
  // The listener's own TLS settings, already checked for serving; the client uses its trust and keys.
  const o = prepareTls(src, listener, protocol).options();
  if (o.ca === undefined) {
    throw new SecurityConfigError(`the inter-broker listener ${listener} uses ${protocol} but has no trust store to verify the other brokers: set ${prefix}ssl.truststore.location (ssl.truststore.type=PEM) or ssl.truststore.location`);
  }
  const algorithm = listenerSetting(src, listener, 'ssl.endpoint.identification.algorithm') ?? 'https';
  if (algorithm !== '' && algorithm.toLowerCase() !== 'https') throw new SecurityConfigError(`ssl.endpoint.identification.algorithm=${algorithm} (listener ${listener}): expected https or empty`);
  const tls: ClientTlsOptions = { ca: o.ca as Buffer, endpointIdentification: algorithm !== '' };
  if (o.pfx !== undefined) tls.pfx = o.pfx as Buffer;
  if (o.key !== undefined) tls.key = o.key as Buffer;
  if (o.cert !== undefined) tls.cert = o.cert as Buffer;
  if (o.passphrase !== undefined) tls.passphrase = o.passphrase;
  if (o.minVersion !== undefined) tls.minVersion = o.minVersion;
  if (o.maxVersion !== undefined) tls.maxVersion = o.maxVersion;
  return tls;
}

function interBrokerSasl(src: SettingsSource, listener: string): SaslClientOptions {
  const lower = listener.toLowerCase();
  const explicit = src.raw('sasl.mechanism.inter.broker.protocol');
  const mechanism = (explicit ?? 'GSSAPI').toUpperCase();
  if (!(mechanism in LOGIN_MODULES)) {
    throw new SecurityConfigError(`sasl.mechanism.inter.broker.protocol=${explicit ?? "GSSAPI (Kafka's default)"}: the inter-broker listener ${listener} uses SASL and strand's brokers authenticate to each other with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; set sasl.mechanism.inter.broker.protocol to one of them`);
  }
  const enabled = (listenerSetting(src, listener, 'sasl.enabled.mechanisms') ?? '').split(',').map((m) => m.trim().toUpperCase());
  if (!enabled.includes(mechanism)) throw new SecurityConfigError(`sasl.mechanism.inter.broker.protocol=${mechanism} must be included in sasl.enabled.mechanisms of the inter-broker listener ${listener} (${enabled.join(',')})`);
  const prefixed = `listener.name.${lower}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  const key = src.raw(prefixed) !== undefined ? prefixed : 'sasl.jaas.config';
  const text = src.raw(key);
  if (text === undefined) throw new SecurityConfigError(`the inter-broker listener ${listener} uses SASL ${mechanism} but no credentials are set: set ${prefixed} to ${LOGIN_MODULES[mechanism as InterBrokerMechanism]} required username="..." password="...";`);
  const jaas = parseJaasConfig(text, key);
  const module = LOGIN_MODULES[mechanism as InterBrokerMechanism];
  if (jaas.loginModule !== module) throw new SecurityConfigError(`${key}: ${jaas.loginModule} is not the login module of ${mechanism} (${module}), which the inter-broker client uses`);
  const username = jaas.options.get('username');
  const password = jaas.options.get('password');
  if (username === undefined || password === undefined) throw new SecurityConfigError(`${key}: the inter-broker client's ${mechanism} credentials need username="..." and password="..." options (${username === undefined ? 'username' : 'password'} is missing)`);
  return { mechanism: mechanism as InterBrokerMechanism, username, password };
}

/**
 * `--command-config FILE` (the name Kafka's tools use): Kafka client properties that secure the
 * CLI's connections. Read: `security.protocol`; `sasl.mechanism` with `sasl.jaas.config`
 * (PlainLoginModule/ScramLoginModule `username="..." password="..."`) or librdkafka's
 * `sasl.username`/`sasl.password` (`sasl.mechanisms` too), OAUTHBEARER with
 * `sasl.oauthbearer.token` (a token obtained elsewhere, as `strand` runs no token endpoint
 * client); `ssl.ca.location` or `ssl.truststore.location` (PEM), `ssl.certificate.location` and
 * `ssl.key.location` (`ssl.key.password`) for mTLS, `ssl.endpoint.identification.algorithm`.
 * A key strand does not read, or a value it cannot honour, is refused with its name: silently
 * dropping a security setting would connect with less protection than asked.
 */
import { readFileSync } from 'node:fs';
import type { ClientTlsOptions, SaslClientOptions } from '../client/connection.js';
import { parseProperties } from '../broker/config.js';
import { parseJaasConfig } from '../security/sasl/jaas.js';
import { UsageError } from './args.js';

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];
const KNOWN = new Set([
  'security.protocol', 'sasl.mechanism', 'sasl.mechanisms', 'sasl.jaas.config', 'sasl.username', 'sasl.password', 'sasl.oauthbearer.token',
  'ssl.ca.location', 'ssl.truststore.location', 'ssl.truststore.type', 'ssl.certificate.location', 'ssl.key.location', 'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
  // Accepted with no effect on what is protected.
  'client.id', 'request.timeout.ms',
]);

export interface ClientSecurity {
  tls?: ClientTlsOptions;
  sasl?: SaslClientOptions;
}

/** The connection security `file` asks for (none when `file` is undefined). */
export function readCommandConfig(file: string | undefined): ClientSecurity {
  if (file === undefined) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--command-config ${file}: cannot read it: ${(err as Error).message}`);
  }
  const props = parseProperties(text, file);
  const bad = (why: string) => new UsageError(`--command-config ${file}: ${why}`);
  const unknown = [...props.keys()].filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw bad(`strand does not read ${unknown.join(', ')}`);
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw bad(`security.protocol=${props.get('security.protocol')}: expected one of ${PROTOCOLS.join(', ')}`);
  const out: ClientSecurity = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') out.tls = tlsOf(props, bad);
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') out.sasl = saslOf(props, bad);
  else if (props.has('sasl.mechanism') || props.has('sasl.jaas.config') || props.has('sasl.username')) throw bad(`sasl.* settings need security.protocol=SASL_PLAINTEXT or SASL_SSL (it is ${protocol})`);
  return out;
}

function readPem(props: Map<string, string>, key: string, bad: (why: string) => Error): Buffer {
  const path = props.get(key)!;
  try {
    return readFileSync(path);
  } catch (err) {
    throw bad(`${key}=${path}: cannot read it: ${(err as Error).message}`);
  }
}

function tlsOf(props: Map<string, string>, bad: (why: string) => Error): ClientTlsOptions {
  const tls: ClientTlsOptions = {};
  const type = (props.get('ssl.truststore.type') ?? 'PEM').toUpperCase();
  if (props.has('ssl.truststore.location') && type !== 'PEM') throw bad(`ssl.truststore.type=${type}: strand reads PEM trust stores`);
  if (props.has('ssl.ca.location') && props.has('ssl.truststore.location')) throw bad('ssl.ca.location and ssl.truststore.location are both set; set one');
  const caKey = props.has('ssl.ca.location') ? 'ssl.ca.location' : props.has('ssl.truststore.location') ? 'ssl.truststore.location' : null;
  if (caKey !== null) tls.ca = readPem(props, caKey, bad);
  if (props.has('ssl.certificate.location') !== props.has('ssl.key.location')) throw bad('ssl.certificate.location and ssl.key.location go together (a client certificate and its key)');
  if (props.has('ssl.certificate.location')) {
    tls.cert = readPem(props, 'ssl.certificate.location', bad);
    tls.key = readPem(props, 'ssl.key.location', bad);
  }
  const password = props.get('ssl.key.password');
  if (password !== undefined) tls.passphrase = password;
  const algorithm = props.get('ssl.endpoint.identification.algorithm') ?? 'https';
  if (algorithm !== '' && algorithm.toLowerCase() !== 'https' && algorithm.toLowerCase() !== 'none') throw bad(`ssl.endpoint.identification.algorithm=${algorithm}: expected https or empty`);
  // librdkafka spells "off" as none, Kafka as an empty value.
  tls.endpointIdentification = algorithm.toLowerCase() === 'https';
  return tls;
}

function saslOf(props: Map<string, string>, bad: (why: string) => Error): SaslClientOptions {
  const mechanismKey = props.has('sasl.mechanism') ? 'sasl.mechanism' : 'sasl.mechanisms';
  // Kafka's client default is GSSAPI, which strand does not speak: ask for the mechanism.
  const mechanism = props.get(mechanismKey)?.toUpperCase();
  if (mechanism === undefined) throw bad('sasl.mechanism is not set (Kafka\'s default, GSSAPI, is not supported): set PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER');
  if (!MECHANISMS.includes(mechanism)) throw bad(`${mechanismKey}=${mechanism}: strand's client speaks ${MECHANISMS.join(', ')}`);
  if (mechanism === 'OAUTHBEARER') {
    const token = props.get('sasl.oauthbearer.token');
    if (token === undefined) throw bad('sasl.mechanism=OAUTHBEARER needs sasl.oauthbearer.token (a token obtained from the identity provider)');
    return { mechanism, token };
  }
  let username = props.get('sasl.username');
  let password = props.get('sasl.password');
  const jaasText = props.get('sasl.jaas.config');
  if (jaasText !== undefined) {
    if (username !== undefined || password !== undefined) throw bad('sasl.jaas.config and sasl.username/sasl.password are both set; set one');
    let jaas;
    try {
      jaas = parseJaasConfig(jaasText, 'sasl.jaas.config');
    } catch (err) {
      throw bad((err as Error).message);
    }
    const module = mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule';
    if (jaas.loginModule !== module) throw bad(`sasl.jaas.config: ${jaas.loginModule} is not the login module of ${mechanism} (${module})`);
    username = jaas.options.get('username');
    password = jaas.options.get('password');
  }
  if (username === undefined || password === undefined) throw bad(`sasl.mechanism=${mechanism} needs a username and password: sasl.jaas.config with username="..." password="...", or sasl.username and sasl.password`);
  return { mechanism: mechanism as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username, password };
}

/**
 * The `server.properties` reference: every setting strand reads, with its default and meaning,
 * rendered from the definitions the broker itself uses (BROKER_CONFIG with the cluster and quota
 * settings merged in, the security keys of src/security/settings.ts with Kafka's defaults, and
 * the settings accepted for compatibility only). docs/server.properties is this text, written by
 * `npm run gen:config-reference`; a test renders it again and compares, so it cannot drift.
 * Each setting is written commented out with its default, so the file is also a template.
 */
import { BROKER_CONFIG } from '../../broker/config.js';
import { CLUSTER_CONFIG } from '../../broker/cluster-config.js';
import { acceptedOnlyKeys } from '../../broker/dynamic-config.js';
import { QUOTA_CONFIG } from '../../security/quotas/config.js';
import { OTHER_LISTENER_KEYS, SASL_KEYS, SECURITY_DEFAULTS, SSL_KEYS } from '../../security/settings.js';

/**
 * What each security key means (the security layer defines the keys but documents them in
 * prose). A key added there without a line here makes the rendering fail, so the reference
 * cannot silently leave one out.
 */
const SECURITY_DOCS: Readonly<Record<string, string>> = {
  'listener.security.protocol.map': 'security protocol of each listener name, NAME:PROTOCOL,... (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)',
  'security.inter.broker.protocol': 'protocol of the listener brokers use between themselves when inter.broker.listener.name is not set (a cluster needs PLAINTEXT)',
  'ssl.keystore.type': 'format of the broker key store: PEM or PKCS12 (Java\'s JKS cannot be read; Kafka\'s default JKS is refused)',
  'ssl.keystore.location': 'file of the broker\'s private key and certificate chain',
  'ssl.keystore.password': 'password of the key store file (PKCS12)',
  'ssl.key.password': 'password of the private key (encrypted PEM keys)',
  'ssl.keystore.key': 'the private key inline, PEM (with ssl.keystore.type=PEM)',
  'ssl.keystore.certificate.chain': 'the certificate chain inline, PEM (with ssl.keystore.type=PEM)',
  'ssl.truststore.type': 'format of the trust store: PEM',
  'ssl.truststore.location': 'file of the CA certificates client certificates are checked against',
  'ssl.truststore.password': 'password of the trust store file',
  'ssl.truststore.certificates': 'the CA certificates inline, PEM',
  'ssl.client.auth': 'client certificates: none, requested or required (on SASL_SSL only with the listener prefix, KIP-684)',
  'ssl.principal.mapping.rules': 'rules mapping a certificate\'s distinguished name to a principal (Kafka\'s RULE:... syntax, DEFAULT keeps the name)',
  'ssl.enabled.protocols': 'TLS versions accepted',
  'ssl.protocol': 'TLS version preferred',
  'ssl.cipher.suites': 'cipher suites allowed (OpenSSL names); empty for OpenSSL\'s defaults',
  'sasl.enabled.mechanisms': 'SASL mechanisms served: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (Kafka\'s default GSSAPI is refused)',
  'sasl.jaas.config': 'JAAS configuration of a mechanism, usually per listener and mechanism: listener.name.<l>.<mechanism>.sasl.jaas.config (PLAIN users as user_<name>="<password>")',
  'sasl.mechanism.inter.broker.protocol': 'SASL mechanism brokers use between themselves',
  'sasl.oauthbearer.jwks.endpoint.url': 'OAUTHBEARER: URL (https:// or file://) of the JSON Web Key Set tokens are verified with',
  'sasl.oauthbearer.expected.audience': 'OAUTHBEARER: audiences a token must name (comma-separated)',
  'sasl.oauthbearer.expected.issuer': 'OAUTHBEARER: the issuer a token must name',
  'sasl.oauthbearer.sub.claim.name': 'OAUTHBEARER: the claim naming the principal',
  'sasl.oauthbearer.scope.claim.name': 'OAUTHBEARER: the claim holding the scopes',
  'sasl.oauthbearer.clock.skew.seconds': 'OAUTHBEARER: clock difference tolerated in a token\'s times',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': 'OAUTHBEARER: how often the key set is fetched again',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.ms': 'OAUTHBEARER: first pause after a failed key set fetch',
  'sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms': 'OAUTHBEARER: longest pause between key set fetches',
  'connections.max.reauth.ms': 'SASL sessions must re-authenticate within this time (0: never, KIP-368)',
  'connection.failed.authentication.delay.ms': 'delay before a connection that failed authentication is closed',
};

const WIDTH = 100;

function wrap(text: string, prefix: string): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const word of text.split(/\s+/)) {
    if (line.length > prefix.length && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = prefix;
    }
    line += (line.length > prefix.length ? ' ' : '') + word;
  }
  lines.push(line);
  return lines;
}

interface Entry {
  key: string;
  doc: string;
  type?: string;
  min?: number;
  default: string | null;
}

function section(title: string, intro: string, entries: readonly Entry[]): string[] {
  const out = ['', `############################# ${title} #############################`, '', ...wrap(intro, '# '), ''];
  for (const e of [...entries].sort((a, b) => a.key.localeCompare(b.key))) {
    out.push(...wrap(e.doc, '# '));
    const facts = [e.type !== undefined ? `type ${e.type}` : '', e.min !== undefined ? `at least ${e.min}` : '', e.default === null || e.default === '' ? 'no default' : ''].filter((f) => f !== '');
    if (facts.length > 0) out.push(`# (${facts.join(', ')})`);
    out.push(`#${e.key}=${e.default ?? ''}`, '');
  }
  return out;
}

const fromDefinitions = (defs: Readonly<Record<string, { kind: string; default: string; min?: number; doc: string }>>, keys: readonly string[]): Entry[] =>
  keys.map((key) => ({ key, doc: defs[key]!.doc, type: defs[key]!.kind, min: defs[key]!.min, default: defs[key]!.default }));

/** The whole reference, as docs/server.properties holds it. */
export function renderConfigReference(): string {
  const clusterKeys = new Set(Object.keys(CLUSTER_CONFIG));
  const quotaKeys = new Set(Object.keys(QUOTA_CONFIG));
  const brokerKeys = Object.keys(BROKER_CONFIG).filter((k) => !clusterKeys.has(k) && !quotaKeys.has(k));
  const securityKeys = [...new Set([...Object.keys(SECURITY_DEFAULTS), ...SSL_KEYS, ...SASL_KEYS, ...OTHER_LISTENER_KEYS])].filter((k) => !(k in BROKER_CONFIG));
  const undocumented = securityKeys.filter((k) => SECURITY_DOCS[k] === undefined);
  if (undocumented.length > 0) throw new Error(`config reference: no meaning written for ${undocumented.join(', ')} (add it to SECURITY_DOCS in src/cli/commands/config-reference.ts)`);
  const accepted = [...acceptedOnlyKeys()].filter(([k]) => !(k in BROKER_CONFIG)).map(([key, d]) => ({ key, doc: 'accepted for compatibility with Kafka\'s configurations; no effect in strand', type: d.kind, default: d.default }));
  const lines = [
    '# strand broker settings: every setting strand reads, with its default and meaning.',
    '# Generated from the setting definitions by `npm run gen:config-reference` (also',
    '# `strand config reference`); do not edit. Check a file with `strand config check FILE`.',
    '#',
    ...wrap('Settings use Kafka\'s names where Kafka has the setting. Sources, the later winning: this file (strand broker --config FILE), STRAND_* environment variables (STRAND_LOG_RETENTION_MS for log.retention.ms), then --override key=value flags. Every line below is commented out and shows the default; unknown keys are ignored, as Kafka ignores them.', '# '),
    ...section('Broker', 'Listeners, the data directory, logs (segments, retention, flush), requests, groups and transactions. Topic-level settings (retention.ms, cleanup.policy, ...) are set per topic; the log.* settings here are their broker-wide defaults.', fromDefinitions(BROKER_CONFIG, brokerKeys)),
    ...section('Cluster', 'Multi-broker mode, with the cluster metadata in etcd (cluster.etcd). A single broker reads none of these but min.insync.replicas and unclean.leader.election.enable.', fromDefinitions(BROKER_CONFIG, [...clusterKeys])),
    ...section('Quotas and connection limits', 'Client quotas themselves are set with kafka-configs / AlterClientQuotas; these are the broker-wide measures and limits.', fromDefinitions(BROKER_CONFIG, [...quotaKeys])),
    ...section('Security', 'TLS and SASL per listener. Each key may also be given for one listener as listener.name.<name>.<key> (the name in lower case), which wins over the bare key. A security key strand cannot honour stops the broker at start (fail closed).', securityKeys.map((key) => ({ key, doc: SECURITY_DOCS[key]!, default: SECURITY_DEFAULTS[key] ?? null }))),
    ...section('Accepted, no effect', 'Kafka settings strand accepts (and DescribeConfigs reports) so existing configurations keep working, but that change nothing here: thread counts and buffers of the JVM broker.', accepted),
  ];
  return lines.join('\n') + '\n';
}

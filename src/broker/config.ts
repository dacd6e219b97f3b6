/**
 * Broker configuration under Kafka's names, from (later wins): built-in defaults, a
 * `server.properties`-style file, `STRAND_*` environment variables (`STRAND_LOG_RETENTION_MS`
 * is `log.retention.ms`), and `--override key=value` flags. Unknown keys are kept (Kafka
 * ignores them with a warning too) so one file can serve both; bad values of known keys are
 * refused with a message that names the key and what it accepts.
 */
import { readFileSync } from 'node:fs';
import { KafkaErrorCode, StrandError } from '../errors.js';
import type { LogConfig } from '../storage/log-config.js';
import { CLUSTER_CONFIG } from './cluster-config.js';
import { QUOTA_CONFIG } from '../security/quotas/config.js';
import { flushPolicy } from './topic-config.js';

export class ConfigError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_CONFIG', KafkaErrorCode.INVALID_CONFIG);
  }
}

type Kind = 'int' | 'long' | 'bool' | 'string' | 'list';

interface Definition {
  kind: Kind;
  default: string;
  min?: number;
  /** The values a string setting accepts (besides empty: unset). */
  oneOf?: readonly string[];
  /** `oneOf` in any case (Kafka's CaseInsensitiveValidString); readers lower-case the value. */
  ignoreCase?: boolean;
  doc: string;
}

/** The broker settings strand understands, with Kafka's defaults unless noted. */
export const BROKER_CONFIG: Readonly<Record<string, Definition>> = {
  ...CLUSTER_CONFIG,
  ...QUOTA_CONFIG,
  'node.id': { kind: 'int', default: '0', min: 0, doc: 'this broker id (broker.id is accepted too)' },
  'broker.id': { kind: 'int', default: '-1', min: -1, doc: 'alias of node.id' },
  'listeners': { kind: 'list', default: 'PLAINTEXT://127.0.0.1:9092', doc: 'where to listen, e.g. PLAINTEXT://0.0.0.0:9092' },
  'advertised.listeners': { kind: 'list', default: '', doc: 'what clients are told to connect to; defaults to listeners' },
  'log.dirs': { kind: 'string', default: './strand-data', doc: 'data directory (log.dir is accepted too; one directory)' },
  'log.dir': { kind: 'string', default: '', doc: 'alias of log.dirs' },
  'cluster.id': { kind: 'string', default: '', doc: 'cluster id; generated and stored in meta.properties when empty' },
  'num.partitions': { kind: 'int', default: '1', min: 1, doc: 'partitions of auto-created topics' },
  'default.replication.factor': { kind: 'int', default: '1', min: 1, doc: 'replication factor of auto-created topics' },
  'auto.create.topics.enable': { kind: 'bool', default: 'true', doc: 'create unknown topics on Metadata/Produce' },
  'delete.topic.enable': { kind: 'bool', default: 'true', doc: 'allow DeleteTopics' },
  'message.max.bytes': { kind: 'int', default: '1048588', min: 0, doc: 'largest record batch accepted' },
  'message.max.decompressed.bytes': { kind: 'int', default: '-1', min: -1, doc: 'strand only: largest size the records of one compressed batch may decompress to (INVALID_RECORD above it); -1: the larger of 64 MiB and 64 x the topic max.message.bytes, at most 1 GiB' },
  'log.segment.bytes': { kind: 'int', default: String(1024 * 1024 * 1024), min: 1024, doc: 'segment size' },
  'log.roll.ms': { kind: 'long', default: '', doc: 'segment age before a roll (overrides log.roll.hours)' },
  'log.roll.hours': { kind: 'int', default: '168', min: 1, doc: 'segment age before a roll' },
  'log.retention.ms': { kind: 'long', default: '', doc: 'retention time (overrides minutes and hours); -1 keeps forever' },
  'log.retention.minutes': { kind: 'int', default: '', doc: 'retention time in minutes' },
  'log.retention.hours': { kind: 'int', default: '168', doc: 'retention time in hours' },
  'log.retention.bytes': { kind: 'long', default: '-1', min: -1, doc: 'retention size per partition; -1 unlimited' },
  'log.retention.check.interval.ms': { kind: 'long', default: '300000', min: 1, doc: 'how often retention runs' },
  'log.index.interval.bytes': { kind: 'int', default: '4096', min: 0, doc: 'bytes between offset index entries' },
  'log.flush.interval.messages': { kind: 'long', default: '', min: 1, doc: 'fsync after this many messages (default: never); 1 acknowledges each append after its fsync (a group commit), above 1 the fsync runs in the background, as in Kafka. Topics: flush.messages' },
  'log.flush.interval.ms': { kind: 'long', default: '', min: 0, doc: 'fsync at least this often; appends are acknowledged after the next periodic group fsync. Topics: flush.ms' },
  'log.flush.offset.checkpoint.interval.ms': { kind: 'int', default: '60000', min: 0, doc: 'how often the recovery point is checkpointed' },
  'log.cleaner.enable': { kind: 'bool', default: 'true', doc: 'compact topics whose cleanup.policy includes compact, in the background' },
  'log.cleaner.backoff.ms': { kind: 'long', default: '15000', min: 0, doc: 'how long the cleaner sleeps when no log needs cleaning' },
  'socket.request.max.bytes': { kind: 'int', default: String(100 * 1024 * 1024), min: 1, doc: 'largest request frame accepted' },
  'connections.max.idle.ms': { kind: 'long', default: '600000', min: 1, doc: 'close connections idle this long' },
  'queued.max.requests': { kind: 'int', default: '500', min: 1, doc: 'unanswered requests per connection before it stops being read' },
  'queued.max.request.bytes': { kind: 'long', default: '-1', min: -1, doc: 'unanswered request bytes across all connections before no connection reads its next request, as Kafka; -1 unbounded' },
  'queued.max.request.bytes.per.connection': { kind: 'long', default: String(64 * 1024 * 1024), min: 1, doc: 'strand only: unanswered request bytes of one connection before it stops being read' },
  'queued.max.response.bytes': { kind: 'long', default: String(256 * 1024 * 1024), min: -1, doc: 'strand only (Kafka has no such setting: it mutes a connection while its response is sent, one response in flight per connection): response bytes held across all connections, answered and not yet taken by the kernel; while at it, connections that hold some are not read and start no Fetch until it falls, and connections that hold none are served; -1 unbounded' },
  'queued.max.response.bytes.per.connection': { kind: 'long', default: String(64 * 1024 * 1024), min: 1, doc: 'strand only: response bytes of one connection written but not yet taken by the client (or waiting behind an earlier response); while above it, no further Fetch of that connection is started and it stops being read, until the client reads' },
  'fetch.max.bytes': { kind: 'int', default: String(55 * 1024 * 1024), min: 1024, doc: 'The maximum number of bytes we will return for a fetch request. Must be at least 1024.' },
  'offsets.topic.num.partitions': { kind: 'int', default: '50', min: 1, doc: 'partitions of __consumer_offsets' },
  'group.initial.rebalance.delay.ms': { kind: 'int', default: '3000', min: 0, doc: 'delay of the first rebalance of a new group' },
  'group.consumer.migration.policy': { kind: 'string', default: 'bidirectional', oneOf: ['disabled', 'upgrade', 'downgrade', 'bidirectional'], ignoreCase: true, doc: 'converting a non-empty classic group to a consumer-protocol group (KIP-848) when a consumer-protocol member joins (upgrade), back when the last one leaves (downgrade), both, or neither; empty groups convert either way always' },
  'transaction.state.log.num.partitions': { kind: 'int', default: '50', min: 1, doc: 'partitions of __transaction_state' },
  'transaction.state.log.segment.bytes': { kind: 'int', default: '104857600', min: 1024, doc: 'segment size of __transaction_state' },
  'transaction.max.timeout.ms': { kind: 'int', default: '900000', min: 1, doc: 'largest transaction.timeout.ms a producer may ask for' },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { kind: 'int', default: '10000', min: 1, doc: 'how often transactions past their timeout are aborted' },
  'transactional.id.expiration.ms': { kind: 'int', default: '604800000', min: 1, doc: 'forget transactional ids without a transaction this long' },
  'transaction.remove.expired.transaction.cleanup.interval.ms': { kind: 'int', default: '3600000', min: 1, doc: 'how often expired transactional ids are removed' },
  // Confluent Server's broker-side schema validation (src/broker/schema-validation.ts).
  'confluent.schema.registry.url': { kind: 'string', default: '', doc: 'the Schema Registry that topics with confluent.key.schema.validation or confluent.value.schema.validation are checked against (the first of a comma-separated list); empty: this broker\'s own, on its first http.listeners' },
  // The admin HTTP listener (src/http/): metrics, health, the console, REST Proxy, Schema Registry.
  'http.listeners': { kind: 'list', default: '', doc: 'strand only: admin HTTP listeners, http://host:port or https://host:port, comma-separated; none by default; a listener without a host binds 127.0.0.1' },
  'http.authentication.method': { kind: 'string', default: 'NONE', oneOf: ['NONE', 'BASIC', 'BEARER', 'MTLS'], doc: 'strand only: how admin HTTP clients authenticate, as the principals of the Kafka listeners: BASIC (a SCRAM user of the broker, or a PLAIN user of a Kafka listener), BEARER (an OAUTHBEARER JWT, checked with the keys of the Kafka listener that enables OAUTHBEARER), MTLS (the client certificate of an https listener, mapped by http.ssl.principal.mapping.rules); /health and /ready are always open' },
  'http.super.users': { kind: 'string', default: '', doc: 'strand only: principals (User:alice;User:bob) who may change things over HTTP (create and delete topics); empty: those of super.users, and when that is empty too and no authorizer is configured, every authenticated principal' },
  'http.metrics.authentication.enable': { kind: 'bool', default: 'true', doc: 'strand only: whether /metrics needs authentication when http.authentication.method is set (false lets Prometheus scrape without credentials; the metrics name topics and groups)' },
  'http.ssl.keystore.type': { kind: 'string', default: 'PEM', oneOf: ['PEM', 'PKCS12'], doc: 'strand only: format of http.ssl.keystore.location (the key password, if any, in http.ssl.key.password or http.ssl.keystore.password, which DescribeConfigs never lists)' },
  'http.ssl.keystore.location': { kind: 'string', default: '', doc: 'strand only: file of the https listeners\' private key and certificate chain; changes are reloaded' },
  'http.ssl.truststore.location': { kind: 'string', default: '', doc: 'strand only: PEM file of the CA certificates https client certificates are checked against' },
  'http.ssl.client.auth': { kind: 'string', default: 'none', oneOf: ['none', 'requested', 'required'], doc: 'strand only: client certificates on https listeners, as ssl.client.auth' },
  'http.ssl.principal.mapping.rules': { kind: 'string', default: 'DEFAULT', doc: 'strand only: rules mapping an https client certificate to a principal, as ssl.principal.mapping.rules' },
  'http.ssl.enabled.protocols': { kind: 'list', default: 'TLSv1.2,TLSv1.3', doc: 'strand only: TLS versions https listeners accept' },
  'http.ssl.cipher.suites': { kind: 'list', default: '', doc: 'strand only: cipher suites https listeners allow; empty for OpenSSL\'s defaults' },
};

/** Raw key/value pairs from one source. */
export type ConfigSource = Map<string, string>;

/** Parse `server.properties` text: `key=value` or `key: value`, `#`/`!` comments. */
export function parseProperties(text: string, origin = 'properties'): ConfigSource {
  const out: ConfigSource = new Map();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m === null) throw new ConfigError(`${origin}:${i + 1}: expected key=value, got ${JSON.stringify(raw)}`);
    out.set(m[1]!, m[2]!.trim());
  });
  return out;
}

/** `STRAND_LOG_RETENTION_MS=1` → `log.retention.ms=1` for every known key (and unknown STRAND_CFG_ ones). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigSource {
  const out: ConfigSource = new Map();
  for (const key of Object.keys(BROKER_CONFIG)) {
    const name = 'STRAND_' + key.toUpperCase().replace(/\./g, '_');
    const v = env[name];
    if (v !== undefined) out.set(key, v);
  }
  return out;
}

/** `--override key=value` flags. */
export function parseOverrides(list: readonly string[]): ConfigSource {
  const out: ConfigSource = new Map();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--override ${JSON.stringify(item)} is not key=value; e.g. --override log.retention.ms=60000`);
    out.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  return out;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

/** `PLAINTEXT://host:port` (host may be empty for all interfaces, or [ipv6]). */
export function parseListener(spec: string): Listener {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(spec.trim());
  if (m === null) throw new ConfigError(`listener ${JSON.stringify(spec)} is not NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`listener ${spec}: port ${port} is above 65535`);
  return { name: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

/** Kafka's DescribeConfigs sources of the broker layers (see topic-config.ts ConfigSource). */
const SOURCE_DYNAMIC_BROKER = 2;
const SOURCE_DYNAMIC_DEFAULT = 3;
const SOURCE_STATIC = 4;

/** A value set in one layer of the broker config, with its DescribeConfigs source. */
export interface LayerValue {
  value: string;
  source: number;
}

export class BrokerConfig {
  private readonly values: Map<string, string>;
  /** Kafka's dynamic broker configs: this broker's (resource name = node id) and the cluster-wide default (""). */
  private dynamicBroker: ReadonlyMap<string, string> = new Map();
  private dynamicDefault: ReadonlyMap<string, string> = new Map();

  constructor(...sources: ConfigSource[]) {
    this.values = new Map();
    for (const [k, d] of Object.entries(BROKER_CONFIG)) this.values.set(k, d.default);
    for (const s of sources) for (const [k, v] of s) this.values.set(k, v);
    for (const [k, d] of Object.entries(BROKER_CONFIG)) validate(k, this.values.get(k)!, d);
  }

  static fromFile(path: string, ...later: ConfigSource[]): BrokerConfig {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
    }
    return new BrokerConfig(parseProperties(text, path), ...later);
  }

  /** Every key with its effective value (known defaults included). */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }

  /** Whether `key` was set by a source (static or dynamic) rather than left at its default. */
  isDefault(key: string): boolean {
    return !this.dynamicBroker.has(key) && !this.dynamicDefault.has(key) && this.values.get(key) === BROKER_CONFIG[key]?.default;
  }

  /** The value in force: dynamic per-broker, else dynamic default, else static (Kafka's precedence). */
  raw(key: string): string | undefined {
    const v = this.dynamicBroker.get(key) ?? this.dynamicDefault.get(key) ?? this.values.get(key);
    return v === '' ? undefined : v;
  }

  /** The dynamic configs of one level (per broker, or the cluster-wide default). */
  dynamic(perBroker: boolean): ReadonlyMap<string, string> {
    return perBroker ? this.dynamicBroker : this.dynamicDefault;
  }

  /** Replace the dynamic layers (validated by the caller, see dynamic-config.ts). */
  setDynamic(perBroker: ReadonlyMap<string, string>, clusterDefault: ReadonlyMap<string, string>): void {
    this.dynamicBroker = new Map(perBroker);
    this.dynamicDefault = new Map(clusterDefault);
  }

  /** A copy with other dynamic layers, to validate a change before it is made. */
  withDynamic(perBroker: ReadonlyMap<string, string>, clusterDefault: ReadonlyMap<string, string>): BrokerConfig {
    const copy = new BrokerConfig(this.values);
    copy.setDynamic(perBroker, clusterDefault);
    return copy;
  }

  /**
   * Where `key` is set, highest precedence first: dynamic per-broker (source 2), dynamic
   * default (3), static (4, only when it differs from the built-in default, as before).
   */
  setLayers(key: string): LayerValue[] {
    const out: LayerValue[] = [];
    const b = this.dynamicBroker.get(key);
    if (b !== undefined) out.push({ value: b, source: SOURCE_DYNAMIC_BROKER });
    const d = this.dynamicDefault.get(key);
    if (d !== undefined) out.push({ value: d, source: SOURCE_DYNAMIC_DEFAULT });
    const s = this.values.get(key);
    if (s !== undefined && s !== '' && s !== BROKER_CONFIG[key]?.default) out.push({ value: s, source: SOURCE_STATIC });
    return out;
  }

  int(key: string): number {
    return Number(this.raw(key) ?? BROKER_CONFIG[key]?.default);
  }

  bool(key: string): boolean {
    return this.raw(key) === 'true';
  }

  get nodeId(): number {
    const b = this.int('broker.id');
    return b >= 0 && this.isDefault('node.id') ? b : this.int('node.id');
  }

  get dataDir(): string {
    return this.raw('log.dir') ?? this.raw('log.dirs')!.split(',')[0]!;
  }

  get listeners(): Listener[] {
    return this.raw('listeners')!.split(',').map(parseListener);
  }

  get advertisedListeners(): Listener[] {
    const adv = this.raw('advertised.listeners');
    return adv === undefined ? this.listeners : adv.split(',').map(parseListener);
  }

  /** Broker-wide defaults of the per-log settings (Kafka's log.* keys). */
  logDefaults(): Partial<LogConfig> {
    const retentionMs = this.raw('log.retention.ms') !== undefined ? this.int('log.retention.ms')
      : this.raw('log.retention.minutes') !== undefined ? this.int('log.retention.minutes') * 60_000
        : this.int('log.retention.hours') * 3_600_000;
    const rollMs = this.raw('log.roll.ms') !== undefined ? this.int('log.roll.ms') : this.int('log.roll.hours') * 3_600_000;
    const flushMs = this.raw('log.flush.interval.ms');
    const flushMessages = this.raw('log.flush.interval.messages');
    const never = Number.POSITIVE_INFINITY;
    return {
      segmentBytes: this.int('log.segment.bytes'),
      segmentMs: rollMs,
      retentionMs,
      retentionBytes: this.int('log.retention.bytes'),
      indexIntervalBytes: this.int('log.index.interval.bytes'),
      maxMessageBytes: this.int('message.max.bytes'),
      flush: flushPolicy(flushMessages === undefined ? never : Number(flushMessages), flushMs === undefined ? never : Number(flushMs)),
    };
  }
}

/** Check a value of a known broker key as a static value would be checked (throws ConfigError). */
export function validateBrokerValue(key: string, value: string): void {
  const d = BROKER_CONFIG[key];
  if (d !== undefined) validate(key, value, d);
}

function validate(key: string, value: string, d: Definition): void {
  if (value === '') return;
  const bad = (what: string) => new ConfigError(`${key}=${JSON.stringify(value)} is invalid: ${what} (${d.doc})`);
  switch (d.kind) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(value)) throw bad('expected an integer');
      const n = Number(value);
      if (d.kind === 'int' && (n > 2 ** 31 - 1 || n < -(2 ** 31))) throw bad('out of the int32 range');
      if (d.min !== undefined && n < d.min) throw bad(`must be at least ${d.min}`);
      break;
    }
    case 'bool':
      if (value !== 'true' && value !== 'false') throw bad('expected true or false');
      break;
    case 'string':
      if (d.oneOf !== undefined && !d.oneOf.includes(d.ignoreCase === true ? value.toLowerCase() : value)) throw bad(`expected one of ${d.oneOf.join(', ')}`);
      break;
    default:
      break;
  }
}

/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): what AlterConfigs and
 * IncrementalAlterConfigs may change on the broker resource at runtime, per broker (resource
 * name = node id) or as the cluster-wide default (""), how a change is checked (Kafka's
 * DynamicBrokerConfig.validateConfigs, in Kafka's order and with its messages), persisted
 * (`<data-dir>/__strand_metadata/broker-configs`, JSON, written atomically) and applied: the
 * log.* defaults of topic configs reconfigure every open log, as Kafka's DynamicLogConfig does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KafkaErrorCode, StorageIOError, StrandError } from '../errors.js';
import { io } from '../io/index.js';
import { BROKER_CONFIG, type BrokerConfig, validateBrokerValue } from './config.js';
import type { AdminTopics } from './topics.js';
import { checkBrokerTopicDefaults, TOPIC_CONFIGS } from './topic-config.js';

export const BROKER_CONFIGS_FILE = join('__strand_metadata', 'broker-configs');
const FILE_VERSION = 1;

/** A refused change: Kafka answers INVALID_REQUEST for these (ConfigAdminManager, KAFKA-13609). */
export class DynamicConfigError extends StrandError {
  constructor(message: string, kafkaCode: KafkaErrorCode = KafkaErrorCode.INVALID_REQUEST) {
    super(message, 'ERR_STRAND_DYNAMIC_CONFIG', kafkaCode);
  }
}

type Kind = 'int' | 'long' | 'double' | 'bool' | 'string' | 'list';

/**
 * Kafka's dynamic broker settings strand has no use for (no such thread pool, quota, or
 * cleaner buffer): accepted, checked for type, persisted and described as Kafka would, so tools
 * that set them work, but they change nothing.
 */
const ACCEPTED_ONLY: ReadonlyMap<string, { kind: Kind; default: string | null; min?: number }> = new Map([
  ['log.cleaner.threads', { kind: 'int', default: '1', min: 0 }],
  ['log.cleaner.dedupe.buffer.size', { kind: 'long', default: '134217728' }],
  ['log.cleaner.io.buffer.load.factor', { kind: 'double', default: '0.9' }],
  ['log.cleaner.io.buffer.size', { kind: 'int', default: '524288', min: 0 }],
  ['log.cleaner.io.max.bytes.per.second', { kind: 'double', default: '1.7976931348623157E308' }],
  ['num.io.threads', { kind: 'int', default: '8', min: 1 }],
  ['num.network.threads', { kind: 'int', default: '3', min: 1 }],
  ['num.replica.fetchers', { kind: 'int', default: '1' }],
  ['num.recovery.threads.per.data.dir', { kind: 'int', default: '2', min: 1 }],
  ['background.threads', { kind: 'int', default: '10', min: 1 }],
  ['max.connections', { kind: 'int', default: '2147483647', min: 0 }],
  ['max.connections.per.ip', { kind: 'int', default: '2147483647', min: 0 }],
  ['max.connections.per.ip.overrides', { kind: 'string', default: '' }],
  ['max.connection.creation.rate', { kind: 'int', default: '2147483647', min: 0 }],
  ['producer.id.expiration.ms', { kind: 'int', default: '86400000', min: 1 }],
  ['transaction.partition.verification.enable', { kind: 'bool', default: 'true' }],
  ['metric.reporters', { kind: 'list', default: '' }],
]);

/** strand settings Kafka also changes at runtime; applied where strand reads them per use. */
const DYNAMIC_STRAND_KEYS: ReadonlySet<string> = new Set(['message.max.bytes', 'log.cleaner.backoff.ms']);

/**
 * The log.* settings of Kafka's DynamicLogConfig.ReconfigurableConfigs: the primary broker
 * synonym of each topic config (log.retention.ms, not log.retention.hours), except the
 * deprecated log.message.format.version.
 */
const DYNAMIC_LOG_KEYS: ReadonlySet<string> = new Set(
  [...TOPIC_CONFIGS.values()].map((d) => d.synonyms[0]?.name).filter((n): n is string => n !== undefined && n !== 'log.message.format.version'),
);

/** Kafka's per-broker-only listener settings (DynamicListenerConfig, PerBrokerConfigs). */
const LISTENER_KEYS: ReadonlySet<string> = new Set(['listeners', 'advertised.listeners', 'listener.security.protocol.map']);
const isListenerPrefixed = (k: string) => /^listener\.name\.[^.]*\..+/.test(k);
const isSecurity = (k: string) => k.startsWith('ssl.') || k.startsWith('sasl.');

/** Whether Kafka lets `key` change at runtime (its DynamicBrokerConfig.AllDynamicConfigs, as far as strand knows them). */
export function isDynamicBrokerConfig(key: string): boolean {
  return DYNAMIC_LOG_KEYS.has(key) || DYNAMIC_STRAND_KEYS.has(key) || ACCEPTED_ONLY.has(key) || LISTENER_KEYS.has(key) || isListenerPrefixed(key);
}

/** Broker keys only dynamic configs describe (strand has no static setting for them), with Kafka's default. */
export function acceptedOnlyKeys(): ReadonlyMap<string, { kind: Kind; default: string | null }> {
  return ACCEPTED_ONLY;
}

const knownStatic = (key: string) => key in BROKER_CONFIG || [...TOPIC_CONFIGS.values()].some((d) => d.synonyms.some((s) => s.name === key));
const scalaSet = (keys: readonly string[]) => `Set(${keys.join(', ')})`;

/**
 * Check the whole new dynamic config set of one level (`perBroker`: this broker's, else the
 * cluster default), in Kafka's order: read-only keys, bare security keys, value types, per-broker
 * keys at the default level; then what strand refuses: listener and security settings (strand
 * has no listener reconfiguration or security) and keys it does not know. Throws DynamicConfigError.
 */
export function checkDynamicConfigs(config: BrokerConfig, props: ReadonlyMap<string, string>, perBroker: boolean): BrokerConfig {
  const keys = [...props.keys()];
  const readOnly = keys.filter((k) => knownStatic(k) && !isDynamicBrokerConfig(k));
  if (readOnly.length > 0) throw new DynamicConfigError(`Cannot update these configs dynamically: ${scalaSet(readOnly)}`);
  const bareSecurity = keys.filter((k) => k.startsWith('ssl.'));
  if (bareSecurity.length > 0) throw new DynamicConfigError(`These security configs can be dynamically updated only per-listener using the listener prefix: ${scalaSet(bareSecurity)}`);
  for (const [k, v] of props) checkType(k, v);
  const perBrokerOnly = keys.filter((k) => LISTENER_KEYS.has(k) || isListenerPrefixed(k));
  if (!perBroker && perBrokerOnly.length > 0) throw new DynamicConfigError(`Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(perBrokerOnly)}`);
  // Fail closed: strand sets up its listeners, TLS and SASL once, at start, so it cannot honour these.
  const unsupported = keys.filter((k) => LISTENER_KEYS.has(k) || isListenerPrefixed(k) || isSecurity(k));
  if (unsupported.length > 0) throw new DynamicConfigError(`strand cannot change listener or security settings at runtime (listeners, TLS and SASL are set up at start; changed certificate files are reloaded without a config change): ${unsupported.join(', ')}`, KafkaErrorCode.INVALID_CONFIG);
  const unknown = keys.filter((k) => !isDynamicBrokerConfig(k));
  // Kafka stores unknown keys without using them; strand refuses them so a typo is not silently kept.
  if (unknown.length > 0) throw new DynamicConfigError(`Unknown broker configs: ${unknown.join(', ')}; strand changes at runtime: ${[...DYNAMIC_LOG_KEYS, ...DYNAMIC_STRAND_KEYS, ...ACCEPTED_ONLY.keys()].sort().join(', ')}`, KafkaErrorCode.INVALID_CONFIG);
  const candidate = perBroker ? config.withDynamic(props, config.dynamic(false)) : config.withDynamic(config.dynamic(true), props);
  try {
    for (const [k, v] of props) validateBrokerValue(k, v);
    checkBrokerTopicDefaults(candidate);
  } catch (err) {
    if (err instanceof StrandError) throw new DynamicConfigError(err.message);
    throw err;
  }
  return candidate;
}

/** Kafka's ConfigDef type check: "Invalid value X for configuration K: Not a number of type LONG". */
function checkType(key: string, value: string): void {
  const kind = brokerConfigKind(key);
  const bad = (what: string) => new DynamicConfigError(`Invalid value ${value} for configuration ${key}: ${what}`);
  const v = value.trim();
  switch (kind) {
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(v)) throw bad(`Not a number of type ${kind.toUpperCase()}`);
      const n = BigInt(v);
      const max = kind === 'int' ? 2n ** 31n - 1n : 2n ** 63n - 1n;
      if (n > max || n < -max - 1n) throw bad(`Not a number of type ${kind.toUpperCase()}`);
      const min = ACCEPTED_ONLY.get(key)?.min;
      if (min !== undefined && n < BigInt(min)) throw bad(`Value must be at least ${min}`);
      break;
    }
    case 'double':
      if (v === '' || !Number.isFinite(Number(v))) throw bad('Not a number of type DOUBLE');
      break;
    case 'bool':
    case 'boolean':
      if (v.toLowerCase() !== 'true' && v.toLowerCase() !== 'false') throw bad('Expected value to be either true or false');
      break;
    default:
      break;
  }
}

/** The type of a broker setting strand knows (int, long, list, ...), or undefined. */
export function brokerConfigKind(key: string): string | undefined {
  return ACCEPTED_ONLY.get(key)?.kind ?? (BROKER_CONFIG[key] as { kind: string } | undefined)?.kind ?? topicKind(key);
}

function topicKind(key: string): string | undefined {
  for (const d of TOPIC_CONFIGS.values()) if (d.synonyms[0]?.name === key) return d.kind;
  return undefined;
}

interface BrokerConfigsFile {
  version: number;
  default: Record<string, string>;
  brokers: Record<string, Record<string, string>>;
}

/** Read the persisted dynamic configs and put this broker's and the default in force (at start, before the logs open). */
export function loadDynamicConfigs(config: BrokerConfig): void {
  const path = join(config.dataDir, BROKER_CONFIGS_FILE);
  if (!existsSync(path)) return;
  let file: BrokerConfigsFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as BrokerConfigsFile;
  } catch (err) {
    throw new StorageIOError(`dynamic broker configs ${path} are unreadable (${(err as Error).message}); restore the file or move it away to start with the static config only`, path, { cause: err });
  }
  if (file.version > FILE_VERSION) throw new StorageIOError(`dynamic broker configs ${path} have format version ${file.version}; this strand reads up to ${FILE_VERSION}`, path);
  stored.set(config, file);
  config.setDynamic(new Map(Object.entries(file.brokers?.[String(config.nodeId)] ?? {})), new Map(Object.entries(file.default ?? {})));
}

/** The whole file as last read or written (other brokers' entries kept, as a shared data directory would need). */
const stored = new WeakMap<BrokerConfig, BrokerConfigsFile>();
/** Changes of one broker are made one at a time: each reads the layers the previous one left. */
const chains = new WeakMap<BrokerConfig, Promise<unknown>>();

/**
 * Replace one level's dynamic configs with `next` (after `compute` derives it from the current
 * ones): check, persist, then put in force and reconfigure every open log whose topic leaves the
 * changed settings to the broker (a topic's override still wins: toLogConfig resolves it).
 */
export function alterDynamicConfigs(
  config: BrokerConfig, topics: AdminTopics, perBroker: boolean,
  compute: (current: ReadonlyMap<string, string>) => Map<string, string>, validateOnly: boolean,
): Promise<void> {
  const run = async () => {
    const next = compute(config.dynamic(perBroker));
    checkDynamicConfigs(config, next, perBroker);
    if (validateOnly) return;
    const file: BrokerConfigsFile = stored.get(config) ?? { version: FILE_VERSION, default: {}, brokers: {} };
    const sorted = Object.fromEntries([...next].sort(([a], [b]) => (a < b ? -1 : 1)));
    const updated: BrokerConfigsFile = perBroker
      ? { ...file, version: FILE_VERSION, brokers: { ...file.brokers, [String(config.nodeId)]: sorted } }
      : { ...file, version: FILE_VERSION, default: sorted };
    const path = join(config.dataDir, BROKER_CONFIGS_FILE);
    // The metadata directory appears with the first topic; a new directory entry is made durable too.
    if ((await mkdir(dirname(path), { recursive: true })) !== undefined) await io.syncDirectory(config.dataDir);
    await io.writeFileAtomic(path, JSON.stringify(updated, null, 2) + '\n', 'checkpoint');
    stored.set(config, updated);
    if (perBroker) config.setDynamic(next, config.dynamic(false));
    else config.setDynamic(config.dynamic(true), next);
    for (const t of topics.list()) {
      const logConfig = topics.logConfig(t.name);
      for (let p = 0; p < t.partitions; p++) topics.log(t.name, p)?.reconfigure(logConfig);
    }
  };
  const done = (chains.get(config) ?? Promise.resolve()).then(run, run);
  chains.set(config, done.catch(() => {}));
  return done;
}

/**
 * Kafka's topic-level configs (what a Kafka 3.9 broker's DescribeConfigs shows for a topic):
 * their types, validation, the broker settings each inherits from (Kafka's "synonyms", e.g.
 * retention.ms ← log.retention.ms / log.retention.minutes / log.retention.hours), how they are
 * described (value, source, synonyms), and how they map onto the storage's LogConfig.
 *
 * Overrides are stored as the strings a client sent, normalized (trimmed; booleans lower-case;
 * lists joined with ","), under Kafka's names.
 */
import { StrandError, KafkaErrorCode } from '../errors.js';
import { type CleanupPolicy, DEFAULT_LOG_CONFIG, type FlushPolicy, type LogConfig } from '../storage/log-config.js';
import type { BrokerConfig } from './config.js';
import { checkPlacement } from '../cluster/placement.js';
import { SUBJECT_NAME_STRATEGIES } from './schema-validation.js';
import { checkMessageFormatVersion } from './message-format-version.js';

/** A bad topic config: Kafka's INVALID_CONFIG (40), with what is wrong and what is accepted. */
export class InvalidConfigError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_INVALID_CONFIG', KafkaErrorCode.INVALID_CONFIG);
  }
}

/** DescribeConfigs config sources (org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** DescribeConfigs v3+ config types (DescribeConfigsResponse.ConfigType). */
export const ConfigType = { UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;

export type TopicConfigKind = 'boolean' | 'string' | 'int' | 'long' | 'double' | 'list';

/** A broker setting a topic config inherits from, with Kafka's default for it (null: none). */
export interface BrokerSynonym {
  readonly name: string;
  readonly kafkaDefault: string | null;
  /** Multiply the broker value by this to get the topic value (hours → ms: 3600000). */
  readonly factor?: number;
}

export interface TopicConfigDef {
  readonly name: string;
  readonly kind: TopicConfigKind;
  /** Kafka's default when neither the topic nor the broker sets it. */
  readonly default: string;
  /** Broker settings it inherits from, highest priority first. */
  readonly synonyms: readonly BrokerSynonym[];
  readonly doc: string;
  readonly min?: bigint;
  readonly max?: bigint;
  /** Allowed values (for lists: of each item). */
  readonly oneOf?: readonly string[];
  /** Extra check of the normalized value: a description of what is accepted, or null if fine. */
  readonly check?: (value: string) => string | null;
  /** Kafka's own check of a value given under `name` (the topic config or a broker synonym): its whole message, or null if fine. */
  readonly kafkaCheck?: (name: string, value: string) => string | null;
  /** Listed by DescribeConfigs only where the topic sets it (not one of the configs Kafka 3.9 lists for every topic). */
  readonly describedOnlyWhenSet?: boolean;
}

const LONG_MAX = '9223372036854775807';
const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX_N = 2n ** 63n - 1n;
/** strand's storage needs room for a segment header; Kafka's floor (14 bytes) is below it. */
const MIN_SEGMENT_BYTES = 1024n;
const HOUR = 3_600_000;
const MINUTE = 60_000;

const syn = (name: string, kafkaDefault: string | null, factor?: number): BrokerSynonym => (factor === undefined ? { name, kafkaDefault } : { name, kafkaDefault, factor });

const THROTTLED = (v: string) => (v === '' || v === '*' || v.split(',').every((p) => /^\d+:\d+$/.test(p)) ? null : 'a list of partitionId:brokerId pairs, "*" or empty');

const DEFS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', kind: 'list', default: 'delete', oneOf: ['compact', 'delete'], synonyms: [syn('log.cleanup.policy', 'delete')], doc: 'retention policy of old segments: "delete" (by time/size), "compact" (latest value per key), or both' },
  { name: 'compression.gzip.level', kind: 'int', default: '-1', check: (v) => (v === '-1' || (Number(v) >= 1 && Number(v) <= 9) ? null : '-1 or an integer in [1, 9]'), synonyms: [syn('compression.gzip.level', '-1')], doc: 'gzip level used when compression.type is gzip' },
  { name: 'compression.lz4.level', kind: 'int', default: '9', min: 1n, max: 17n, synonyms: [syn('compression.lz4.level', '9')], doc: 'lz4 level used when compression.type is lz4' },
  { name: 'compression.type', kind: 'string', default: 'producer', oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'], synonyms: [syn('compression.type', 'producer')], doc: 'final compression of the topic\'s data; "producer" keeps what the producer sent' },
  { name: 'compression.zstd.level', kind: 'int', default: '3', min: -131072n, max: 22n, synonyms: [syn('compression.zstd.level', '3')], doc: 'zstd level used when compression.type is zstd' },
  { name: 'confluent.key.schema.validation', kind: 'boolean', default: 'false', describedOnlyWhenSet: true, synonyms: [], doc: 'refuse records whose key is not in Confluent\'s wire format with a schema id registered under the key subject (Confluent Server; needs http.listeners, see schema-validation.ts)' },
  { name: 'confluent.key.subject.name.strategy', kind: 'string', default: 'io.confluent.kafka.serializers.subject.TopicNameStrategy', oneOf: SUBJECT_NAME_STRATEGIES, describedOnlyWhenSet: true, synonyms: [], doc: 'the key subject of confluent.key.schema.validation: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy (Confluent\'s class names)' },
  { name: 'confluent.placement.constraints', kind: 'string', default: '', check: checkPlacement, describedOnlyWhenSet: true, synonyms: [], doc: 'replica placement by rack with observers, as Confluent Server takes it (JSON; a strand cluster only)' },
  { name: 'confluent.value.schema.validation', kind: 'boolean', default: 'false', describedOnlyWhenSet: true, synonyms: [], doc: 'refuse records whose value is not in Confluent\'s wire format with a schema id registered under the value subject (Confluent Server; needs http.listeners, see schema-validation.ts)' },
  { name: 'confluent.value.subject.name.strategy', kind: 'string', default: 'io.confluent.kafka.serializers.subject.TopicNameStrategy', oneOf: SUBJECT_NAME_STRATEGIES, describedOnlyWhenSet: true, synonyms: [], doc: 'the value subject of confluent.value.schema.validation: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy (Confluent\'s class names)' },
  { name: 'delete.retention.ms', kind: 'long', default: '86400000', min: 0n, synonyms: [syn('log.cleaner.delete.retention.ms', '86400000')], doc: 'how long delete tombstones are kept in compacted topics' },
  { name: 'file.delete.delay.ms', kind: 'long', default: '60000', min: 0n, synonyms: [syn('log.segment.delete.delay.ms', '60000')], doc: 'time to wait before deleting a file from the filesystem' },
  { name: 'flush.messages', kind: 'long', default: LONG_MAX, min: 1n, synonyms: [syn('log.flush.interval.messages', LONG_MAX)], doc: 'fsync after this many messages; 1 makes every append durable before it is acknowledged (strand: as a group commit); above 1 the fsync runs in the background and appends are acknowledged at once, as in Kafka (with flush.ms set too, they are acknowledged after the next fsync, whichever started it)' },
  { name: 'flush.ms', kind: 'long', default: LONG_MAX, min: 0n, synonyms: [syn('log.flush.interval.ms', null), syn('log.flush.scheduler.interval.ms', LONG_MAX)], doc: 'fsync at least this often; appends are acknowledged after the next periodic group fsync' },
  { name: 'follower.replication.throttled.replicas', kind: 'list', default: '', check: THROTTLED, synonyms: [], doc: 'replicas whose log replication is throttled on the follower side' },
  { name: 'index.interval.bytes', kind: 'int', default: '4096', min: 0n, synonyms: [syn('log.index.interval.bytes', '4096')], doc: 'bytes of log between offset index entries' },
  { name: 'leader.replication.throttled.replicas', kind: 'list', default: '', check: THROTTLED, synonyms: [], doc: 'replicas whose log replication is throttled on the leader side' },
  { name: 'local.retention.bytes', kind: 'long', default: '-2', min: -2n, synonyms: [syn('log.local.retention.bytes', '-2')], doc: 'local size bound with tiered storage; -2 means retention.bytes' },
  { name: 'local.retention.ms', kind: 'long', default: '-2', min: -2n, synonyms: [syn('log.local.retention.ms', '-2')], doc: 'local time bound with tiered storage; -2 means retention.ms' },
  { name: 'max.compaction.lag.ms', kind: 'long', default: LONG_MAX, min: 1n, synonyms: [syn('log.cleaner.max.compaction.lag.ms', LONG_MAX)], doc: 'longest time a message stays ineligible for compaction' },
  { name: 'max.message.bytes', kind: 'int', default: '1048588', min: 0n, synonyms: [syn('message.max.bytes', '1048588')], doc: 'largest record batch the topic accepts' },
  { name: 'message.downconversion.enable', kind: 'boolean', default: 'true', synonyms: [syn('log.message.downconversion.enable', 'true')], doc: 'whether old consumers may get down-converted messages' },
  { name: 'message.format.version', kind: 'string', default: '3.0-IV1', kafkaCheck: checkMessageFormatVersion, synonyms: [syn('log.message.format.version', '3.0-IV1')], doc: '[deprecated] message format version' },
  { name: 'message.timestamp.after.max.ms', kind: 'long', default: LONG_MAX, min: 0n, synonyms: [syn('log.message.timestamp.after.max.ms', LONG_MAX)], doc: 'how far in the future a CreateTime timestamp may be' },
  { name: 'message.timestamp.before.max.ms', kind: 'long', default: LONG_MAX, min: 0n, synonyms: [syn('log.message.timestamp.before.max.ms', LONG_MAX)], doc: 'how far in the past a CreateTime timestamp may be' },
  { name: 'message.timestamp.difference.max.ms', kind: 'long', default: LONG_MAX, min: 0n, synonyms: [syn('log.message.timestamp.difference.max.ms', LONG_MAX)], doc: '[deprecated] largest difference between a CreateTime timestamp and the broker clock' },
  { name: 'message.timestamp.type', kind: 'string', default: 'CreateTime', oneOf: ['CreateTime', 'LogAppendTime'], synonyms: [syn('log.message.timestamp.type', 'CreateTime')], doc: 'whether record timestamps are the producer\'s (CreateTime) or the broker\'s (LogAppendTime)' },
  { name: 'min.cleanable.dirty.ratio', kind: 'double', default: '0.5', synonyms: [syn('log.cleaner.min.cleanable.ratio', '0.5')], check: (v) => (Number(v) >= 0 && Number(v) <= 1 ? null : 'a number in [0, 1]'), doc: 'share of uncompacted log that triggers compaction' },
  { name: 'min.compaction.lag.ms', kind: 'long', default: '0', min: 0n, synonyms: [syn('log.cleaner.min.compaction.lag.ms', '0')], doc: 'shortest time a message stays uncompacted' },
  { name: 'min.insync.replicas', kind: 'int', default: '1', min: 1n, synonyms: [syn('min.insync.replicas', '1')], doc: 'in-sync replicas needed for an acks=all write' },
  { name: 'preallocate', kind: 'boolean', default: 'false', synonyms: [syn('log.preallocate', 'false')], doc: 'reserve disk for a whole segment when it is created' },
  { name: 'remote.log.copy.disable', kind: 'boolean', default: 'false', synonyms: [], doc: 'stop copying segments to tiered storage' },
  { name: 'remote.log.delete.on.disable', kind: 'boolean', default: 'false', synonyms: [], doc: 'delete tiered data when tiered storage is disabled for the topic' },
  { name: 'remote.storage.enable', kind: 'boolean', default: 'false', check: (v) => (v === 'false' ? null : 'false (strand has no tiered storage)'), synonyms: [], doc: 'tiered storage for the topic (not available in strand)' },
  { name: 'retention.bytes', kind: 'long', default: '-1', synonyms: [syn('log.retention.bytes', '-1')], doc: 'largest size of a partition before old segments are deleted; -1 unlimited' },
  { name: 'retention.ms', kind: 'long', default: '604800000', min: -1n, synonyms: [syn('log.retention.ms', null), syn('log.retention.minutes', null, MINUTE), syn('log.retention.hours', '168', HOUR)], doc: 'how long a segment is kept after its newest record; -1 keeps data forever' },
  { name: 'segment.bytes', kind: 'int', default: '1073741824', min: MIN_SEGMENT_BYTES, synonyms: [syn('log.segment.bytes', '1073741824')], doc: 'segment file size' },
  { name: 'segment.index.bytes', kind: 'int', default: '10485760', min: 4n, synonyms: [syn('log.index.size.max.bytes', '10485760')], doc: 'size of a segment\'s offset index' },
  { name: 'segment.jitter.ms', kind: 'long', default: '0', min: 0n, synonyms: [syn('log.roll.jitter.ms', null), syn('log.roll.jitter.hours', '0', HOUR)], doc: 'random jitter subtracted from segment.ms' },
  { name: 'segment.ms', kind: 'long', default: '604800000', min: 1n, synonyms: [syn('log.roll.ms', null), syn('log.roll.hours', '168', HOUR)], doc: 'age after which the active segment is rolled' },
  { name: 'unclean.leader.election.enable', kind: 'boolean', default: 'false', synonyms: [syn('unclean.leader.election.enable', 'false')], doc: 'whether an out-of-sync replica may become leader' },
];

/** Every topic config, by Kafka name, in Kafka's (alphabetical) order. */
export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDef> = new Map(DEFS.map((d) => [d.name, d]));

/** The broker settings topic configs inherit from (name → Kafka default), for broker DescribeConfigs. */
export const TOPIC_CONFIG_BROKER_SYNONYMS: ReadonlyMap<string, { kafkaDefault: string | null; kind: TopicConfigKind }> = new Map(
  DEFS.flatMap((d) => d.synonyms.map((s) => [s.name, { kafkaDefault: s.kafkaDefault, kind: s.factor === undefined ? d.kind : 'long' }] as const)),
);

export const CONFIG_TYPE_OF_KIND: Readonly<Record<TopicConfigKind, number>> = { boolean: ConfigType.BOOLEAN, string: ConfigType.STRING, int: ConfigType.INT, long: ConfigType.LONG, double: ConfigType.DOUBLE, list: ConfigType.LIST };

/** The broker's view used here: raw values and whether a key was set (BrokerConfig fits). */
export type BrokerSettings = Pick<BrokerConfig, 'raw' | 'isDefault'> & Partial<Pick<BrokerConfig, 'setLayers'>>;

/** Where a broker setting is set, highest precedence first (dynamic per-broker, dynamic default, static). */
function brokerLayers(broker: BrokerSettings, key: string): Array<{ value: string; source: number }> {
  if (broker.setLayers !== undefined) return broker.setLayers(key);
  const raw = brokerSet(broker, key);
  return raw === undefined ? [] : [{ value: raw, source: ConfigSource.STATIC_BROKER_CONFIG }];
}

function accepted(d: TopicConfigDef): string {
  if (d.oneOf !== undefined) return d.kind === 'list' ? `a comma-separated list of ${d.oneOf.join(', ')}` : `one of ${d.oneOf.join(', ')}`;
  switch (d.kind) {
    case 'boolean':
      return 'true or false';
    case 'int':
    case 'long': {
      const what = d.kind === 'int' ? 'a 32-bit integer' : 'a 64-bit integer';
      if (d.min !== undefined && d.max !== undefined) return `${what} in [${d.min}, ${d.max}]`;
      return d.min !== undefined ? `${what} >= ${d.min}` : what;
    }
    case 'double':
      return 'a number';
    default:
      return 'a string';
  }
}

/**
 * Check one topic config and return its normalized value. Throws InvalidConfigError for an
 * unknown name, a null value, or a value of the wrong type or out of range.
 */
export function validateTopicConfig(name: string, value: string | null | undefined): string {
  const d = TOPIC_CONFIGS.get(name);
  if (d === undefined) throw new InvalidConfigError(`unknown topic config ${JSON.stringify(name)}; topic configs use Kafka's topic-level names, e.g. retention.ms, cleanup.policy, max.message.bytes`);
  if (value === null || value === undefined) throw new InvalidConfigError(`null value not supported for topic config ${name}`);
  const bad = (what: string) => new InvalidConfigError(`invalid value ${JSON.stringify(value)} for topic config ${name}: expected ${what}`);
  const v = value.trim();
  switch (d.kind) {
    case 'boolean': {
      const lower = v.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw bad('true or false');
      if (d.check?.(lower)) throw bad(d.check(lower)!);
      return lower;
    }
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(v)) throw bad(accepted(d));
      const n = BigInt(v);
      const [lo, hi] = d.kind === 'int' ? [INT_MIN, INT_MAX] : [LONG_MIN, LONG_MAX_N];
      if (n < lo || n > hi || (d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)) throw bad(accepted(d));
      const s = n.toString();
      if (d.check?.(s)) throw bad(d.check(s)!);
      return s;
    }
    case 'double': {
      const n = v === '' ? NaN : Number(v);
      if (!Number.isFinite(n)) throw bad(d.check?.('NaN') ?? 'a number');
      const s = String(n);
      if (d.check?.(s)) throw bad(d.check(s)!);
      return s;
    }
    case 'list': {
      const items = v === '' ? [] : v.split(/\s*,\s*/);
      if (d.oneOf !== undefined && items.some((i) => !d.oneOf!.includes(i))) throw bad(accepted(d));
      const s = items.join(',');
      if (d.check?.(s)) throw bad(d.check(s)!);
      return s;
    }
    default: {
      if (d.oneOf !== undefined && !d.oneOf.includes(v)) throw bad(accepted(d));
      if (d.check?.(v)) throw bad(d.check(v)!);
      const kafka = d.kafkaCheck?.(name, v);
      if (kafka) throw new InvalidConfigError(kafka);
      return v;
    }
  }
}

/** Validate a set of overrides (as a CreateTopics or AlterConfigs request gives them); returns them normalized. */
export function validateTopicConfigs(configs: Iterable<readonly [string, string | null]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of configs) {
    if (out.has(name)) throw new InvalidConfigError(`topic config ${name} is given more than once`);
    out.set(name, validateTopicConfig(name, value));
  }
  return out;
}

export interface ConfigSynonymValue {
  name: string;
  value: string | null;
  source: number;
}

/** One config as DescribeConfigs (and CreateTopics v5+) shows it. */
export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  isSensitive: boolean;
  configType: number;
  documentation: string;
  /** Where the value comes from, highest priority first (always computed; send only if asked). */
  synonyms: ConfigSynonymValue[];
}

/** A broker synonym's value as the topic value (hours → ms), or null if the broker value is unusable. */
function fromBroker(d: TopicConfigDef, s: BrokerSynonym, raw: string): string | null {
  let v: string;
  if (s.factor !== undefined) {
    if (!/^[+-]?\d+$/.test(raw.trim())) return null;
    const n = BigInt(raw.trim()) * BigInt(s.factor);
    v = n < 0n ? '-1' : n.toString();
  } else v = raw;
  try {
    return validateTopicConfig(d.name, v);
  } catch {
    return null;
  }
}

/** A broker setting explicitly given (file, environment, flags) rather than left at its default. */
function brokerSet(broker: BrokerSettings, key: string): string | undefined {
  const raw = broker.raw(key);
  return raw !== undefined && !broker.isDefault(key) ? raw : undefined;
}

/**
 * How one topic config resolves: the topic's override, else the broker's setting, else Kafka's
 * default. The synonyms are Kafka's (ConfigHelper.createTopicConfigEntry): the override, then
 * the broker settings that are set, then those with a default, each list in priority order, and
 * only from the config's primary broker setting on. So when `log.retention.ms` is not set,
 * retention.ms lists no broker synonym at all, even if `log.retention.hours` is set (its value
 * still applies): Kafka drops what comes before the first synonym named like the primary.
 */
export function describeTopicConfig(name: string, overrides: ReadonlyMap<string, string>, broker: BrokerSettings): DescribedConfig {
  const d = TOPIC_CONFIGS.get(name);
  if (d === undefined) throw new InvalidConfigError(`unknown topic config ${JSON.stringify(name)}`);
  const inherited: ConfigSynonymValue[] = [];
  let fromBrokerValue: string | null = null;
  // Kafka (ConfigHelper.configSynonyms) lists layer by layer: every synonym's dynamic per-broker
  // value, then every dynamic default, then every static one.
  const set: Array<ConfigSynonymValue & { converted: string }> = [];
  for (const s of d.synonyms) {
    for (const { value, source } of brokerLayers(broker, s.name)) {
      const converted = fromBroker(d, s, value);
      if (converted === null) continue; // checkBrokerTopicDefaults refuses these at start
      set.push({ name: s.name, value, source, converted });
    }
  }
  set.sort((a, b) => a.source - b.source); // stable: synonym order within a layer
  for (const { converted, ...synonym } of set) {
    inherited.push(synonym);
    fromBrokerValue ??= converted;
  }
  for (const s of d.synonyms) {
    if (s.kafkaDefault === null) continue;
    inherited.push({ name: s.name, value: s.kafkaDefault, source: ConfigSource.DEFAULT_CONFIG });
    fromBrokerValue ??= fromBroker(d, s, s.kafkaDefault);
  }
  const primary = inherited.findIndex((s) => s.name === d.synonyms[0]?.name);
  const synonyms = primary < 0 ? [] : inherited.slice(primary);
  const override = overrides.get(name);
  if (override !== undefined) synonyms.unshift({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  return {
    name,
    value: override ?? fromBrokerValue ?? d.default,
    source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
    readOnly: false,
    isSensitive: false,
    configType: CONFIG_TYPE_OF_KIND[d.kind],
    documentation: d.doc,
    synonyms,
  };
}

/** Every topic config (or those of `keys` that exist; null or empty: all, as Kafka), described. */
export function describeTopicConfigs(overrides: ReadonlyMap<string, string>, broker: BrokerSettings, keys?: readonly string[] | null): DescribedConfig[] {
  const names = keys === undefined || keys === null || keys.length === 0 ? [...TOPIC_CONFIGS.values()].filter((d) => !d.describedOnlyWhenSet || overrides.has(d.name)).map((d) => d.name) : keys.filter((k) => TOPIC_CONFIGS.has(k));
  return names.map((n) => describeTopicConfig(n, overrides, broker));
}

/** The value of one topic config in force for a topic with `overrides`. */
export function topicConfigValue(name: string, overrides: ReadonlyMap<string, string>, broker: BrokerSettings): string {
  return describeTopicConfig(name, overrides, broker).value!;
}

/**
 * Refuse broker settings that topic configs inherit but that are not valid for them (e.g.
 * `log.cleanup.policy=sometimes` in server.properties), naming the key and what it accepts.
 */
export function checkBrokerTopicDefaults(broker: BrokerSettings): void {
  for (const d of DEFS) {
    for (const s of d.synonyms) {
      const raw = brokerSet(broker, s.name);
      if (raw === undefined || fromBroker(d, s, raw) !== null) continue;
      const kafka = s.factor === undefined ? d.kafkaCheck?.(s.name, raw.trim()) : null;
      if (kafka) throw new InvalidConfigError(kafka);
      throw new InvalidConfigError(`broker setting ${s.name}=${JSON.stringify(raw)} is invalid: it is the default of topic config ${d.name}, which expects ${accepted(d)}`);
    }
  }
}

/** A long config as a JS number for storage, with Kafka's "practically never" (>= 2^53) as Infinity. */
function num(v: string): number {
  const n = BigInt(v);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(n);
}

/** Longest setTimeout delay; a flush interval above it is never reached in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The storage flush policy for Kafka's flush.messages and flush.ms (or the broker's
 * log.flush.interval.messages and log.flush.interval.ms), each as resolved on its own (a topic
 * override wins over the broker's setting, as in Kafka). Infinity (Kafka's Long.MAX_VALUE
 * default, or any count past 2^53) and intervals no timer reaches mean "never".
 * flush.messages=1 is 'always'; N > 1 fsyncs every N messages in the background; flush.ms
 * adds a periodic group fsync that appends wait for.
 */
export function flushPolicy(messages: number, ms: number): FlushPolicy {
  const byCount = Number.isSafeInteger(messages) && messages >= 1;
  const byTime = Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_TIMER_MS;
  if (byCount && messages === 1) return 'always';
  if (byCount && byTime) return { intervalMs: ms, messages };
  if (byCount) return { messages };
  return byTime ? { intervalMs: ms } : 'none';
}

/**
 * The storage settings for a topic with `overrides` on this broker: every LogConfig field the
 * topic configs decide. flush.messages and flush.ms give the flush policy (see flushPolicy).
 * preallocate=true reserves
 * a whole segment. Values Kafka uses as "never" (Long.MAX_VALUE) become -1 or the largest safe
 * number. cleanup.policy and the compaction settings (min.cleanable.dirty.ratio,
 * delete.retention.ms, min/max.compaction.lag.ms) drive the log cleaner, and a compacted log
 * refuses keyless records. compression.gzip/zstd.level set the level of the broker's
 * recompression (KIP-390). Topic configs read elsewhere (message.timestamp.*, ...) are read
 * with `topicConfigValue`.
 */
export function toLogConfig(overrides: ReadonlyMap<string, string>, broker: BrokerSettings): Partial<LogConfig> {
  const get = (name: string) => topicConfigValue(name, overrides, broker);
  const segmentBytes = Number(get('segment.bytes'));
  const retentionMs = num(get('retention.ms'));
  const retentionBytes = num(get('retention.bytes'));
  const segmentMs = num(get('segment.ms'));
  const flush = flushPolicy(num(get('flush.messages')), num(get('flush.ms')));
  return {
    segmentBytes,
    segmentMs: Number.isFinite(segmentMs) ? segmentMs : Number.MAX_SAFE_INTEGER,
    indexIntervalBytes: Number(get('index.interval.bytes')),
    retentionMs: Number.isFinite(retentionMs) ? retentionMs : -1,
    retentionBytes: retentionBytes < 0 || !Number.isFinite(retentionBytes) ? -1 : retentionBytes,
    maxMessageBytes: Number(get('max.message.bytes')),
    flush,
    preallocateBytes: get('preallocate') === 'true' ? segmentBytes : DEFAULT_LOG_CONFIG.preallocateBytes,
    // Kafka's compression.type: 'producer' keeps each batch's codec, otherwise the broker recompresses.
    compression: get('compression.type') as LogConfig['compression'],
    // KIP-390 levels of that recompression. compression.lz4.level is accepted but not applied:
    // lz4-napi (lz4_flex) has one speed and no high-compression mode.
    compressionGzipLevel: Number(get('compression.gzip.level')),
    compressionZstdLevel: Number(get('compression.zstd.level')),
    maxDecompressedBytes: decompressedBound(broker),
    ...compactionConfig(get),
  };
}

/** strand's message.max.decompressed.bytes (no topic-level synonym: Kafka has no such setting); 0 is read as -1. */
function decompressedBound(broker: BrokerSettings): number {
  const n = Number(broker.raw('message.max.decompressed.bytes') ?? -1);
  return n > 0 ? n : -1;
}

/** cleanup.policy and the log cleaner's settings as LogConfig fields. */
function compactionConfig(get: (name: string) => string): Pick<LogConfig, 'cleanupPolicy' | 'minCleanableDirtyRatio' | 'deleteRetentionMs' | 'minCompactionLagMs' | 'maxCompactionLagMs'> {
  const items = new Set(get('cleanup.policy').split(',').filter((p) => p !== ''));
  const cleanupPolicy: CleanupPolicy = items.has('compact') ? (items.has('delete') ? 'compact,delete' : 'compact') : items.has('delete') ? 'delete' : 'none';
  const finite = (v: string) => Math.min(num(v), Number.MAX_SAFE_INTEGER);
  return {
    cleanupPolicy,
    minCleanableDirtyRatio: Number(get('min.cleanable.dirty.ratio')),
    deleteRetentionMs: finite(get('delete.retention.ms')),
    minCompactionLagMs: finite(get('min.compaction.lag.ms')),
    maxCompactionLagMs: finite(get('max.compaction.lag.ms')),
  };
}

import { describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../src/errors.js';
import { BrokerConfig } from '../../src/broker/config.js';
import {
  checkBrokerTopicDefaults, ConfigSource, ConfigType, describeTopicConfig, describeTopicConfigs, InvalidConfigError, TOPIC_CONFIGS, toLogConfig,
  topicConfigValue, validateTopicConfig, validateTopicConfigs,
} from '../../src/broker/topic-config.js';
import { resolveLogConfig } from '../../src/storage/log-config.js';

const none = new Map<string, string>();
const broker = (entries: Record<string, string> = {}) => new BrokerConfig(new Map(Object.entries(entries)));

function invalid(fn: () => unknown): InvalidConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    expect((err as InvalidConfigError).kafkaCode).toBe(KafkaErrorCode.INVALID_CONFIG);
    return err as InvalidConfigError;
  }
  throw new Error('expected InvalidConfigError');
}

describe('topic configs', () => {
  it('knows every topic-level config a Kafka 3.9 broker describes for a topic, and Confluent Server\'s placement constraints (observers) and schema validation', () => {
    const expected = [
      'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level', 'confluent.key.schema.validation',
      'confluent.key.subject.name.strategy', 'confluent.placement.constraints', 'confluent.value.schema.validation', 'confluent.value.subject.name.strategy', 'delete.retention.ms',
      'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas', 'index.interval.bytes',
      'leader.replication.throttled.replicas', 'local.retention.bytes', 'local.retention.ms', 'max.compaction.lag.ms', 'max.message.bytes',
      'message.downconversion.enable', 'message.format.version', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms',
      'message.timestamp.difference.max.ms', 'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas',
      'preallocate', 'remote.log.copy.disable', 'remote.log.delete.on.disable', 'remote.storage.enable', 'retention.bytes', 'retention.ms',
      'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable',
    ];
    expect([...TOPIC_CONFIGS.keys()]).toEqual(expected);
    // Every default is itself valid.
    for (const d of TOPIC_CONFIGS.values()) expect(validateTopicConfig(d.name, d.default)).toBe(d.default);
  });

  it('accepts and normalizes good values', () => {
    expect(validateTopicConfig('retention.ms', ' 60000 ')).toBe('60000');
    expect(validateTopicConfig('retention.ms', '-1')).toBe('-1');
    expect(validateTopicConfig('flush.messages', '9223372036854775807')).toBe('9223372036854775807');
    expect(validateTopicConfig('cleanup.policy', 'compact , delete')).toBe('compact,delete');
    expect(validateTopicConfig('preallocate', 'TRUE')).toBe('true');
    expect(validateTopicConfig('min.cleanable.dirty.ratio', '.25')).toBe('0.25');
    expect(validateTopicConfig('compression.type', 'zstd')).toBe('zstd');
    expect(validateTopicConfig('message.timestamp.type', 'LogAppendTime')).toBe('LogAppendTime');
    expect(validateTopicConfig('compression.gzip.level', '-1')).toBe('-1');
    expect(validateTopicConfig('leader.replication.throttled.replicas', '0:1,1:1')).toBe('0:1,1:1');
    expect(validateTopicConfig('message.format.version', '2.8-IV1')).toBe('2.8-IV1');
  });

  it('refuses bad values with INVALID_CONFIG, saying what is wrong and what is accepted', () => {
    expect(invalid(() => validateTopicConfig('retention.ms', 'soon')).message).toMatch(/invalid value "soon" for topic config retention\.ms: expected a 64-bit integer >= -1/);
    expect(invalid(() => validateTopicConfig('retention.ms', '-2')).message).toMatch(/>= -1/);
    expect(invalid(() => validateTopicConfig('segment.bytes', '100')).message).toMatch(/segment\.bytes.*>= 1024/);
    expect(invalid(() => validateTopicConfig('segment.bytes', '4294967296')).message).toMatch(/32-bit/);
    expect(invalid(() => validateTopicConfig('flush.messages', '9223372036854775808')).message).toMatch(/64-bit/);
    expect(invalid(() => validateTopicConfig('cleanup.policy', 'sometimes')).message).toMatch(/comma-separated list of compact, delete/);
    expect(invalid(() => validateTopicConfig('compression.type', 'brotli')).message).toMatch(/one of uncompressed, zstd, lz4, snappy, gzip, producer/);
    expect(invalid(() => validateTopicConfig('preallocate', 'yes')).message).toMatch(/true or false/);
    expect(invalid(() => validateTopicConfig('min.cleanable.dirty.ratio', '1.5')).message).toMatch(/\[0, 1\]/);
    expect(invalid(() => validateTopicConfig('min.cleanable.dirty.ratio', 'half')).message).toMatch(/\[0, 1\]/);
    expect(invalid(() => validateTopicConfig('compression.lz4.level', '18')).message).toMatch(/\[1, 17\]/);
    expect(invalid(() => validateTopicConfig('compression.gzip.level', '0')).message).toMatch(/-1 or an integer in \[1, 9\]/);
    expect(invalid(() => validateTopicConfig('remote.storage.enable', 'true')).message).toMatch(/tiered storage/);
    expect(invalid(() => validateTopicConfig('min.insync.replicas', '0')).message).toMatch(/>= 1/);
    expect(invalid(() => validateTopicConfig('retention.ms', null)).message).toMatch(/null value/);
    expect(invalid(() => validateTopicConfig('retention.msec', '1')).message).toMatch(/unknown topic config "retention\.msec"/);
    expect(invalid(() => validateTopicConfig('log.retention.ms', '1')).message).toMatch(/unknown topic config/);
    expect(invalid(() => validateTopicConfigs([['retention.ms', '1'], ['retention.ms', '2']])).message).toMatch(/more than once/);
  });

  it('inherits from the broker: override, then a set broker synonym (converted), then Kafka defaults', () => {
    const plain = describeTopicConfig('retention.ms', none, broker());
    expect(plain).toMatchObject({ value: '604800000', source: ConfigSource.DEFAULT_CONFIG, readOnly: false, isSensitive: false, configType: ConfigType.LONG });
    // As in Kafka, no broker synonym is listed while log.retention.ms (the primary) is not set.
    expect(plain.synonyms).toEqual([]);

    const minutes = describeTopicConfig('retention.ms', none, broker({ 'log.retention.minutes': '5' }));
    expect(minutes).toMatchObject({ value: '300000', source: ConfigSource.DEFAULT_CONFIG, synonyms: [] });
    const ms = describeTopicConfig('retention.ms', none, broker({ 'log.retention.ms': '5000', 'log.retention.minutes': '5' }));
    expect(ms).toMatchObject({ value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(ms.synonyms.map((s) => `${s.name}=${s.value}:${s.source}`)).toEqual(['log.retention.ms=5000:4', 'log.retention.minutes=5:4', 'log.retention.hours=168:5']);

    // ms beats minutes beats hours.
    expect(topicConfigValue('retention.ms', none, broker({ 'log.retention.ms': '1234', 'log.retention.hours': '1' }))).toBe('1234');
    expect(topicConfigValue('retention.ms', none, broker({ 'log.retention.hours': '-1' }))).toBe('-1');

    const overridden = describeTopicConfig('retention.ms', new Map([['retention.ms', '1000']]), broker({ 'log.retention.hours': '1' }));
    expect(overridden).toMatchObject({ value: '1000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(overridden.synonyms.map((s) => s.source)).toEqual([ConfigSource.DYNAMIC_TOPIC_CONFIG]);

    // Synonyms strand's BrokerConfig does not define are still read (log.cleanup.policy).
    expect(describeTopicConfig('cleanup.policy', none, broker({ 'log.cleanup.policy': 'compact' }))).toMatchObject({ value: 'compact', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(topicConfigValue('max.message.bytes', none, broker({ 'message.max.bytes': '2000' }))).toBe('2000');
    expect(topicConfigValue('segment.bytes', none, broker({ 'log.segment.bytes': '65536' }))).toBe('65536');
    expect(topicConfigValue('segment.ms', none, broker({ 'log.roll.hours': '2' }))).toBe('7200000');

    // No synonym: Kafka's default, no synonyms.
    expect(describeTopicConfig('remote.storage.enable', none, broker())).toMatchObject({ value: 'false', source: ConfigSource.DEFAULT_CONFIG, synonyms: [] });
  });

  it('describes all configs or the ones asked for (unknown keys left out)', () => {
    // Kafka 3.9's 36, without Confluent Server's five (placement, schema validation), listed only where a topic sets them.
    expect(describeTopicConfigs(none, broker()).length).toBe(TOPIC_CONFIGS.size - 5);
    expect(describeTopicConfigs(none, broker(), []).length).toBe(36);
    const placed = new Map([['confluent.placement.constraints', '{"version":1,"replicas":[{"count":1,"constraints":{"rack":"a"}}]}']]);
    expect(describeTopicConfigs(placed, broker()).filter((c) => c.name === 'confluent.placement.constraints').map((c) => c.value)).toEqual([placed.get('confluent.placement.constraints')]);
    expect(describeTopicConfigs(none, broker(), ['retention.ms', 'nope', 'cleanup.policy']).map((c) => c.name)).toEqual(['retention.ms', 'cleanup.policy']);
  });

  it('refuses broker settings that are invalid as topic defaults', () => {
    expect(() => checkBrokerTopicDefaults(broker())).not.toThrow();
    expect(invalid(() => checkBrokerTopicDefaults(broker({ 'log.cleanup.policy': 'sometimes' }))).message).toMatch(/log\.cleanup\.policy.*cleanup\.policy/);
  });

  it('maps onto the storage LogConfig', () => {
    const defaults = toLogConfig(none, broker());
    expect(defaults).toEqual({
      segmentBytes: 1073741824, segmentMs: 604800000, indexIntervalBytes: 4096, retentionMs: 604800000, retentionBytes: -1, maxMessageBytes: 1048588, flush: 'none', preallocateBytes: 1024 * 1024, compression: 'producer',
      cleanupPolicy: 'delete', minCleanableDirtyRatio: 0.5, deleteRetentionMs: 86400000, minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
      compressionGzipLevel: -1, compressionZstdLevel: 3, maxDecompressedBytes: -1,
    });
    expect(toLogConfig(new Map([['compression.type', 'zstd']]), broker()).compression).toBe('zstd');
    expect(toLogConfig(new Map([['compression.gzip.level', '1'], ['compression.zstd.level', '19']]), broker())).toMatchObject({ compressionGzipLevel: 1, compressionZstdLevel: 19 });
    expect(toLogConfig(none, broker({ 'compression.zstd.level': '7' })).compressionZstdLevel).toBe(7);
    expect(toLogConfig(none, broker({ 'message.max.decompressed.bytes': '1000000' })).maxDecompressedBytes).toBe(1000000);
    expect(() => resolveLogConfig(defaults)).not.toThrow();
    const o = (e: Record<string, string>) => new Map(Object.entries(e));
    expect(toLogConfig(o({ 'flush.messages': '1' }), broker()).flush).toBe('always');
    expect(toLogConfig(o({ 'flush.ms': '50' }), broker()).flush).toEqual({ intervalMs: 50 });
    expect(toLogConfig(o({ 'flush.messages': '1', 'flush.ms': '50' }), broker()).flush).toBe('always');
    expect(toLogConfig(none, broker({ 'log.flush.interval.ms': '20' })).flush).toEqual({ intervalMs: 20 });
    expect(toLogConfig(none, broker({ 'log.flush.interval.messages': '1' })).flush).toBe('always');
    expect(toLogConfig(o({ 'flush.ms': '9223372036854775807' }), broker()).flush).toBe('none');
    expect(toLogConfig(o({ 'retention.ms': '9223372036854775807' }), broker()).retentionMs).toBe(-1);
    expect(toLogConfig(o({ 'retention.bytes': '-5' }), broker()).retentionBytes).toBe(-1);
    expect(toLogConfig(o({ 'segment.ms': '9223372036854775807' }), broker()).segmentMs).toBe(Number.MAX_SAFE_INTEGER);
    expect(toLogConfig(o({ preallocate: 'true', 'segment.bytes': '1048576' }), broker())).toMatchObject({ segmentBytes: 1048576, preallocateBytes: 1048576 });
    const all = toLogConfig(o({ 'retention.ms': '1000', 'retention.bytes': '5000', 'segment.bytes': '4096', 'segment.ms': '10', 'index.interval.bytes': '1', 'max.message.bytes': '100' }), broker());
    expect(all).toMatchObject({ retentionMs: 1000, retentionBytes: 5000, segmentBytes: 4096, segmentMs: 10, indexIntervalBytes: 1, maxMessageBytes: 100 });
    expect(() => resolveLogConfig(all)).not.toThrow();
    // cleanup.policy and the log cleaner's settings, with the broker's log.cleaner.* defaults.
    expect(toLogConfig(o({ 'cleanup.policy': 'delete,compact' }), broker()).cleanupPolicy).toBe('compact,delete');
    expect(toLogConfig(o({ 'cleanup.policy': '' }), broker()).cleanupPolicy).toBe('none');
    expect(toLogConfig(none, broker({ 'log.cleanup.policy': 'compact' })).cleanupPolicy).toBe('compact');
    const compaction = toLogConfig(o({ 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': '5', 'min.compaction.lag.ms': '6', 'max.compaction.lag.ms': '7' }), broker());
    expect(compaction).toMatchObject({ cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.1, deleteRetentionMs: 5, minCompactionLagMs: 6, maxCompactionLagMs: 7 });
    expect(toLogConfig(none, broker({ 'log.cleaner.delete.retention.ms': '42', 'log.cleaner.min.cleanable.ratio': '0.25' }))).toMatchObject({ deleteRetentionMs: 42, minCleanableDirtyRatio: 0.25 });
    expect(() => resolveLogConfig(compaction)).not.toThrow();
  });
});

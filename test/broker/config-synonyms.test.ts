/**
 * Config values as Kafka 3.9 parses them (message.format.version in every form
 * MetadataVersion.fromVersionString takes) and DescribeConfigs synonyms as Kafka lists them
 * (ConfigHelper.configSynonyms: nothing before the primary broker setting).
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../src/broker/config.js';
import { describeBrokerConfigs } from '../../src/broker/handlers/admin/describe-configs.js';
import { checkMessageFormatVersion, isMessageFormatVersion } from '../../src/broker/message-format-version.js';
import { checkBrokerTopicDefaults, describeTopicConfig, InvalidConfigError, validateTopicConfig } from '../../src/broker/topic-config.js';

const none = new Map<string, string>();
const broker = (entries: Record<string, string> = {}) => new BrokerConfig(new Map(Object.entries(entries)));
const syns = (c: { synonyms: Array<{ name: string; value: string | null; source: number }> }) => c.synonyms.map((s) => `${s.name}=${s.value}:${s.source}`);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return (err as Error).message;
  }
  throw new Error('expected InvalidConfigError');
}

describe('message.format.version', () => {
  it('accepts every form Kafka 3.9 accepts, keeping the value as given', () => {
    for (const v of ['0.8.0', '0.8.2', '0.9.0', '0.10.0', '0.10.0-IV0', '0.10.0-IV1', '0.10.0.0', '0.10.0.1', '0.10.1-IV2', '0.10.2', '0.11.0-IV2', '0.11.0.3',
      '1.0', '1.0-IV0', '1.0.1', '1.1', '2.0-IV1', '2.1-IV2', '2.8', '2.8-IV1', '2.8.2', '3.0', '3.0-IV1', '3.3-IV3', '3.7-IV4', '3.8', '3.9', '3.9-IV0', '0.8.0.x']) {
      expect(isMessageFormatVersion(v), v).toBe(true);
      expect(validateTopicConfig('message.format.version', v)).toBe(v);
    }
    expect(validateTopicConfig('message.format.version', ' 0.10.0.0 ')).toBe('0.10.0.0');
  });

  it('refuses the rest with INVALID_CONFIG and Kafka\'s message', () => {
    for (const v of ['0.10', '0.7.0', '0.10.0-IV2', '0.10.3', '3', '3.0-IV2', '2.5-IV1', '9.9', 'latest', '', '3.0-iv1', '0.8.0-IV0']) {
      expect(isMessageFormatVersion(v), v).toBe(false);
      expect(refusal(() => validateTopicConfig('message.format.version', v))).toBe(`Invalid value ${v} for configuration message.format.version: Version ${v} is not a valid version`);
    }
    expect(checkMessageFormatVersion('log.message.format.version', '3.0-IV9')).toBe('Invalid value 3.0-IV9 for configuration log.message.format.version: Version 3.0-IV9 is not a valid version');
  });

  it('is accepted as the broker\'s log.message.format.version, and inherited by topics', () => {
    const b = broker({ 'log.message.format.version': '0.10.0.0' });
    expect(() => checkBrokerTopicDefaults(b)).not.toThrow();
    expect(describeTopicConfig('message.format.version', none, b)).toMatchObject({ value: '0.10.0.0', source: 4 });
    expect(syns(describeTopicConfig('message.format.version', none, b))).toEqual(['log.message.format.version=0.10.0.0:4', 'log.message.format.version=3.0-IV1:5']);
    expect(refusal(() => checkBrokerTopicDefaults(broker({ 'log.message.format.version': '0.10' }))))
      .toBe('Invalid value 0.10 for configuration log.message.format.version: Version 0.10 is not a valid version');
  });
});

describe('topic config synonyms', () => {
  it('lists no broker synonym while the primary broker setting is unset, whatever its fallbacks say', () => {
    for (const b of [broker(), broker({ 'log.retention.hours': '24' }), broker({ 'log.retention.minutes': '30', 'log.retention.hours': '24' })]) {
      const c = describeTopicConfig('retention.ms', none, b);
      expect(c.synonyms).toEqual([]);
      expect(c.source).toBe(5);
    }
    // The fallbacks still give the value, as Kafka's LogConfig does.
    expect(describeTopicConfig('retention.ms', none, broker({ 'log.retention.hours': '24' })).value).toBe('86400000');
    expect(describeTopicConfig('retention.ms', none, broker({ 'log.retention.minutes': '30', 'log.retention.hours': '24' })).value).toBe('1800000');
    expect(describeTopicConfig('segment.ms', none, broker({ 'log.roll.hours': '2' }))).toMatchObject({ value: '7200000', source: 5, synonyms: [] });
    expect(describeTopicConfig('segment.jitter.ms', none, broker())).toMatchObject({ value: '0', source: 5, synonyms: [] });
    expect(describeTopicConfig('flush.ms', none, broker())).toMatchObject({ value: '9223372036854775807', source: 5, synonyms: [] });
  });

  it('lists the primary and every synonym after it, set ones first, when the primary is set', () => {
    const b = broker({ 'log.retention.ms': '60000', 'log.retention.hours': '24', 'log.roll.ms': '1000', 'log.flush.interval.ms': '500' });
    expect(describeTopicConfig('retention.ms', none, b)).toMatchObject({ value: '60000', source: 4 });
    expect(syns(describeTopicConfig('retention.ms', none, b))).toEqual(['log.retention.ms=60000:4', 'log.retention.hours=24:4', 'log.retention.hours=168:5']);
    expect(syns(describeTopicConfig('segment.ms', none, b))).toEqual(['log.roll.ms=1000:4', 'log.roll.hours=168:5']);
    expect(syns(describeTopicConfig('flush.ms', none, b))).toEqual(['log.flush.interval.ms=500:4', 'log.flush.scheduler.interval.ms=9223372036854775807:5']);
  });

  it('puts a topic override first, then the same broker synonyms', () => {
    const o = new Map([['retention.ms', '1000'], ['cleanup.policy', 'compact']]);
    expect(syns(describeTopicConfig('retention.ms', o, broker({ 'log.retention.hours': '24' })))).toEqual(['retention.ms=1000:1']);
    expect(syns(describeTopicConfig('retention.ms', o, broker({ 'log.retention.ms': '5' })))).toEqual(['retention.ms=1000:1', 'log.retention.ms=5:4', 'log.retention.hours=168:5']);
    // A single-setting synonym with a Kafka default is always listed.
    expect(syns(describeTopicConfig('cleanup.policy', o, broker()))).toEqual(['cleanup.policy=compact:1', 'log.cleanup.policy=delete:5']);
    expect(syns(describeTopicConfig('max.message.bytes', none, broker({ 'message.max.bytes': '2000' })))).toEqual(['message.max.bytes=2000:4', 'message.max.bytes=1048588:5']);
  });
});

describe('broker config synonyms', () => {
  const describeOne = (b: BrokerConfig, name: string) => describeBrokerConfigs(b, [name])[0]!;

  it('list the described setting and the lower-priority ones of its family, from the first entry named like it', () => {
    const unset = broker();
    expect(describeOne(unset, 'log.retention.ms')).toMatchObject({ value: null, source: 5, synonyms: [] });
    expect(describeOne(unset, 'log.retention.minutes')).toMatchObject({ value: null, source: 5, synonyms: [] });
    expect(syns(describeOne(unset, 'log.retention.hours'))).toEqual(['log.retention.hours=168:5']);

    const ms = broker({ 'log.retention.ms': '60000' });
    expect(describeOne(ms, 'log.retention.ms')).toMatchObject({ value: '60000', source: 4 });
    expect(syns(describeOne(ms, 'log.retention.ms'))).toEqual(['log.retention.ms=60000:4', 'log.retention.hours=168:5']);
    expect(syns(describeOne(ms, 'log.retention.hours'))).toEqual(['log.retention.hours=168:5']);

    const hours = broker({ 'log.retention.hours': '24' });
    expect(describeOne(hours, 'log.retention.ms')).toMatchObject({ value: null, source: 5, synonyms: [] });
    expect(syns(describeOne(hours, 'log.retention.hours'))).toEqual(['log.retention.hours=24:4', 'log.retention.hours=168:5']);

    expect(syns(describeOne(broker({ 'log.roll.ms': '1000' }), 'log.roll.ms'))).toEqual(['log.roll.ms=1000:4', 'log.roll.hours=168:5']);
    expect(syns(describeOne(broker({ 'log.flush.interval.ms': '500' }), 'log.flush.interval.ms'))).toEqual(['log.flush.interval.ms=500:4', 'log.flush.scheduler.interval.ms=9223372036854775807:5']);
    expect(syns(describeOne(broker({ 'num.partitions': '3' }), 'num.partitions'))).toEqual(['num.partitions=3:4', 'num.partitions=1:5']);
  });
});

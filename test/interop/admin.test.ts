/**
 * kafkajs 2.2.4's admin client against a real strand broker: topics, partitions, configs,
 * records and the cluster, as an application would use them.
 */
import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kafkajs } from '../helpers/kafkajs.js';

const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('kafkajs admin against strand', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '2', 'log.retention.hours': '48' } });
    kafka = kafkajs(broker.bootstrap);
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  it('creates topics with configs and the default partition count, and lists and describes them', async () => {
    expect(await admin.createTopics({
      topics: [
        { topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'compact,delete' }] },
        { topic: 'defaults' },
      ],
    })).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: ['orders', 'defaults'] });
    const byName = Object.fromEntries(meta.topics.map((t) => [t.name, t]));
    expect(byName.orders!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(byName.defaults!.partitions.length).toBe(2);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['orders', 'defaults']));
    // Already there: kafkajs resolves false.
    expect(await admin.createTopics({ topics: [{ topic: 'orders' }] })).toBe(false);
  });

  it('validateOnly checks without creating', async () => {
    // (kafkajs would wait for the leaders of a topic that validate-only never creates.)
    expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 4 }] })).toBe(true);
    expect(await admin.listTopics()).not.toContain('dry-run');
    const err = await rejection(admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', configEntries: [{ name: 'retention.ms', value: 'x' }] }] }));
    expect((err.errors as Array<{ type: string }>)[0]!.type).toBe('INVALID_CONFIG');
  });

  it('refuses a bad config value, an unknown config, an illegal name and a replication factor above 1', async () => {
    const bad = await rejection(admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'retention.ms', value: 'forever' }] }] }));
    expect(bad.name).toBe('KafkaJSAggregateError');
    expect((bad.errors as Array<{ type: string; topic: string }>)[0]).toMatchObject({ type: 'INVALID_CONFIG', topic: 'bad-config' });
    const unknown = await rejection(admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'retention.msec', value: '1' }] }] }));
    expect((unknown.errors as Array<{ type: string }>)[0]!.type).toBe('INVALID_CONFIG');
    const illegal = await rejection(admin.createTopics({ topics: [{ topic: 'no spaces allowed' }] }));
    expect((illegal.errors as Array<{ type: string }>)[0]!.type).toBe('INVALID_TOPIC_EXCEPTION');
    const rf = await rejection(admin.createTopics({ topics: [{ topic: 'replicated', replicationFactor: 3 }] }));
    expect((rf.errors as Array<{ type: string }>)[0]!.type).toBe('INVALID_REPLICATION_FACTOR');
    expect(await admin.listTopics()).not.toEqual(expect.arrayContaining(['bad-config']));
  });

  it('describes topic configs with sources and synonyms', async () => {
    const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }] });
    const r = res.resources[0]!;
    expect(r.errorCode).toBe(0);
    const entry = (n: string) => r.configEntries.find((e) => e.configName === n)!;
    expect(entry('retention.ms')).toMatchObject({ configValue: '3600000', configSource: DYNAMIC_TOPIC_CONFIG, readOnly: false, isDefault: false });
    // Kafka lists no broker synonym of retention.ms while log.retention.ms is not set (log.retention.hours is).
    expect(entry('retention.ms').configSynonyms.map((s) => s.configName)).toEqual(['retention.ms']);
    expect(entry('cleanup.policy').configValue).toBe('compact,delete');
    expect(entry('segment.bytes')).toMatchObject({ configValue: '1073741824', configSource: DEFAULT_CONFIG });
    expect(entry('max.message.bytes').configValue).toBe('1048588');
    expect(r.configEntries.length).toBeGreaterThanOrEqual(30);
    // The broker's log.retention.hours=48 is what a topic without an override inherits; as in
    // Kafka, its source is DEFAULT_CONFIG since the primary synonym log.retention.ms is not set.
    const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'defaults', configNames: ['retention.ms'] }] });
    expect(d.resources[0]!.configEntries).toEqual([expect.objectContaining({ configName: 'retention.ms', configValue: String(48 * 3600_000), configSource: DEFAULT_CONFIG })]);
    const missing = await rejection(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'no-such-topic' }] }));
    expect(missing.type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('describes the broker\'s configs', async () => {
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] });
    const entries = res.resources[0]!.configEntries;
    expect(entries.find((e) => e.configName === 'num.partitions')).toMatchObject({ configValue: '2', configSource: STATIC_BROKER_CONFIG, readOnly: true });
    expect(entries.find((e) => e.configName === 'message.max.bytes')).toMatchObject({ configValue: '1048588', configSource: DEFAULT_CONFIG });
  });

  it('alters topic configs (the whole set), validateOnly changes nothing, a bad value is refused', async () => {
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: '1' }] }] });
    const before = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms'] }] });
    expect(before.resources[0]!.configEntries[0]!.configValue).toBe('3600000');

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'max.message.bytes', value: '2048' }, { name: 'retention.ms', value: '7200000' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms', 'max.message.bytes', 'cleanup.policy'] }] });
    const values = Object.fromEntries(after.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.configSource]]));
    expect(values).toEqual({ 'retention.ms': ['7200000', DYNAMIC_TOPIC_CONFIG], 'max.message.bytes': ['2048', DYNAMIC_TOPIC_CONFIG], 'cleanup.policy': ['delete', DEFAULT_CONFIG] });

    // The new max.message.bytes is in force for producers.
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const tooBig = await rejection(producer.send({ topic: 'orders', acks: 1, messages: [{ partition: 0, value: Buffer.alloc(4096, 1) }] }));
    expect(JSON.stringify(tooBig)).toMatch(/MESSAGE_TOO_LARGE|too large/i);
    await producer.disconnect();

    const bad = await rejection(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'segment.bytes', value: 'big' }] }] }));
    expect(bad.type).toBe('INVALID_CONFIG');
    const brokerChange = await rejection(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [{ name: 'num.partitions', value: '5' }] }] }));
    expect(brokerChange.type).toBe('INVALID_REQUEST');
  });

  it('adds partitions; shrinking is refused', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: 'defaults', count: 5 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['defaults'] });
    expect(meta.topics[0]!.partitions.length).toBe(5);
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'defaults', count: 9 }] });
    expect((await admin.fetchTopicMetadata({ topics: ['defaults'] })).topics[0]!.partitions.length).toBe(5);
    const shrink = await rejection(admin.createPartitions({ topicPartitions: [{ topic: 'defaults', count: 2 }] }));
    expect(shrink.type).toBe('INVALID_PARTITIONS');
  });

  it('deletes records up to an offset and up to the high watermark', async () => {
    await admin.createTopics({ topics: [{ topic: 'trim', numPartitions: 1 }] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'trim', acks: 1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `m${i}` })) });
    await producer.disconnect();
    await admin.fetchTopicMetadata({ topics: ['trim'] });
    await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '4' }] });
    expect(await admin.fetchTopicOffsets('trim')).toEqual([expect.objectContaining({ partition: 0, low: '4', high: '10' })]);
    await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '-1' }] });
    expect(await admin.fetchTopicOffsets('trim')).toEqual([expect.objectContaining({ partition: 0, low: '10', high: '10' })]);
  });

  it('describes the cluster: one broker, which is the controller', async () => {
    const c = await admin.describeCluster();
    expect(c.brokers).toEqual([expect.objectContaining({ nodeId: 0, port: broker.port })]);
    expect(c.controller).toBe(0);
    expect(c.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('deletes topics', async () => {
    await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2 }] });
    await admin.deleteTopics({ topics: ['doomed'] });
    expect(await admin.listTopics()).not.toContain('doomed');
    // kafkajs retries UNKNOWN_TOPIC_OR_PARTITION, then gives up with it as the cause.
    const again = await rejection(admin.deleteTopics({ topics: ['doomed'] }));
    expect((again.cause as { type: string }).type).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });
});

describe('topics survive a broker restart', () => {
  it('keeps topics, ids, configs and the cluster id over the same data directory', async () => {
    const { tmpDir } = await import('../helpers/tmp.js');
    const dataDir = tmpDir();
    let broker = await startBroker({ dataDir });
    let admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
    const clusterId = (await admin.describeCluster()).clusterId;
    await admin.disconnect();
    await broker.stop();

    broker = await startBroker({ dataDir });
    try {
      admin = kafkajs(broker.bootstrap).admin();
      await admin.connect();
      expect((await admin.describeCluster()).clusterId).toBe(clusterId);
      expect((await admin.fetchTopicMetadata({ topics: ['durable'] })).topics[0]!.partitions.length).toBe(3);
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'durable', configNames: ['retention.ms'] }] });
      expect(d.resources[0]!.configEntries[0]).toMatchObject({ configValue: '123456', configSource: DYNAMIC_TOPIC_CONFIG });
      await admin.disconnect();
    } finally {
      await broker.stop();
    }
  });
});

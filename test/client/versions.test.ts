import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { KafkaClient } from '../../src/client/client.js';
import { decodeRecords } from '../../src/client/records.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey } from '../../src/protocol/messages/index.js';

const K = ApiKey;

/** Version profiles: the oldest the client sends, the last classic (non-flexible) ones, Fetch by name at v12, and the newest. */
const PROFILES: Array<[string, Record<number, number>]> = [
  ['oldest', {
    [K.ApiVersions]: 0, [K.Produce]: 3, [K.Fetch]: 4, [K.ListOffsets]: 1, [K.Metadata]: 1, [K.CreateTopics]: 0, [K.DeleteTopics]: 0,
    [K.DescribeConfigs]: 0, [K.AlterConfigs]: 0, [K.CreatePartitions]: 0, [K.IncrementalAlterConfigs]: 0,
  }],
  ['last classic', {
    [K.ApiVersions]: 2, [K.Produce]: 8, [K.Fetch]: 11, [K.ListOffsets]: 5, [K.Metadata]: 8, [K.CreateTopics]: 4, [K.DeleteTopics]: 3,
    [K.DescribeConfigs]: 3, [K.AlterConfigs]: 1, [K.CreatePartitions]: 1, [K.IncrementalAlterConfigs]: 0,
  }],
  ['fetch by name, flexible', { [K.Fetch]: 12, [K.Metadata]: 9 }],
  ['newest', {}],
];

describe('KafkaClient at each version profile against strand', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, logLevel: 'silent' });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it.each(PROFILES)('%s', async (label, caps) => {
    const client = new KafkaClient({ bootstrap: broker.bootstrap, maxVersions: caps, retryBackoffMs: 10 });
    try {
      const conn = await client.bootstrapConnection();
      for (const [key, max] of Object.entries(caps)) expect(conn.versions.get(Number(key)), `API ${key}`).toBe(max);
      const topic = `v-${label.replace(/\W+/g, '-')}`;

      const [created] = await client.createTopics([{ name: topic, partitions: 2, configs: { 'retention.ms': '123456' } }]);
      expect(created!.error).toBeNull();
      const info = await client.topic(topic, { refresh: true });
      expect(info.partitions.map((p) => p.partition)).toEqual([0, 1]);

      const produced = await client.produce(topic, 1, encodeBatch([{ key: 'k', value: 'v1', headers: { h: 'x' }, timestamp: 5000 }, { value: 'v2', timestamp: 6000 }]));
      expect(produced.baseOffset).toBe(0);
      const fetched = await client.fetch(topic, 1, 0, { maxWaitMs: 0 });
      expect(fetched.highWatermark).toBe(2);
      const records = decodeRecords(fetched.records, 0).records;
      expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([[0, 'k', 'v1', 5000], [1, null, 'v2', 6000]]);
      expect(records[0]!.headers[0]!.value?.toString()).toBe('x');
      expect((await client.listOffsets(topic, 1, 'latest')).offset).toBe(2);
      expect((await client.listOffsets(topic, 1, 5500)).offset).toBe(1);
      await expect(client.fetch(topic, 1, 50)).rejects.toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });

      const [described] = await client.describeConfigs([{ type: 'topic', name: topic }]);
      expect(described!.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '123456', isDefault: false });
      const [inc] = await client.incrementalAlterConfigs([{ type: 'topic', name: topic, ops: [{ name: 'retention.ms', op: 'set', value: '654321' }] }]);
      expect(inc!.error).toBeNull();
      const [alt] = await client.alterConfigs([{ type: 'topic', name: topic, configs: { 'cleanup.policy': 'compact' } }]);
      expect(alt!.error).toBeNull();
      const [after] = await client.describeConfigs([{ type: 'topic', name: topic }]);
      expect(after!.configs.filter((c) => !c.isDefault).map((c) => c.name)).toEqual(['cleanup.policy']);

      const [grown] = await client.createPartitions([{ topic, count: 3 }]);
      expect(grown!.error).toBeNull();
      const [deleted] = await client.deleteTopics([topic]);
      expect(deleted).toEqual({ name: topic, error: null });
    } finally {
      await client.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { KafkaClient } from '../../src/client/client.js';
import { ConnectionError, KafkaResponseError } from '../../src/client/errors.js';
import { decodeRecords } from '../../src/client/records.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey } from '../../src/protocol/messages/index.js';

describe('KafkaClient against strand', () => {
  let broker: RunningBroker;
  let client: KafkaClient;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, logLevel: 'silent' });
    client = new KafkaClient({ bootstrap: broker.bootstrap, retryBackoffMs: 10 });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await broker.stop();
  });

  it('negotiates versions and reads the cluster metadata', async () => {
    const conn = await client.bootstrapConnection();
    expect(conn.versions.get(ApiKey.ApiVersions)).toBe(3);
    expect(conn.versions.get(ApiKey.Produce)).toBeGreaterThanOrEqual(3);
    expect(conn.versions.get(ApiKey.Fetch)).toBeGreaterThanOrEqual(4);
    const md = await client.metadata([]);
    expect(md.brokers).toHaveLength(1);
    expect(`${md.brokers[0]!.host}:${md.brokers[0]!.port}`).toBe(broker.bootstrap);
    expect(md.controllerId).toBe(md.brokers[0]!.nodeId);
    expect(md.topics).toEqual([]);
  });

  it('creates topics with configs, reports an existing one per topic, and lists them', async () => {
    const [created] = await client.createTopics([{ name: 'c-orders', partitions: 3, configs: { 'retention.ms': '3600000' } }]);
    expect(created!.error).toBeNull();
    const again = await client.createTopics([{ name: 'c-orders', partitions: 3 }, { name: 'c-other', partitions: 1 }]);
    expect(again[0]!.error).toBeInstanceOf(KafkaResponseError);
    expect(again[0]!.error!.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect(again[0]!.error!.path).toEqual({ api: 'CreateTopics', topic: 'c-orders' });
    expect(again[0]!.error!.message).toMatch(/^CreateTopics c-orders: TOPIC_ALREADY_EXISTS \(36\)/);
    expect(again[1]!.error).toBeNull();
    const md = await client.metadata(null);
    expect(md.topics.map((t) => t.name).sort()).toEqual(['c-orders', 'c-other']);
    const orders = md.topics.find((t) => t.name === 'c-orders')!;
    expect(orders.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(orders.partitions.every((p) => p.leader === md.brokers[0]!.nodeId && p.error === null)).toBe(true);
  });

  it('describes, alters and incrementally alters topic configs', async () => {
    const [d] = await client.describeConfigs([{ type: 'topic', name: 'c-orders' }]);
    expect(d!.error).toBeNull();
    const retention = d!.configs.find((c) => c.name === 'retention.ms')!;
    expect(retention).toMatchObject({ value: '3600000', isDefault: false, source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(d!.configs.find((c) => c.name === 'cleanup.policy')?.isDefault).toBe(true);

    const [inc] = await client.incrementalAlterConfigs([{ type: 'topic', name: 'c-orders', ops: [{ name: 'cleanup.policy', op: 'set', value: 'compact' }, { name: 'retention.ms', op: 'delete' }] }]);
    expect(inc!.error).toBeNull();
    const [after] = await client.describeConfigs([{ type: 'topic', name: 'c-orders', keys: ['cleanup.policy', 'retention.ms'] }]);
    expect(after!.configs.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', isDefault: false });
    expect(after!.configs.find((c) => c.name === 'retention.ms')?.isDefault).toBe(true);

    const [full] = await client.alterConfigs([{ type: 'topic', name: 'c-orders', configs: { 'retention.ms': '60000' } }]);
    expect(full!.error).toBeNull();
    const [replaced] = await client.describeConfigs([{ type: 'topic', name: 'c-orders' }]);
    expect(replaced!.configs.filter((c) => !c.isDefault).map((c) => [c.name, c.value])).toEqual([['retention.ms', '60000']]);

    const [bad] = await client.incrementalAlterConfigs([{ type: 'topic', name: 'c-orders', ops: [{ name: 'retention.ms', op: 'set', value: 'soon' }] }]);
    expect(bad!.error?.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const [missing] = await client.describeConfigs([{ type: 'topic', name: 'c-nope' }]);
    expect(missing!.error?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('produces raw batches to the leader and fetches them back with the high watermark', async () => {
    const first = await client.produce('c-orders', 1, encodeBatch([{ key: 'a', value: 'one', headers: { h: '1' } }, { value: 'two' }]));
    expect(first.baseOffset).toBe(0);
    const second = await client.produce('c-orders', 1, encodeBatch([{ value: 'three' }]), { acks: 1 });
    expect(second.baseOffset).toBe(2);
    const fetched = await client.fetch('c-orders', 1, 0, { maxWaitMs: 0 });
    expect(fetched.highWatermark).toBe(3);
    expect(fetched.logStartOffset).toBe(0);
    const { records, nextOffset } = decodeRecords(fetched.records, 0);
    expect(records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString()])).toEqual([[0, 'a', 'one'], [1, null, 'two'], [2, null, 'three']]);
    expect(records[0]!.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', '1']]);
    expect(nextOffset).toBe(3);
    const middle = decodeRecords((await client.fetch('c-orders', 1, 1, { maxWaitMs: 0 })).records, 1);
    expect(middle.records.map((r) => r.offset)).toEqual([1, 2]);
  });

  it('produces with acks=0 (no answer) and the records arrive', async () => {
    const res = await client.produce('c-orders', 2, encodeBatch([{ value: 'fire-and-forget' }]), { acks: 0 });
    expect(res.baseOffset).toBe(-1);
    let hw = 0;
    for (let i = 0; i < 50 && hw === 0; i++) hw = (await client.fetch('c-orders', 2, 0, { maxWaitMs: 20 })).highWatermark;
    expect(hw).toBe(1);
  });

  it('fetches several partitions in one request, with per-partition errors', async () => {
    const results = await client.fetchMany([
      { topic: 'c-orders', partition: 1, offset: 2 },
      { topic: 'c-orders', partition: 0, offset: 0 },
      { topic: 'c-orders', partition: 2, offset: 99 },
    ], { maxWaitMs: 0 });
    expect(results.map((r) => [r.partition, r.highWatermark])).toEqual([[1, 3], [0, 0], [2, 1]]);
    expect(decodeRecords(results[0]!.records, 2).records.map((r) => r.value?.toString())).toEqual(['three']);
    expect(results[1]!.error).toBeNull();
    expect(results[2]!.error?.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    await expect(client.fetch('c-orders', 1, 99)).rejects.toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, path: { api: 'Fetch', topic: 'c-orders', partition: 1 } });
  });

  it('long-polls: a fetch at the end waits for the next append', async () => {
    const started = Date.now();
    const empty = await client.fetch('c-other', 0, 0, { maxWaitMs: 200 });
    expect(empty.records.length).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);

    const fetching = client.fetch('c-other', 0, 0, { maxWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    const other = new KafkaClient({ bootstrap: broker.bootstrap });
    await other.produce('c-other', 0, encodeBatch([{ value: 'wake up' }]));
    await other.close();
    const woke = await fetching;
    expect(decodeRecords(woke.records, 0).records.map((r) => r.value?.toString())).toEqual(['wake up']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('lists earliest, latest and by-timestamp offsets', async () => {
    await client.createTopics([{ name: 'c-times', partitions: 1 }]);
    await client.produce('c-times', 0, encodeBatch([{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }]));
    await client.produce('c-times', 0, encodeBatch([{ value: 'c', timestamp: 3000 }]));
    expect((await client.listOffsets('c-times', 0, 'earliest')).offset).toBe(0);
    expect((await client.listOffsets('c-times', 0, 'latest')).offset).toBe(3);
    expect(await client.listOffsets('c-times', 0, 1500)).toEqual({ offset: 1, timestamp: 2000 });
    expect(await client.listOffsets('c-times', 0, 2500)).toEqual({ offset: 2, timestamp: 3000 });
    expect((await client.listOffsets('c-times', 0, 9000)).offset).toBe(-1);
  });

  it('fails a produce to a partition that does not exist with a typed error and its path', async () => {
    const err = await client.produce('c-other', 5, encodeBatch([{ value: 'x' }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaResponseError);
    expect((err as KafkaResponseError).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((err as KafkaResponseError).path).toMatchObject({ topic: 'c-other', partition: 5 });
    const noTopic = new KafkaClient({ bootstrap: broker.bootstrap, retries: 1, retryBackoffMs: 1 });
    await expect(noTopic.produce('c-never', 0, encodeBatch([{ value: 'x' }]))).rejects.toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await noTopic.close();
  });

  it('creates a topic on first produce when auto-creation is allowed', async () => {
    const auto = new KafkaClient({ bootstrap: broker.bootstrap, allowAutoTopicCreation: true, retryBackoffMs: 10 });
    const res = await auto.produce('c-auto', 0, encodeBatch([{ value: 'hello' }]));
    expect(res.baseOffset).toBe(0);
    await auto.close();
  });

  it('adds partitions and deletes topics', async () => {
    const [grown] = await client.createPartitions([{ topic: 'c-other', count: 4 }]);
    expect(grown!.error).toBeNull();
    expect((await client.topic('c-other', { refresh: true })).partitions).toHaveLength(4);
    const [shrink] = await client.createPartitions([{ topic: 'c-other', count: 2 }]);
    expect(shrink!.error?.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);

    const deleted = await client.deleteTopics(['c-other', 'c-missing']);
    expect(deleted.find((d) => d.name === 'c-other')!.error).toBeNull();
    expect(deleted.find((d) => d.name === 'c-missing')!.error?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const md = await client.metadata(null);
    expect(md.topics.map((t) => t.name)).not.toContain('c-other');
  });

  it('reconnects after the broker drops a connection', async () => {
    const conn = await client.connectionTo((await client.metadata([])).brokers[0]!.nodeId);
    conn.destroy();
    const res = await client.fetch('c-orders', 1, 0, { maxWaitMs: 0 });
    expect(res.highWatermark).toBe(3);
  });

  it('fails to connect with one clear error', async () => {
    const dead = new KafkaClient({ bootstrap: '127.0.0.1:1' });
    const err = await dead.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe('cannot connect to 127.0.0.1:1: ECONNREFUSED');
    await dead.close();
  });
});

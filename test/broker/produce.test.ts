import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ListOffsetsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('Produce', () => {
  let broker: RunningBroker;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker();
    c = await RawClient.open(broker.bootstrap);
    await createTopics(broker.bootstrap, [{ topic: 'appendtime', configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }, { topic: 'times' }]);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });
  const produce = (topic: string, records: Buffer, acks = -1) =>
    c.request(ProduceApi, 7, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);

  it('stamps the broker time on topics with message.timestamp.type=LogAppendTime', async () => {
    const before = Date.now();
    const r = await produce('appendtime', encodeBatch([{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }]));
    expect(r.errorCode).toBe(0);
    expect(Number(r.logAppendTimeMs)).toBeGreaterThanOrEqual(before);
    const got = await fetchAll(kafkajs(broker.bootstrap), 'appendtime', 0);
    expect(got.map((m) => Number(m.timestamp))).toEqual([Number(r.logAppendTimeMs), Number(r.logAppendTimeMs)]);
    // CreateTime topics keep the producer's timestamps and answer -1.
    const t = await produce('times', encodeBatch([{ value: 'c', timestamp: 1234 }]));
    expect(t.logAppendTimeMs).toBe(-1n);
    expect(Number((await fetchAll(kafkajs(broker.bootstrap), 'times', 0))[0]!.timestamp)).toBe(1234);
  });

  it('answers INVALID_REQUIRED_ACKS and refuses two batches in one partition (v3+)', async () => {
    expect((await produce('times', encodeBatch([{ value: 'x' }]), 2)).errorCode).toBe(21);
    expect((await produce('times', Buffer.concat([encodeBatch([{ value: 'x' }]), encodeBatch([{ value: 'y' }])]))).errorCode).toBe(87);
  });

  it('ListOffsets: earliest, latest, by timestamp and max timestamp', async () => {
    await produce('times', encodeBatch([{ value: 'p', timestamp: 5000 }, { value: 'q', timestamp: 9000 }, { value: 'r', timestamp: 7000 }]));
    const list = async (timestamp: bigint) => (await c.request(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'times', partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1 }] }] })).topics[0]!.partitions[0]!;
    expect((await list(-2n)).offset).toBe(0n);
    expect((await list(-1n)).offset).toBe(4n);
    expect(await list(6000n)).toMatchObject({ offset: 2n, timestamp: 9000n });
    expect(await list(-3n)).toMatchObject({ offset: 2n, timestamp: 9000n });
    expect(await list(99_999n)).toMatchObject({ offset: -1n, timestamp: -1n });
  });
});

describe('Produce v0-2 (legacy message sets)', () => {
  it('up-converts magic 0 and 1 message sets, plain and gzip-compressed, to v2 batches', async () => {
    const { encodeMessageSet } = await import('../../src/format/message-set.js');
    const { gzipSync } = await import('node:zlib');
    const { crc32 } = await import('node:zlib');
    const broker = await startBroker();
    const c = await RawClient.open(broker.bootstrap);
    try {
      await createTopics(broker.bootstrap, [{ topic: 'legacy' }]);
      const send = (version: number, records: Buffer) =>
        c.request(ProduceApi, version, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'legacy', partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);
      const v0 = await send(0, encodeMessageSet([{ key: Buffer.from('k0'), value: Buffer.from('magic0') }], 0));
      expect(v0).toMatchObject({ errorCode: 0, baseOffset: 0n });
      const v2 = await send(2, encodeMessageSet([{ value: Buffer.from('m1-a'), timestamp: 1111 }, { value: Buffer.from('m1-b'), timestamp: 2222 }], 1));
      expect(v2).toMatchObject({ errorCode: 0, baseOffset: 1n });
      // A gzip wrapper message (magic 1) around an inner message set.
      const inner = encodeMessageSet([{ value: Buffer.from('z1'), timestamp: 3333 }, { value: Buffer.from('z2'), timestamp: 4444 }], 1);
      const wrapperValue = gzipSync(inner);
      const wrapper = Buffer.alloc(12 + 4 + 1 + 1 + 8 + 4 + 4 + wrapperValue.length);
      wrapper.writeBigInt64BE(1n, 0);
      wrapper.writeInt32BE(wrapper.length - 12, 8);
      wrapper.writeInt8(1, 16);
      wrapper.writeInt8(1, 17); // gzip
      wrapper.writeBigInt64BE(4444n, 18);
      wrapper.writeInt32BE(-1, 26);
      wrapper.writeInt32BE(wrapperValue.length, 30);
      wrapperValue.copy(wrapper, 34);
      wrapper.writeUInt32BE(crc32(wrapper.subarray(16)) >>> 0, 12);
      expect(await send(1, wrapper)).toMatchObject({ errorCode: 0, baseOffset: 3n });
      // A flipped byte fails the CRC-32: CORRUPT_MESSAGE.
      const bad = encodeMessageSet([{ value: Buffer.from('x') }], 0);
      bad[bad.length - 1]! ^= 1;
      expect((await send(0, bad)).errorCode).toBe(2);
      const got = await fetchAll(kafkajs(broker.bootstrap), 'legacy', 0);
      expect(got.map((m) => [m.key?.toString() ?? null, m.value!.toString(), Number(m.timestamp)])).toEqual([
        ['k0', 'magic0', -1], [null, 'm1-a', 1111], [null, 'm1-b', 2222], [null, 'z1', 3333], [null, 'z2', 4444],
      ]);
    } finally {
      c.close();
      await broker.stop();
    }
  });
});

describe('internal topics', () => {
  it('refuses produce requests to __consumer_offsets', async () => {
    const broker = await startBroker({ config: { 'offsets.topic.num.partitions': '1' } });
    const c = await RawClient.open(broker.bootstrap);
    try {
      // A group commit creates the internal topic.
      const { MetadataApi, OffsetCommitApi } = await import('../../src/protocol/messages/index.js');
      await c.request(MetadataApi, 4, { topics: [{ name: 'x' }], allowAutoTopicCreation: true });
      const commit = await c.request(OffsetCommitApi, 2, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 'x', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: null }] }] });
      expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);
      const r = await c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: encodeBatch([{ value: 'evil' }]) }] }] });
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(17);
    } finally {
      c.close();
      await broker.stop();
    }
  });
});

/**
 * A topic whose cleanup.policy includes compact refuses records without a key, as Kafka's
 * LogValidator.validateKey does: INVALID_RECORD for the partition, with Kafka's messages and the
 * record's index in record_errors, and nothing of the batch appended (every keyless record of a
 * batch listed: test/broker/record-errors.test.ts).
 */
import { CompressionTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('compacted topics refuse keyless records', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker();
    kafka = kafkajs(broker.bootstrap);
    c = await RawClient.open(broker.bootstrap);
    await createTopics(broker.bootstrap, [
      { topic: 'table', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: 'table-zstd', configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }, { name: 'compression.type', value: 'zstd' }] },
      { topic: 'stream' },
    ]);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  const produce = (topic: string, records: Buffer, version = 9) =>
    c.request(ProduceApi, version, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);

  it('kafkajs: a keyless message gets INVALID_RECORD, plain or gzip; keyed ones are stored; the log holds only those', async () => {
    const producer = kafka.producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'table', messages: [{ value: 'no key' }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
      await producer.send({ topic: 'table', messages: [{ key: 'k1', value: 'v1' }] });
      await expect(producer.send({ topic: 'table', compression: CompressionTypes.GZIP, messages: [{ key: 'k2', value: 'v2' }, { value: 'no key, gzip' }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
      await producer.send({ topic: 'table', compression: CompressionTypes.GZIP, messages: [{ key: 'k3', value: 'v3' }, { key: 'k4', value: 'v4' }] });
      // A topic that is not compacted takes keyless records.
      await producer.send({ topic: 'stream', messages: [{ value: 'no key' }] });
    } finally {
      await producer.disconnect();
    }
    const stored = await fetchAll(kafka, 'table', 0);
    expect(stored.map((m) => [m.offset, m.key?.toString(), m.value?.toString()])).toEqual([['0', 'k1', 'v1'], ['1', 'k3', 'v3'], ['2', 'k4', 'v4']]);
    expect((await fetchAll(kafka, 'stream', 0)).map((m) => m.value?.toString())).toEqual(['no key']);
  });

  it('answers with Kafka\'s message and the record in record_errors (uncompressed, compressed, recompressed)', async () => {
    const batches = {
      plain: encodeBatch([{ key: 'a', value: '1' }, { key: null, value: '2' }]),
      lz4: compressBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { value: '3' }], 'lz4'),
      big: compressBatch(Array.from({ length: 5000 }, (_, i) => ({ key: i === 4321 ? null : `k${i}`, value: `value ${i}`.padEnd(100, '.') })), 'gzip'),
    };
    const index = { plain: 1, lz4: 2, big: 4321 };
    for (const topic of ['table', 'table-zstd']) {
      const before = (await fetchAll(kafka, topic, 0)).length;
      for (const [name, batch] of Object.entries(batches)) {
        const r = await produce(topic, Buffer.from(batch));
        const message = `Compacted topic cannot accept message without key in topic partition ${topic}-0`;
        const batchIndex = index[name as keyof typeof index];
        const errorMessage = `One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=${batchIndex}, message='${message}')]`;
        expect(r, `${topic} ${name}`).toMatchObject({ errorCode: 87, errorMessage, baseOffset: -1n });
        expect(r.recordErrors).toEqual([{ batchIndex, batchIndexErrorMessage: message }]);
      }
      expect((await fetchAll(kafka, topic, 0)).length).toBe(before);
      expect((await produce(topic, compressBatch([{ key: 'z', value: 'fine' }], 'snappy'))).errorCode).toBe(0);
    }
    // Produce v3-7 carry neither record_errors nor error_message: the code alone.
    expect((await produce('table', encodeBatch([{ value: 'x' }]), 7)).errorCode).toBe(87);
  });

  it('altering cleanup.policy to compact starts refusing keyless records', async () => {
    expect((await produce('stream', encodeBatch([{ value: 'before' }]))).errorCode).toBe(0);
    const admin = kafka.admin();
    await admin.connect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'stream', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    await admin.disconnect();
    expect((await produce('stream', encodeBatch([{ value: 'after' }]))).errorCode).toBe(87);
  });
});

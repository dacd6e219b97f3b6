/**
 * Produce to a compacted topic with keyless records (KIP-467): the partition is answered with
 * INVALID_RECORD, one record_errors entry per keyless record (batch_index and Kafka's message),
 * and Kafka's summary in error_message; nothing of that batch is appended, and the other
 * partitions of the same request are not affected. A client can then fail exactly those records
 * and send the others again.
 */
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import type { RecordInput } from '../../src/format/record.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

const KEYLESS = [0, 9, 10, 11, 50, 51, 52, 53, 98, 99];
const hundred: RecordInput[] = Array.from({ length: 100 }, (_, i) => ({ key: KEYLESS.includes(i) ? null : `k${i}`, value: `v${i}` }));

const keylessMessage = (tp: string) => `Compacted topic cannot accept message without key in topic partition ${tp}`;
function summary(tp: string, indexes: readonly number[]): string {
  const shown = indexes.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${keylessMessage(tp)}')`).join(', ');
  return `One or more records have been rejected due to ${indexes.length} record errors in total, and only showing the first three errors at most: [${shown}]`;
}
function refused(index: number, tp: string, indexes: readonly number[]) {
  return {
    index, errorCode: 87, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n,
    recordErrors: indexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: keylessMessage(tp) })),
    errorMessage: summary(tp, indexes),
  };
}

describe('record_errors list every keyless record (KIP-467)', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
    kafka = kafkajs(broker.bootstrap);
    c = await RawClient.open(broker.bootstrap);
    await createTopics(broker.bootstrap, [
      { topic: 'table', numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      { topic: 'stream' },
      { topic: 'table-lz4', configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'compression.type', value: 'lz4' }] },
    ]);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('one request: 10 of 100 keyless, all keyless, a good batch and a keyless one to a stream; only the bad partitions fail', async () => {
    const allKeyless = Array.from({ length: 25 }, (_, i) => ({ value: `nokey ${i}` }));
    const res = await c.request(ProduceApi, 9, {
      transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [
        { name: 'table', partitionData: [
          { index: 0, records: encodeBatch(hundred) },
          { index: 1, records: encodeBatch(allKeyless) },
          { index: 2, records: encodeBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]) },
        ] },
        { name: 'stream', partitionData: [{ index: 0, records: encodeBatch(allKeyless) }] },
      ],
    });
    const [table, stream] = res.responses;
    expect(table!.partitionResponses[0]).toMatchObject(refused(0, 'table-0', KEYLESS));
    expect(table!.partitionResponses[1]).toMatchObject(refused(1, 'table-1', allKeyless.map((_, i) => i)));
    expect(table!.partitionResponses[2]).toMatchObject({ index: 2, errorCode: 0, baseOffset: 0n, recordErrors: [], errorMessage: null });
    expect(stream!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0n, recordErrors: [], errorMessage: null });

    // A client fails the listed records and sends the others again: they are stored, in order.
    const listed = new Set(table!.partitionResponses[0]!.recordErrors.map((e) => e.batchIndex));
    const retry = hundred.filter((_, i) => !listed.has(i));
    const again = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'table', partitionData: [{ index: 0, records: encodeBatch(retry) }] }] });
    expect(again.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });

    expect((await fetchAll(kafka, 'table', 0)).map((m) => m.key?.toString())).toEqual(retry.map((r) => r.key));
    expect(await fetchAll(kafka, 'table', 1)).toEqual([]);
    expect((await fetchAll(kafka, 'table', 2)).map((m) => m.value?.toString())).toEqual(['1', '2']);
    expect((await fetchAll(kafka, 'stream', 0)).length).toBe(25);
  });

  it('compressed batches, small (checked on the event loop) and large (in the worker pool), recompressed or kept', async () => {
    const big: RecordInput[] = Array.from({ length: 20_000 }, (_, i) => ({ key: i % 2000 === 7 ? null : `k${i}`, value: `value ${i}`.padEnd(64, '.') }));
    const bigKeyless = big.flatMap((r, i) => (r.key === null ? [i] : []));
    expect(bigKeyless).toHaveLength(10);
    for (const topic of ['table', 'table-lz4']) {
      for (const [batch, indexes] of [[compressBatch(hundred, 'gzip'), KEYLESS], [compressBatch(hundred, 'lz4'), KEYLESS], [compressBatch(big, 'zstd'), bigKeyless]] as const) {
        const res = await c.request(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
        const stored = topic === 'table' ? 90 : 0;
        expect(res.responses[0]!.partitionResponses[0]).toMatchObject(refused(0, `${topic}-0`, indexes));
        expect((await fetchAll(kafka, topic, 0)).length).toBe(stored);
      }
    }
  });

  it('produce v3-7 carry the code alone', async () => {
    const res = await c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'table', partitionData: [{ index: 1, records: encodeBatch(hundred) }] }] });
    expect(res.responses[0]!.partitionResponses[0]).toMatchObject({ index: 1, errorCode: 87, baseOffset: -1n });
  });

  it('kafkajs: a send with keyless messages fails with INVALID_RECORD and stores none of them; the keyed ones sent again are stored', async () => {
    const producer = kafka.producer();
    await producer.connect();
    try {
      const messages = hundred.map((r) => ({ key: r.key as string | null, value: r.value as string }));
      await expect(producer.send({ topic: 'table', messages: messages.map((m) => ({ ...m, partition: 2 })) })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
      expect((await fetchAll(kafka, 'table', 2)).length).toBe(2);
      await producer.send({ topic: 'table', messages: messages.filter((m) => m.key !== null).map((m) => ({ ...m, partition: 2 })) });
    } finally {
      await producer.disconnect();
    }
    const stored = await fetchAll(kafka, 'table', 2);
    expect(stored.map((m) => m.key?.toString())).toEqual(['a', 'b', ...hundred.filter((r) => r.key !== null).map((r) => r.key)]);
  });
});

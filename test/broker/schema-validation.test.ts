/**
 * Broker-side schema validation (Confluent Server's `confluent.value.schema.validation` and
 * friends): a produce to a validated topic whose records lack the magic byte, carry an id the
 * broker's Schema Registry does not know, or one not registered under the subject the topic's
 * strategy names, is refused whole with INVALID_RECORD and one record_errors entry per bad
 * record; good batches are appended, null values pass, and topics without validation take anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import type { RecordInput } from '../../src/format/record.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { frame } from '../../src/serdes/wire.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

const REFUSED = 'This record has failed the validation on broker and hence will be rejected.';
const summary = (indexes: readonly number[]): string =>
  `One or more records have been rejected due to ${indexes.length} record errors in total, and only showing the first three errors at most: [${indexes.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${REFUSED}')`).join(', ')}]`;
const refused = (indexes: readonly number[]) => ({
  index: 0, errorCode: 87, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: 0n,
  recordErrors: indexes.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: REFUSED })),
  errorMessage: summary(indexes),
});

const avro = (name: string): string => JSON.stringify({ type: 'record', name, namespace: 'shop', fields: [{ name: 'id', type: 'int' }] });

describe('schema validation on produce', () => {
  let broker: RunningBroker;
  let c: RawClient;
  let url: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0' } });
    url = broker.http[0]!;
    c = await RawClient.open(broker.bootstrap);
    for (const [subject, name] of [['checked-value', 'Order'], ['other-value', 'Refund'], ['shop.Invoice', 'Invoice'], ['keys-key', 'Key']] as const) {
      const res = await fetch(`${url}/subjects/${subject}/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema: avro(name) }) });
      ids[subject] = ((await res.json()) as { id: number }).id;
    }
    await createTopics(broker.bootstrap, [
      { topic: 'checked', configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }] },
      { topic: 'by-record', configEntries: [{ name: 'confluent.value.schema.validation', value: 'true' }, { name: 'confluent.value.subject.name.strategy', value: 'io.confluent.kafka.serializers.subject.RecordNameStrategy' }] },
      { topic: 'keys', configEntries: [{ name: 'confluent.key.schema.validation', value: 'true' }] },
      { topic: 'free' },
    ]);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  const produce = async (topic: string, records: RecordInput[] | Buffer) => {
    const batch = Buffer.isBuffer(records) ? records : encodeBatch(records);
    const res = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
    return res.responses[0]!.partitionResponses[0]!;
  };

  it('refuses a batch with records lacking the magic byte, with an unknown id or one of another subject; takes a good one', async () => {
    expect(ids).toEqual({ 'checked-value': 1, 'other-value': 2, 'shop.Invoice': 3, 'keys-key': 4 });
    const good = frame(1, Buffer.from([0x02]));
    const bad = await produce('checked', [
      { value: good },
      { value: 'plain' },
      { value: frame(2, Buffer.from([0x02])) },
      { value: frame(99, Buffer.from([0x02])) },
      { key: 'k', value: null },
      { key: 'not validated', value: good },
    ]);
    expect(bad).toMatchObject(refused([1, 2, 3]));
    expect(await produce('checked', [{ value: good }, { key: 'k', value: null }])).toMatchObject({ errorCode: 0, baseOffset: 0n, recordErrors: [], errorMessage: null });
    const stored = await fetchAll(kafkajs(broker.bootstrap), 'checked', 0);
    expect(stored.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString('hex') ?? null])).toEqual([['0', null, '000000000102'], ['1', 'k', null]]);
  });

  it('names the subject by the topic\'s strategy, validates keys when asked, and leaves other topics alone', async () => {
    expect(await produce('by-record', [{ value: frame(ids['shop.Invoice']!, Buffer.from([0x02])) }])).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce('by-record', [{ value: frame(ids['shop.Invoice']!, Buffer.from([0x02])) }, { value: frame(ids['checked-value']!, Buffer.from([0x02])) }])).toMatchObject(refused([1]));
    expect(await produce('keys', [{ key: frame(ids['keys-key']!, Buffer.from([0x02])), value: 'any value' }, { key: 'plain key', value: 'any value' }])).toMatchObject(refused([1]));
    expect(await produce('free', [{ value: 'plain' }])).toMatchObject({ errorCode: 0, baseOffset: 0n });
    // Compressed batches are read record by record too.
    const good = frame(ids['checked-value']!, Buffer.from([0x02]));
    expect(await produce('checked', compressBatch([{ value: good }, { value: 'plain' }, { value: good }, { value: Buffer.from([1, 0, 0, 0, 1, 2]) }], 'lz4'))).toMatchObject(refused([1, 3]));
    expect(await produce('checked', compressBatch([{ value: good }, { value: good }], 'gzip'))).toMatchObject({ errorCode: 0, baseOffset: 2n });

    // A kafkajs producer sees Kafka's INVALID_RECORD.
    const producer = kafkajs(broker.bootstrap).producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'checked', messages: [{ value: 'plain' }] })).rejects.toMatchObject({ type: 'INVALID_RECORD' });
    } finally {
      await producer.disconnect();
    }
  });
});

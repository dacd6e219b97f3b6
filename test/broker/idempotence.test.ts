import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { InitProducerIdApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { spawnBroker } from '../helpers/broker-process.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';

async function initProducer(c: RawClient) {
  const r = await c.request(InitProducerIdApi, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
  expect(r.errorCode).toBe(0);
  return { id: Number(r.producerId), epoch: r.producerEpoch };
}

function produce(c: RawClient, topic: string, p: { id: number; epoch: number }, seq: number, values: string[]) {
  const records = encodeBatch(values.map((value) => ({ value })), { producerId: p.id, producerEpoch: p.epoch, baseSequence: seq });
  return c.request(ProduceApi, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);
}

describe('idempotent producers', () => {
  let broker: RunningBroker;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker();
    c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'idem' }], allowAutoTopicCreation: true });
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('allocates distinct producer ids', async () => {
    const a = await initProducer(c);
    const b = await initProducer(c);
    expect(a.id).not.toBe(b.id);
    expect(a.epoch).toBe(0);
  });

  it('writes a resent batch once and answers it with the original offsets', async () => {
    const p = await initProducer(c);
    const first = await produce(c, 'idem', p, 0, ['a', 'b']);
    expect(first.errorCode).toBe(0);
    const again = await produce(c, 'idem', p, 0, ['a', 'b']);
    expect(again).toMatchObject({ errorCode: 0, baseOffset: first.baseOffset });
    const next = await produce(c, 'idem', p, 2, ['c']);
    expect(next.baseOffset).toBe(first.baseOffset + 2n);
    const values = (await fetchAll(kafkajs(broker.bootstrap), 'idem', 0)).map((m) => m.value!.toString());
    expect(values.filter((v) => v === 'a').length).toBe(1);
  });

  it('refuses a gap, a stale epoch and an unknown producer with Kafka error codes', async () => {
    const p = await initProducer(c);
    expect((await produce(c, 'idem', p, 0, ['x'])).errorCode).toBe(0);
    expect((await produce(c, 'idem', p, 5, ['gap'])).errorCode).toBe(45); // OUT_OF_ORDER_SEQUENCE_NUMBER
    const bumped = { id: p.id, epoch: p.epoch + 1 };
    expect((await produce(c, 'idem', bumped, 0, ['y'])).errorCode).toBe(0);
    expect((await produce(c, 'idem', p, 1, ['stale'])).errorCode).toBe(47); // INVALID_PRODUCER_EPOCH
    expect((await produce(c, 'idem', { id: 999_999, epoch: 0 }, 7, ['who'])).errorCode).toBe(59); // UNKNOWN_PRODUCER_ID
  });

  it('kafkajs with idempotent: true produces exactly once', async () => {
    const producer = kafkajs(broker.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 20; i++) await producer.send({ topic: 'idem-kjs', acks: -1, messages: [{ value: `m${i}` }, { value: `n${i}` }] });
    await producer.disconnect();
    const got = await fetchAll(kafkajs(broker.bootstrap), 'idem-kjs', 0);
    expect(got.map((m) => m.value!.toString())).toEqual(Array.from({ length: 20 }, (_, i) => [`m${i}`, `n${i}`]).flat());
  });
});

describe('producer state across restarts', () => {
  it('recognises a retry after a graceful restart and after a SIGKILL', async () => {
    const dir = tmpDir();
    let b = await spawnBroker(dir);
    let c = await RawClient.open(b.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'idem' }], allowAutoTopicCreation: true });
    const p = await initProducer(c);
    const first = await produce(c, 'idem', p, 0, ['one']);
    c.close();
    b.child.kill('SIGTERM');
    await b.exited;

    b = await spawnBroker(dir);
    c = await RawClient.open(b.bootstrap);
    expect(await produce(c, 'idem', p, 0, ['one'])).toMatchObject({ errorCode: 0, baseOffset: first.baseOffset });
    const second = await produce(c, 'idem', p, 1, ['two']);
    expect(second.errorCode).toBe(0);
    // Ids are never reused after a restart.
    expect((await initProducer(c)).id).not.toBe(p.id);
    c.close();
    b.child.kill('SIGKILL');
    await b.exited;

    b = await spawnBroker(dir);
    c = await RawClient.open(b.bootstrap);
    expect(await produce(c, 'idem', p, 1, ['two'])).toMatchObject({ errorCode: 0, baseOffset: second.baseOffset });
    expect((await produce(c, 'idem', p, 3, ['gap'])).errorCode).toBe(45);
    c.close();
    b.child.kill('SIGTERM');
    await b.exited;
  });
});

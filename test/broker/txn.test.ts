import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeEndTxnMarker } from '../../src/format/control-record.js';
import {
  AddPartitionsToTxnApi, CreateTopicsApi, DescribeProducersApi, DescribeTransactionsApi, ListTransactionsApi, ProduceApi,
} from '../../src/protocol/messages/index.js';
import { TxnClient, decodeRecords } from '../helpers/txn-client.js';

const IDS = { INVALID_REQUEST: 42, INVALID_PRODUCER_EPOCH: 47, INVALID_TXN_STATE: 48, INVALID_PRODUCER_ID_MAPPING: 49, INVALID_TRANSACTION_TIMEOUT: 50, PRODUCER_FENCED: 90, UNKNOWN_TOPIC_OR_PARTITION: 3, OPERATION_NOT_ATTEMPTED: 55, INVALID_RECORD: 87, TRANSACTIONAL_ID_NOT_FOUND: 105 };

describe('transactions over the protocol', () => {
  let broker: RunningBroker;
  let c: TxnClient;
  let topicN = 0;
  const newTopic = async (partitions = 2) => {
    const name = `txn-${++topicN}`;
    await c.raw.request(CreateTopicsApi, 4, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    return name;
  };

  beforeAll(async () => {
    broker = await startBroker({ config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100', 'transaction.state.log.num.partitions': '5' } });
    c = await TxnClient.open(broker.bootstrap);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('commits and aborts: read_committed sees only committed records, up to the LSO; read_uncommitted sees all', async () => {
    const t = await newTopic();
    const { errorCode, producer: p } = await c.init('app-1');
    expect(errorCode).toBe(0);
    expect(p.epoch).toBe(0);

    expect(await c.addPartitions(p, t, [0, 1])).toEqual([0, 0]);
    expect((await c.produce(p, t, 0, ['c1', 'c2'])).errorCode).toBe(0);
    expect((await c.produce(p, t, 1, ['c3'])).errorCode).toBe(0);
    // Open: nothing is stable yet.
    let f = await c.fetch(t, 0, 0, 1);
    expect(f).toMatchObject({ errorCode: 0, highWatermark: 2n, lastStableOffset: 0n });
    expect(f.records!.length).toBe(0);
    expect(await c.latest(t, 0, 1)).toBe(0);
    expect(await c.latest(t, 0, 0)).toBe(2);
    expect(await c.end(p, true)).toBe(0);

    expect(await c.addPartitions(p, t, [0])).toEqual([0]);
    expect((await c.produce(p, t, 0, ['a1'])).errorCode).toBe(0);
    expect(await c.end(p, false)).toBe(0);

    expect(await c.addPartitions(p, t, [0])).toEqual([0]);
    expect((await c.produce(p, t, 0, ['open'])).errorCode).toBe(0);

    f = await c.fetch(t, 0, 0, 1);
    // c1 c2 COMMIT a1 ABORT open: the LSO is the open transaction's first offset.
    expect(f).toMatchObject({ highWatermark: 6n, lastStableOffset: 5n });
    expect(f.abortedTransactions).toEqual([{ producerId: BigInt(p.producerId), firstOffset: 3n }]);
    expect(await c.values(t, 0, 1)).toEqual(['c1', 'c2']);
    expect(await c.values(t, 1, 1)).toEqual(['c3']);
    expect(await c.values(t, 0, 0)).toEqual(['c1', 'c2', 'a1', 'open']);
    expect(await c.latest(t, 0, 1)).toBe(5);
    // read_uncommitted: high watermark and LSO as they are, no aborted list.
    expect(await c.fetch(t, 0, 0, 0)).toMatchObject({ highWatermark: 6n, lastStableOffset: 5n, abortedTransactions: null });
    // Markers are control batches of the producer, with Kafka's layout.
    const markers = decodeRecords((await c.fetch(t, 0, 0, 0)).records).filter((r) => r.control);
    expect(markers.map((m) => [m.offset, m.key!.readInt16BE(2)])).toEqual([[2, 1], [4, 0]]);
    expect(await c.end(p, true)).toBe(0);
    expect(await c.values(t, 0, 1)).toEqual(['c1', 'c2', 'open']);
  });

  it('refuses transactional batches outside the ongoing transaction with INVALID_TXN_STATE', async () => {
    const t = await newTopic();
    const { producer: p } = await c.init('app-2');
    // No transaction yet.
    expect((await c.produce(p, t, 0, ['x'])).errorCode).toBe(IDS.INVALID_TXN_STATE);
    expect(await c.addPartitions(p, t, [0])).toEqual([0]);
    // Partition 1 was not added.
    expect((await c.produce(p, t, 1, ['y'])).errorCode).toBe(IDS.INVALID_TXN_STATE);
    expect((await c.produce(p, t, 0, ['z'])).errorCode).toBe(0);
    // A transactional batch needs the request's transactional id; its producer id must be the id's.
    expect((await c.produce(p, t, 0, ['w'], { transactionalId: null })).errorCode).toBe(53);
    expect((await c.produce({ ...p, producerId: p.producerId + 1000 }, t, 0, ['w'])).errorCode).toBe(IDS.INVALID_PRODUCER_ID_MAPPING);
    expect(await c.end(p, true)).toBe(0);
    // Committed: the next batch needs a new AddPartitionsToTxn.
    expect((await c.produce(p, t, 0, ['late'])).errorCode).toBe(IDS.INVALID_TXN_STATE);
    expect(await c.values(t, 0, 1)).toEqual(['z']);
  });

  it('refuses control batches from clients', async () => {
    const t = await newTopic();
    const records = encodeEndTxnMarker({ producerId: 1, producerEpoch: 0, commit: true, coordinatorEpoch: 0 });
    const r = await c.raw.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: t, partitionData: [{ index: 0, records }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(IDS.INVALID_RECORD);
  });

  it('fences a zombie: a new instance aborts its open transaction, its requests get PRODUCER_FENCED or INVALID_PRODUCER_EPOCH', async () => {
    const t = await newTopic();
    const { producer: zombie } = await c.init('app-3');
    expect(await c.addPartitions(zombie, t, [0, 1])).toEqual([0, 0]);
    expect((await c.produce(zombie, t, 0, ['zombie-1'])).errorCode).toBe(0);

    const { errorCode, producer: fresh } = await c.init('app-3');
    expect(errorCode).toBe(0);
    expect(fresh.producerId).toBe(zombie.producerId);
    // One bump to fence and abort, one for the new instance.
    expect(fresh.epoch).toBe(zombie.epoch + 2);
    // The open transaction was aborted in every partition.
    expect(await c.values(t, 0, 1)).toEqual([]);
    expect((await c.fetch(t, 0, 0, 1)).lastStableOffset).toBe(2n);
    expect(decodeRecords((await c.fetch(t, 1, 0, 0)).records).map((r) => r.control)).toEqual([true]);

    expect((await c.produce(zombie, t, 0, ['zombie-2'])).errorCode).toBe(IDS.INVALID_PRODUCER_EPOCH);
    expect(await c.addPartitions(zombie, t, [0], 1)).toEqual([IDS.INVALID_PRODUCER_EPOCH]);
    expect(await c.addPartitions(zombie, t, [0], 2)).toEqual([IDS.PRODUCER_FENCED]);
    expect(await c.end(zombie, true, 1)).toBe(IDS.INVALID_PRODUCER_EPOCH);
    expect(await c.end(zombie, true, 3)).toBe(IDS.PRODUCER_FENCED);
    // InitProducerId with the zombie's old epoch (KIP-360 resume) is fenced too.
    expect((await c.init('app-3', { version: 3, producerId: zombie.producerId, epoch: zombie.epoch })).errorCode).toBe(IDS.INVALID_PRODUCER_EPOCH);
    expect((await c.init('app-3', { version: 4, producerId: zombie.producerId, epoch: zombie.epoch })).errorCode).toBe(IDS.PRODUCER_FENCED);

    expect(await c.addPartitions(fresh, t, [0])).toEqual([0]);
    expect((await c.produce(fresh, t, 0, ['fresh'])).errorCode).toBe(0);
    expect(await c.end(fresh, true)).toBe(0);
    expect(await c.values(t, 0, 1)).toEqual(['fresh']);
  });

  it('a resuming producer (KIP-360) gets the next epoch of its id', async () => {
    const { producer: p } = await c.init('app-4');
    const { errorCode, producer: again } = await c.init('app-4', { version: 4, producerId: p.producerId, epoch: p.epoch });
    expect(errorCode).toBe(0);
    expect([again.producerId, again.epoch]).toEqual([p.producerId, p.epoch + 1]);
  });

  it('aborts a transaction past transaction.timeout.ms and fences its producer', async () => {
    const t = await newTopic();
    const { producer: p } = await c.init('app-5', { timeoutMs: 200 });
    expect(await c.addPartitions(p, t, [0])).toEqual([0]);
    expect((await c.produce(p, t, 0, ['slow'])).errorCode).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    expect((await c.fetch(t, 0, 0, 1)).lastStableOffset).toBe(2n);
    expect(await c.values(t, 0, 1)).toEqual([]);
    expect(await c.end(p, true, 3)).toBe(IDS.PRODUCER_FENCED);
    const d = await c.raw.request(DescribeTransactionsApi, 0, { transactionalIds: ['app-5'] });
    expect(d.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: 'CompleteAbort', producerEpoch: p.epoch + 1 });
  });

  it('checks InitProducerId and AddPartitionsToTxn arguments as Kafka does', async () => {
    expect((await c.init('app-6', { timeoutMs: 900_001 })).errorCode).toBe(IDS.INVALID_TRANSACTION_TIMEOUT);
    expect((await c.init('')).errorCode).toBe(IDS.INVALID_REQUEST);
    const { producer: p } = await c.init('app-6');
    const t = await newTopic(1);
    const r = await c.raw.request(AddPartitionsToTxnApi, 1, { v3AndBelowTransactionalId: 'app-6', v3AndBelowProducerId: BigInt(p.producerId), v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: t, partitions: [0, 7] }, { name: 'no-such-topic', partitions: [0] }] });
    expect(r.resultsByTopicV3AndBelow!.map((x) => x.resultsByPartition.map((y) => y.partitionErrorCode))).toEqual([[IDS.OPERATION_NOT_ATTEMPTED, IDS.UNKNOWN_TOPIC_OR_PARTITION], [IDS.UNKNOWN_TOPIC_OR_PARTITION]]);
    expect(await c.addPartitions({ ...p, id: 'never-initialized' }, t, [0])).toEqual([IDS.INVALID_PRODUCER_ID_MAPPING]);
    expect(await c.end(p, true)).toBe(IDS.INVALID_TXN_STATE); // nothing to end
  });

  it('serves the batched broker form (v4+) of AddPartitionsToTxn, with verify_only', async () => {
    const t = await newTopic();
    const { producer: p } = await c.init('app-7');
    const txn = (verifyOnly: boolean, partitions: number[]) => ({ transactionalId: 'app-7', producerId: BigInt(p.producerId), producerEpoch: p.epoch, verifyOnly, topics: [{ name: t, partitions }] });
    let r = await c.raw.request(AddPartitionsToTxnApi, 4, { transactions: [txn(false, [0])] });
    expect(r.errorCode).toBe(0);
    expect(r.resultsByTransaction![0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
    r = await c.raw.request(AddPartitionsToTxnApi, 4, { transactions: [txn(true, [0, 1])] });
    expect(r.resultsByTransaction![0]!.topicResults[0]!.resultsByPartition.map((x) => x.partitionErrorCode)).toEqual([0, IDS.INVALID_TXN_STATE]);
    expect(await c.end(p, false)).toBe(0);
  });

  it('lists and describes transactions and producers', async () => {
    const t = await newTopic();
    const { producer: p } = await c.init('app-8');
    expect(await c.addPartitions(p, t, [1])).toEqual([0]);
    expect((await c.produce(p, t, 1, ['one', 'two'])).errorCode).toBe(0);

    const list = await c.raw.request(ListTransactionsApi, 1, { stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n });
    expect(list.unknownStateFilters).toEqual(['Bogus']);
    expect(list.transactionStates).toContainEqual({ transactionalId: 'app-8', producerId: BigInt(p.producerId), transactionState: 'Ongoing' });
    expect(list.transactionStates.every((s) => s.transactionState === 'Ongoing')).toBe(true);
    const byId = await c.raw.request(ListTransactionsApi, 0, { stateFilters: [], producerIdFilters: [BigInt(p.producerId)] });
    expect(byId.transactionStates.map((s) => s.transactionalId)).toEqual(['app-8']);
    const longRunning = await c.raw.request(ListTransactionsApi, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000n });
    expect(longRunning.transactionStates).toEqual([]);

    const d = await c.raw.request(DescribeTransactionsApi, 0, { transactionalIds: ['app-8', 'nobody'] });
    expect(d.transactionStates[0]).toMatchObject({ errorCode: 0, transactionalId: 'app-8', transactionState: 'Ongoing', transactionTimeoutMs: 60_000, producerId: BigInt(p.producerId), producerEpoch: p.epoch, topics: [{ topic: t, partitions: [1] }] });
    expect(d.transactionStates[0]!.transactionStartTimeMs).toBeGreaterThan(0n);
    expect(d.transactionStates[1]!.errorCode).toBe(IDS.TRANSACTIONAL_ID_NOT_FOUND);

    const dp = await c.raw.request(DescribeProducersApi, 0, { topics: [{ name: t, partitionIndexes: [1, 9] }] });
    expect(dp.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 1, errorCode: 0 });
    expect(dp.topics[0]!.partitions[0]!.activeProducers).toEqual([
      expect.objectContaining({ producerId: BigInt(p.producerId), producerEpoch: p.epoch, lastSequence: 1, coordinatorEpoch: -1, currentTxnStartOffset: 0n }),
    ]);
    expect(dp.topics[0]!.partitions[1]!.errorCode).toBe(IDS.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await c.end(p, true)).toBe(0);
    const after = await c.raw.request(DescribeProducersApi, 0, { topics: [{ name: t, partitionIndexes: [1] }] });
    expect(after.topics[0]!.partitions[0]!.activeProducers[0]).toMatchObject({ coordinatorEpoch: 0, currentTxnStartOffset: -1n });
  });

  it('commits transactional offsets with the transaction and drops them on abort', async () => {
    const t = await newTopic(1);
    const { producer: p } = await c.init('app-9');
    // TxnOffsetCommit before AddOffsetsToTxn: the offsets partition is not in the transaction.
    expect(await c.txnOffsetCommit(p, 'g9', t, 0, 5)).toBe(IDS.INVALID_TXN_STATE);
    expect(await c.addOffsets(p, 'g9')).toBe(0);
    expect(await c.txnOffsetCommit(p, 'g9', t, 0, 5)).toBe(0);
    const admin = (await import('../helpers/kafkajs.js')).kafkajs(broker.bootstrap).admin();
    await admin.connect();
    const offsetOf = async () => (await admin.fetchOffsets({ groupId: 'g9', topics: [t] }))[0]!.partitions[0]!.offset;
    expect(await offsetOf()).toBe('-1');
    expect(await c.end(p, true)).toBe(0);
    expect(await offsetOf()).toBe('5');

    expect(await c.addOffsets(p, 'g9')).toBe(0);
    expect(await c.txnOffsetCommit(p, 'g9', t, 0, 9)).toBe(0);
    expect(await c.end(p, false)).toBe(0);
    expect(await offsetOf()).toBe('5');
    await admin.disconnect();
  });
});

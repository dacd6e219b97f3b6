import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { call, committed, connectConsumer, connectProducer, consumeCount, disconnect, Kafka, type Message, valueOf } from '../helpers/rdkafka.js';

/**
 * Consume-transform-produce through librdkafka 2.12 (node-rdkafka): a transactional producer
 * writes what it derived from a consumer's records and commits the consumer's offsets in the same
 * transaction (KIP-98 / KIP-447), read back by read_committed consumers.
 */
describe.each(['classic', 'consumer'] as const)('librdkafka transactions against strand, consumer group protocol %s', (protocol) => {
  const IN = `ctp-in-${protocol}`;
  const OUT = `ctp-out-${protocol}`;
  let broker: RunningBroker;
  const clients: (Kafka.Producer | Kafka.KafkaConsumer)[] = [];
  const track = <T extends Kafka.Producer | Kafka.KafkaConsumer>(c: T): T => (clients.push(c), c);

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0', 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3' } });
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: IN, numPartitions: 2 }, { topic: OUT, numPartitions: 2 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    for (const c of clients.reverse()) await disconnect(c);
    await broker.stop();
  });

  const produceInput = async (values: [number, string][]) => {
    const p = track(await connectProducer(broker.bootstrap, { 'enable.idempotence': true }));
    for (const [partition, value] of values) p.produce(IN, partition, Buffer.from(value), value);
    await call((cb) => p.flush(10_000, cb));
    await disconnect(p);
  };
  const readerConfig = (isolation: 'read_committed' | 'read_uncommitted'): Kafka.ConsumerGlobalConfig => ({
    'group.id': `reader-${isolation}-${Math.random()}`,
    'enable.auto.commit': false,
    'isolation.level': isolation,
  });
  // With the consumer protocol (KIP-848) the offsets go to the transaction with the member epoch as generation.
  const app = () => connectConsumer(broker.bootstrap, { 'group.id': `ctp-app-${protocol}`, 'group.protocol': protocol, 'enable.auto.commit': false, 'isolation.level': 'read_committed' } as Kafka.ConsumerGlobalConfig);
  /** The offsets to commit after `messages`: one past the last of each partition. */
  const nextOffsets = (messages: Message[]) => {
    const next = new Map<number, number>();
    for (const m of messages) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1));
    return [...next].map(([partition, offset]) => ({ topic: IN, partition, offset }));
  };
  const transform = (producer: Kafka.Producer, messages: Message[], tag: string) => {
    for (const m of messages) producer.produce(OUT, m.partition, Buffer.from(`${tag}:${valueOf(m).toUpperCase()}`), m.key as Buffer);
  };

  it('committed transactions are read once with their offsets; an aborted one is never seen and its offsets are not committed', async () => {
    await produceInput([[0, 'a0'], [1, 'b0'], [0, 'a1'], [1, 'b1'], [0, 'a2'], [1, 'b2']]);
    const producer = track(await connectProducer(broker.bootstrap, { 'transactional.id': `ctp-transformer-${protocol}`, 'transaction.timeout.ms': 30_000 }));
    await call((cb) => producer.initTransactions(10_000, cb));

    // Transaction 1: the first six input records, committed with the consumer's positions.
    const c1 = track(await app());
    c1.subscribe([IN]);
    const first = await consumeCount(c1, 6);
    expect(first.map(valueOf).sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    await call((cb) => producer.beginTransaction(cb));
    transform(producer, first, 't1');
    await call((cb) => producer.sendOffsetsToTransaction(nextOffsets(first), c1, 10_000, cb));
    await call((cb) => producer.commitTransaction(10_000, cb));

    // Transaction 2: four more records, transformed, then aborted with their offsets.
    await produceInput([[0, 'a3'], [1, 'b3'], [0, 'a4'], [1, 'b4']]);
    const second = await consumeCount(c1, 4);
    expect(second.map(valueOf).sort()).toEqual(['a3', 'a4', 'b3', 'b4']);
    await call((cb) => producer.beginTransaction(cb));
    transform(producer, second, 't2');
    // Delivered before the abort (librdkafka purges what it has not sent yet when aborting).
    await call((cb) => producer.flush(10_000, cb));
    await call((cb) => producer.sendOffsetsToTransaction(nextOffsets(second), c1, 10_000, cb));
    await call((cb) => producer.abortTransaction(10_000, cb));
    const afterAbort = await committed(c1, [{ topic: IN, partition: 0 }, { topic: IN, partition: 1 }]);
    expect(afterAbort.map((tp) => [tp.partition, tp.offset])).toEqual([[0, 3], [1, 3]]);
    await disconnect(c1);

    // A new member of the same group starts from the committed offsets, so it is handed the
    // aborted transaction's input again, and commits it this time (transaction 3).
    const c2 = track(await app());
    c2.subscribe([IN]);
    const again = await consumeCount(c2, 4);
    expect(again.map(valueOf).sort()).toEqual(['a3', 'a4', 'b3', 'b4']);
    await call((cb) => producer.beginTransaction(cb));
    transform(producer, again, 't3');
    await call((cb) => producer.sendOffsetsToTransaction(nextOffsets(again), c2, 10_000, cb));
    await call((cb) => producer.commitTransaction(10_000, cb));
    const afterCommit = await committed(c2, [{ topic: IN, partition: 0 }, { topic: IN, partition: 1 }]);
    expect(afterCommit.map((tp) => [tp.partition, tp.offset])).toEqual([[0, 5], [1, 5]]);
    await disconnect(c2);

    // read_committed: every input record transformed exactly once, in input order per partition.
    const rc = track(await connectConsumer(broker.bootstrap, readerConfig('read_committed')));
    rc.subscribe([OUT]);
    const out = await consumeCount(rc, 10, 30_000, 1000);
    const byPartition = (ms: Message[], p: number) => ms.filter((m) => m.partition === p).map(valueOf);
    expect(byPartition(out, 0)).toEqual(['t1:A0', 't1:A1', 't1:A2', 't3:A3', 't3:A4']);
    expect(byPartition(out, 1)).toEqual(['t1:B0', 't1:B1', 't1:B2', 't3:B3', 't3:B4']);
    await disconnect(rc);

    // read_uncommitted sees the aborted records too: they were written, and only the abort marker hides them.
    const ru = track(await connectConsumer(broker.bootstrap, readerConfig('read_uncommitted')));
    ru.subscribe([OUT]);
    const all = await consumeCount(ru, 14, 30_000, 1000);
    expect(byPartition(all, 0)).toEqual(['t1:A0', 't1:A1', 't1:A2', 't2:A3', 't2:A4', 't3:A3', 't3:A4']);
    expect(byPartition(all, 1)).toEqual(['t1:B0', 't1:B1', 't1:B2', 't2:B3', 't2:B4', 't3:B3', 't3:B4']);
    // Offsets: the three commit markers and one abort marker per partition take offsets no consumer is handed.
    expect(all.filter((m) => m.partition === 0).map((m) => m.offset)).toEqual([0, 1, 2, 4, 5, 7, 8]);
    await disconnect(ru);
  });
});

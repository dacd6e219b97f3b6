import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { sleep, until } from '../helpers/until.js';

interface Seen {
  partition: number;
  offset: number;
  value: string;
}

/** Everything a kafkajs consumer group hands to the application from `topic` until `count` messages (then a short quiet period). */
async function consume(kafka: Kafka, topic: string, count: number, readUncommitted: boolean): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: Seen[] = [];
  await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, offset: Number(message.offset), value: message.value!.toString() }) });
  await until(`${count} messages from ${topic}`, () => seen.length >= count);
  await sleep(500);
  await consumer.disconnect();
  return seen;
}

describe('kafkajs transactions against strand', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  const producers: Producer[] = [];
  const transactional = async (transactionalId: string) => {
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    producers.push(p);
    await p.connect();
    return p;
  };

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0', 'transaction.state.log.num.partitions': '3', 'offsets.topic.num.partitions': '3' } });
    kafka = kafkajs(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'in', numPartitions: 2 }, { topic: 'out', numPartitions: 2 }, { topic: 'fenced', numPartitions: 1 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => {});
    await broker.stop();
  });

  it('one committed and one aborted transaction: read_committed sees the committed ones, read_uncommitted both, nobody the markers', async () => {
    const producer = await transactional('orders-app');
    const committed = await producer.transaction();
    await committed.send({ topic: 'orders', messages: [{ value: 'c-0', partition: 0 }, { value: 'c-1', partition: 1 }, { value: 'c-2', partition: 0 }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'orders', messages: [{ value: 'a-0', partition: 0 }, { value: 'a-1', partition: 1 }] });
    await aborted.abort();
    // A plain message after both, so both consumers have something to reach.
    const plain = kafka.producer();
    producers.push(plain);
    await plain.connect();
    await plain.send({ topic: 'orders', messages: [{ value: 'p-0', partition: 0 }, { value: 'p-1', partition: 1 }] });

    const rc = await consume(kafka, 'orders', 5, false);
    expect(rc.map((m) => m.value).sort()).toEqual(['c-0', 'c-1', 'c-2', 'p-0', 'p-1']);
    const ru = await consume(kafka, 'orders', 7, true);
    expect(ru.map((m) => m.value).sort()).toEqual(['a-0', 'a-1', 'c-0', 'c-1', 'c-2', 'p-0', 'p-1']);

    // The markers are in the log (the raw fetch shows them), at offsets no consumer was handed.
    const raw = await fetchAll(kafka, 'orders', 0, 0, { isolationLevel: 0 });
    const values = new Set(['a-0', 'a-1', 'c-0', 'c-1', 'c-2', 'p-0', 'p-1']);
    const markerOffsets = raw.filter((m) => !values.has(m.value?.toString() ?? '')).map((m) => Number(m.offset));
    expect(markerOffsets.length).toBe(2);
    for (const seen of [rc, ru]) expect(seen.filter((m) => m.partition === 0 && markerOffsets.includes(m.offset))).toEqual([]);

    // librdkafka agrees.
    const rcKcat = await kcat(['-C', '-b', broker.bootstrap, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed']);
    expect(rcKcat.stdout.trim().split('\n').sort()).toEqual(['c-0', 'c-1', 'c-2', 'p-0', 'p-1']);
    const ruKcat = await kcat(['-C', '-b', broker.bootstrap, '-t', 'orders', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_uncommitted']);
    expect(ruKcat.stdout.trim().split('\n').sort()).toEqual(['a-0', 'a-1', 'c-0', 'c-1', 'c-2', 'p-0', 'p-1']);
  });

  it('an open transaction holds read_committed consumers at its first offset until it commits', async () => {
    const producer = await transactional('slow-app');
    const tx = await producer.transaction();
    await tx.send({ topic: 'fenced', messages: [{ value: 'pending' }] });
    const before = await kcat(['-C', '-b', broker.bootstrap, '-t', 'fenced', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed']);
    expect(before.stdout).toBe('');
    expect((await fetchAll(kafka, 'fenced', 0)).length).toBe(0);
    await tx.commit();
    const after = await kcat(['-C', '-b', broker.bootstrap, '-t', 'fenced', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed']);
    expect(after.stdout).toBe('pending\n');
  });

  it('consume-transform-produce with sendOffsets: a crashed instance never loses or duplicates output', async () => {
    const N = 40;
    const source = kafka.producer();
    producers.push(source);
    await source.connect();
    await source.send({ topic: 'in', messages: Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })) });

    /** One app instance: per batch, one transaction with the output and the input offsets. `crashAfter` leaves a transaction open and stops. */
    const runInstance = async (crashAfter: number | null) => {
      const producer = await transactional('ctp-app');
      const consumer = kafka.consumer({ groupId: 'ctp', maxWaitTimeInMs: 100, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topic: 'in', fromBeginning: true });
      let processed = 0;
      let crashed = false;
      let abandoned: string[] = [];
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          if (crashed) return;
          const tx = await producer.transaction();
          const messages = batch.messages.slice(0, 3);
          await tx.send({ topic: 'out', messages: messages.map((m) => ({ key: m.key, value: m.value!.toString().toUpperCase(), partition: batch.partition })) });
          processed += messages.length;
          if (crashAfter !== null && processed >= crashAfter) {
            // The instance dies here: its transaction (output written, offsets not) stays open.
            crashed = true;
            abandoned = messages.map((m) => m.value!.toString().toUpperCase());
            return;
          }
          const last = messages[messages.length - 1]!;
          await tx.sendOffsets({ consumerGroupId: 'ctp', topics: [{ topic: 'in', partitions: [{ partition: batch.partition, offset: String(Number(last.offset) + 1) }] }] });
          await tx.commit();
          for (const m of messages) resolveOffset(m.offset);
        },
      });
      return { producer, consumer, isCrashed: () => crashed, processed: () => processed, abandoned: () => abandoned };
    };

    const first = await runInstance(10);
    await until('the first instance to crash', () => first.isCrashed());
    await first.consumer.disconnect();
    // Each transaction takes three messages of one partition (each holds 20): the fourth one,
    // at 12 processed, is the first past 10, and is left open with its three outputs.
    expect(first.processed()).toBe(12);
    expect(first.abandoned()).toHaveLength(3);
    // The second instance takes the same transactional id: the first is fenced, its open transaction aborted.
    const second = await runInstance(null);
    const admin = kafka.admin();
    await admin.connect();
    await until('every input offset committed', async () => {
      const offsets = await admin.fetchOffsets({ groupId: 'ctp', topics: ['in'] });
      return offsets[0]!.partitions.every((p) => Number(p.offset) === N / 2);
    }, 30_000);
    await admin.disconnect();
    await second.consumer.disconnect();

    const output = await consume(kafka, 'out', N, false);
    expect(output.map((m) => m.value).sort()).toEqual(Array.from({ length: N }, (_, i) => `V${i}`).sort());
    // read_uncommitted shows the aborted output of the crashed instance too: it was written, then
    // aborted. Exactly that: the 40 committed outputs and the three of the open transaction.
    const all = await consume(kafka, 'out', N + 3, true);
    expect(all.map((m) => m.value).sort()).toEqual([...Array.from({ length: N }, (_, i) => `V${i}`), ...first.abandoned()].sort());
  });

  it('fences a zombie: after a second instance initializes, the first cannot commit', async () => {
    const zombie = await transactional('zombie-app');
    const tx = await zombie.transaction();
    await tx.send({ topic: 'fenced', messages: [{ value: 'from-zombie' }] });
    const fresh = await transactional('zombie-app');
    // kafkajs calls InitProducerId when the first transaction begins.
    const ftx = await fresh.transaction();
    await expect(tx.commit()).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    await ftx.send({ topic: 'fenced', messages: [{ value: 'from-fresh' }] });
    await ftx.commit();
    const rc = await kcat(['-C', '-b', broker.bootstrap, '-t', 'fenced', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed']);
    expect(rc.stdout.split('\n').filter((l) => l.startsWith('from-'))).toEqual(['from-fresh']);
  });
});

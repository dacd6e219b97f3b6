/**
 * Transactions in a cluster: a transactional id's coordinator is the leader of its
 * `__transaction_state` partition, markers reach partitions led by other brokers through
 * WriteTxnMarkers, and when the coordinator's broker dies the partition's new leader carries on
 * from the replicated state: an open transaction is aborted when a new producer instance fences
 * it, a decided one gets its markers from the new coordinator. read_committed consumers (kcat,
 * librdkafka) see each committed record once and no aborted one.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/java-hash.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  DescribeProducersApi, type DescribeProducersResponse, DescribeTransactionsApi, type DescribeTransactionsResponse, FindCoordinatorApi, type FindCoordinatorResponse, InitProducerIdApi, type InitProducerIdResponse,
  WriteTxnMarkersApi, type WriteTxnMarkersResponse,
} from '../../src/protocol/messages/index.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { partitionStates, withClient } from '../helpers/cluster-metadata.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { kcat } from '../helpers/kcat-cli.js';
import { call, connectProducer, disconnect } from '../helpers/rdkafka.js';
import { until } from '../helpers/until.js';

const STATE_PARTITIONS = 4;
const TOPIC = 'ledger';
const TXN = 1;

function client(cluster: TestCluster): Kafka {
  return new Kafka({ clientId: 'txn-cluster-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 500 } });
}

function findCoordinator(bootstrap: string, key: string, keyType = TXN): Promise<FindCoordinatorResponse> {
  return withClient(bootstrap, (c) => c.request<FindCoordinatorResponse>(FindCoordinatorApi, 3, { key, keyType }));
}

async function describeTxn(bootstrap: string, id: string): Promise<DescribeTransactionsResponse['transactionStates'][number]> {
  const r = await withClient(bootstrap, (c) => c.request<DescribeTransactionsResponse>(DescribeTransactionsApi, 0, { transactionalIds: [id] }));
  return r.transactionStates[0]!;
}

/** The live broker every other live broker names as `id`'s coordinator. */
async function coordinatorOf(cluster: TestCluster, id: string, not?: number): Promise<number> {
  return until(`the coordinator of ${id}`, async () => {
    const live = cluster.nodes.filter((n) => n.process !== null);
    const named = await Promise.all(live.map((n) => findCoordinator(n.bootstrap, id).catch(() => undefined)));
    const ids = new Set(named.map((r) => (r?.errorCode === ErrorCode.NONE ? r.nodeId : -1)));
    const [only] = [...ids];
    return ids.size === 1 && only !== undefined && only > 0 && only !== not && live.some((n) => n.nodeId === only) ? only : undefined;
  }, 30_000);
}

/** Every value of `topic` a read_committed librdkafka consumer reads to the end, sorted. */
async function readCommitted(cluster: TestCluster, topic = TOPIC): Promise<string[]> {
  const bootstrap = cluster.nodes.filter((n) => n.process !== null).map((n) => `127.0.0.1:${n.port}`).join(',');
  const r = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\\n'], undefined, 30_000);
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

const values = (prefix: string): string[] => [0, 1, 2].map((p) => `${prefix}-${p}`);
const messages = (prefix: string) => [0, 1, 2].map((partition) => ({ partition, value: `${prefix}-${partition}` }));

describe.skipIf(ETCD_SKIPPED)('transactions across brokers (three broker processes, real etcd)', () => {
  // One cluster for every step: test/helpers/etcd.ts stops the etcd after each test.
  let cluster: TestCluster;
  let kafka: Kafka;
  const producers: Producer[] = [];
  const transactional = async (transactionalId: string): Promise<Producer> => {
    const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
    producers.push(p);
    await p.connect();
    return p;
  };
  /** Committed values so far, which every read must show exactly once. */
  const committed: string[] = [];

  const start = async (): Promise<void> => {
    cluster = await TestCluster.start(3, { 'transaction.state.log.num.partitions': String(STATE_PARTITIONS), 'offsets.topic.num.partitions': '4' });
    kafka = client(cluster);
    const ps = await cluster.createTopic(TOPIC, { partitions: 3 });
    // The controller spreads the leaders: the markers of one transaction go to three brokers.
    expect(new Set(ps.map((p) => p.leader)).size).toBe(3);
  };

  /** The leader of the id's __transaction_state partition coordinates it; commits and aborts across three leaders; read_committed sees the committed ones. */
  const commitsAndAborts = async (): Promise<void> => {
    const id = 'payments';
    const coordinator = await coordinatorOf(cluster, id);
    const state = await until('__transaction_state with 3 replicas', async () => {
      const ps = await partitionStates(cluster.node(coordinator).bootstrap, '__transaction_state');
      return ps.length === STATE_PARTITIONS && ps.every((p) => p.replicas.length === 3) ? ps : undefined;
    }, 30_000);
    expect(state[partitionForKey(id, STATE_PARTITIONS)]!.leader).toBe(coordinator);
    // The other brokers refuse to coordinate it.
    for (const n of [1, 2, 3].filter((x) => x !== coordinator)) {
      const r = await withClient(cluster.node(n).bootstrap, (c) => c.request<InitProducerIdResponse>(InitProducerIdApi, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }));
      expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    }

    // Two replicas of three partitions on three brokers: the coordinator holds no replica of one
    // of them, and adds and marks it all the same.
    await cluster.createTopic('audit', { partitions: 3, replicationFactor: 2 });

    const producer = await transactional(id);
    const t1 = await producer.transaction();
    await t1.send({ topic: TOPIC, acks: -1, messages: messages('c1') });
    await t1.send({ topic: 'audit', acks: -1, messages: messages('audit-c1') });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: TOPIC, acks: -1, messages: messages('a2') });
    await t2.send({ topic: 'audit', acks: -1, messages: messages('audit-a2') });
    await t2.abort();
    const t3 = await producer.transaction();
    await t3.send({ topic: TOPIC, acks: -1, messages: messages('c3') });
    await t3.commit();
    committed.push(...values('c1'), ...values('c3'));
    const done = await describeTxn(cluster.node(coordinator).bootstrap, id);
    expect(done.transactionState).toBe('CompleteCommit');

    // WriteTxnMarkers as a coordinator sends it: a follower refuses it; the leader refuses a
    // deposed coordinator's epoch and a fenced producer epoch.
    const leader = (await partitionStates(cluster.node(coordinator).bootstrap, TOPIC))[0]!.leader;
    const writeMarker = async (node: number, coordinatorEpoch: number, producerEpoch: number): Promise<number> => {
      const body = { markers: [{ producerId: done.producerId, producerEpoch, transactionResult: false, coordinatorEpoch, topics: [{ name: TOPIC, partitionIndexes: [0] }] }] };
      const r = await withClient(cluster.node(node).bootstrap, (c) => c.request<WriteTxnMarkersResponse>(WriteTxnMarkersApi, 1, body));
      return r.markers[0]!.topics[0]!.partitions[0]!.errorCode;
    };
    expect(await writeMarker([1, 2, 3].find((n) => n !== leader)!, 0, done.producerEpoch)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await writeMarker(leader, -1, done.producerEpoch)).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect(await writeMarker(leader, 0, done.producerEpoch - 1)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    // The partition's leader describes its producers; a follower refers the client to the leader.
    const describeProducers = (node: number) => withClient(cluster.node(node).bootstrap, (c) => c.request<DescribeProducersResponse>(DescribeProducersApi, 0, { topics: [{ name: TOPIC, partitionIndexes: [0] }] }));
    expect((await describeProducers([1, 2, 3].find((n) => n !== leader)!)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const described = (await describeProducers(leader)).topics[0]!.partitions[0]!;
    const entry = described.activeProducers.find((a) => a.producerId === done.producerId);
    expect({ errorCode: described.errorCode, epoch: entry?.producerEpoch, openTxn: entry?.currentTxnStartOffset }).toEqual({ errorCode: ErrorCode.NONE, epoch: done.producerEpoch, openTxn: -1n });
    expect(await readCommitted(cluster)).toEqual([...committed].sort());
    expect(await readCommitted(cluster, 'audit')).toEqual(values('audit-c1'));
  };

  /** The coordinator's broker is SIGKILLed mid-transaction: the new coordinator has it, and a new producer instance fences and aborts it. */
  const killedMidTransaction = async (): Promise<void> => {
    const id = 'refunds';
    const coordinator = await coordinatorOf(cluster, id);
    const zombie = await transactional(id);
    const open = await zombie.transaction();
    await open.send({ topic: TOPIC, acks: -1, messages: messages('z') });
    const before = await describeTxn(cluster.node(coordinator).bootstrap, id);
    expect({ state: before.transactionState, partitions: before.topics }).toEqual({ state: 'Ongoing', partitions: [{ topic: TOPIC, partitions: [0, 1, 2] }] });

    await cluster.killNode(coordinator);
    const next = await coordinatorOf(cluster, id, coordinator);
    // The replicated state came along: the same transaction, still open, at the same epoch.
    const moved = await until('the transaction at the new coordinator', async () => {
      const d = await describeTxn(cluster.node(next).bootstrap, id);
      return d.errorCode === ErrorCode.NONE ? d : undefined;
    }, 30_000);
    expect({ state: moved.transactionState, producerId: moved.producerId, epoch: moved.producerEpoch }).toEqual({ state: 'Ongoing', producerId: before.producerId, epoch: before.producerEpoch });

    // A new instance of the producer: InitProducerId aborts the open transaction (its markers to
    // the three partitions' current leaders) and bumps the epoch past the zombie's.
    const successor = await transactional(id);
    const t = await successor.transaction();
    await t.send({ topic: TOPIC, acks: -1, messages: messages('s') });
    await t.commit();
    committed.push(...values('s'));
    const after = await describeTxn(cluster.node(next).bootstrap, id);
    expect({ state: after.transactionState, producerId: after.producerId, epoch: after.producerEpoch }).toEqual({ state: 'CompleteCommit', producerId: before.producerId, epoch: before.producerEpoch + 2 });
    // The zombie can no longer commit.
    await expect(open.commit()).rejects.toThrow();

    await cluster.startNode(coordinator);
    expect(await readCommitted(cluster)).toEqual([...committed].sort());
  };

  /** The coordinator's broker is SIGKILLed between PrepareCommit and CompleteCommit: the new coordinator writes the markers. */
  const killedAfterPrepare = async (): Promise<void> => {
    const id = 'settlements';
    const coordinator = await coordinatorOf(cluster, id);
    const ps = await until('every partition led, all replicas in sync', async () => {
      const s = await partitionStates(cluster.node(coordinator).bootstrap, TOPIC);
      return s.length === 3 && s.every((p) => p.leader > 0 && p.isr.length === 3) ? s : undefined;
    }, 30_000);
    // A broker that leads a partition of the transaction and does not coordinate it: cut off from
    // the other brokers, it cannot take its marker, so the commit stays decided but incomplete.
    const cut = ps.find((p) => p.leader !== coordinator)!.leader;
    const producer = await transactional(id);
    const t = await producer.transaction();
    await t.send({ topic: TOPIC, acks: -1, messages: messages('p') });
    cluster.isolate(cut);
    // The producer's EndTxn is answered once every marker is written: it fails with the
    // coordinator's connection (or, retried at the new one, succeeds); either way the decision holds.
    const commit = t.commit().catch(() => undefined);
    await until('PrepareCommit at the coordinator', async () => (await describeTxn(cluster.node(coordinator).bootstrap, id)).transactionState === 'PrepareCommit', 30_000);
    await cluster.killNode(coordinator);
    cluster.heal(cut);
    await commit;

    const next = await coordinatorOf(cluster, id, coordinator);
    await until('CompleteCommit at the new coordinator', async () => (await describeTxn(cluster.node(next).bootstrap, id).catch(() => undefined))?.transactionState === 'CompleteCommit', 30_000);
    committed.push(...values('p'));
    await cluster.startNode(coordinator);
    expect(await readCommitted(cluster)).toEqual([...committed].sort());
  };

  /**
   * Consume-transform-produce: kafkajs reads `orders` in a group and, in one transaction per
   * record, writes to `shipments` and commits the group's offset (sendOffsets) through a group
   * coordinator on another broker than the transaction's.
   */
  const consumeTransformProduce = async (): Promise<void> => {
    const id = 'shipper';
    await cluster.createTopic('orders', { partitions: 3 });
    await cluster.createTopic('shipments', { partitions: 3 });
    const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producers.push(plain);
    await plain.connect();
    await plain.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 9 }, (_, i) => ({ partition: i % 3, value: `o${i}` })) });
    const txnCoordinator = await coordinatorOf(cluster, id);
    const candidates = Array.from({ length: 20 }, (_, i) => `transformer-${i}`);
    const live = cluster.nodes.find((n) => n.process !== null)!.bootstrap;
    await until('__consumer_offsets', async () => (await findCoordinator(live, candidates[0]!, 0)).errorCode === ErrorCode.NONE, 30_000);
    const offsets = await until('__consumer_offsets led', async () => {
      const ps = await partitionStates(live, '__consumer_offsets');
      return ps.length === 4 && ps.every((p) => p.leader > 0) ? ps : undefined;
    }, 30_000);
    const groupId = candidates.find((g) => offsets[partitionForKey(g, 4)]!.leader !== txnCoordinator)!;
    expect((await findCoordinator(live, groupId, 0)).nodeId).not.toBe(txnCoordinator);

    const producer = await transactional(id);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let processed = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const t = await producer.transaction();
        await t.send({ topic: 'shipments', acks: -1, messages: [{ partition, value: `ship-${message.value!.toString()}` }] });
        await t.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }] });
        await t.commit();
        processed++;
      },
    });
    try {
      await until('9 records transformed', () => processed === 9, 60_000);
    } finally {
      await consumer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const committedOffsets = await admin.fetchOffsets({ groupId, topics: ['orders'] });
      expect(committedOffsets[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '3'], [1, '3'], [2, '3']]);
    } finally {
      await admin.disconnect();
    }
    expect(await readCommitted(cluster, 'shipments')).toEqual(Array.from({ length: 9 }, (_, i) => `ship-o${i}`).sort());
  };

  /** librdkafka's transactional producer: a commit and an abort over the three leaders. */
  const librdkafka = async (): Promise<void> => {
    const producer = await connectProducer(cluster.bootstrap, { 'transactional.id': 'rdkafka-ledger', 'transaction.timeout.ms': 60_000 });
    try {
      await call((cb) => producer.initTransactions(30_000, cb));
      for (const [prefix, commit] of [['rc', true], ['ra', false]] as const) {
        await call((cb) => producer.beginTransaction(cb));
        for (const m of messages(prefix)) producer.produce(TOPIC, m.partition, Buffer.from(m.value));
        // Delivered before the abort (librdkafka purges what it has not sent yet when aborting).
        await call((cb) => producer.flush(30_000, cb));
        await call((cb) => (commit ? producer.commitTransaction(30_000, cb) : producer.abortTransaction(30_000, cb)));
      }
    } finally {
      await disconnect(producer);
    }
    committed.push(...values('rc'));
    expect(await readCommitted(cluster)).toEqual([...committed].sort());
  };

  it('commits and aborts across leaders; a coordinator SIGKILLed mid-transaction or between prepare and complete: read_committed sees each committed record once, no aborted one; consume-transform-produce with sendOffsets across brokers; librdkafka', async () => {
    try {
      await start();
      await commitsAndAborts();
      await killedMidTransaction();
      await killedAfterPrepare();
      await consumeTransformProduce();
      await librdkafka();
    } finally {
      for (const p of producers) await p.disconnect().catch(() => undefined);
      await cluster?.destroy();
    }
  }, 180_000);
});

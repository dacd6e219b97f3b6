/**
 * Consumer groups in a cluster: a group's coordinator is the leader of its `__consumer_offsets`
 * partition (replicated like any partition), other brokers send clients there, and when the
 * coordinator's broker dies the new leader of that partition takes the group with its committed
 * offsets.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../src/broker/groups/hash.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { FindCoordinatorApi, type FindCoordinatorResponse, OffsetFetchApi, type OffsetFetchResponse } from '../../src/protocol/messages/index.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';

const OFFSETS_PARTITIONS = 6;
const GROUP = 'billing';

function client(cluster: TestCluster): Kafka {
  return new Kafka({ clientId: 'groups-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 40, initialRetryTime: 100, maxRetryTime: 500 } });
}

async function findCoordinator(bootstrap: string): Promise<FindCoordinatorResponse> {
  const c = await RawClient.open(bootstrap);
  try {
    return await c.request<FindCoordinatorResponse>(FindCoordinatorApi, 3, { key: GROUP, keyType: 0 });
  } finally {
    c.socket.destroy();
  }
}

async function offsetFetch(bootstrap: string): Promise<OffsetFetchResponse> {
  const c = await RawClient.open(bootstrap);
  try {
    return await c.request<OffsetFetchResponse>(OffsetFetchApi, 7, { groupId: GROUP, topics: null, requireStable: false });
  } finally {
    c.socket.destroy();
  }
}

/** Consume `count` records of `topic` in group GROUP with kafkajs, committing; the values read. */
async function consume(cluster: TestCluster, topic: string, count: number): Promise<string[]> {
  const consumer = client(cluster).consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 100,
    eachMessage: async ({ message }) => {
      values.push(message.value!.toString());
    },
  });
  try {
    await until(`${count} records consumed`, () => values.length >= count, 90_000);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe.skipIf(ETCD_SKIPPED)('consumer groups across brokers (three broker processes, real etcd)', () => {
  it('the coordinator is the leader of the group\'s __consumer_offsets partition; when its broker dies the partition\'s new leader takes the group with its committed offsets', async () => {
    const cluster = await TestCluster.start(3, { 'offsets.topic.num.partitions': String(OFFSETS_PARTITIONS) });
    try {
      const kafka = client(cluster);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'invoices', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      for (let b = 0; b < 20; b++) {
        await producer.send({ topic: 'invoices', acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: String(b * 50 + i) })) });
      }

      // The first lookup creates __consumer_offsets through the controller, replicated three times.
      await until('a coordinator', async () => (await findCoordinator(cluster.node(1).bootstrap)).errorCode === ErrorCode.NONE, 30_000);
      const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
      const offsetsTopic = (await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] })).topics[0]!;
      expect(offsetsTopic.partitions).toHaveLength(OFFSETS_PARTITIONS);
      expect(offsetsTopic.partitions.every((p) => p.replicas.length === 3)).toBe(true);
      const leader = offsetsTopic.partitions.find((p) => p.partitionId === partition)!.leader;
      // Every broker names the same coordinator: the partition's leader.
      for (const n of [1, 2, 3]) expect((await findCoordinator(cluster.node(n).bootstrap)).nodeId).toBe(leader);
      // The others refuse to coordinate the group.
      for (const n of [1, 2, 3].filter((x) => x !== leader)) expect((await offsetFetch(cluster.node(n).bootstrap)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);

      // Consume everything with commits through that coordinator, then kill its broker.
      const first = await consume(cluster, 'invoices', 1000);
      expect(new Set(first).size).toBe(1000);
      await cluster.killNode(leader);

      // The new coordinator (the partition's new leader) has the offsets committed through the old one.
      const next = await until('a new coordinator', async () => {
        const r = await findCoordinator(cluster.node([1, 2, 3].find((x) => x !== leader)!).bootstrap);
        return r.errorCode === ErrorCode.NONE && r.nodeId !== leader ? r.nodeId : undefined;
      }, 30_000);
      const committed = await until('the committed offsets at the new coordinator', async () => {
        const r = await offsetFetch(cluster.node(next).bootstrap);
        const total = r.topics.flatMap((t) => t.partitions).reduce((n, p) => n + Number(p.committedOffset), 0);
        return r.errorCode === ErrorCode.NONE && total === 1000 ? r : undefined;
      }, 30_000);
      expect(committed.topics.flatMap((t) => t.partitions).map((p) => p.errorCode)).toEqual([0, 0, 0]);

      // A new member of the group starts where the group left off: only records produced since.
      await producer.send({ topic: 'invoices', acks: -1, messages: [{ key: 'k0', value: 'after' }] });
      expect(await consume(cluster, 'invoices', 1)).toEqual(['after']);
      await producer.disconnect();
      await admin.disconnect();
    } finally {
      await cluster.destroy();
    }
  }, 240_000);
});

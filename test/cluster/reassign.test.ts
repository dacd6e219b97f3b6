/**
 * Partition reassignment (KIP-455) in a cluster of broker processes on a real etcd: the target
 * replicas are added first (listed as adding, fetching under follower.replication.throttled.rate or
 * leader.replication.throttled.rate),
 * the leader moves once they are in the ISR, the removed replica deletes its log; a cancellation
 * goes back to the original replicas; Kafka's errors for bad requests.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { AlterPartitionReassignmentsApi, ListPartitionReassignmentsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { AlterPartitionReassignmentsResponse, ListPartitionReassignmentsResponse, ProduceResponse } from '../../src/protocol/messages/index.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { type PartitionState, partitionState, withClient } from '../helpers/cluster-metadata.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';

const TOPIC = 'moves';
const RATE = 100_000;

type P0 = PartitionState;

const partition0 = (bootstrap: string): Promise<P0 | undefined> => partitionState(bootstrap, TOPIC);

function alter(bootstrap: string, partitions: Array<{ partitionIndex: number; replicas: number[] | null }>): Promise<Array<{ partitionIndex: number; errorCode: number; errorMessage: string | null }>> {
  return withClient(bootstrap, async (c) => {
    const res = await c.request<AlterPartitionReassignmentsResponse>(AlterPartitionReassignmentsApi, 0, { timeoutMs: 10_000, topics: [{ name: TOPIC, partitions }] });
    expect(res.errorCode).toBe(0);
    return res.responses.flatMap((t) => t.partitions);
  });
}

async function list(bootstrap: string): Promise<Array<{ partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }>> {
  return withClient(bootstrap, async (c) => {
    const res = await c.request<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsApi, 0, { timeoutMs: 10_000, topics: null });
    expect(res.errorCode).toBe(0);
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] })));
  });
}

/** `count` records of 200 bytes, acks=all, through the leader: about count x 230 bytes of log. */
async function fill(bootstrap: string, count: number): Promise<void> {
  await withClient(bootstrap, async (c) => {
    for (let i = 0; i < count; i += 100) {
      const values = Array.from({ length: 100 }, (_, j) => `${String(i + j).padStart(8, '0')}${'x'.repeat(192)}`);
      const res = await c.request<ProduceResponse>(ProduceApi, 10, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeBatch(values.map((value) => ({ value }))) }] }] });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
  });
}

async function setup(cluster: TestCluster): Promise<P0> {
  return (await cluster.createTopic(TOPIC, { replicationFactor: 2 }))[0]!;
}

describe.skipIf(ETCD_SKIPPED)('partition reassignment (three broker processes, real etcd)', () => {
  // Either side's throttle alone holds the adding replica to the rate (Kafka throttles both).
  it.each(['follower.replication.throttled.rate', 'leader.replication.throttled.rate'])('adds the target replica under %s, lists it as adding, moves the leader, drops the removed replica and its log', async (throttle) => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false', [throttle]: String(RATE) });
    try {
      const start = await setup(cluster);
      const [a, b] = start.replicas as [number, number];
      const c = [1, 2, 3].find((n) => n !== a && n !== b)!;
      await fill(cluster.node(start.leader).bootstrap, 2000);
      // At least the record values (segment files may be preallocated, so their size says less).
      const bytes = 2000 * 200;

      // Errors first, as Kafka words them.
      const bad = await alter(cluster.node(1).bootstrap, [{ partitionIndex: 5, replicas: [1] }, { partitionIndex: 0, replicas: [a, 9] }, { partitionIndex: 0, replicas: [] }]);
      expect(bad).toEqual([
        { partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${TOPIC}-5.` },
        { partitionIndex: 0, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes broker 9, but no such broker is registered.' },
        { partitionIndex: 0, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes an empty replica list.' },
      ]);
      expect(await alter(cluster.node(1).bootstrap, [{ partitionIndex: 0, replicas: null }])).toEqual([
        { partitionIndex: 0, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: `Unable to cancel reassignment of ${TOPIC}-0: no reassignment is in progress.` },
      ]);

      const t0 = Date.now();
      expect(await alter(cluster.node(1).bootstrap, [{ partitionIndex: 0, replicas: [c, a] }])).toEqual([{ partitionIndex: 0, errorCode: 0, errorMessage: null }]);
      const inProgress = await until('the target replica added', async () => {
        const l = await list(cluster.node(2).bootstrap);
        return l.length > 0 && l[0]!.replicas.length === 3 ? l : undefined;
      });
      expect(inProgress).toEqual([{ partitionIndex: 0, replicas: [c, a, b], addingReplicas: [c], removingReplicas: [b] }]);

      const done = await until('the reassignment to complete', async () => {
        const p = await partition0(cluster.node(a).bootstrap);
        return p && p.replicas.length === 2 && p.replicas[0] === c ? p : undefined;
      }, 60_000);
      const elapsed = Date.now() - t0;
      expect(await list(cluster.node(3).bootstrap)).toEqual([]);
      expect(done.replicas).toEqual([c, a]);
      expect(done.isr).toEqual([a, c].sort());
      // The leader stays if it is a target replica; b's leadership moves to the first target replica in the ISR.
      expect({ leader: done.leader, leaderEpoch: done.leaderEpoch }).toEqual(start.leader === b ? { leader: c, leaderEpoch: start.leaderEpoch + 1 } : { leader: a, leaderEpoch: start.leaderEpoch });
      // A second's worth of tokens to start with, then the rate.
      expect(elapsed).toBeGreaterThanOrEqual(((bytes - RATE) / RATE) * 1000 * 0.8);
      await until('the removed replica to delete its log', () => !existsSync(join(cluster.node(b).dataDir, `${TOPIC}-0`)));
      await until('the added replica byte-identical to the other', () => cluster.segmentBytes(c, TOPIC, 0).equals(cluster.segmentBytes(a, TOPIC, 0)));
      console.log(`reassignment of more than ${bytes} bytes at ${throttle}=${RATE}: ${elapsed} ms`);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('a cancellation goes back to the original replicas and the added replica deletes its log', async () => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false', 'follower.replication.throttled.rate': '20000' });
    try {
      const start = await setup(cluster);
      const [a, b] = start.replicas as [number, number];
      const c = [1, 2, 3].find((n) => n !== a && n !== b)!;
      await fill(cluster.node(start.leader).bootstrap, 1000);
      expect(await alter(cluster.node(1).bootstrap, [{ partitionIndex: 0, replicas: [c] }])).toEqual([{ partitionIndex: 0, errorCode: 0, errorMessage: null }]);
      await until('the target replica fetching', () => cluster.segmentSize(c, TOPIC, 0) > 0);
      expect(await list(cluster.node(1).bootstrap)).toEqual([{ partitionIndex: 0, replicas: [c, a, b], addingReplicas: [c], removingReplicas: [a, b] }]);
      expect(await alter(cluster.node(1).bootstrap, [{ partitionIndex: 0, replicas: null }])).toEqual([{ partitionIndex: 0, errorCode: 0, errorMessage: null }]);
      const back = await until('the original replicas back', async () => {
        const p = await partition0(cluster.node(a).bootstrap);
        return p && p.replicas.length === 2 ? p : undefined;
      });
      expect({ replicas: back.replicas, isr: back.isr, leader: back.leader, leaderEpoch: back.leaderEpoch }).toEqual({ replicas: [a, b], isr: [a, b].sort(), leader: start.leader, leaderEpoch: start.leaderEpoch });
      expect(await list(cluster.node(1).bootstrap)).toEqual([]);
      await until('the cancelled replica to delete its log', () => !existsSync(join(cluster.node(c).dataDir, `${TOPIC}-0`)));
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('a replica reassigned away while its broker was down deletes its log when the broker returns (a stray replica)', async () => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false' });
    try {
      const start = await setup(cluster);
      const [a, b] = start.replicas as [number, number];
      const c = [1, 2, 3].find((n) => n !== a && n !== b)!;
      await fill(cluster.node(start.leader).bootstrap, 200);
      await cluster.stopNode(b);
      expect(await alter(cluster.node(a).bootstrap, [{ partitionIndex: 0, replicas: [a, c] }])).toEqual([{ partitionIndex: 0, errorCode: 0, errorMessage: null }]);
      const done = await until('the reassignment to complete', async () => {
        const p = await partition0(cluster.node(a).bootstrap);
        return p && p.replicas.length === 2 && p.replicas.includes(c) ? p : undefined;
      });
      expect({ replicas: done.replicas, isr: done.isr, leader: done.leader }).toEqual({ replicas: [a, c], isr: [a, c].sort(), leader: a });
      expect(existsSync(join(cluster.node(b).dataDir, `${TOPIC}-0`))).toBe(true);
      await cluster.startNode(b);
      await until('the returning broker to delete its stray replica', () => !existsSync(join(cluster.node(b).dataDir, `${TOPIC}-0`)));
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});

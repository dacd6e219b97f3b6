/**
 * What clients and followers are told in a cluster of broker processes (real etcd): only the
 * leader takes produce and consumer fetches, acks=all needs min.insync.replicas, a replica that
 * led alone and was replaced truncates what nobody else has, and forged or stale follower
 * fetches are refused without moving anything.
 */
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { FetchApi, ListOffsetsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { FetchResponse, ListOffsetsResponse, ProduceResponse } from '../../src/protocol/messages/index.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { metadataOf, type PartitionState, partitionState } from '../helpers/cluster-metadata.js';
import { kcat } from '../helpers/kcat-cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';

const TOPIC = 'orders';

const partition0 = (bootstrap: string): Promise<PartitionState | undefined> => partitionState(bootstrap, TOPIC);

async function produce(bootstrap: string, acks: number, values: string[]): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  const c = await RawClient.open(bootstrap);
  try {
    const res = await c.request<ProduceResponse>(ProduceApi, 10, {
      transactionalId: null, acks, timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeBatch(values.map((v) => ({ value: v }))) }] }],
    });
    return res.responses[0]!.partitionResponses[0]!;
  } finally {
    c.socket.destroy();
  }
}

async function createTopic(cluster: TestCluster, minIsr: number): Promise<void> {
  await cluster.createTopic(TOPIC, { configs: { 'min.insync.replicas': String(minIsr) } });
}

async function consumeAll(bootstrap: string): Promise<string[]> {
  const r = await kcat(['-b', bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], undefined, 60_000);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe.skipIf(ETCD_SKIPPED)('leadership and replication rules (three broker processes, real etcd)', () => {
  it('only the leader takes produce (followers answer NOT_LEADER_OR_FOLLOWER with the current leader, KIP-951) and consumer fetches before v11 (a follower serves v11+, KIP-392)', async () => {
    const cluster = await TestCluster.start(3);
    try {
      await createTopic(cluster, 1);
      const { leader, leaderEpoch } = (await partition0(cluster.node(1).bootstrap))!;
      const follower = [1, 2, 3].find((n) => n !== leader)!;
      const refused = await produce(cluster.node(follower).bootstrap, -1, ['x']);
      expect({ errorCode: refused.errorCode, currentLeader: refused.currentLeader }).toEqual({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader, leaderEpoch } });
      const ok = await produce(cluster.node(leader).bootstrap, -1, ['a', 'b']);
      expect({ errorCode: ok.errorCode, baseOffset: ok.baseOffset }).toEqual({ errorCode: 0, baseOffset: 0n });

      const c = await RawClient.open(cluster.node(follower).bootstrap);
      const fetchAt = (version: number) => c.request<FetchResponse>(FetchApi, version, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
      // Before v11 a consumer reads from the leader only; from v11 a follower serves it up to the
      // high watermark it knows (KIP-392: Kafka's fetchOnlyLeader is false once the request carries client metadata).
      expect((await fetchAt(10)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const served = (await fetchAt(12)).responses[0]!.partitions[0]!;
      c.socket.destroy();
      expect(served.errorCode).toBe(0);
      expect(served.highWatermark).toBeLessThanOrEqual(2n);
      expect(await consumeAll(cluster.bootstrap)).toEqual(['a', 'b']);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('min.insync.replicas=2: with two of three brokers down acks=all fails with NOT_ENOUGH_REPLICAS (acks=1 still works), and succeeds again once one returns', async () => {
    const cluster = await TestCluster.start(3);
    try {
      await createTopic(cluster, 2);
      const { leader } = (await partition0(cluster.node(1).bootstrap))!;
      const survivor = [1, 2, 3].find((n) => n !== leader)!;
      const others = [1, 2, 3].filter((n) => n !== survivor);
      expect((await produce(cluster.node(leader).bootstrap, -1, ['before'])).errorCode).toBe(0);
      for (const n of others) await cluster.stopNode(n);
      await until('the survivor to lead alone', async () => {
        const p = await partition0(cluster.node(survivor).bootstrap);
        return p?.leader === survivor && p.isr.length === 1;
      });
      const refused = await produce(cluster.node(survivor).bootstrap, -1, ['refused']);
      expect({ errorCode: refused.errorCode, baseOffset: refused.baseOffset }).toEqual({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, baseOffset: -1n });
      const one = await produce(cluster.node(survivor).bootstrap, 1, ['acks-1']);
      expect({ errorCode: one.errorCode, baseOffset: one.baseOffset }).toEqual({ errorCode: 0, baseOffset: 1n });

      await cluster.startNode(others[0]!);
      await until('the returning broker back in the ISR', async () => (await partition0(cluster.node(survivor).bootstrap))?.isr.length === 2, 30_000);
      const accepted = await produce(cluster.node(survivor).bootstrap, -1, ['after']);
      expect({ errorCode: accepted.errorCode, baseOffset: accepted.baseOffset }).toEqual({ errorCode: 0, baseOffset: 2n });
      expect(await consumeAll(cluster.node(survivor).bootstrap)).toEqual(['before', 'acks-1', 'after']);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('a leader paused past its session is replaced; resumed, it truncates what it wrote alone with acks=1 and follows the new leader byte for byte', async () => {
    const cluster = await TestCluster.start(3);
    try {
      await createTopic(cluster, 1);
      const { leader: old, leaderEpoch } = (await partition0(cluster.node(1).bootstrap))!;
      const followers = [1, 2, 3].filter((n) => n !== old);
      expect((await produce(cluster.node(old).bootstrap, -1, ['r0', 'r1'])).errorCode).toBe(0);
      // Cut off from its followers (well inside the lag time), the leader takes two records with
      // acks=1 that only it has, and then stops past its session.
      cluster.isolate(old);
      const alone = await produce(cluster.node(old).bootstrap, 1, ['lost-1', 'lost-2']);
      expect({ errorCode: alone.errorCode, baseOffset: alone.baseOffset }).toEqual({ errorCode: 0, baseOffset: 2n });
      cluster.pauseNode(old);
      cluster.heal(old);

      const next = await until('a new leader', async () => {
        const p = await partition0(cluster.node(followers[0]!).bootstrap);
        return p !== undefined && p.leader !== old && p.leader >= 0 ? p : undefined;
      }, 20_000);
      expect(next.leaderEpoch).toBe(leaderEpoch + 1);
      // A fetch in the old epoch is fenced by the new leader (KIP-320), for a consumer as for a replica.
      const c = await RawClient.open(cluster.node(next.leader).bootstrap);
      for (const replicaId of [-1, followers.find((f) => f !== next.leader)!]) {
        const fenced = await c.request<FetchResponse>(FetchApi, 12, { replicaId, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: leaderEpoch, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
        const p = fenced.responses[0]!.partitions[0]!;
        expect({ errorCode: p.errorCode, records: p.records?.length ?? 0, currentLeader: p.currentLeader }).toEqual({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, records: 0, currentLeader: { leaderId: next.leader, leaderEpoch: next.leaderEpoch } });
      }
      c.socket.destroy();
      const written = await produce(cluster.node(next.leader).bootstrap, -1, ['new-2', 'new-3', 'new-4']);
      expect({ errorCode: written.errorCode, baseOffset: written.baseOffset }).toEqual({ errorCode: 0, baseOffset: 2n });

      cluster.resumeNode(old);
      await until('the old leader to agree with the new one', () => {
        const a = cluster.segmentSize(old, TOPIC, 0);
        return a > 0 && a === cluster.segmentSize(next.leader, TOPIC, 0);
      }, 30_000);
      await until('the old leader back in the ISR', async () => (await partition0(cluster.node(next.leader).bootstrap))?.isr.includes(old));
      for (const n of [1, 2, 3]) await cluster.stopNode(n);
      const reference = cluster.segmentBytes(next.leader, TOPIC, 0);
      for (const n of [1, 2, 3]) expect(cluster.segmentBytes(n, TOPIC, 0).equals(reference)).toBe(true);
      await cluster.startNode(old);
      await cluster.startNode(next.leader);
      expect(await consumeAll(cluster.bootstrap)).toEqual(['r0', 'r1', 'new-2', 'new-3', 'new-4']);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('refuses a forged replica id, another session\'s broker epoch, a newer leader epoch and a follower fetching past the end, recording nothing', async () => {
    const cluster = await TestCluster.start(3);
    try {
      await createTopic(cluster, 1);
      const { leader, leaderEpoch } = (await partition0(cluster.node(1).bootstrap))!;
      const follower = [1, 2, 3].find((n) => n !== leader)!;
      expect((await produce(cluster.node(leader).bootstrap, -1, ['a', 'b', 'c'])).errorCode).toBe(0);
      // The followers are cut off: nothing but the forged fetches below could move the high watermark.
      cluster.isolate(leader);
      expect((await produce(cluster.node(leader).bootstrap, 1, ['d'])).errorCode).toBe(0);
      const topicId = (await metadataOf(cluster.node(leader).bootstrap, [TOPIC])).topics[0]!.topicId;

      const c = await RawClient.open(cluster.node(leader).bootstrap);
      const fetchAs = async (version: number, replicaId: number, replicaEpoch: bigint, fetchOffset: bigint, currentLeaderEpoch: number): Promise<number> => {
        const res = await c.request<FetchResponse>(FetchApi, version, {
          replicaId, replicaState: { replicaId, replicaEpoch }, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: TOPIC, topicId, partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
        });
        return res.responses[0]!.partitions[0]!.errorCode;
      };
      const latest = async (): Promise<bigint> => {
        const res = await c.request<ListOffsetsResponse>(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
        return res.topics[0]!.partitions[0]!.offset;
      };
      expect(await latest()).toBe(3n); // 'd' is not on the followers
      expect(await fetchAs(12, 77, -1n, 4n, leaderEpoch)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(await fetchAs(15, follower, 999_999n, 4n, leaderEpoch)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(await fetchAs(12, follower, -1n, 4n, leaderEpoch + 1)).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
      expect(await fetchAs(12, follower, -1n, 99n, leaderEpoch)).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(await latest()).toBe(3n);
      c.socket.destroy();
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});

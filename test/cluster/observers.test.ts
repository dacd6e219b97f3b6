/**
 * Observers (confluent.placement.constraints) in a cluster of broker processes on a real etcd:
 * an observer in another rack copies the log byte for byte but never joins the ISR, so acks=all
 * writes go on while it is stopped; changing the placement promotes it, and it joins the ISR.
 * Consumers in its rack read from it (KIP-392, replica.selector.class=RackAwareReplicaSelector).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CreateTopicsApi, type CreateTopicsResponse, DescribeLogDirsApi, type DescribeLogDirsResponse, FetchApi, type FetchResponse } from '../../src/protocol/messages/index.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { partitionState, withClient } from '../helpers/cluster-metadata.js';
import { runCli } from '../cli/run-cli.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { sleep, until } from '../helpers/until.js';

const TOPIC = 'sites';
const placement = (observers: boolean): string => JSON.stringify({
  version: 1,
  replicas: [{ count: 2, constraints: { rack: 'east' } }, ...(observers ? [] : [{ count: 1, constraints: { rack: 'west' } }])],
  ...(observers ? { observers: [{ count: 1, constraints: { rack: 'west' } }] } : {}),
});

/** Bytes of the partition's log on broker `nodeId`, as its DescribeLogDirs says (segment files are preallocated). */
async function logSize(cluster: TestCluster, nodeId: number): Promise<number> {
  const res = await withClient(cluster.node(nodeId).bootstrap, (c) => c.request<DescribeLogDirsResponse>(DescribeLogDirsApi, 4, { topics: [{ topic: TOPIC, partitions: [0] }] }));
  return Number(res.results[0]?.topics[0]?.partitions[0]?.partitionSize ?? -1n);
}

/** Whether broker `nodeId` holds exactly the leader's bytes. */
async function sameAsLeader(cluster: TestCluster, nodeId: number, leader: number): Promise<boolean> {
  const [mine, theirs] = [await logSize(cluster, nodeId), await logSize(cluster, leader)];
  return mine > 0 && mine === theirs && cluster.segmentBytes(nodeId, TOPIC, 0).subarray(0, mine).equals(cluster.segmentBytes(leader, TOPIC, 0).subarray(0, mine));
}

/** A consumer's Fetch of partition 0 from broker `nodeId` at `version`, from a consumer in `rack`. */
async function fetchAt(cluster: TestCluster, nodeId: number, version: number, rack: string, fetchOffset: bigint): Promise<{ errorCode: number; preferredReadReplica: number; highWatermark: bigint; records: number }> {
  const res = await withClient(cluster.node(nodeId).bootstrap, (c) => c.request<FetchResponse>(FetchApi, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: rack,
  }));
  const p = res.responses[0]!.partitions[0]!;
  return { errorCode: p.errorCode, preferredReadReplica: p.preferredReadReplica ?? -1, highWatermark: p.highWatermark, records: p.records?.length ?? 0 };
}

describe.skipIf(ETCD_SKIPPED)('observers (three broker processes, real etcd)', () => {
  it('an observer copies asynchronously outside the ISR, acks=all does not wait for it, and a new placement promotes it into the ISR; placements that cannot be met are refused; a consumer reads from the replica in its rack', async () => {
    // Brokers 1 and 2 in rack east, broker 3 in rack west.
    const cluster = await TestCluster.start(3, { 'replica.lag.time.max.ms': '2000', 'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector' }, (n) => ({ 'broker.rack': n === 3 ? 'west' : 'east' }));
    try {
      // Clients bootstrap from the east brokers: kafkajs asks its seed broker for metadata, which
      // must not be broker 3 while it is paused below.
      const east = `${cluster.node(1).bootstrap},${cluster.node(2).bootstrap}`;
      const admin = kafkajs(east).admin();
      await admin.connect();
      // No replication factor: the placement says three (two replicas and an observer).
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [{ name: 'confluent.placement.constraints', value: placement(true) }, { name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
      const created = await until('the partition led in rack east', async () => {
        const p = await partitionState(cluster.node(3).bootstrap, TOPIC);
        return p !== undefined && p.leader > 0 ? p : undefined;
      });
      // Metadata lists the observer after the synchronous replicas, and never in the ISR.
      expect(created.replicas.slice(2)).toEqual([3]);
      expect(created.replicas.slice(0, 2).sort()).toEqual([1, 2]);
      expect(created.isr).toEqual([1, 2]);
      const leader = created.leader;

      // A placement the racks cannot meet, or a replication factor that disagrees with it, is refused with the reason.
      const create = (replicationFactor: number, value: string) => withClient(cluster.node(1).bootstrap, async (c) => {
        const res = await c.request<CreateTopicsResponse>(CreateTopicsApi, 5, { topics: [{ name: 'nowhere', numPartitions: 1, replicationFactor, assignments: [], configs: [{ name: 'confluent.placement.constraints', value }] }], timeoutMs: 10_000, validateOnly: false });
        return { errorCode: res.topics[0]!.errorCode, errorMessage: res.topics[0]!.errorMessage };
      });
      const twoWest = JSON.stringify({ version: 1, replicas: [{ count: 1, constraints: { rack: 'east' } }], observers: [{ count: 2, constraints: { rack: 'west' } }] });
      expect(await create(-1, twoWest)).toEqual({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'topic nowhere: confluent.placement.constraints needs 2 broker(s) in rack west, 1 live broker(s) are there' });
      expect(await create(2, placement(true))).toEqual({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'replication factor 2 and confluent.placement.constraints (3 replicas and observers) disagree; give -1 or leave the replication factor out' });

      const producer = kafkajs(east).producer({ idempotent: true });
      await producer.connect();
      const send = (from: number, n: number) => producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
      await send(0, 50);
      await until('the observer to hold what the leader holds', () => sameAsLeader(cluster, 3, leader), 20_000);
      // Caught up, it still stays out of the ISR (a follower would have joined at its first caught-up fetch).
      await sleep(500);
      expect((await partitionState(cluster.node(leader).bootstrap, TOPIC))!.isr).toEqual([1, 2]);

      // `strand cluster describe` does not count the observer as missing from the ISR, and names it.
      const described = await runCli(['cluster', 'describe', '--bootstrap', east]);
      expect(described.code, described.stderr).toBe(0);
      expect(described.stdout).toContain('(1, 0 under-replicated)');
      expect(described.stdout).toContain('Observers (copy asynchronously, never in the ISR): sites-0: 3\n');

      // The observer stopped: acks=all with min.insync.replicas=2 goes on, answered by the two replicas.
      const before = await logSize(cluster, leader);
      cluster.pauseNode(3);
      const [answer] = await send(50, 50);
      expect({ errorCode: answer!.errorCode, baseOffset: answer!.baseOffset }).toEqual({ errorCode: 0, baseOffset: '50' });
      // Acknowledged while the observer had none of it (its preallocated segment is still zeros there).
      const after = await logSize(cluster, leader);
      expect(after).toBeGreaterThan(before);
      expect(cluster.segmentBytes(3, TOPIC, 0).subarray(before, after).every((b) => b === 0)).toBe(true);
      cluster.resumeNode(3);
      await until('the observer caught up again, byte for byte', () => sameAsLeader(cluster, 3, leader), 20_000);

      // Promotion by configuration: the west broker becomes a synchronous replica and joins the ISR.
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: TOPIC, configEntries: [{ name: 'confluent.placement.constraints', value: placement(false) }, { name: 'min.insync.replicas', value: '2' }] }] });
      const promoted = await until('broker 3 in the ISR', async () => {
        const p = await partitionState(cluster.node(leader).bootstrap, TOPIC);
        return p?.isr.length === 3 ? p : undefined;
      }, 20_000);
      expect({ isr: promoted.isr, leader: promoted.leader, leaderEpoch: promoted.leaderEpoch }).toEqual({ isr: [1, 2, 3], leader, leaderEpoch: created.leaderEpoch });
      await send(100, 10);
      await producer.disconnect();
      await admin.disconnect();

      // Fetching from the closest replica (KIP-392): the leader sends a consumer in rack west to
      // broker 3, which serves it up to the high watermark; one in rack east reads at the leader.
      await until('broker 3 to know the high watermark', async () => (await fetchAt(cluster, 3, 12, 'west', 0n)).highWatermark === 110n, 20_000);
      expect(await fetchAt(cluster, leader, 12, 'west', 5n)).toEqual({ errorCode: 0, preferredReadReplica: 3, highWatermark: 110n, records: 0 });
      const inEast = await fetchAt(cluster, leader, 12, 'east', 5n);
      expect({ errorCode: inEast.errorCode, preferredReadReplica: inEast.preferredReadReplica }).toEqual({ errorCode: 0, preferredReadReplica: -1 });
      expect(inEast.records).toBeGreaterThan(0);
      const fromFollower = await fetchAt(cluster, 3, 12, 'west', 5n);
      expect({ errorCode: fromFollower.errorCode, preferredReadReplica: fromFollower.preferredReadReplica, highWatermark: fromFollower.highWatermark }).toEqual({ errorCode: 0, preferredReadReplica: -1, highWatermark: 110n });
      expect(fromFollower.records).toBeGreaterThan(0);
      // Before v11 a consumer reads from leaders only.
      expect((await fetchAt(cluster, 3, 10, '', 5n)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);

      for (const rack of ['west', 'east']) {
        const r = await kcat(['-b', cluster.bootstrap, '-X', `client.rack=${rack}`, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'], undefined, 30_000);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout.split('\n').filter((l) => l !== ''), rack).toEqual(Array.from({ length: 110 }, (_, i) => `k${i}=v${i}`));
      }
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});

/**
 * The operator's leader changes in a cluster of broker processes on a real etcd: controlled
 * shutdown moves leadership away while the stopping broker still serves, ElectLeaders (preferred
 * and unclean, with Kafka's errors) and automatic preferred-leader rebalancing give it back, each
 * change of leader bumping the leader epoch by exactly one.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ElectLeadersApi } from '../../src/protocol/messages/index.js';
import type { ElectLeadersResponse } from '../../src/protocol/messages/index.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { metadataOf, type PartitionState, partitionState, withClient } from '../helpers/cluster-metadata.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { kcat } from '../helpers/kcat-cli.js';
import { sleep, until } from '../helpers/until.js';

const TOPIC = 'ops';

type P0 = PartitionState;

const partition0 = (bootstrap: string): Promise<P0 | undefined> => partitionState(bootstrap, TOPIC);

async function createTopic(cluster: TestCluster, minIsr: number): Promise<P0> {
  return (await cluster.createTopic(TOPIC, { configs: { 'min.insync.replicas': String(minIsr) } }))[0]!;
}

async function elect(bootstrap: string, electionType: number, partitions: number[] | null): Promise<Array<{ partitionId: number; errorCode: number; errorMessage: string | null }>> {
  const res = await withClient(bootstrap, (c) => c.request<ElectLeadersResponse>(ElectLeadersApi, 2, { electionType, topicPartitions: partitions === null ? null : [{ topic: TOPIC, partitions }], timeoutMs: 10_000 }));
  return res.replicaElectionResults.flatMap((t) => t.partitionResult);
}

describe.skipIf(ETCD_SKIPPED)('cluster operations: controlled shutdown, ElectLeaders, automatic rebalancing (three broker processes, real etcd)', () => {
  it('a graceful stop of the leader moves leadership before the process exits; an acks=all idempotent producer sees no error and loses nothing', async () => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false' });
    try {
      const before = await createTopic(cluster, 2);
      const old = before.leader;
      const others = [1, 2, 3].filter((n) => n !== old);
      const client = new Kafka({ clientId: 'ops-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
      const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const acked: string[] = [];
      const errors: string[] = [];
      let maxLatencyMs = 0;
      let sending = true;
      const loop = (async () => {
        for (let i = 0; sending; i++) {
          const values = Array.from({ length: 5 }, (_, j) => `v-${i}-${j}`);
          const t0 = Date.now();
          try {
            await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value, partition: 0 })) });
            acked.push(...values);
          } catch (err) {
            errors.push((err as Error).message);
          }
          maxLatencyMs = Math.max(maxLatencyMs, Date.now() - t0);
        }
      })();
      await until('records acknowledged before the stop', () => acked.length >= 200);
      const proc = cluster.node(old).process!;
      const stopping = cluster.stopNode(old);
      // Leadership moves while the old leader's process is still running (controlled shutdown).
      const moved = await until('the leader to move away from the stopping broker', async () => {
        const p = await partition0(cluster.node(others[0]!).bootstrap);
        return p !== undefined && p.leader !== old ? { p, aliveThen: proc.child.exitCode === null && proc.child.signalCode === null } : undefined;
      });
      await stopping;
      await sleep(1000);
      sending = false;
      await loop;
      await producer.disconnect();

      expect(moved.aliveThen).toBe(true);
      expect(errors).toEqual([]);
      expect(others).toContain(moved.p.leader);
      expect(moved.p.leaderEpoch).toBe(before.leaderEpoch + 1);
      const after = (await partition0(cluster.node(others[0]!).bootstrap))!;
      expect({ leader: after.leader, leaderEpoch: after.leaderEpoch, isr: after.isr }).toEqual({ leader: moved.p.leader, leaderEpoch: before.leaderEpoch + 1, isr: others });
      // Far below what a stop without controlled shutdown costs (a session timeout, 3 s here, or a produce timeout).
      expect(maxLatencyMs).toBeLessThan(2000);

      const r = await kcat(['-b', cluster.node(after.leader).bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], undefined, 60_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual(acked);
      console.log(`controlled shutdown: ${acked.length} records acknowledged, max acks=all send latency across the stop ${maxLatencyMs} ms`);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('ElectLeaders: PREFERRED gives leadership back to the first replica (epoch + 1), then ELECTION_NOT_NEEDED; UNCLEAN with a live leader is not needed; unknown partitions are named', async () => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false' });
    try {
      const start = await createTopic(cluster, 1);
      const preferred = start.replicas[0]!;
      expect(start.leader).toBe(preferred);
      const other = [1, 2, 3].find((n) => n !== preferred)!;
      await cluster.stopNode(preferred);
      const moved = await until('a new leader', async () => {
        const p = await partition0(cluster.node(other).bootstrap);
        return p && p.leader !== preferred ? p : undefined;
      });
      expect(moved.leaderEpoch).toBe(start.leaderEpoch + 1);
      await cluster.startNode(preferred);
      await until('the preferred replica back in the ISR', async () => (await partition0(cluster.node(other).bootstrap))?.isr.length === 3);
      const unneeded = await elect(cluster.node(other).bootstrap, 1, [0]);
      expect(unneeded).toEqual([{ partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: `Leader election not needed for topic partition ${TOPIC}-0` }]);

      expect(await elect(cluster.node(other).bootstrap, 0, [0, 7])).toEqual([
        { partitionId: 0, errorCode: 0, errorMessage: null },
        { partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `The partition ${TOPIC}-7 does not exist.` },
      ]);
      const back = await until('the preferred leader in metadata', async () => {
        const p = await partition0(cluster.node(other).bootstrap);
        return p?.leader === preferred ? p : undefined;
      });
      expect(back.leaderEpoch).toBe(start.leaderEpoch + 2);
      expect(await elect(cluster.node(other).bootstrap, 0, [0])).toEqual([{ partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: `Leader election not needed for topic partition ${TOPIC}-0` }]);
      // All partitions: nothing needed, nothing reported (as Kafka answers).
      expect(await elect(cluster.node(other).bootstrap, 0, null)).toEqual([]);
      // The stopped broker took no ISR membership with it: preferred could lead again.
      expect((await partition0(cluster.node(other).bootstrap))!.isr).toEqual([1, 2, 3]);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('PREFERRED_LEADER_NOT_AVAILABLE while the preferred replica is down; automatic rebalancing gives it leadership back once it returns', async () => {
    const cluster = await TestCluster.start(3, { 'leader.imbalance.check.interval.seconds': '1' });
    try {
      const start = await createTopic(cluster, 1);
      const preferred = start.replicas[0]!;
      const other = [1, 2, 3].find((n) => n !== preferred)!;
      await cluster.killNode(preferred);
      await until('a new leader', async () => {
        const p = await partition0(cluster.node(other).bootstrap);
        return p && p.leader !== preferred && p.leader >= 0 ? p : undefined;
      });
      expect(await elect(cluster.node(other).bootstrap, 0, [0])).toEqual([{ partitionId: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `Failed to elect leader for partition ${TOPIC}-0 under strategy PreferredReplicaPartitionLeaderElectionStrategy` }]);
      await cluster.startNode(preferred);
      const back = await until('the controller to give leadership back to the preferred replica', async () => {
        const p = await partition0(cluster.node(other).bootstrap);
        return p?.leader === preferred ? p : undefined;
      }, 30_000);
      expect(back.leaderEpoch).toBe(start.leaderEpoch + 2);
      expect(back.isr).toEqual([1, 2, 3]);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);

  it('the controller stopping gracefully with a partition no other replica can lead: its own shutdown settles at once, well within the bounded wait', async () => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false' });
    try {
      await cluster.createTopic('solo', { partitions: 3, replicationFactor: 1 });
      const meta = async (node: number) => withMetadata(cluster.node(node).bootstrap);
      const first = await until('a controller and three led partitions', async () => {
        const m = await meta(1);
        return m.controllerId > 0 && m.solo.every((p) => p.leader > 0) ? m : undefined;
      });
      const controller = first.controllerId;
      const mine = first.solo.find((p) => p.leader === controller)!;
      const t0 = Date.now();
      await cluster.stopNode(controller);
      const stopMs = Date.now() - t0;
      // The default wait is 3 x 5000 ms; nothing could move, so nothing was waited for.
      expect(stopMs).toBeLessThan(5000);
      const other = [1, 2, 3].find((n) => n !== controller)!;
      const after = await until('another controller, and the stopped broker\'s partition offline', async () => {
        const m = await meta(other);
        const p = m.solo.find((x) => x.partition === mine.partition);
        return m.controllerId > 0 && m.controllerId !== controller && p?.leader === -1 ? { m, p } : undefined;
      });
      expect({ leader: after.p.leader, isr: after.p.isr }).toEqual({ leader: -1, isr: [controller] });
      console.log(`controller with an unmovable partition stopped in ${stopMs} ms`);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});

async function withMetadata(bootstrap: string): Promise<{ controllerId: number; solo: Array<{ partition: number; leader: number; isr: number[] }> }> {
  // Offline partitions too (leader -1, with their error): what the controller left of them.
  const m = await metadataOf(bootstrap, ['solo']);
  const t = m.topics.find((x) => x.name === 'solo');
  return { controllerId: m.controllerId ?? -1, solo: (t?.partitions ?? []).map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, isr: [...p.isrNodes] })) };
}

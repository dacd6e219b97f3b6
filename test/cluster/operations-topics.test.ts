/**
 * Topic operations in a cluster of broker processes on a real etcd: CreatePartitions goes
 * through the controller (new partitions assigned as a new topic's), topic configs change in etcd
 * and every broker applies them, and DescribeLogDirs answers per broker for its own replicas.
 */
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CreatePartitionsApi, DescribeLogDirsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreatePartitionsResponse, DescribeLogDirsResponse, ProduceResponse } from '../../src/protocol/messages/index.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { type PartitionState, partitionStates, withClient } from '../helpers/cluster-metadata.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { until } from '../helpers/until.js';

const TOPIC = 'grow';

const partitions = (bootstrap: string): Promise<PartitionState[]> => partitionStates(bootstrap, TOPIC);

describe.skipIf(ETCD_SKIPPED)('topic operations in a cluster (three broker processes, real etcd)', () => {
  it('CreatePartitions, topic configs and DescribeLogDirs per broker', async () => {
    const cluster = await TestCluster.start(3, { 'auto.leader.rebalance.enable': 'false' });
    try {
      const admin = kafkajs(cluster.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
      await admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 4 }] });
      // The request is answered once the controller has assigned the new partitions and the broker knows them.
      const all4 = await until('four partitions with their ISR complete on every broker', async () => {
        const lists = await Promise.all([1, 2, 3].map((n) => partitions(cluster.node(n).bootstrap)));
        return lists.every((l) => l.length === 4 && l.every((p) => p.isr.length === 2)) ? lists[0]! : undefined;
      });
      const all = all4;
      expect(all.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
      // Kafka's round-robin assignment: leaders spread over the three brokers, two distinct replicas each.
      expect(new Set(all.map((p) => p.replicas[0])).size).toBe(3);
      for (const p of all) expect(new Set(p.replicas).size).toBe(2);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 2 }] })).rejects.toThrow(/Number of partitions is invalid/) // kafkajs's words for INVALID_PARTITIONS;

      // A manual assignment: checked against the registered brokers and the topic's replication factor, then taken as given.
      const manual = (count: number, brokerIds: number[][]) => withClient(cluster.node(1).bootstrap, async (c) => {
        const res = await c.request<CreatePartitionsResponse>(CreatePartitionsApi, 3, { topics: [{ name: TOPIC, count, assignments: brokerIds.map((b) => ({ brokerIds: b })) }], timeoutMs: 10_000, validateOnly: false });
        return { errorCode: res.results[0]!.errorCode, errorMessage: res.results[0]!.errorMessage ?? null };
      });
      expect(await manual(5, [[3, 9]])).toEqual({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes broker 9, but no such broker is registered.' });
      expect(await manual(5, [[3]])).toEqual({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).' });
      expect(await manual(5, [[3, 1]])).toEqual({ errorCode: 0, errorMessage: null });
      const p4 = await until('partition 4 with its ISR complete', async () => (await partitions(cluster.node(2).bootstrap)).find((p) => p.partition === 4 && p.isr.length === 2));
      expect({ leader: p4.leader, replicas: p4.replicas, isr: p4.isr }).toEqual({ leader: 3, replicas: [3, 1], isr: [1, 3] });

      await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: TOPIC, configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
      for (const n of [1, 2, 3]) {
        const one = kafkajs(cluster.node(n).bootstrap).admin();
        await one.connect();
        const described = await until(`broker ${n} to apply retention.ms`, async () => {
          const r = await one.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: TOPIC, configNames: ['retention.ms'] }] });
          const v = r.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
          return v === '123456' ? v : undefined;
        });
        expect(described).toBe('123456');
        await one.disconnect();
      }
      await admin.disconnect();

      // 10 records into partition 0 through its leader; each broker reports only the replicas it holds.
      const leader0 = all[0]!.leader;
      await withClient(cluster.node(leader0).bootstrap, async (c) => {
        const res = await c.request<ProduceResponse>(ProduceApi, 10, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeBatch(Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` }))) }] }] });
        expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      });
      for (const n of [1, 2, 3]) {
        const res = await withClient(cluster.node(n).bootstrap, (c) => c.request<DescribeLogDirsResponse>(DescribeLogDirsApi, 4, { topics: [{ topic: TOPIC, partitions: [0, 1, 2, 3, 4] }] }));
        const reported = (res.results[0]?.topics.find((t) => t.name === TOPIC)?.partitions ?? []).map((p) => p.partitionIndex).sort();
        expect(reported).toEqual([...all, p4].filter((p) => p.replicas.includes(n)).map((p) => p.partition));
        const p0 = res.results[0]!.topics.find((t) => t.name === TOPIC)?.partitions.find((p) => p.partitionIndex === 0);
        if (all[0]!.replicas.includes(n)) {
          const size = await until(`broker ${n} to hold the 10 records`, async () => {
            const again = await withClient(cluster.node(n).bootstrap, (c) => c.request<DescribeLogDirsResponse>(DescribeLogDirsApi, 4, { topics: [{ topic: TOPIC, partitions: [0] }] }));
            const s = again.results[0]!.topics[0]!.partitions[0]!.partitionSize;
            return s > 0n ? s : undefined;
          });
          expect(size).toBeGreaterThan(0n);
          expect(p0!.offsetLag).toBe(0n);
        } else expect(p0).toBeUndefined();
      }
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});

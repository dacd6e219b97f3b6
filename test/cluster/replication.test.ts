/**
 * Replication between broker processes joined through a real etcd: followers copy the leader's
 * batches verbatim, acks=all waits for the in-sync replicas, and clients find the leaders.
 */
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { until } from '../helpers/until.js';

describe.skipIf(ETCD_SKIPPED)('replication (three broker processes, real etcd)', () => {
  it('a topic with replication factor 3 takes 100,000 records with acks=all; every replica\'s segments are byte-identical', async () => {
    const cluster = await TestCluster.start(3);
    try {
      const kafka = kafkajs(cluster.bootstrap);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'replicated', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
      const meta = await admin.fetchTopicMetadata({ topics: ['replicated'] });
      const partitions = meta.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
      expect(partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
      // Leaders spread over the brokers (Kafka's assignment puts partition p's leader on a different broker each).
      expect(new Set(partitions.map((p) => p.leader)).size).toBe(3);
      await admin.disconnect();

      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const perBatch = 1000;
      for (let b = 0; b < 100; b++) {
        const messages = Array.from({ length: perBatch }, (_, i) => ({ key: `k${(b * perBatch + i) % 97}`, value: `record-${b * perBatch + i}-${'x'.repeat(60)}` }));
        await producer.send({ topic: 'replicated', acks: -1, messages, compression: b % 10 === 0 ? CompressionTypes.GZIP : CompressionTypes.None });
      }
      await producer.disconnect();

      const consumerAdmin = kafka.admin();
      await consumerAdmin.connect();
      const offsets = await consumerAdmin.fetchTopicOffsets('replicated');
      await consumerAdmin.disconnect();
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(100_000);

      // Followers fetch what the leader has; then all three logs are the same bytes.
      for (let p = 0; p < 3; p++) {
        await until(`replicas of partition ${p} to agree`, () => {
          const sizes = [1, 2, 3].map((n) => cluster.segmentSize(n, 'replicated', p));
          return sizes[0]! > 0 && sizes.every((s) => s === sizes[0]);
        }, 30_000);
      }
      for (const n of [1, 2, 3]) await cluster.stopNode(n);
      for (let p = 0; p < 3; p++) {
        const leaderBytes = cluster.segmentBytes(partitions[p]!.leader, 'replicated', p);
        for (const n of [1, 2, 3]) expect(cluster.segmentBytes(n, 'replicated', p).equals(leaderBytes)).toBe(true);
      }
    } finally {
      await cluster.destroy();
    }
  }, 180_000);
});

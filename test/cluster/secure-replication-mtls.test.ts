/**
 * Replication between broker processes over an SSL inter-broker listener with
 * ssl.client.auth=required: each broker verifies the others against the CA and presents its
 * own certificate (listener.name.replication.ssl.keystore.*) when it fetches.
 */
import { describe, expect, it } from 'vitest';
import { TestCluster } from '../helpers/broker-cluster.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';
import { highWatermark, identical, produce, replicationTls, TOPIC } from './fixtures/secure-replication.js';

describe.skipIf(ETCD_SKIPPED)('replication over SSL with client certificates (three broker processes, real etcd)', () => {
  it('SSL with ssl.client.auth=required (mTLS): the brokers replicate with their own certificates', async () => {
    const cluster = await TestCluster.start(3, {
      ...replicationTls(),
      'listener.name.replication.ssl.client.auth': 'required',
    }, () => ({}), { replicationProtocol: 'SSL' });
    try {
      const [created] = await cluster.createTopic(TOPIC, { configs: { 'min.insync.replicas': '3' } });
      expect(created!.isr).toEqual([1, 2, 3]);
      await produce(cluster, 0, 100);
      expect(await highWatermark(cluster, created!.leader)).toBe(100);
      await until('every replica to hold the same bytes', () => identical(cluster, [1, 2, 3]), 20_000);
    } finally {
      await cluster.destroy();
    }
  }, 60_000);
});

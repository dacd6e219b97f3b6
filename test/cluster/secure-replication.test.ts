/**
 * Replication between broker processes over a secured inter-broker listener: SASL_SSL with
 * SCRAM-SHA-512 (credentials from listener.name.replication.scram-sha-512.sasl.jaas.config, the
 * brokers verified against a CA made here); secure-replication-mtls.test.ts does SSL with
 * client certificates required. Records written with acks=all reach every replica byte for
 * byte, transaction markers reach the other brokers' partitions, a SIGKILLed leader fails over,
 * and a broker whose inter-broker password is wrong never joins the ISR.
 */
import { describe, expect, it } from 'vitest';
import { TestCluster } from '../helpers/broker-cluster.js';
import { metadataOf, partitionState } from '../helpers/cluster-metadata.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { sleep, until } from '../helpers/until.js';
import { addScramUser } from '../security/sasl-helpers.js';
import { highWatermark, identical, logSize, produce, replicationTls, TOPIC } from './fixtures/secure-replication.js';

const scramJaas = (password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${password}";`;

describe.skipIf(ETCD_SKIPPED)('replication over a secured inter-broker listener (three broker processes, real etcd)', () => {
  it('SASL_SSL with SCRAM-SHA-512: acks=all reaches every replica byte for byte, transaction markers reach the other leaders, a SIGKILLed leader fails over, a wrong inter-broker password never joins the ISR', async () => {
    const cluster = await TestCluster.start(3, {
      ...replicationTls(),
      'listener.name.replication.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.replication.scram-sha-512.sasl.jaas.config': scramJaas('broker-secret'),
      'transaction.state.log.num.partitions': '1',
    }, () => ({}), { replicationProtocol: 'SASL_SSL' });
    try {
      // The inter-broker user, added through every broker (SCRAM users are cluster state, an upsert is
      // idempotent); the fetchers back off until it exists.
      for (const n of cluster.nodes) expect((await addScramUser(n.bootstrap, 'broker', 'broker-secret', 'SCRAM-SHA-512')).errorCode).toBe(0);
      const [created] = await cluster.createTopic(TOPIC, { configs: { 'min.insync.replicas': '2' } });
      expect(created!.isr).toEqual([1, 2, 3]);

      await produce(cluster, 0, 300);
      expect(await highWatermark(cluster, created!.leader)).toBe(300);
      const size = await until('every replica to hold the same bytes', () => identical(cluster, [1, 2, 3]), 20_000);
      expect(size).toBeGreaterThan(300 * 10);

      // A transaction over three partitions led by three brokers: the coordinator writes the markers
      // of the other two with WriteTxnMarkers over the same listener; each partition then holds its
      // record and the commit marker (high watermark 2) on its in-sync replicas.
      const legs = await cluster.createTopic('legs', { partitions: 3 });
      expect(new Set(legs.map((p) => p.leader)).size).toBe(3);
      const txn = kafkajs(cluster.bootstrap).producer({ transactionalId: 'secure-txn', idempotent: true, maxInFlightRequests: 1 });
      await txn.connect();
      const t = await txn.transaction();
      await t.send({ topic: 'legs', acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: `leg ${partition}` })) });
      await t.commit();
      await txn.disconnect();
      const admin = kafkajs(cluster.bootstrap).admin();
      await admin.connect();
      await until('the commit markers on the three partitions', async () => (await admin.fetchTopicOffsets('legs')).every((o) => o.high === '2'), 20_000);
      await admin.disconnect();

      // The leader SIGKILLed: another in-sync replica takes over and acks=all goes on with the two left.
      const oldLeader = created!.leader;
      await cluster.killNode(oldLeader);
      const live = [1, 2, 3].filter((n) => n !== oldLeader);
      const after = await until('a new leader', async () => {
        const p = await partitionState(cluster.node(live[0]!).bootstrap, TOPIC);
        return p !== undefined && live.includes(p.leader) && p.isr.length === 2 ? p : undefined;
      }, 20_000);
      expect(after.isr).toEqual(live);
      await produce(cluster, 300, 100);
      expect(await highWatermark(cluster, after.leader)).toBe(400);
      await until('the two live replicas to hold the same bytes', () => identical(cluster, live), 20_000);

      // Broker `oldLeader` comes back with a wrong inter-broker password: its fetches are refused,
      // so it stays out of the ISR while the others go on.
      await cluster.startNode(oldLeader, { 'listener.name.replication.scram-sha-512.sasl.jaas.config': scramJaas('wrong-password') });
      await until('the restarted broker to be live', async () => (await metadataOf(cluster.node(live[0]!).bootstrap, [])).brokers.length === 3, 20_000);
      await produce(cluster, 400, 50);
      // Long enough for a good password to rejoin: with one, all three joined the ISR within the createTopic wait above
      // (the fetchers then also had to back off until the credentials existed).
      for (let i = 0; i < 6; i++) {
        expect((await partitionState(cluster.node(live[0]!).bootstrap, TOPIC))!.isr).toEqual(live);
        await sleep(500);
      }
      expect(await logSize(cluster, oldLeader)).toBe(size);

    } finally {
      await cluster.destroy();
    }
  }, 60_000);
});

/**
 * The metadata store going away: etcd restarting under load, and one broker losing its etcd
 * session for longer than the session timeout. Neither may lose an acknowledged record, and the
 * brokers must come back to a whole cluster.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { type PartitionState, partitionState } from '../helpers/cluster-metadata.js';
import { kafkajs as kafkajsOn } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { sleep, until } from '../helpers/until.js';

const SESSION_MS = 3000;

function client(cluster: TestCluster): Kafka {
  return new Kafka({ clientId: 'etcd-outage-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 500 } });
}

/** An idempotent acks=all producer sending numbered records until stopped; what was acknowledged. */
function sendUntilStopped(cluster: TestCluster, topic: string): { acked: number[]; stop: () => Promise<void> } {
  const acked: number[] = [];
  let sending = true;
  const producer = client(cluster).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const done = (async () => {
    await producer.connect();
    let next = 0;
    while (sending) {
      const values = Array.from({ length: 10 }, () => next++);
      try {
        await producer.send({ topic, acks: -1, messages: values.map((v) => ({ value: String(v) })) });
        acked.push(...values);
      } catch {
        // Not acknowledged.
      }
    }
    await producer.disconnect();
  })();
  return { acked, stop: async () => { sending = false; await done; } };
}

async function consumed(cluster: TestCluster, topic: string): Promise<number[]> {
  const r = await kcat(['-b', cluster.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], undefined, 60_000);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

function expectExactlyOnce(values: number[], acked: number[]): void {
  expect(new Set(values).size).toBe(values.length);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  const seen = new Set(values);
  expect(acked.filter((v) => !seen.has(v))).toEqual([]);
}

async function createTopic(cluster: TestCluster, topic: string): Promise<void> {
  await cluster.createTopic(topic, { configs: { 'min.insync.replicas': '2' } });
}

/** Leader and ISR of partition 0 of `topic` as broker `nodeId` alone says. */
async function stateOn(cluster: TestCluster, nodeId: number, topic: string): Promise<PartitionState> {
  const p = await partitionState(cluster.node(nodeId).bootstrap, topic);
  if (p === undefined) throw new Error(`broker ${nodeId} has no state for ${topic}-0`);
  return p;
}

describe.skipIf(ETCD_SKIPPED)('etcd outages (three broker processes, real etcd)', () => {
  it('etcd down for longer than the session timeout and back: acks=all records keep flowing through the leaders, none is lost, and the cluster is whole again', async () => {
    const cluster = await TestCluster.start(3, { 'broker.session.timeout.ms': String(SESSION_MS) });
    try {
      await createTopic(cluster, 'during-outage');
      const load = sendUntilStopped(cluster, 'during-outage');
      await until('records acknowledged before the outage', () => load.acked.length >= 100);
      await cluster.etcd.stop();
      const before = load.acked.length;
      // Replication needs no metadata change: the leader and ISR stay as they were.
      await until('records acknowledged while etcd is down', () => load.acked.length >= before + 100, 20_000);
      await sleep(SESSION_MS + 1000);
      await cluster.etcd.restart();
      const after = load.acked.length;
      await until('records acknowledged after etcd returned', () => load.acked.length >= after + 100, 30_000);
      await load.stop();
      expectExactlyOnce(await consumed(cluster, 'during-outage'), load.acked);
      // The metadata works again: a new topic gets its replicas and leaders on all three brokers.
      await createTopic(cluster, 'after-outage');
      await until('during-outage whole again on broker 1', async () => (await stateOn(cluster, 1, 'during-outage')).isr.length === 3, 30_000);
      expect((await stateOn(cluster, 1, 'during-outage')).isr).toEqual([1, 2, 3]);
    } finally {
      await cluster.destroy();
    }
  }, 180_000);

  it('a leader cut from etcd past its session is replaced; acknowledged records survive, and once reconnected it follows and rejoins the ISR', async () => {
    const cluster = await TestCluster.start(3, { 'broker.session.timeout.ms': String(SESSION_MS) });
    try {
      await createTopic(cluster, 'session-loss');
      const { leader } = await stateOn(cluster, 1, 'session-loss');
      const load = sendUntilStopped(cluster, 'session-loss');
      await until('records acknowledged first', () => load.acked.length >= 100);
      cluster.cutFromEtcd(leader);
      // Asked of a broker that still has its session (the cut one's view is stale, as a Kafka
      // broker's is when it cannot reach its controller).
      const healthy = [1, 2, 3].find((n) => n !== leader)!;
      const next = await until('another leader', async () => {
        const s = await partitionState(cluster.node(healthy).bootstrap, 'session-loss');
        return s !== undefined && s.leader >= 0 && s.leader !== leader ? s : undefined;
      }, 20_000);
      expect(next.isr).not.toContain(leader);
      // The new leader takes acks=all writes while the old one is still cut off.
      const direct = kafkajsOn(cluster.node(next.leader).bootstrap).producer({ allowAutoTopicCreation: false });
      await direct.connect();
      await direct.send({ topic: 'session-loss', acks: -1, messages: [{ value: '-1' }] });
      await direct.disconnect();
      await sleep(SESSION_MS);
      cluster.reconnectToEtcd(leader);
      const healed = load.acked.length;
      await until('records acknowledged after the reconnection', () => load.acked.length >= healed + 100, 60_000);
      await until(`broker ${leader} back in the ISR`, async () => (await partitionState(cluster.node(healthy).bootstrap, 'session-loss'))?.isr.length === 3, 60_000);
      await load.stop();
      const values = await consumed(cluster, 'session-loss');
      expect(values.filter((v) => v === -1)).toEqual([-1]);
      expectExactlyOnce(values.filter((v) => v !== -1), load.acked);
      await until('the returned broker to hold what the leader holds', () => {
        const current = cluster.segmentSize(next.leader, 'session-loss', 0);
        return current > 0 && cluster.segmentSize(leader, 'session-loss', 0) === current;
      }, 30_000);
      for (const n of [1, 2, 3]) await cluster.stopNode(n);
      expect(cluster.segmentBytes(leader, 'session-loss', 0).equals(cluster.segmentBytes(next.leader, 'session-loss', 0))).toBe(true);
    } finally {
      await cluster.destroy();
    }
  }, 180_000);
});

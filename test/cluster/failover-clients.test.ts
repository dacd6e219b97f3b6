/**
 * Failover as clients live it: the leader of a partition is SIGKILLed, round after round at
 * random moments, while an idempotent kafkajs producer sends with acks=all
 * (min.insync.replicas=2) and kcat (librdkafka) consumes. Every acknowledged record must be
 * consumed exactly once and in order, and a new leader must serve within the session timeout
 * plus a second.
 */
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { kcat } from '../helpers/kcat-cli.js';
import { sleep, until } from '../helpers/until.js';

const TOPIC = 'failover';
const SESSION_MS = 3000;
const ROUNDS = 10;

/** The leader of partition 0 as a kafkajs admin on the live brokers sees it. */
async function leaderOf(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return meta.topics[0]!.partitions[0]!.leader;
  } finally {
    await admin.disconnect();
  }
}

describe.skipIf(ETCD_SKIPPED)('failover with clients (three broker processes, real etcd)', () => {
  it(`${ROUNDS} rounds of SIGKILL of the leader under an idempotent acks=all producer: every acknowledged record consumed exactly once, in order, by kcat`, async () => {
    const cluster = await TestCluster.start(3, { 'broker.session.timeout.ms': String(SESSION_MS) });
    const tail: { out: string; err: string; child?: ReturnType<typeof spawn> } = { out: '', err: '' };
    try {
      const clientOf = (): Kafka => new Kafka({ clientId: 'failover-test', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 40, initialRetryTime: 100, maxRetryTime: 500 } });
      const admin = clientOf().admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
      await admin.disconnect();

      // kcat follows the partition through every leader change, as a consumer does (-u: its output unbuffered).
      tail.child = spawn('kcat', ['-b', cluster.bootstrap, '-C', '-u', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-q', '-f', '%s\\n', '-X', 'topic.metadata.refresh.interval.ms=500'], { stdio: ['ignore', 'pipe', 'pipe'] });
      tail.child.stdout!.on('data', (d: Buffer) => (tail.out += d.toString()));
      tail.child.stderr!.on('data', (d: Buffer) => (tail.err = (tail.err + d.toString()).slice(-3000)));

      const producer = clientOf().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      const acked: number[] = [];
      let next = 0;
      let sending = true;
      const stalls: number[] = [];
      const sender = (async () => {
        while (sending) {
          const values = Array.from({ length: 5 }, () => next++);
          try {
            await producer.send({ topic: TOPIC, acks: -1, messages: values.map((v) => ({ value: String(v) })) });
            acked.push(...values);
          } catch {
            // Not acknowledged: these may or may not be in the log, but never twice.
          }
        }
      })();

      for (let round = 0; round < ROUNDS; round++) {
        await sleep(200 + Math.floor(Math.random() * 800));
        const leader = await leaderOf(clientOf());
        const ackedBefore = acked.length;
        const killedAt = Date.now();
        await cluster.killNode(leader);
        const newLeader = await until(`round ${round}: a new leader`, async () => {
          const l = await leaderOf(clientOf()).catch(() => -1);
          return l >= 0 && l !== leader ? l : undefined;
        }, 20_000);
        expect(newLeader).not.toBe(leader);
        await until(`round ${round}: an acknowledgement after the kill`, () => acked.length > ackedBefore + 5, 30_000);
        stalls.push(Date.now() - killedAt);
        await cluster.startNode(leader);
        await until(`round ${round}: broker ${leader} back in the ISR`, async () => {
          const a = clientOf().admin();
          await a.connect();
          try {
            return (await a.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions[0]!.isr.length === 3;
          } finally {
            await a.disconnect();
          }
        }, 30_000);
      }
      sending = false;
      await sender;
      await producer.disconnect();

      const final = await kcat(['-b', cluster.bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], undefined, 60_000);
      expect(final.code, final.stderr).toBe(0);
      const consumed = final.stdout.split('\n').filter((l) => l !== '').map(Number);
      // Exactly once: no value twice (idempotence across leaders), in the order sent.
      expect(new Set(consumed).size).toBe(consumed.length);
      expect(consumed).toEqual([...consumed].sort((a, b) => a - b));
      const seen = new Set(consumed);
      expect(acked.filter((v) => !seen.has(v))).toEqual([]);
      // The tailing consumer, through every change of leader, saw the same records in the same order.
      await until('the tailing kcat to catch up', () => tail.out.split('\n').filter((l) => l !== '').length >= consumed.length, 30_000)
        .catch((err: Error) => {
          throw new Error(`${err.message}: it has ${tail.out.split('\n').filter((l) => l !== '').length} of ${consumed.length}; its stderr: ${tail.err}`);
        });
      expect(tail.out.split('\n').filter((l) => l !== '').map(Number).slice(0, consumed.length)).toEqual(consumed);
      expect(acked.length).toBeGreaterThan(ROUNDS * 5);
      console.log(`failover: ${ROUNDS} rounds, ${acked.length} records acknowledged, ${consumed.length} consumed; time from SIGKILL to the next acknowledgement: ${stalls.join(', ')} ms`);
    } finally {
      tail.child?.kill('SIGKILL');
      await cluster.destroy();
    }
  }, 600_000);
});

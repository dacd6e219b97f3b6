/**
 * REST Proxy v2 consumer instances are real members of their Kafka group: an instance and a
 * kafkajs consumer of one group share a topic's partitions, the instance's commits are a
 * member's (generation and member id), and an instance that expires
 * (consumer.instance.timeout.ms) leaves the group, whose partitions go to the kafkajs consumer.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { restProxy } from '../../src/http/rest-proxy/index.js';
import { createTopics, kafkajs } from '../helpers/kafkajs.js';
import { until } from '../helpers/until.js';
import { call } from './serve.js';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';

let broker: RunningBroker;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0' } });
  app = Fastify({ logger: false });
  await app.register(restProxy, { bootstrap: () => broker.bootstrap, consumerInstanceTimeoutMs: 3000, consumerHeartbeatIntervalMs: 300 });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await broker.stop();
});

const req = (method: string, path: string, body?: unknown): ReturnType<typeof call> => call(url, method, path, body, V2);

describe('REST Proxy v2 consumer instances in a Kafka group', () => {
  it('share partitions with a kafkajs member, commit as members, and leave the group when they expire', async () => {
    await createTopics(broker.bootstrap, [{ topic: 'shared', numPartitions: 4 }]);
    const kafka = kafkajs(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    let consumer: Consumer | null = null;
    try {
      expect((await req('POST', '/consumers/g', { name: 'rest', format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' })).status).toBe(200);
      expect((await req('POST', '/consumers/g/instances/rest/subscription', { topics: ['shared'] })).status).toBe(204);
      // Polling keeps the instance alive (it expires 3 s after its last request); there is nothing to read yet.
      const poll = async (): Promise<Array<{ partition: number; value: string; offset: number }>> => {
        const r = await fetch(`${url}/consumers/g/instances/rest/records?timeout=200`, { headers: { accept: BINARY } });
        expect(r.status).toBe(200);
        return (await r.json() as Array<{ partition: number; value: string; offset: number }>).map((x) => ({ ...x, value: Buffer.from(x.value, 'base64').toString() }));
      };
      await until('the instance alone in group g with every partition', async () => {
        expect(await poll()).toEqual([]);
        const { groups: [g] } = await admin.describeGroups(['g']);
        return g?.state === 'Stable' && g.members.length === 1;
      });

      const seen = new Map<number, string[]>();
      consumer = kafka.consumer({ groupId: 'g', heartbeatInterval: 300, sessionTimeout: 6000, rebalanceTimeout: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'shared', fromBeginning: true });
      // Not awaited: kafkajs's run() returns once it has joined, which takes the instance's rejoin.
      const running = consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          seen.set(partition, [...(seen.get(partition) ?? []), message.value!.toString()]);
        },
      });
      // Two members, two partitions each: the instance was asked to rejoin by its heartbeat.
      const shares = await until('two members with two partitions each', async () => {
        expect(await poll()).toEqual([]);
        const { groups: [g] } = await admin.describeGroups(['g']);
        if (g?.state !== 'Stable' || g.members.length !== 2) return undefined;
        return g.members.map((m) => m.clientId).sort();
      }, 15_000);
      expect(shares).toEqual(['strand-rest-proxy-g', 'strand-test']);
      await running;

      // Two records per partition: each member reads exactly its partitions' records.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'shared', messages: [0, 1, 2, 3].flatMap((p) => [{ partition: p, value: `p${p}-a` }, { partition: p, value: `p${p}-b` }]) });
      await producer.disconnect();
      const rest: Array<{ partition: number; value: string; offset: number }> = [];
      await until('the instance reads its four records', async () => {
        rest.push(...await poll());
        return rest.length >= 4;
      }, 15_000);
      const restPartitions = [...new Set(rest.map((r) => r.partition))].sort();
      expect(restPartitions).toHaveLength(2);
      expect(rest.map((r) => r.value).sort()).toEqual(restPartitions.flatMap((p) => [`p${p}-a`, `p${p}-b`]));
      const kafkajsPartitions = [0, 1, 2, 3].filter((p) => !restPartitions.includes(p));
      await until('kafkajs reads the other four', async () => {
        expect(await poll()).toEqual([]);
        return [...seen.values()].flat().length === 4;
      });
      expect([...seen.keys()].sort()).toEqual(kafkajsPartitions);
      expect(kafkajsPartitions.flatMap((p) => seen.get(p))).toEqual(kafkajsPartitions.flatMap((p) => [`p${p}-a`, `p${p}-b`]));

      // A member's commit: accepted while the group has another member (a non-member's would be UNKNOWN_MEMBER_ID).
      // Offset 0 was consumed: the group stores 1, the next to read (as Confluent's proxy commits).
      const commit = await req('POST', '/consumers/g/instances/rest/offsets', { offsets: restPartitions.map((p) => ({ topic: 'shared', partition: p, offset: 0 })) });
      expect(commit.status).toBe(200);
      const committed = await admin.fetchOffsets({ groupId: 'g', topics: ['shared'] });
      expect(committed[0]!.partitions.filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset]).sort()).toEqual(restPartitions.map((p) => [p, '1']));

      // Left alone for consumer.instance.timeout.ms: the instance expires and leaves; kafkajs gets all four partitions.
      await until('the expired instance has left the group', async () => {
        const { groups: [g] } = await admin.describeGroups(['g']);
        return g?.state === 'Stable' && g.members.length === 1 && g.members[0]!.clientId === 'strand-test';
      }, 15_000);
      expect((await req('GET', '/consumers/g/instances/rest/subscription')).body).toEqual({ error_code: 40403, message: 'Consumer instance not found.' });
      // The committed offsets of the instance's partitions hold: kafkajs resumes after them.
      await until('kafkajs reads the instance\'s partitions from the committed offsets', () => restPartitions.every((p) => seen.get(p)?.length === 1));
      expect(restPartitions.map((p) => seen.get(p))).toEqual(restPartitions.map((p) => [`p${p}-b`]));
    } finally {
      await consumer?.disconnect();
      await admin.disconnect();
    }
  }, 60_000);
});

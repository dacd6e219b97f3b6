import { connect, type Socket } from 'node:net';
import { AssignerProtocol, type Consumer, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { sleep, until } from '../helpers/until.js';

const TOPIC = 'six';
const GROUP = 'trio';

/** A kafkajs socket factory whose connections can be cut, with reconnects refused from then on. */
function killableSockets() {
  const sockets = new Set<Socket>();
  let killed = false;
  return {
    factory: ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) => {
      const s = killed ? connect({ host: '127.0.0.1', port: 1 }) : connect({ host, port }, onConnect);
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      return s;
    },
    kill() {
      killed = true;
      for (const s of sockets) s.destroy();
    },
  };
}

interface Consumed {
  consumer: number;
  phase: number;
  partition: number;
  offset: number;
  value: string;
}

describe('kafkajs consumer groups against strand', () => {
  let broker: RunningBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0' } });
    kafka = kafkajs(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('three consumers split six partitions; a leaver and a dead member are taken over; every message is consumed, none twice within a generation', async () => {
    const consumed: Consumed[] = [];
    let phase = 0;
    const assignments: Array<number[]> = [[], [], []];
    const joins = [0, 0, 0];
    const killable = killableSockets();
    const consumers: Consumer[] = [0, 1, 2].map((i) => {
      const client = i === 1
        ? new Kafka({ clientId: `c${i}`, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 }, socketFactory: killable.factory as never })
        : new Kafka({ clientId: `c${i}`, brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
      const c = client.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
      c.on(c.events.GROUP_JOIN, (e) => {
        joins[i]!++;
        assignments[i] = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort((a, b) => a - b);
      });
      return c;
    });
    for (const [i, c] of consumers.entries()) {
      await c.connect();
      await c.subscribe({ topics: [TOPIC], fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          consumed.push({ consumer: i, phase, partition, offset: Number(message.offset), value: message.value!.toString() });
        },
      });
    }
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();

    /** Wait until `members` consumers hold disjoint assignments covering all six partitions and the group is Stable with them. */
    const stable = async (members: number[]) => {
      await until(`a stable group of ${members.join(',')}`, async () => {
        const all = members.flatMap((i) => assignments[i]!);
        if (all.length !== 6 || new Set(all).size !== 6 || members.some((i) => assignments[i]!.length === 0)) return false;
        const { groups: [g] } = await admin.describeGroups([GROUP]);
        if (g!.state !== 'Stable' || g!.members.length !== members.length) return false;
        // The broker's view: the assignments it holds are those the consumers use.
        const held = g!.members.flatMap((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment[TOPIC] ?? []);
        return held.length === 6 && new Set(held).size === 6;
      }, 30_000);
      return joins.slice();
    };
    const produce = async (label: string, count: number) => {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: count }, (_, j) => ({ partition: j % 6, value: `${label}-${j}` })) });
    };
    /** Every message of the batch consumed; during the phase nothing consumed twice and nobody rejoined. */
    const drain = async (label: string, count: number, joinsAtStart: number[], owners: number[]) => {
      await until(`${label} consumed`, () => new Set(consumed.filter((c) => c.value.startsWith(`${label}-`)).map((c) => c.value)).size === count);
      const inPhase = consumed.filter((c) => c.phase === phase);
      const keys = inPhase.map((c) => `${c.partition}@${c.offset}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(joins).toEqual(joinsAtStart);
      for (const c of inPhase) {
        expect(owners).toContain(c.consumer);
        expect(assignments[c.consumer]).toContain(c.partition);
      }
    };
    const committedAll = async () => {
      const ends = await admin.fetchTopicOffsets(TOPIC);
      await until('offsets committed', async () => {
        const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        return t!.partitions.every((p) => p.offset === ends.find((e) => e.partition === p.partition)!.high);
      });
    };

    // Phase 1: three members, two partitions each.
    let j = await stable([0, 1, 2]);
    expect(assignments.map((a) => a.length)).toEqual([2, 2, 2]);
    phase = 1;
    await produce('one', 120);
    await drain('one', 120, j, [0, 1, 2]);
    await committedAll();

    // Phase 2: consumer 2 leaves (LeaveGroup); 0 and 1 take over its partitions.
    await consumers[2]!.disconnect();
    j = await stable([0, 1]);
    phase = 2;
    await produce('two', 120);
    await drain('two', 120, j, [0, 1]);
    await committedAll();

    // Phase 3: consumer 1's connection dies (no LeaveGroup, no heartbeats); after its session
    // timeout the coordinator removes it and consumer 0 gets all six partitions.
    const killedAt = Date.now();
    killable.kill();
    j = await stable([0]);
    const tookOverAfter = Date.now() - killedAt;
    expect(tookOverAfter).toBeGreaterThan(4000);
    expect(tookOverAfter).toBeLessThan(20_000);
    phase = 3;
    await produce('three', 120);
    await drain('three', 120, j, [0]);
    await committedAll();

    // At least once overall; with offsets committed before each change, in fact exactly once.
    const values = consumed.map((c) => c.value);
    expect(new Set(values).size).toBe(360);
    expect(values.length).toBe(360);

    await consumers[0]!.disconnect();
    await Promise.race([consumers[1]!.disconnect().catch(() => {}), sleep(2000)]);
    const { groups: [g] } = await admin.describeGroups([GROUP]);
    expect(g!.state).toBe('Empty');
    await producer.disconnect();
    await admin.disconnect();
  });

  it('a new consumer of a group resumes from the committed offsets; admin resets them on an empty group', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'resume', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'resume', messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `a${i}` })) });
    // kafkajs moves offsets by joining the group itself (and waits out a fetch): ~5 s each.
    await admin.setOffsets({ groupId: 'resumer', topic: 'resume', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '4' }] });
    const got: string[] = [];
    const c = kafka.consumer({ groupId: 'resumer', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topics: ['resume'], fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
    // Partition 0 holds a0 a2 a4 a6 a8 (offsets 0-4), partition 1 a1 ... a9.
    await until('resumed', () => got.length === 3);
    await sleep(300);
    expect(got.sort()).toEqual(['a6', 'a8', 'a9']);
    // A non-member cannot move the offsets of an active group.
    await expect(admin.setOffsets({ groupId: 'resumer', topic: 'resume', partitions: [{ partition: 0, offset: '0' }] })).rejects.toThrow();
    await c.disconnect();
    await admin.resetOffsets({ groupId: 'resumer', topic: 'resume', earliest: true });
    const [t] = await admin.fetchOffsets({ groupId: 'resumer', topics: ['resume'] });
    // kafkajs commits -2 ("earliest") for its consumers to resolve; Kafka stores it as given.
    expect(t!.partitions.map((p) => p.offset).sort()).toEqual(['-2', '-2']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('resumer');
    await admin.deleteGroups(['resumer']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('resumer');
    await producer.disconnect();
    await admin.disconnect();
  });
});

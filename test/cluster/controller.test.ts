/**
 * Controller election: exactly one controller at a time, a controller epoch that grows by one at
 * each election, and a deposed controller (SIGSTOPped past its lease) whose writes etcd refuses.
 */
import { describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../src/errors.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { sleep, until } from '../helpers/until.js';
import { MemberProcess } from './fixtures/member-process.js';
import { memberConfig, Recorder, startMember, uniqueClusterId } from './fixtures/members.js';

describe.skipIf(ETCD_SKIPPED)('controller election (real etcd)', () => {
  it('three brokers started at once elect exactly one controller, epoch 1; when it leaves, exactly one other, epoch 2', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const members = await Promise.all([1, 2, 3].map((n) => startMember(memberConfig(etcd, id, n))));
    const first = (await until('a controller', () => members.find((m) => m.isController())))!;
    await until('every member to see it', () => members.every((m) => m.controller()?.nodeId === first.nodeId));
    // A moment for any second winner to show itself: there must be none.
    await sleep(500);
    expect(members.filter((m) => m.isController()).map((m) => m.nodeId)).toEqual([first.nodeId]);
    expect(members.map((m) => m.controller())).toEqual([1, 2, 3].map(() => ({ nodeId: first.nodeId, epoch: 1 })));

    await first.close();
    const rest = members.filter((m) => m !== first);
    const second = (await until('a new controller', () => rest.find((m) => m.isController()), 3000))!;
    await until('the others to see it', () => rest.every((m) => m.controller()?.epoch === 2));
    await sleep(500);
    expect(rest.filter((m) => m.isController()).map((m) => m.nodeId)).toEqual([second.nodeId]);
    expect(rest.map((m) => m.controller())).toEqual([{ nodeId: second.nodeId, epoch: 2 }, { nodeId: second.nodeId, epoch: 2 }]);
  });

  it('a controller SIGSTOPped past its lease is replaced, and when SIGCONTed its writes are refused by etcd with NOT_CONTROLLER', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const old = await MemberProcess.start(memberConfig(etcd, id, 1));
    const status = await until('broker 1 to be elected', async () => {
      const st = await old.ask('status', 'status');
      return st.isController ? st : undefined;
    });
    expect(status).toEqual({ event: 'status', isController: true, controller: { nodeId: 1, epoch: 1 }, lastTermEpoch: 1, brokers: [1] });
    const b = await startMember(memberConfig(etcd, id, 2));
    await until('broker 2 to see both brokers', () => b.liveBrokers().length === 2);
    await b.createTopic({ name: 'fenced', numPartitions: 1, replicationFactor: 2 });
    const before = b.partition('fenced', 0)!;

    old.signal('SIGSTOP');
    const stoppedAt = Date.now();
    await until('broker 2 to be elected', () => b.isController(), 10_000);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(2000 + 1000);
    // Its own copy of the state shows the election once the watch delivers the controller key,
    // a moment after the campaign won.
    await until('broker 2 to see its own election', () => b.controller()?.epoch === 2);
    expect(b.controller()).toEqual({ nodeId: 2, epoch: 2 });
    // Broker 1 is gone, so the new controller made broker 2 the leader (or kept it) and shrank the ISR.
    const after = await until('the ISR without broker 1', () => (b.partition('fenced', 0)!.isr.includes(1) ? undefined : b.partition('fenced', 0)));
    expect(after).toMatchObject({ isr: [2], leader: 2, partitionEpoch: before.partitionEpoch + 1, controllerEpoch: 2 });

    old.signal('SIGCONT');
    const refused = await old.ask('stale-write fenced 0', 'stale-write');
    expect(refused).toEqual({
      event: 'stale-write',
      error: {
        name: 'NotControllerError',
        code: 'ERR_STRAND_NOT_CONTROLLER',
        kafkaCode: KafkaErrorCode.NOT_CONTROLLER,
        message: 'node 1 is no longer the controller (its epoch 1 was superseded): the test write of fenced-0 refused',
        strand: true,
      },
    });
    expect(b.partition('fenced', 0)).toEqual(after);
    // The old controller learns it was replaced and registers again, as a plain broker.
    await until('broker 1 to know it is not the controller', async () => {
      const s = await old.ask('status', 'status');
      return s.isController === false && (s.controller as { epoch: number } | null)?.epoch === 2;
    }, 10_000);
    await until('broker 1 to register again', () => b.liveBrokers().length === 2, 10_000);
    expect(b.isController()).toBe(true);
    expect(b.controller()).toEqual({ nodeId: 2, epoch: 2 });
  });

  it('assigns a new topic rack-aware: 3 racks, RF 3, each partition on three racks, one partition led by each broker', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const recorders = [1, 2, 3, 4, 5, 6].map(() => new Recorder());
    const members = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => startMember(memberConfig(etcd, id, n, { rack: `r${n % 3}` }), recorders[n - 1])));
    await until('six brokers', () => members.every((m) => m.liveBrokers().length === 6));
    const topic = await members[3]!.createTopic({ name: 'orders', numPartitions: 6, replicationFactor: 3 });
    // Racks: r1 = {1, 4}, r2 = {2, 5}, r0 = {3, 6}; rack-alternated order 3, 1, 2, 6, 4, 5; the start
    // index comes from the topic name.
    expect(topic.assignment).toEqual([[2, 4, 3], [6, 5, 1], [4, 3, 2], [5, 1, 6], [3, 2, 4], [1, 6, 5]]);
    expect(topic).toMatchObject({ name: 'orders', numPartitions: 6, replicationFactor: 3, configs: {} });
    expect(topic.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await until('every member to see every partition', () => members.every((m) => m.partition('orders', 5)));
    for (const m of members) {
      topic.assignment!.forEach((replicas, p) => {
        expect(m.partition('orders', p)).toEqual({ topic: 'orders', partition: p, replicas, isr: replicas, leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0, controllerEpoch: 1 });
        expect(new Set(replicas.map((b) => b % 3)).size).toBe(3);
      });
    }
    for (const [i, rec] of recorders.entries()) {
      const node = i + 1;
      const led = topic.assignment!.findIndex((r) => r[0] === node);
      expect(rec.events.filter((e) => e.startsWith('leader '))).toEqual([`leader orders-${led} epoch=0`]);
      expect(rec.events.filter((e) => e.startsWith('follower ')).length).toBe(2);
    }
  });
});

/**
 * Partition leadership: a dead leader is replaced from the ISR with the leader epoch bumped by
 * exactly one, a partition whose ISR is all dead waits leaderless for it (unless unclean
 * election is on), and ISR changes (AlterPartition) are refused when stale.
 */
import { describe, expect, it } from 'vitest';
import { type ClusterMember, FencedLeaderEpochError, IneligibleReplicaError, InvalidIsrRequestError, InvalidUpdateVersionError, NO_LEADER } from '../../src/cluster/index.js';
import { KafkaErrorCode, type StrandError } from '../../src/errors.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';
import { MemberProcess } from './fixtures/member-process.js';
import { memberConfig, Recorder, startMember, uniqueClusterId } from './fixtures/members.js';

async function refusal(p: Promise<unknown>): Promise<{ name: string; kafkaCode: number; message: string }> {
  const err = (await p.then(() => { throw new Error('expected a refusal'); }, (e: unknown) => e)) as StrandError;
  return { name: err.name, kafkaCode: err.kafkaCode, message: err.message };
}

describe.skipIf(ETCD_SKIPPED)('partition leadership (real etcd)', () => {
  it('SIGKILL of a leader process: the first live ISR replica leads within the TTL + 1 s, leader epoch + 1', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const rec = new Map([[1, new Recorder()], [2, new Recorder()]]);
    const a = await startMember(memberConfig(etcd, id, 1), rec.get(1));
    const b = await startMember(memberConfig(etcd, id, 2), rec.get(2));
    await until('a controller in this process', () => a.isController() || b.isController());
    const c = await MemberProcess.start(memberConfig(etcd, id, 3));
    await until('three brokers', () => a.liveBrokers().length === 3);
    const topic = await a.createTopic({ name: 'orders', numPartitions: 3, replicationFactor: 3 });
    await until('broker 2 to see the topic', () => b.partition('orders', 2));
    const p = topic.assignment!.findIndex((r) => r[0] === 3);
    const replicas = topic.assignment![p]!;
    expect(a.partition('orders', p)).toEqual({ topic: 'orders', partition: p, replicas, isr: replicas, leader: 3, leaderEpoch: 0, partitionEpoch: 0, controllerEpoch: 1 });

    const killedAt = Date.now();
    c.signal('SIGKILL');
    await until('a new leader', () => a.partition('orders', p)!.leader !== 3, 10_000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2000 + 1000);
    const survivors = replicas.filter((r) => r !== 3);
    const newLeader = survivors[0]!;
    expect(a.partition('orders', p)).toEqual({ topic: 'orders', partition: p, replicas, isr: survivors, leader: newLeader, leaderEpoch: 1, partitionEpoch: 1, controllerEpoch: 1 });
    await until('broker 2 to see it', () => b.partition('orders', p)!.leaderEpoch === 1);
    const of = (n: number): string[] => rec.get(n)!.events.filter((e) => e.includes(` orders-${p} `));
    expect(of(newLeader)).toEqual([`follower orders-${p} of=3 epoch=0`, `leader orders-${p} epoch=1`]);
    expect(of(survivors[1]!)).toEqual([`follower orders-${p} of=3 epoch=0`, `follower orders-${p} of=${newLeader} epoch=1`]);
    // The partitions broker 3 followed keep their leader and leader epoch; only the ISR shrank.
    await until('every ISR without broker 3', () => [0, 1, 2].every((q) => !a.partition('orders', q)!.isr.includes(3)));
    for (let q = 0; q < 3; q++) {
      if (q === p) continue;
      expect(a.partition('orders', q)).toEqual({ topic: 'orders', partition: q, replicas: topic.assignment![q], isr: topic.assignment![q]!.filter((r) => r !== 3), leader: topic.assignment![q]![0], leaderEpoch: 0, partitionEpoch: 1, controllerEpoch: 1 });
    }
  });

  it('refuses stale, foreign and ineligible ISR changes with Kafka\'s AlterPartition errors; of two racing changes one wins', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const members = await Promise.all([1, 2, 3].map((n) => startMember(memberConfig(etcd, id, n))));
    await until('three brokers', () => members[0]!.liveBrokers().length === 3);
    const topic = await members[0]!.createTopic({ name: 'isr', numPartitions: 1, replicationFactor: 3 });
    const [l, f1, f2] = topic.assignment![0]!;
    const member = (n: number): ClusterMember => members.find((m) => m.nodeId === n)!;
    const leader = member(l!);
    await until('the leader to see the partition', () => leader.partition('isr', 0));

    expect(await leader.requestIsrChange('isr', 0, 0, 0, [l!, f1!])).toEqual({ topic: 'isr', partition: 0, replicas: [l, f1, f2], isr: [l, f1], leader: l, leaderEpoch: 0, partitionEpoch: 1, controllerEpoch: 1 });
    expect(await refusal(leader.requestIsrChange('isr', 0, 0, 0, [l!, f1!, f2!]))).toEqual({ name: InvalidUpdateVersionError.name, kafkaCode: KafkaErrorCode.INVALID_UPDATE_VERSION, message: 'isr-0: partition epoch 0 is stale, the current one is 1' });
    expect(await refusal(member(f1!).requestIsrChange('isr', 0, 0, 1, [l!, f1!, f2!]))).toEqual({ name: InvalidIsrRequestError.name, kafkaCode: KafkaErrorCode.INVALID_REQUEST, message: `isr-0: broker ${f1} is not the leader (the leader is ${l})` });
    expect(await refusal(leader.requestIsrChange('isr', 0, 0, 1, [l!, 99]))).toEqual({ name: IneligibleReplicaError.name, kafkaCode: KafkaErrorCode.INELIGIBLE_REPLICA, message: 'isr-0: broker(s) 99 cannot join the ISR (not a replica or not alive)' });
    expect(await refusal(leader.requestIsrChange('isr', 0, 0, 1, [f1!]))).toEqual({ name: InvalidIsrRequestError.name, kafkaCode: KafkaErrorCode.INVALID_REQUEST, message: `isr-0: the new ISR [${f1}] does not contain the leader ${l}` });

    const race = await Promise.allSettled([leader.requestIsrChange('isr', 0, 0, 1, [l!]), leader.requestIsrChange('isr', 0, 0, 1, [l!, f1!, f2!])]);
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = race.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(InvalidUpdateVersionError);
    expect((lost.reason as Error).message).toBe('isr-0: partition epoch 1 is stale, the current one is 2');

    // A leader that missed its own replacement: its request carries the old leader epoch.
    await leader.requestIsrChange('isr', 0, 0, 2, [l!, f1!, f2!]);
    await leader.close();
    const next = await until('a new leader', () => member(f1!).partition('isr', 0)?.leader === f1 ? member(f1!).partition('isr', 0) : undefined);
    expect(next).toEqual({ topic: 'isr', partition: 0, replicas: [l, f1, f2], isr: [f1, f2], leader: f1, leaderEpoch: 1, partitionEpoch: 4, controllerEpoch: next!.controllerEpoch });
    expect(await refusal(member(f1!).requestIsrChange('isr', 0, 0, 4, [f1!]))).toEqual({ name: FencedLeaderEpochError.name, kafkaCode: KafkaErrorCode.FENCED_LEADER_EPOCH, message: 'isr-0: leader epoch 0 is fenced, the current one is 1' });
  });

  it('with its whole ISR dead a partition is leaderless (leader -1) and its last ISR member leads again when it returns', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const rec = new Recorder();
    const keeper = await startMember(memberConfig(etcd, id, 1));
    await until('broker 1 to be the controller', () => keeper.isController());
    const b2 = await startMember(memberConfig(etcd, id, 2), rec);
    const b3 = await startMember(memberConfig(etcd, id, 3));
    await until('three brokers', () => keeper.liveBrokers().length === 3);
    const topic = await keeper.createTopic({ name: 'solo', numPartitions: 3, replicationFactor: 2 });
    const p = topic.assignment!.findIndex((r) => r[0] === 3);
    const f = topic.assignment![p]![1]!;
    await until('broker 3 to see it', () => b3.partition('solo', p));
    await b3.requestIsrChange('solo', p, 0, 0, [3]);
    await b3.close();
    const leaderless = await until('no leader', () => (keeper.partition('solo', p)!.leader === NO_LEADER ? keeper.partition('solo', p) : undefined), 3000);
    expect(leaderless).toEqual({ topic: 'solo', partition: p, replicas: [3, f], isr: [3], leader: NO_LEADER, leaderEpoch: 1, partitionEpoch: 2, controllerEpoch: 1 });
    const heard = (): string[] => rec.events.filter((e) => e.includes(` solo-${p} `));
    if (f === 2) await until('broker 2 to hear it', () => heard().includes(`follower solo-${p} of=-1 epoch=1`));

    await startMember(memberConfig(etcd, id, 3));
    const back = await until('broker 3 to lead again', () => (keeper.partition('solo', p)!.leader === 3 ? keeper.partition('solo', p) : undefined), 3000);
    expect(back).toEqual({ topic: 'solo', partition: p, replicas: [3, f], isr: [3], leader: 3, leaderEpoch: 2, partitionEpoch: 3, controllerEpoch: 1 });
    if (f === 2) {
      await until('broker 2 to follow it', () => heard().length === 4);
      expect(heard()).toEqual([`follower solo-${p} of=3 epoch=0`, `changed solo-${p} isr=3 pe=1`, `follower solo-${p} of=-1 epoch=1`, `follower solo-${p} of=3 epoch=2`]);
    }
  });

  it('unclean.leader.election.enable=true on the topic elects a live replica outside the ISR', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const keeper = await startMember(memberConfig(etcd, id, 1));
    await until('broker 1 to be the controller', () => keeper.isController());
    await startMember(memberConfig(etcd, id, 2));
    const b3 = await startMember(memberConfig(etcd, id, 3));
    await until('three brokers', () => keeper.liveBrokers().length === 3);
    const topic = await keeper.createTopic({ name: 'lossy', numPartitions: 3, replicationFactor: 2, configs: { 'unclean.leader.election.enable': 'true' } });
    const p = topic.assignment!.findIndex((r) => r[0] === 3);
    const f = topic.assignment![p]![1]!;
    await until('broker 3 to see it', () => b3.partition('lossy', p));
    await b3.requestIsrChange('lossy', p, 0, 0, [3]);
    await b3.close();
    const next = await until('the other replica to lead', () => (keeper.partition('lossy', p)!.leader === f ? keeper.partition('lossy', p) : undefined), 3000);
    expect(next).toEqual({ topic: 'lossy', partition: p, replicas: [3, f], isr: [f], leader: f, leaderEpoch: 1, partitionEpoch: 2, controllerEpoch: 1 });
  });
});

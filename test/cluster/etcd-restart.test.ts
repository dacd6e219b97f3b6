/**
 * etcd restarting on the same data directory loses no cluster state. A short outage keeps every
 * session (same leases, same broker epochs, same controller); an outage longer than twice the
 * TTL makes the brokers give their leases up and register again (new broker epochs), and the
 * controller key, bound to the old lease, expires into a new election, while topics and
 * partition states stay exactly as they were.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterMember } from '../../src/cluster/index.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { sleep, until } from '../helpers/until.js';
import { memberConfig, startMember, uniqueClusterId } from './fixtures/members.js';

function snapshot(m: ClusterMember) {
  return {
    brokers: m.liveBrokers(),
    topics: m.topics(),
    partitions: m.topics().flatMap((t) => t.assignment!.map((_, p) => m.partition(t.name, p))),
  };
}

async function cluster(etcd: EtcdServer, sessionTimeoutMs: number) {
  const id = uniqueClusterId();
  const members = await Promise.all([1, 2, 3].map((n) => startMember(memberConfig(etcd, id, n, { sessionTimeoutMs, rack: `r${n}` }))));
  await until('three brokers', () => members.every((m) => m.liveBrokers().length === 3));
  await members[0]!.createTopic({ name: 'kept', numPartitions: 4, replicationFactor: 3, configs: { 'retention.ms': '60000' } });
  await until('every member to see the topic', () => members.every((m) => m.topic('kept') && m.partition('kept', 3)));
  return members;
}

describe.skipIf(ETCD_SKIPPED)('etcd restart (real etcd, same data directory)', () => {
  it('a short restart keeps every session, the controller and all state', async () => {
    const etcd = await EtcdServer.start();
    const members = await cluster(etcd, 4000);
    const before = snapshot(members[0]!);
    const controller = members[0]!.controller();
    await etcd.restart();
    // Longer than the lease TTL: the leases were kept alive through the restart.
    await sleep(4500);
    for (const m of members) {
      expect(snapshot(m)).toEqual(before);
      expect(m.controller()).toEqual(controller);
    }
    expect(members.filter((m) => m.isController()).map((m) => m.nodeId)).toEqual([controller!.nodeId]);
    // And the cluster still takes writes.
    const t = await members[1]!.createTopic({ name: 'after', numPartitions: 1, replicationFactor: 3 });
    expect(t.assignment).toHaveLength(1);
  });

  it('an outage longer than twice the TTL: brokers register again, a new controller is elected, topics and partitions are unchanged', async () => {
    const etcd = await EtcdServer.start();
    const members = await cluster(etcd, 2000);
    const before = snapshot(members[0]!);
    const controller = members[0]!.controller()!;
    await etcd.restart(5000);
    await until('a new controller epoch', () => members.every((m) => m.controller()?.epoch === controller.epoch + 1), 15_000);
    await until('all brokers registered', () => members.every((m) => m.liveBrokers().length === 3), 5000);
    for (const m of members) {
      const now = snapshot(m);
      expect(now.topics).toEqual(before.topics);
      expect(now.partitions).toEqual(before.partitions);
      expect(now.brokers.map(({ brokerEpoch: _, ...b }) => b)).toEqual(before.brokers.map(({ brokerEpoch: _, ...b }) => b));
      // New sessions: every registration is younger than before.
      now.brokers.forEach((b, i) => expect(b.brokerEpoch).toBeGreaterThan(before.brokers[i]!.brokerEpoch));
    }
    expect(members.filter((m) => m.isController())).toHaveLength(1);
    const t = await members[2]!.createTopic({ name: 'after', numPartitions: 2, replicationFactor: 2 });
    expect(t.assignment).toHaveLength(2);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../src/broker/index.js';
import { HeartbeatApi } from '../../../src/protocol/messages/index.js';
import { kafkajs } from '../../helpers/kafkajs.js';
import { Admin, assigned, assignment, eventually, Member } from '../groups-client.js';
import { describe, E, fetchOffset, heartbeat, joinRequest, listGroups, named, RawClient, topicIds } from './consumer-client.js';

const REBALANCE_IN_PROGRESS = 27;
const ILLEGAL_GENERATION = 22;

const config = (policy: string) => ({ 'offsets.topic.num.partitions': '2', 'group.initial.rebalance.delay.ms': '0', 'group.consumer.migration.policy': policy });

async function brokerWith(policy: string, dataDir?: string): Promise<RunningBroker> {
  const broker = await startBroker({ logLevel: 'silent', dataDir, config: config(policy) });
  const k = kafkajs(broker.bootstrap).admin();
  await k.connect();
  await k.createTopics({ topics: [{ topic: 't', numPartitions: 4 }] });
  await k.disconnect();
  return broker;
}

/** A classic member that joins `groupId` alone and takes every partition of t (generation 1), with offset 5 committed for t-0. */
async function classicGroup(bootstrap: string, groupId: string): Promise<Member> {
  const a = await Member.open(bootstrap);
  const joined = await a.join({ groupId, topics: ['t'] });
  expect([joined.errorCode, joined.generationId, a.isLeader]).toEqual([E.NONE, 1, true]);
  const synced = await a.sync(groupId, [{ memberId: a.memberId, assignment: assignment({ t: [0, 1, 2, 3] }) }]);
  expect(assigned(synced.assignment)).toEqual({ t: [0, 1, 2, 3] });
  expect(await a.commit(groupId, { t: { 0: 5 } })).toEqual([{ topic: 't', partition: 0, errorCode: E.NONE }]);
  return a;
}

/**
 * The online migration of KIP-848 (Kafka 4.0's group.consumer.migration.policy): a classic
 * group converts to a consumer group when a consumer-protocol member joins, its classic members
 * keep speaking JoinGroup/SyncGroup/Heartbeat and are told to rejoin (REBALANCE_IN_PROGRESS)
 * when their assignment changes, and the group turns classic again when the last
 * consumer-protocol member leaves; committed offsets survive both conversions.
 */
suite('online migration between the classic and the consumer protocol', () => {
  let broker: RunningBroker;
  let c: RawClient;
  let admin: Admin;

  beforeAll(async () => {
    broker = await brokerWith('bidirectional');
    c = await RawClient.open(broker.bootstrap);
    admin = await Admin.open(broker.bootstrap);
  });
  afterAll(async () => {
    c?.socket.destroy();
    admin?.close();
    await broker?.stop();
  });

  it('upgrades a live classic group, reconciles its classic member through rejoins, and downgrades when the consumer-protocol member leaves', async () => {
    const a = await classicGroup(broker.bootstrap, 'g');
    const ids = await topicIds(c, ["t"]);
    const names = new Map([...ids].map(([name, id]) => [id, name]));

    // The first consumer-protocol member: the group converts at generation 1 (its member keeps
    // epoch 1 and all four partitions), the join bumps the group epoch to 2, and the new
    // member waits for the two partitions the uniform assignor gives it until A releases them.
    const j = await heartbeat(c, joinRequest('g', 'c1', ['t']));
    expect([j.errorCode, j.memberEpoch, named(j, names)]).toEqual([E.NONE, 2, {}]);
    expect(await listGroups(c)).toContainEqual({ groupId: 'g', protocolType: 'consumer', groupState: 'Reconciling', groupType: 'consumer' });
    expect(await admin.describe('g')).toMatchObject({ errorCode: E.NONE, groupState: 'Dead', members: [] });
    const d1 = await describe(c, 'g');
    expect([d1.groupEpoch, d1.assignmentEpoch]).toEqual([2, 2]);
    expect(d1.members[a.memberId]).toMatchObject({ epoch: 1, assigned: { t: [0, 1, 2, 3] } });
    const keep = d1.members[a.memberId]!.target.t!;
    const moving = d1.members.c1!.target.t!;
    expect([keep.length, moving.length, [...keep, ...moving].sort()]).toEqual([2, 2, [0, 1, 2, 3]]);

    // A, at generation 1, may still commit, and is told to rejoin.
    expect(await a.commit('g', { t: { 1: 6 } })).toEqual([{ topic: 't', partition: 1, errorCode: E.NONE }]);
    expect(await a.heartbeat('g')).toBe(REBALANCE_IN_PROGRESS);
    // Its rejoin revokes: it stays at epoch 1 with the partitions it keeps, no leader, no members.
    const r1 = await a.join({ groupId: 'g', topics: ['t'] });
    expect([r1.errorCode, r1.generationId, r1.protocolName, r1.leader, r1.members]).toEqual([E.NONE, 1, 'range', '', []]);
    expect(assigned((await a.sync('g')).assignment)).toEqual({ t: keep });
    expect(await a.heartbeat('g')).toBe(REBALANCE_IN_PROGRESS);
    // The next rejoin proves the revocation (an eager member owns nothing when it joins): epoch 2.
    const r2 = await a.join({ groupId: 'g', topics: ['t'] });
    expect([r2.errorCode, r2.generationId]).toEqual([E.NONE, 2]);
    expect(assigned((await a.sync('g')).assignment)).toEqual({ t: keep });
    expect(await a.heartbeat('g')).toBe(E.NONE);
    expect(await a.commit('g', { t: { 2: 7 } }, { generationId: 1 })).toEqual([{ topic: 't', partition: 2, errorCode: ILLEGAL_GENERATION }]);

    const got = await heartbeat(c, { groupId: 'g', memberId: 'c1', memberEpoch: 2 });
    expect([got.errorCode, got.memberEpoch, named(got, names)]).toEqual([E.NONE, 2, { t: moving }]);
    expect(await describe(c, 'g')).toMatchObject({ state: 'Stable', groupEpoch: 2, members: { [a.memberId]: { epoch: 2, assigned: { t: keep } }, c1: { epoch: 2, assigned: { t: moving } } } });
    expect((await admin.offsets('g', { t: [0, 1] })).offsets).toMatchObject({ 't-0': { offset: 5 }, 't-1': { offset: 6 } });

    // c1 leaves: only a classic member remains, so the group turns classic at generation 2
    // and rebalances; ConsumerGroupDescribe no longer knows it.
    expect((await heartbeat(c, { groupId: 'g', memberId: 'c1', memberEpoch: -1 })).errorCode).toBe(E.NONE);
    expect(await admin.describe('g')).toMatchObject({ errorCode: E.NONE, groupState: 'PreparingRebalance', protocolType: 'consumer', members: [{ memberId: a.memberId }] });
    expect((await describe(c, 'g')).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect(await listGroups(c)).toContainEqual({ groupId: 'g', protocolType: 'consumer', groupState: 'PreparingRebalance', groupType: 'classic' });
    expect(await a.heartbeat('g')).toBe(REBALANCE_IN_PROGRESS);
    const back = await a.join({ groupId: 'g', topics: ['t'] });
    expect([back.errorCode, back.generationId, a.isLeader]).toEqual([E.NONE, 3, true]);
    await a.sync('g', [{ memberId: a.memberId, assignment: assignment({ t: [0, 1, 2, 3] }) }]);
    expect(await admin.describe('g')).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect((await admin.offsets('g', { t: [0, 1] })).offsets).toMatchObject({ 't-0': { offset: 5 }, 't-1': { offset: 6 } });
    a.close();
  });

  it('answers a JoinGroup parked in the classic rebalance with REBALANCE_IN_PROGRESS when the group converts', async () => {
    const a = await classicGroup(broker.bootstrap, 'p');
    const b = await Member.open(broker.bootstrap);
    // b's join starts a rebalance and waits for a to rejoin.
    const parked = b.join({ groupId: 'p', topics: ['t'] });
    await eventually(async () => (await admin.describe('p')).groupState === 'PreparingRebalance');
    expect((await heartbeat(c, joinRequest('p', 'c1', ['t']))).errorCode).toBe(E.NONE);
    const answered = await parked;
    expect(answered.errorCode).toBe(REBALANCE_IN_PROGRESS);
    // Both classic members were carried over at generation 1: a with its partitions, b with none.
    const d = await describe(c, 'p');
    expect(d.members[a.memberId]).toMatchObject({ epoch: 1, assigned: { t: [0, 1, 2, 3] } });
    expect(Object.values(d.members).map((m) => m.epoch).sort()).toEqual([1, 1, 2]);
    // b joins again, now as a classic member of the consumer group.
    const again = await b.join({ groupId: 'p', topics: ['t'], memberId: answered.memberId });
    expect([again.errorCode, again.generationId, again.leader]).toEqual([E.NONE, 2, '']);
    a.close();
    b.close();
  });

  it('hosts a classic member that joins a live consumer group, and answers Heartbeat and SyncGroup by the member epoch', async () => {
    const ids = await topicIds(c, ["t"]);
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const j = await heartbeat(c, joinRequest('h', 'c1', ['t']));
    expect([j.errorCode, j.memberEpoch, named(j, names)]).toEqual([E.NONE, 1, { t: [0, 1, 2, 3] }]);
    const b = await Member.open(broker.bootstrap);
    // A protocol type other than "consumer" cannot join.
    expect((await b.join({ groupId: 'h', topics: ['t'], protocolType: 'connect' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const joined = await b.join({ groupId: 'h', topics: ['t'] });
    expect([joined.errorCode, joined.generationId, joined.leader]).toEqual([E.NONE, 2, '']);
    // c1 still owns everything: b waits, and is told to rejoin once c1 released its share.
    expect(assigned((await b.sync('h')).assignment)).toEqual({});
    expect(await b.heartbeat('h')).toBe(E.NONE);
    const revoke = await heartbeat(c, { groupId: 'h', memberId: 'c1', memberEpoch: 1 });
    const kept = named(revoke, names)!.t!;
    expect([revoke.memberEpoch, kept.length]).toEqual([1, 2]);
    const done = await heartbeat(c, { groupId: 'h', memberId: 'c1', memberEpoch: 1, topicPartitions: [{ topicId: ids.get('t')!, partitions: kept }] });
    expect(done.memberEpoch).toBe(2);
    expect(await b.heartbeat('h')).toBe(REBALANCE_IN_PROGRESS);
    expect((await b.join({ groupId: 'h', topics: ['t'] })).generationId).toBe(2);
    const rest = [0, 1, 2, 3].filter((p) => !kept.includes(p));
    expect(assigned((await b.sync('h')).assignment)).toEqual({ t: rest });
    expect(await b.heartbeat('h')).toBe(E.NONE);
    expect(await b.sync('h', [], 3).then((r) => r.errorCode)).toBe(E.NONE);
    // A stale generation, an unknown member.
    expect((await b.client.request(HeartbeatApi, 3, { groupId: 'h', generationId: 1, memberId: b.memberId, groupInstanceId: null })).errorCode).toBe(ILLEGAL_GENERATION);
    expect((await b.client.request(HeartbeatApi, 3, { groupId: 'h', generationId: 2, memberId: 'nobody', groupInstanceId: null })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    // c1 is no classic member: classic requests naming it are refused.
    expect((await b.client.request(HeartbeatApi, 3, { groupId: 'h', generationId: 2, memberId: 'c1', groupInstanceId: null })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    // The classic member leaves with LeaveGroup: the group epoch moves and c1 gets everything.
    expect((await b.leave('h')).members).toEqual([{ memberId: b.memberId, groupInstanceId: null, errorCode: E.NONE }]);
    const all = await heartbeat(c, { groupId: 'h', memberId: 'c1', memberEpoch: 2, topicPartitions: [{ topicId: ids.get('t')!, partitions: kept }] });
    expect([all.memberEpoch, named(all, names)]).toEqual([3, { t: [0, 1, 2, 3] }]);
    b.close();
  });
});

suite('a classic static member replacing the last consumer-protocol member', () => {
  it('turns the group classic without a rebalance (Kafka\'s validateOnlineDowngradeWithReplacedMemberId)', async () => {
    const broker = await brokerWith('bidirectional');
    const c = await RawClient.open(broker.bootstrap);
    const admin = await Admin.open(broker.bootstrap);
    try {
      const a = await classicGroup(broker.bootstrap, 'st');
      expect((await heartbeat(c, joinRequest('st', 'c1', ['t'], { instanceId: 'i1' }))).memberEpoch).toBe(2);
      // The instance i1 comes back as a classic consumer (a rolling downgrade of the application).
      const b = await Member.open(broker.bootstrap, 'i1');
      const joined = await b.join({ groupId: 'st', topics: ['t'] });
      expect(joined.errorCode).toBe(E.NONE);
      expect(b.memberId).not.toBe('c1');
      expect((await describe(c, 'st')).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
      const d = await admin.describe('st');
      expect([d.groupState, d.protocolType, d.protocolData, d.members.map((m) => m.memberId).sort()]).toEqual(['Stable', 'consumer', 'range', [a.memberId, b.memberId].sort()]);
      expect((await admin.offsets('st', { t: [0] })).offsets['t-0']!.offset).toBe(5);
      a.close();
      b.close();
    } finally {
      c.socket.destroy();
      admin.close();
      await broker.stop();
    }
  });
});

suite('a downgraded group after a restart', () => {
  it('is loaded as the classic group it became, with its member and offsets', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strand-migration-'));
    let broker = await brokerWith('bidirectional', dataDir);
    let c = await RawClient.open(broker.bootstrap);
    const admin = await Admin.open(broker.bootstrap);
    try {
      const a = await classicGroup(broker.bootstrap, 'r');
      expect((await heartbeat(c, joinRequest('r', 'c1', ['t']))).memberEpoch).toBe(2);
      expect((await heartbeat(c, { groupId: 'r', memberId: 'c1', memberEpoch: -1 })).errorCode).toBe(E.NONE);
      expect(await admin.describe('r')).toMatchObject({ groupState: 'PreparingRebalance', protocolType: 'consumer' });
      a.close();
      admin.close();
      c.socket.destroy();
      await broker.stop();
      broker = await startBroker({ logLevel: 'silent', dataDir, config: config('bidirectional') });
      c = await RawClient.open(broker.bootstrap);
      const after = await Admin.open(broker.bootstrap);
      expect(await after.describe('r')).toMatchObject({ errorCode: E.NONE, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', members: [{ memberId: a.memberId }] });
      expect((await describe(c, 'r')).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
      expect((await after.offsets('r', { t: [0] })).offsets['t-0']!.offset).toBe(5);
      // Its member, at the group's generation (2), carries on.
      expect((await c.request(HeartbeatApi, 3, { groupId: 'r', generationId: 2, memberId: a.memberId, groupInstanceId: null })).errorCode).toBe(E.NONE);
      after.close();
    } finally {
      c.socket.destroy();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

suite('timeouts of a migrated group', () => {
  it('a classic member that stops heartbeating is fenced after its own session timeout; a consumer-protocol member that does turns the group classic', async () => {
    const broker = await startBroker({ logLevel: 'silent', config: { ...config('bidirectional'), 'group.min.session.timeout.ms': '100', 'group.consumer.session.timeout.ms': '1500', 'group.consumer.heartbeat.interval.ms': '200' } });
    const c = await RawClient.open(broker.bootstrap);
    const admin = await Admin.open(broker.bootstrap);
    try {
      const k = kafkajs(broker.bootstrap).admin();
      await k.connect();
      await k.createTopics({ topics: [{ topic: 't', numPartitions: 4 }] });
      await k.disconnect();
      expect((await heartbeat(c, joinRequest('s', 'c1', ['t']))).memberEpoch).toBe(1);
      const b = await Member.open(broker.bootstrap);
      expect((await b.join({ groupId: 's', topics: ['t'], sessionTimeoutMs: 300 })).generationId).toBe(2);
      // b syncs (its session restarts) and goes silent: 300 ms later it is fenced, the group epoch moves on (3), c1 keeps its place.
      const started = Date.now();
      await b.sync('s');
      await eventually(async () => Object.keys((await describe(c, 's')).members).length === 1, 5_000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(await describe(c, 's')).toMatchObject({ groupEpoch: 3, members: { c1: { epoch: 1 } } });

      const a = await Member.open(broker.bootstrap);
      expect((await a.join({ groupId: 's', topics: ['t'], sessionTimeoutMs: 10_000 })).generationId).toBe(4);
      // c1 goes silent: its session (1.5 s) ends and only a classic member remains: the group is classic again.
      await eventually(async () => (await admin.describe('s')).protocolType === 'consumer', 6_000);
      expect(await admin.describe('s')).toMatchObject({ groupState: 'PreparingRebalance', members: [{ memberId: a.memberId }] });
      expect((await describe(c, 's')).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
      a.close();
      b.close();
    } finally {
      c.socket.destroy();
      admin.close();
      await broker.stop();
    }
  });
});

suite('group.consumer.migration.policy', () => {
  it('disabled: a live classic group is not a consumer group; a classic member still joins a live consumer group', async () => {
    // In any case, as Kafka's CaseInsensitiveValidString takes it.
    const broker = await brokerWith('DISABLED');
    const c = await RawClient.open(broker.bootstrap);
    try {
      const a = await classicGroup(broker.bootstrap, 'd');
      const refused = await heartbeat(c, joinRequest('d', 'c1', ['t']));
      expect([refused.errorCode, refused.errorMessage]).toEqual([E.GROUP_ID_NOT_FOUND, 'Group d is not a consumer group.']);
      expect(await a.heartbeat('d')).toBe(E.NONE);
      expect((await heartbeat(c, joinRequest('k', 'c1', ['t']))).errorCode).toBe(E.NONE);
      const b = await Member.open(broker.bootstrap);
      expect((await b.join({ groupId: 'k', topics: ['t'] })).errorCode).toBe(E.NONE);
      a.close();
      b.close();
    } finally {
      c.socket.destroy();
      await broker.stop();
    }
  });

  it('upgrade: the group stays a consumer group when only classic members remain, and its classic member survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strand-migration-'));
    let broker = await brokerWith('upgrade', dataDir);
    let c = await RawClient.open(broker.bootstrap);
    try {
      const ids = await topicIds(c, ["t"]);
      const a = await classicGroup(broker.bootstrap, 'u');
      expect((await heartbeat(c, joinRequest('u', 'c1', ['t']))).memberEpoch).toBe(2);
      expect((await heartbeat(c, { groupId: 'u', memberId: 'c1', memberEpoch: -1 })).errorCode).toBe(E.NONE);
      // The group epoch moved past the target, which the next join computes.
      expect(await describe(c, 'u')).toMatchObject({ errorCode: E.NONE, state: 'Assigning', groupEpoch: 3, assignmentEpoch: 2, members: { [a.memberId]: { epoch: 1, assigned: { t: [0, 1, 2, 3] } } } });
      expect(await a.heartbeat('u')).toBe(REBALANCE_IN_PROGRESS);
      expect((await a.join({ groupId: 'u', topics: ['t'] })).generationId).toBe(3);
      expect(assigned((await a.sync('u')).assignment)).toEqual({ t: [0, 1, 2, 3] });
      expect(ids.size).toBe(1);
      a.close();
      c.socket.destroy();
      await broker.stop();
      broker = await startBroker({ logLevel: 'silent', dataDir, config: config('upgrade') });
      c = await RawClient.open(broker.bootstrap);
      // Loaded from __consumer_offsets with its classic metadata: it still heartbeats as a classic member.
      expect(await describe(c, 'u')).toMatchObject({ errorCode: E.NONE, state: 'Stable', groupEpoch: 3, members: { [a.memberId]: { epoch: 3, assigned: { t: [0, 1, 2, 3] } } } });
      expect((await c.request(HeartbeatApi, 3, { groupId: 'u', generationId: 3, memberId: a.memberId, groupInstanceId: null })).errorCode).toBe(E.NONE);
      expect(await fetchOffset(c, 'u', null, -1, 't', 0)).toEqual({ errorCode: E.NONE, offset: 5n });
    } finally {
      c.socket.destroy();
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { FindCoordinatorApi, JoinGroupApi, LeaveGroupApi, MetadataApi, OffsetCommitApi, OffsetFetchApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { Admin, E, Member, assigned, assignment, eventually, sleep, subscription } from './groups-client.js';

describe('group coordinator over the wire', () => {
  let broker: RunningBroker;
  let admin: Admin;
  const open: Array<{ close(): void }> = [];
  const member = async (instance: string | null = null) => {
    const m = await Member.open(broker.bootstrap, instance);
    open.push(m);
    return m;
  };

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500', 'num.partitions': '4' } });
    admin = await Admin.open(broker.bootstrap);
    open.push(admin);
    const meta = await admin.client.request(MetadataApi, 4, { topics: [{ name: 't' }, { name: 'u' }], allowAutoTopicCreation: true });
    expect(meta.topics.map((t) => t.errorCode)).toEqual([0, 0]);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await broker.stop();
  });

  it('FindCoordinator (v0-v4, batched from v4) names this broker and creates the internal __consumer_offsets', async () => {
    for (let v = 0; v <= 3; v++) {
      const r = await admin.client.request(FindCoordinatorApi, v, { key: 'g', keyType: 0 });
      expect(r).toMatchObject({ errorCode: 0, nodeId: 0, host: broker.host, port: broker.port });
    }
    const batch = await admin.client.request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: ['a', 'b', ''] });
    expect(batch.coordinators!.map((c) => [c.key, c.errorCode, c.nodeId, c.port])).toEqual([['a', 0, 0, broker.port], ['b', 0, 0, broker.port], ['', 0, 0, broker.port]]);
    const txn = await admin.client.request(FindCoordinatorApi, 4, { keyType: 1, coordinatorKeys: ['tx'] });
    expect(txn.coordinators![0]!.errorCode).toBe(0);
    const bad = await admin.client.request(FindCoordinatorApi, 6, { keyType: 7, coordinatorKeys: ['x'] });
    expect(bad.coordinators![0]).toMatchObject({ errorCode: E.INVALID_REQUEST, nodeId: -1 });
    // Internal, and listed among all topics flagged so, as Kafka lists it (kafka-topics --list shows it).
    const all = await admin.client.request(MetadataApi, 4, { topics: null, allowAutoTopicCreation: false });
    expect(all.topics.filter((t) => t.isInternal).map((t) => t.name)).toEqual(['__consumer_offsets']);
    const named = await admin.client.request(MetadataApi, 4, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: false });
    expect(named.topics[0]).toMatchObject({ errorCode: 0, isInternal: true });
    expect(named.topics[0]!.partitions.length).toBe(50);
  });

  it('JoinGroup v4+ hands out a member id first (MEMBER_ID_REQUIRED); a lone member leads generation 1 and gets its assignment', async () => {
    const a = await member();
    const first = await a.client.request(JoinGroupApi, 5, { groupId: 'solo', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }] });
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^raw-test-[0-9a-f-]{36}$/);
    const joined = await a.join({ groupId: 'solo', memberId: first.memberId });
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: first.memberId, memberId: first.memberId });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
    expect(joined.members[0]!.metadata.equals(subscription(['t']))).toBe(true);
    const synced = await a.sync('solo', [{ memberId: a.memberId, assignment: assignment({ t: [0, 1, 2, 3] }) }]);
    expect(synced.errorCode).toBe(0);
    expect(assigned(synced.assignment)).toEqual({ t: [0, 1, 2, 3] });
    expect(await a.heartbeat('solo')).toBe(0);
    const d = await admin.describe('solo');
    expect(d).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.members.map((m) => [m.memberId, m.clientId, m.clientHost])).toEqual([[a.memberId, 'raw-test', '/127.0.0.1']]);
    expect(assigned(d.members[0]!.memberAssignment)).toEqual({ t: [0, 1, 2, 3] });
  });

  it('JoinGroup v0-v3 joins at once without MEMBER_ID_REQUIRED', async () => {
    for (const v of [0, 1, 2, 3]) {
      const a = await member();
      const r = await a.join({ groupId: `old-${v}`, version: v });
      expect(r.errorCode).toBe(0);
      expect(r.generationId).toBe(1);
      expect(a.isLeader).toBe(true);
      // v0-v6 cannot say "no protocol"; the name is a string there.
      expect(r.protocolName).toBe('range');
    }
  });

  it('a second member triggers a rebalance: the first hears REBALANCE_IN_PROGRESS, rejoins, and the leader assigns both', async () => {
    const a = await member();
    await a.join({ groupId: 'pair' });
    await a.sync('pair', [{ memberId: a.memberId, assignment: assignment({ t: [0, 1, 2, 3] }) }]);
    const b = await member();
    const bJoin = b.join({ groupId: 'pair' });
    await eventually(async () => (await a.heartbeat('pair')) === E.REBALANCE_IN_PROGRESS);
    expect((await admin.describe('pair')).groupState).toBe('PreparingRebalance');
    const aJoin = await a.join({ groupId: 'pair' });
    const bJoined = await bJoin;
    expect(aJoin.generationId).toBe(2);
    expect(bJoined.generationId).toBe(2);
    // The first member stays leader and alone learns the members.
    expect(aJoin.leader).toBe(a.memberId);
    expect(bJoined.leader).toBe(a.memberId);
    expect(aJoin.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(bJoined.members).toEqual([]);
    expect((await admin.describe('pair')).groupState).toBe('CompletingRebalance');
    // Heartbeats between the JoinGroup answer and SyncGroup are fine.
    expect(await b.heartbeat('pair')).toBe(0);
    // The follower's SyncGroup waits for the leader's.
    const bSync = b.sync('pair');
    await sleep(50);
    const aSync = await a.sync('pair', [{ memberId: a.memberId, assignment: assignment({ t: [0, 1] }) }, { memberId: b.memberId, assignment: assignment({ t: [2, 3] }) }]);
    expect(assigned(aSync.assignment)).toEqual({ t: [0, 1] });
    expect(assigned((await bSync).assignment)).toEqual({ t: [2, 3] });
    expect(await a.heartbeat('pair')).toBe(0);
    expect(await b.heartbeat('pair')).toBe(0);
    // A stale generation is refused; the group is unaffected.
    a.generationId = 1;
    expect(await a.heartbeat('pair')).toBe(E.ILLEGAL_GENERATION);
    a.generationId = 2;
    expect((await admin.describe('pair')).groupState).toBe('Stable');
  });

  it('the protocol most members prefer among those all support wins', async () => {
    const meta = subscription(['t']);
    const [a, b, c] = [await member(), await member(), await member()];
    const protos = (...names: string[]) => names.map((name) => ({ name, metadata: meta }));
    // Join at once: the group waits for all three (the rebalance ends when everyone joined).
    await a.join({ groupId: 'vote', protocols: protos('range', 'roundrobin', 'sticky') });
    await a.sync('vote', []);
    const joins = [b.join({ groupId: 'vote', protocols: protos('roundrobin', 'range') }), c.join({ groupId: 'vote', protocols: protos('sticky', 'roundrobin', 'range') })];
    await eventually(async () => (await a.heartbeat('vote')) === E.REBALANCE_IN_PROGRESS);
    const all = [await a.join({ groupId: 'vote', protocols: protos('range', 'roundrobin', 'sticky') }), ...(await Promise.all(joins))];
    // sticky is not supported by b; votes: range (a), roundrobin (b, c's first common choice).
    expect(all.map((r) => r.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
    // A member whose protocols share nothing with the group's is refused.
    const d = await member();
    expect((await d.join({ groupId: 'vote', protocols: protos('cooperative-sticky') })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await d.join({ groupId: 'vote', protocolType: 'connect', protocols: protos('roundrobin') })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('LeaveGroup v3+ removes a batch of members, each answered; v0-v2 answer one error; the group ends Empty in a new generation', async () => {
    const [a, b] = [await member(), await member()];
    await a.join({ groupId: 'leavers' });
    await a.sync('leavers', []);
    const bj = b.join({ groupId: 'leavers' });
    await eventually(async () => (await a.heartbeat('leavers')) === E.REBALANCE_IN_PROGRESS);
    await a.join({ groupId: 'leavers' });
    await bj;
    const r = await admin.client.request(LeaveGroupApi, 3, { groupId: 'leavers', members: [{ memberId: a.memberId, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }, { memberId: b.memberId, groupInstanceId: null }] });
    expect(r.errorCode).toBe(0);
    expect(r.members!.map((m) => [m.memberId, m.errorCode])).toEqual([[a.memberId, 0], ['nobody', E.UNKNOWN_MEMBER_ID], [b.memberId, 0]]);
    const d = await admin.describe('leavers');
    expect(d.groupState).toBe('Empty');
    expect(d.members).toEqual([]);
    const old = await admin.client.request(LeaveGroupApi, 1, { groupId: 'leavers', memberId: 'nobody' });
    expect(old.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    const unknownGroup = await admin.client.request(LeaveGroupApi, 0, { groupId: 'no-such-group', memberId: 'x' });
    expect(unknownGroup.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(await a.heartbeat('leavers')).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('a member that stops heartbeating is removed after its session timeout and the others rebalance', async () => {
    const [a, b] = [await member(), await member()];
    await a.join({ groupId: 'expiring', sessionTimeoutMs: 1000 });
    await a.sync('expiring', []);
    const bj = b.join({ groupId: 'expiring', sessionTimeoutMs: 1000 });
    await eventually(async () => (await a.heartbeat('expiring')) === E.REBALANCE_IN_PROGRESS);
    await a.join({ groupId: 'expiring', sessionTimeoutMs: 1000 });
    await bj;
    await a.sync('expiring', []);
    await b.sync('expiring');
    expect((await admin.describe('expiring')).members.length).toBe(2);
    // a heartbeats, b goes silent.
    const started = Date.now();
    let code = 0;
    while (code === 0 && Date.now() - started < 5000) {
      await sleep(200);
      code = await a.heartbeat('expiring');
    }
    expect(code).toBe(E.REBALANCE_IN_PROGRESS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    const r = await a.join({ groupId: 'expiring', sessionTimeoutMs: 1000 });
    expect(r.generationId).toBe(3);
    expect(r.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(await b.heartbeat('expiring')).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('members that do not rejoin within the rebalance timeout are dropped; so are members that never send SyncGroup', async () => {
    const [a, b, c] = [await member(), await member(), await member()];
    const opts = { groupId: 'slow', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 800 };
    await a.join(opts);
    await a.sync('slow', []);
    const bj = b.join(opts);
    await eventually(async () => (await a.heartbeat('slow')) === E.REBALANCE_IN_PROGRESS);
    await a.join(opts);
    await bj;
    await a.sync('slow', []);
    await b.sync('slow');
    // c joins; a rejoins, b never does: after 800 ms the generation goes on without b.
    const cj = c.join(opts);
    await eventually(async () => (await a.heartbeat('slow')) === E.REBALANCE_IN_PROGRESS);
    const t0 = Date.now();
    const aj = await a.join(opts);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect((await cj).generationId).toBe(aj.generationId);
    expect(aj.members.map((m) => m.memberId).sort()).toEqual([a.memberId, c.memberId].sort());
    expect(await b.heartbeat('slow')).toBe(E.UNKNOWN_MEMBER_ID);
    // Now only the leader syncs: c is dropped when the rebalance timeout passes.
    await a.sync('slow', []);
    await eventually(async () => (await a.heartbeat('slow')) === E.REBALANCE_IN_PROGRESS, 3000);
    const again = await a.join(opts);
    expect(again.members.map((m) => m.memberId)).toEqual([a.memberId]);
  });

  it('group.initial.rebalance.delay.ms lets members of a new group arrive before generation 1', async () => {
    const delayed = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '400' } });
    try {
      const [a, b] = [await Member.open(delayed.bootstrap), await Member.open(delayed.bootstrap)];
      const t0 = Date.now();
      const aj = a.join({ groupId: 'newborn' });
      await sleep(150);
      const bj = b.join({ groupId: 'newborn' });
      const [ra, rb] = await Promise.all([aj, bj]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
      expect([ra.generationId, rb.generationId]).toEqual([1, 1]);
      expect(ra.members.length + rb.members.length).toBe(2);
      a.close();
      b.close();
    } finally {
      await delayed.stop();
    }
  });

  it('group.max.size: a member beyond it gets GROUP_MAX_SIZE_REACHED', async () => {
    const small = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0', 'group.max.size': '1' } });
    try {
      const [a, b] = [await Member.open(small.bootstrap), await Member.open(small.bootstrap)];
      expect((await a.join({ groupId: 'tiny' })).errorCode).toBe(0);
      const r = await b.join({ groupId: 'tiny' });
      expect(r.errorCode).toBe(81 /* GROUP_MAX_SIZE_REACHED */);
      expect(await a.heartbeat('tiny')).toBe(0);
      a.close();
      b.close();
    } finally {
      await small.stop();
    }
  });

  it('commits and fetches offsets at every OffsetCommit and OffsetFetch version', async () => {
    const c = admin.client;
    for (let v = 0; v <= 9; v++) {
      const groupId = `offsets-v${v}`;
      const commit = await c.request(OffsetCommitApi, v, {
        groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
        topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: BigInt(100 + v), committedLeaderEpoch: 3, commitTimestamp: -1n, committedMetadata: `m${v}` }] }],
      });
      expect(commit.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 1, errorCode: 0 });
    }
    for (let v = 0; v <= 9; v++) {
      const groupId = `offsets-v${v}`;
      if (v >= 8) {
        const r = await c.request(OffsetFetchApi, v, { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [1, 2] }] }, { groupId: 'offsets-v0', memberId: null, memberEpoch: -1, topics: null }], requireStable: true });
        expect(r.groups!.map((g) => [g.groupId, g.errorCode])).toEqual([[groupId, 0], ['offsets-v0', 0]]);
        expect(r.groups![0]!.topics[0]!.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.committedLeaderEpoch, p.metadata])).toEqual([[1, 100 + v, v >= 6 ? 3 : -1, `m${v}`], [2, -1, -1, '']]);
        expect(r.groups![1]!.topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 100n, committedLeaderEpoch: -1, metadata: 'm0', errorCode: 0 }] }]);
      } else {
        const r = await c.request(OffsetFetchApi, v, { groupId, topics: [{ name: 't', partitionIndexes: [1, 2] }], requireStable: false });
        const p = r.topics![0]!.partitions;
        expect(p.map((x) => [x.partitionIndex, Number(x.committedOffset), x.metadata, x.errorCode])).toEqual([[1, 100 + v, `m${v}`, 0], [2, -1, '', 0]]);
        if (v >= 5) expect(p[0]!.committedLeaderEpoch).toBe(v >= 6 ? 3 : -1);
        if (v >= 2) {
          const all = await c.request(OffsetFetchApi, v, { groupId, topics: null, requireStable: false });
          expect(all.topics!.map((t) => [t.name, t.partitions.map((x) => x.partitionIndex)])).toEqual([['t', [1]]]);
        }
      }
    }
    // An unknown group has no offsets, and no error.
    expect((await admin.offsets('never-committed', { t: [0] })).offsets['t-0']).toEqual({ offset: -1, metadata: '', errorCode: 0 });
    // Offsets-only groups are listed as Empty groups with no protocol type.
    const listed = await admin.list(['empty']);
    expect(listed.groups.find((g) => g.groupId === 'offsets-v3')).toMatchObject({ protocolType: '', groupState: 'Empty' });
  });

  it('ListGroups filters by state (case-insensitive); DescribeGroups answers every version, and Dead for an unknown group', async () => {
    const stable = await admin.list(['STABLE']);
    expect(stable.groups.map((g) => g.groupId)).toContain('pair');
    expect(stable.groups.every((g) => g.groupState === 'Stable')).toBe(true);
    const all = await admin.list([], 0);
    expect(all.groups.map((g) => g.groupId)).toEqual(expect.arrayContaining(['pair', 'solo', 'leavers', 'offsets-v1']));
    const v5 = await admin.client.request((await import('../../src/protocol/messages/index.js')).ListGroupsApi, 5, { statesFilter: [], typesFilter: ['consumer'] });
    expect(v5.groups).toEqual([]);
    for (let v = 0; v <= 5; v++) {
      const d = await admin.describe('pair', v);
      expect(d.groupState).toBe('Stable');
      expect(d.members.length).toBe(2);
    }
    expect(await admin.describe('nope')).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
  });

  it('OffsetDelete removes offsets of unsubscribed topics; DeleteGroups removes Empty groups only', async () => {
    const a = await member();
    await a.join({ groupId: 'deletable', topics: ['t'] });
    await a.sync('deletable', []);
    expect((await a.commit('deletable', { t: { 0: 5 }, u: { 0: 6 } })).map((p) => p.errorCode)).toEqual([0, 0]);
    const del = await admin.deleteOffsets('deletable', { t: [0], u: [0, 99], nosuch: [0] });
    expect(del.errorCode).toBe(0);
    expect(del.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)])).toEqual([['t', [E.GROUP_SUBSCRIBED_TO_TOPIC]], ['u', [0, E.UNKNOWN_TOPIC_OR_PARTITION]], ['nosuch', [E.UNKNOWN_TOPIC_OR_PARTITION]]]);
    expect((await admin.offsets('deletable', null)).offsets).toEqual({ 't-0': { offset: 5, metadata: 'meta', errorCode: 0 } });
    expect((await admin.deleteOffsets('no-group', { t: [0] })).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect((await admin.delete(['deletable', 'no-group'])).map((r) => r.errorCode)).toEqual([E.NON_EMPTY_GROUP, E.GROUP_ID_NOT_FOUND]);
    await a.leave('deletable');
    expect((await admin.describe('deletable')).groupState).toBe('Empty');
    expect((await admin.deleteOffsets('deletable', { t: [0] })).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect((await admin.delete(['deletable', 'deletable'])).map((r) => r.errorCode)).toEqual([0, 0]);
    expect((await admin.describe('deletable')).groupState).toBe('Dead');
    expect((await admin.list()).groups.map((g) => g.groupId)).not.toContain('deletable');
  });

  it('a commit with its own retention time (OffsetCommit v2) expires when the retention check runs', async () => {
    const b2 = await startBroker({ logLevel: 'silent', config: { 'offsets.retention.check.interval.ms': '100' } });
    const c = await RawClient.open(b2.bootstrap);
    try {
      await c.request(MetadataApi, 4, { topics: [{ name: 't' }], allowAutoTopicCreation: true });
      const commit = (retentionTimeMs: bigint, partitionIndex: number) => c.request(OffsetCommitApi, 2, {
        groupId: 'short-lived', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs,
        topics: [{ name: 't', partitions: [{ partitionIndex, committedOffset: 1n, committedMetadata: null }] }],
      });
      // Long enough to read it back on a loaded machine, short enough to see it expire.
      expect((await commit(3000n, 0)).topics[0]!.partitions[0]!.errorCode).toBe(0);
      const fetch = () => c.request(OffsetFetchApi, 2, { groupId: 'short-lived', topics: null });
      expect((await fetch()).topics!.length).toBe(1);
      await eventually(async () => (await fetch()).topics!.length === 0, 15_000);
    } finally {
      c.close();
      await b2.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import {
  DeleteGroupsApi, DescribeGroupsApi, FindCoordinatorApi, HeartbeatApi, JoinGroupApi, LeaveGroupApi, ListGroupsApi, MetadataApi, OffsetCommitApi, OffsetDeleteApi, OffsetFetchApi, SyncGroupApi,
} from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { Admin, E, Member, assignment, subscription } from './groups-client.js';

describe('group APIs: bad input gets the error a client expects, and the group stays healthy', () => {
  let broker: RunningBroker;
  let admin: Admin;
  let a: Member;
  let s: Member;
  const c = () => admin.client;

  async function healthy() {
    expect(await a.heartbeat('healthy')).toBe(0);
    const d = await admin.describe('healthy');
    expect(d.groupState).toBe('Stable');
    expect(d.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(await s.heartbeat('fixed')).toBe(0);
  }

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '2' } });
    admin = await Admin.open(broker.bootstrap);
    await c().request(MetadataApi, 4, { topics: [{ name: 't' }], allowAutoTopicCreation: true });
    a = await Member.open(broker.bootstrap);
    await a.join({ groupId: 'healthy', topics: ['t'], sessionTimeoutMs: 30_000 });
    await a.sync('healthy', [{ memberId: a.memberId, assignment: assignment({ t: [0, 1] }) }]);
    s = await Member.open(broker.bootstrap, 'instance-1');
    await s.join({ groupId: 'fixed', sessionTimeoutMs: 30_000 });
    await s.sync('fixed', []);
    await healthy();
  });
  afterAll(async () => {
    await healthy();
    a.close();
    s.close();
    admin.close();
    await broker.stop();
  });

  it('an empty group id: INVALID_GROUP_ID for membership APIs and OffsetDelete; accepted where Kafka accepts it', async () => {
    for (let v = 0; v <= 9; v++) {
      const r = await c().request(JoinGroupApi, v, { groupId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }], reason: null });
      expect(r.errorCode).toBe(E.INVALID_GROUP_ID);
      expect(r.generationId).toBe(-1);
      expect(r.protocolName).toBe(v >= 7 ? null : '');
    }
    for (let v = 0; v <= 5; v++) expect((await c().request(SyncGroupApi, v, { groupId: '', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(E.INVALID_GROUP_ID);
    for (let v = 0; v <= 4; v++) expect((await c().request(HeartbeatApi, v, { groupId: '', generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode).toBe(E.INVALID_GROUP_ID);
    for (let v = 0; v <= 5; v++) expect((await c().request(LeaveGroupApi, v, { groupId: '', memberId: 'm', members: [{ memberId: 'm', groupInstanceId: null }] })).errorCode).toBe(E.INVALID_GROUP_ID);
    expect((await admin.deleteOffsets('', { t: [0] })).errorCode).toBe(E.INVALID_GROUP_ID);
    // Kafka keeps the empty group id usable for offsets (old clients) and describe/delete.
    expect((await a.commit('', { t: { 0: 1 } }, { generationId: -1, memberId: '' }))[0]!.errorCode).toBe(0);
    expect((await admin.offsets('', { t: [0] })).offsets['t-0']!.offset).toBe(1);
    expect((await admin.describe('')).groupState).toBe('Empty');
    expect((await admin.delete(['']))[0]!.errorCode).toBe(0);
    expect((await admin.delete(['']))[0]!.errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect((await admin.findCoordinator('')).errorCode).toBe(0);
  });

  it('JoinGroup: session timeouts out of bounds, unknown members, unknown groups, inconsistent protocols', async () => {
    const join = (body: Record<string, unknown>, v = 5) => c().request(JoinGroupApi, v, { groupId: 'healthy', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }], reason: null, ...body });
    expect((await join({ sessionTimeoutMs: 5999 })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect((await join({ sessionTimeoutMs: 1_800_001 })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect((await join({ sessionTimeoutMs: -1 })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect((await join({ memberId: 'made-up' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await join({ groupId: 'no-such-group', memberId: 'made-up' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await join({ protocolType: 'connect' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join({ protocols: [{ name: 'other', metadata: Buffer.alloc(0) }] })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join({ groupId: 'new-but-empty', protocols: [] })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join({ groupId: 'new-but-empty', protocolType: '' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    // A failed join leaves no phantom group behind.
    expect((await admin.describe('new-but-empty')).groupState).toBe('Dead');
    // A static instance id that is taken, with a made-up member id: fenced.
    expect((await join({ groupId: 'fixed', memberId: 'impostor', groupInstanceId: 'instance-1' })).errorCode).toBe(E.FENCED_INSTANCE_ID);
  });

  it('SyncGroup and Heartbeat: unknown member, stale generation, unknown group, wrong protocol, fenced instance', async () => {
    const sync = (body: Record<string, unknown>, v = 5) => c().request(SyncGroupApi, v, { groupId: 'healthy', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [], ...body });
    const hb = (body: Record<string, unknown>, v = 4) => c().request(HeartbeatApi, v, { groupId: 'healthy', generationId: a.generationId, memberId: a.memberId, groupInstanceId: null, ...body });
    expect((await sync({ memberId: 'nobody' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await sync({ generationId: a.generationId - 1 })).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await sync({ generationId: a.generationId + 5 })).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await sync({ groupId: 'no-such-group' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await sync({ protocolName: 'roundrobin' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await sync({ protocolType: 'connect' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await sync({ groupInstanceId: 'not-known' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await sync({ groupId: 'fixed', memberId: 'impostor', groupInstanceId: 'instance-1', generationId: s.generationId })).errorCode).toBe(E.FENCED_INSTANCE_ID);
    // A Stable group's SyncGroup returns the current assignment, whatever the request carries.
    expect((await sync({ assignments: [{ memberId: a.memberId, assignment: assignment({ t: [1] }) }] })).assignment.equals(assignment({ t: [0, 1] }))).toBe(true);
    expect((await hb({ memberId: 'nobody' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await hb({ generationId: a.generationId + 1 })).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await hb({ groupId: 'no-such-group' })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await hb({ groupId: 'fixed', memberId: 'impostor', groupInstanceId: 'instance-1', generationId: s.generationId })).errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect((await hb({ memberId: a.memberId }, 0)).errorCode).toBe(0);
  });

  it('OffsetCommit: unknown member, stale generation, unknown group, non-member on an active group, unknown partitions, metadata too large', async () => {
    const commit = (body: Record<string, unknown>, partitions: Array<{ name: string; p: number; metadata?: string }>, v = 7) => c().request(OffsetCommitApi, v, {
      groupId: 'healthy', generationIdOrMemberEpoch: a.generationId, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: partitions.map((x) => ({ name: x.name, partitions: [{ partitionIndex: x.p, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: x.metadata ?? null }] })),
      ...body,
    }).then((r) => r.topics.map((t) => t.partitions[0]!.errorCode));
    const t0 = [{ name: 't', p: 0 }];
    expect(await commit({ memberId: 'nobody' }, t0)).toEqual([E.UNKNOWN_MEMBER_ID]);
    expect(await commit({ generationIdOrMemberEpoch: a.generationId - 1 }, t0)).toEqual([E.ILLEGAL_GENERATION]);
    expect(await commit({ groupId: 'no-such-group' }, t0)).toEqual([E.ILLEGAL_GENERATION]);
    expect(await commit({ generationIdOrMemberEpoch: -1, memberId: '' }, t0)).toEqual([E.UNKNOWN_MEMBER_ID]);
    expect(await commit({ groupId: 'fixed', memberId: 'impostor', groupInstanceId: 'instance-1', generationIdOrMemberEpoch: s.generationId }, t0)).toEqual([E.FENCED_INSTANCE_ID]);
    // Per partition: good ones are stored next to bad ones.
    expect(await commit({}, [{ name: 't', p: 0 }, { name: 'nosuch', p: 0 }, { name: 't', p: 9 }, { name: 't', p: 1, metadata: 'x'.repeat(4097) }])).toEqual([0, E.UNKNOWN_TOPIC_OR_PARTITION, E.UNKNOWN_TOPIC_OR_PARTITION, E.OFFSET_METADATA_TOO_LARGE]);
    expect((await admin.offsets('healthy', null)).offsets).toEqual({ 't-0': { offset: 1, metadata: '', errorCode: 0 } });
    // Nothing left behind by the rejected commit to an unknown group.
    expect((await admin.describe('no-such-group')).groupState).toBe('Dead');
  });

  it('LeaveGroup, DeleteGroups, OffsetDelete, ListGroups and FindCoordinator with bad names and types', async () => {
    const leave = await c().request(LeaveGroupApi, 5, { groupId: 'fixed', members: [{ memberId: 'impostor', groupInstanceId: 'instance-1', reason: 'test' }, { memberId: '', groupInstanceId: 'no-such-instance', reason: null }, { memberId: 'x', groupInstanceId: null, reason: null }] });
    expect(leave.members!.map((m) => m.errorCode)).toEqual([E.FENCED_INSTANCE_ID, E.UNKNOWN_MEMBER_ID, E.UNKNOWN_MEMBER_ID]);
    expect((await admin.delete(['healthy', 'no-such-group'])).map((r) => r.errorCode)).toEqual([E.NON_EMPTY_GROUP, E.GROUP_ID_NOT_FOUND]);
    expect((await admin.deleteOffsets('no-such-group', { t: [0] })).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect((await admin.deleteOffsets('healthy', { t: [0] })).topics[0]!.partitions[0]!.errorCode).toBe(E.GROUP_SUBSCRIBED_TO_TOPIC);
    expect((await admin.list(['NoSuchState'])).groups).toEqual([]);
    for (const keyType of [2, 3, -1]) {
      expect((await c().request(FindCoordinatorApi, 3, { key: 'g', keyType })).errorCode).toBe(E.INVALID_REQUEST);
    }
  });

  it('every version of every group API answers a request for an unknown group', async () => {
    const g = 'ghost';
    for (let v = 0; v <= 9; v++) expect((await c().request(JoinGroupApi, v, { groupId: g, sessionTimeoutMs: 10, rebalanceTimeoutMs: 10, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocols: [], reason: null })).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    for (let v = 0; v <= 5; v++) expect((await c().request(SyncGroupApi, v, { groupId: g, generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: 'm', assignment: Buffer.from([1]) }] })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    for (let v = 0; v <= 4; v++) expect((await c().request(HeartbeatApi, v, { groupId: g, generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    for (let v = 0; v <= 5; v++) {
      const r = await c().request(LeaveGroupApi, v, { groupId: g, memberId: 'm', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] });
      expect(v >= 3 ? r.members![0]!.errorCode : r.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    }
    for (let v = 0; v <= 5; v++) expect((await c().request(DescribeGroupsApi, v, { groups: [g], includeAuthorizedOperations: true })).groups[0]!.groupState).toBe('Dead');
    for (let v = 0; v <= 5; v++) expect((await c().request(ListGroupsApi, v, { statesFilter: ['Dead'], typesFilter: [] })).errorCode).toBe(0);
    for (let v = 0; v <= 2; v++) expect((await c().request(DeleteGroupsApi, v, { groupsNames: [g] })).results[0]!.errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect((await c().request(OffsetDeleteApi, 0, { groupId: g, topics: [] })).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    for (let v = 0; v <= 6; v++) {
      const r = await c().request(FindCoordinatorApi, v, { key: g, keyType: 0, coordinatorKeys: [g] });
      expect(v >= 4 ? r.coordinators![0]!.errorCode : r.errorCode).toBe(0);
    }
    for (let v = 0; v <= 9; v++) {
      const r = await c().request(OffsetCommitApi, v, { groupId: `${g}-${v}`, generationIdOrMemberEpoch: 3, memberId: 'm', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] });
      // v0 has no generation: a plain offset store commit, accepted.
      expect(r.topics[0]!.partitions[0]!.errorCode).toBe(v === 0 ? 0 : E.ILLEGAL_GENERATION);
    }
    for (let v = 0; v <= 9; v++) {
      const r = await c().request(OffsetFetchApi, v, { groupId: 'ghost-2', topics: [{ name: 't', partitionIndexes: [0] }], groups: [{ groupId: 'ghost-2', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
      expect(v >= 8 ? r.groups![0]!.errorCode : r.topics![0]!.partitions[0]!.committedOffset).toBe(v >= 8 ? 0 : -1n);
    }
  });

  it('a malformed group request closes only its own connection', async () => {
    const bad = await RawClient.open(broker.bootstrap);
    const frame = encodeRequestFrame(JoinGroupApi, 5, 1, 'bad', { groupId: 'healthy', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }] });
    const whole = Buffer.concat(frame);
    // Cut the body short but keep a consistent size prefix.
    const cut = whole.subarray(0, whole.length - 12);
    cut.writeInt32BE(cut.length - 4, 0);
    bad.write(cut);
    expect(await bad.closedByBroker()).toBe(true);
    await healthy();
  });
});

import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../src/broker/index.js';
import { ApiVersionsApi } from '../../../src/protocol/messages/index.js';
import { kafkajs } from '../../helpers/kafkajs.js';
import { Admin, Member } from '../groups-client.js';
import { commit, describe, E, fetchOffset, heartbeat, joinRequest, listGroups, RawClient } from './consumer-client.js';

/**
 * Groups of both protocols under one coordinator, as Kafka 4.0 keeps them: an empty classic
 * group is upgraded when a consumer-protocol member joins (its offsets stay), an empty
 * consumer group turns classic on JoinGroup, and a live classic group of another protocol
 * type refuses (live groups of the consumer type convert: consumer-migration.test.ts).
 */
suite('classic and consumer-protocol groups side by side', () => {
  let broker: RunningBroker;
  let c: RawClient;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'offsets.topic.num.partitions': '2', 'group.initial.rebalance.delay.ms': '0' } });
    const k = kafkajs(broker.bootstrap).admin();
    await k.connect();
    await k.createTopics({ topics: [{ topic: 't', numPartitions: 2 }] });
    await k.disconnect();
    c = await RawClient.open(broker.bootstrap);
    admin = await Admin.open(broker.bootstrap);
  });
  afterAll(async () => {
    c?.socket.destroy();
    admin?.close();
    await broker?.stop();
  });

  it('advertises ConsumerGroupHeartbeat v0-1 and ConsumerGroupDescribe v0', async () => {
    const res = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(res.apiKeys.filter((k) => k.apiKey === 68 || k.apiKey === 69).map((k) => [k.apiKey, k.minVersion, k.maxVersion])).toEqual([[68, 0, 1], [69, 0, 0]]);
  });

  it('an empty classic group with offsets is upgraded, keeping them; a JoinGroup of another protocol type is refused, and one after the group emptied turns it classic', async () => {
    // A plain offset store (no generation): a classic group with offsets and no members.
    expect(await commit(c, 'up', '', -1, 't', 0, 7n, 2)).toBe(E.NONE);
    expect(await listGroups(c)).toContainEqual({ groupId: 'up', protocolType: '', groupState: 'Empty', groupType: 'classic' });

    const j = await heartbeat(c, joinRequest('up', 'm1', ['t']));
    expect([j.errorCode, j.memberEpoch]).toEqual([E.NONE, 1]);
    expect(await listGroups(c)).toContainEqual({ groupId: 'up', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' });
    expect(await fetchOffset(c, 'up', 'm1', 1, 't', 0)).toEqual({ errorCode: E.NONE, offset: 7n });
    // The classic DescribeGroups sees no classic group there (Kafka 3.9 answers Dead).
    expect(await admin.describe('up')).toMatchObject({ errorCode: E.NONE, groupState: 'Dead', members: [] });

    const classic = await Member.open(broker.bootstrap);
    expect((await classic.join({ groupId: 'up', topics: ['t'], protocolType: 'connect' })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect((await heartbeat(c, { groupId: 'up', memberId: 'm1', memberEpoch: -1 })).errorCode).toBe(E.NONE);
    const joined = await classic.join({ groupId: 'up', topics: ['t'] });
    expect([joined.errorCode, joined.generationId]).toEqual([E.NONE, 1]);
    expect(await listGroups(c)).toContainEqual({ groupId: 'up', protocolType: 'consumer', groupState: 'CompletingRebalance', groupType: 'classic' });
    expect((await admin.offsets('up', { t: [0] })).offsets['t-0']!.offset).toBe(7);
    expect((await describe(c, 'up')).errorCode).toBe(E.GROUP_ID_NOT_FOUND);

    classic.close();
    // A live classic group of another protocol type is not taken over (Kafka's validateOnlineUpgrade).
    const connect = await Member.open(broker.bootstrap);
    expect((await connect.join({ groupId: 'conn', topics: ['t'], protocolType: 'connect' })).errorCode).toBe(E.NONE);
    const refused = await heartbeat(c, joinRequest('conn', 'm2', ['t']));
    expect([refused.errorCode, refused.errorMessage]).toEqual([E.GROUP_ID_NOT_FOUND, 'Group conn is not a consumer group.']);
    connect.close();
  });

  it('refuses bad first heartbeats with Kafka\'s errors and changes nothing', async () => {
    const bad = async (req: Parameters<typeof heartbeat>[1]) => {
      const r = await heartbeat(c, req);
      return [r.errorCode, r.errorMessage];
    };
    expect(await bad({ ...joinRequest('bad', 'm', ['t']), rebalanceTimeoutMs: -1 })).toEqual([E.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.']);
    expect(await bad({ ...joinRequest('bad', 'm', ['t']), topicPartitions: null })).toEqual([E.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.']);
    expect(await bad({ ...joinRequest('bad', 'm', ['t']), subscribedTopicNames: null })).toEqual([E.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.']);
    expect(await bad({ ...joinRequest('bad', 'm', ['t']), serverAssignor: 'sticky' })).toEqual([E.UNSUPPORTED_ASSIGNOR, 'ServerAssignor sticky is not supported. Supported assignors: uniform, range.']);
    expect(await bad({ groupId: 'bad', memberId: 'm', memberEpoch: -3 })).toEqual([E.INVALID_REQUEST, 'MemberEpoch is invalid.']);
    expect(await bad({ groupId: 'bad', memberId: '', memberEpoch: 4 })).toEqual([E.INVALID_REQUEST, "MemberId can't be empty."]);
    expect(await bad({ groupId: 'bad', memberId: 'm', memberEpoch: -2 })).toEqual([E.INVALID_REQUEST, "InstanceId can't be null."]);
    expect(await bad({ groupId: '', memberId: 'm', memberEpoch: 0 })).toEqual([E.INVALID_REQUEST, "GroupId can't be empty."]);
    expect(await bad(joinRequest('bad', '', ['t']))).toEqual([E.INVALID_REQUEST, "MemberId can't be empty."]);
    expect((await listGroups(c)).map((g) => g.groupId)).not.toContain('bad');
  });

  it('DeleteGroups removes an empty consumer group with its offsets, and refuses one with members', async () => {
    await heartbeat(c, joinRequest('del', 'm', ['t']));
    expect(await commit(c, 'del', 'm', 1, 't', 1, 9n)).toBe(E.NONE);
    expect((await admin.delete(['del']))[0]!.errorCode).toBe(68); // NON_EMPTY_GROUP
    expect((await heartbeat(c, { groupId: 'del', memberId: 'm', memberEpoch: -1 })).errorCode).toBe(E.NONE);
    expect(await describe(c, 'del')).toMatchObject({ state: 'Empty', groupEpoch: 2, members: {} });
    expect((await admin.delete(['del']))[0]!.errorCode).toBe(E.NONE);
    expect((await listGroups(c)).map((g) => g.groupId)).not.toContain('del');
    expect(await fetchOffset(c, 'del', null, -1, 't', 1)).toEqual({ errorCode: E.NONE, offset: -1n });
    expect((await describe(c, 'del')).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
  });

  it('v0 members get a member id from the coordinator', async () => {
    const r = await heartbeat(c, joinRequest('v0', '', ['t']), 0);
    expect(r.errorCode).toBe(E.NONE);
    expect(r.memberId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.memberEpoch).toBe(1);
  });
});

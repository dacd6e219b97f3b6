import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { type GroupCoordinator, groupCoordinatorOf } from '../../src/broker/groups/index.js';
import { logger } from '../../src/logger.js';
import { DeleteTopicsApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { Admin, Member, eventually } from './groups-client.js';

const DAY = 86_400_000;

describe('offsets.retention.minutes: expiry of committed offsets and empty groups', () => {
  let broker: Broker | null = null;
  const open: Array<{ close(): void }> = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await broker?.stop();
    broker = null;
  });

  async function start(dir: string): Promise<{ admin: Admin; coordinator: GroupCoordinator; bootstrap: string }> {
    const config = new BrokerConfig(new Map([
      ['log.dirs', dir], ['listeners', 'PLAINTEXT://127.0.0.1:0'], ['group.initial.rebalance.delay.ms', '0'], ['num.partitions', '2'],
    ]));
    broker = await Broker.start(config, logger.child({}, { level: 'silent' }));
    const bootstrap = `127.0.0.1:${broker.advertisedPort}`;
    const admin = await Admin.open(bootstrap);
    open.push(admin);
    await admin.client.request(MetadataApi, 4, { topics: [{ name: 'kept' }, { name: 'other' }, { name: 'doomed' }], allowAutoTopicCreation: true });
    return { admin, coordinator: groupCoordinatorOf(broker)!, bootstrap };
  }

  it('follows Kafka\'s rules: offsets-only groups per commit, Empty groups from when they emptied, Stable groups for unsubscribed topics only', async () => {
    const dir = tmpDir();
    let { admin, coordinator, bootstrap } = await start(dir);
    const now = Date.now();
    const m = await Member.open(bootstrap);
    open.push(m);
    // An offsets-only group.
    await m.commit('plain', { kept: { 0: 1 } }, { generationId: -1, memberId: '' });
    // A Stable consumer group subscribed to "kept", with offsets for "kept" and "other".
    await m.join({ groupId: 'active', topics: ['kept'], sessionTimeoutMs: 60_000 });
    await m.sync('active', []);
    await m.commit('active', { kept: { 0: 2 }, other: { 0: 3 } });
    // A consumer group that emptied.
    const e = await Member.open(bootstrap);
    open.push(e);
    await e.join({ groupId: 'emptied', topics: ['kept'] });
    await e.sync('emptied', []);
    await e.commit('emptied', { kept: { 1: 4 } });
    await e.leave('emptied');

    expect(coordinator.expire(now + 6 * DAY)).toEqual({ offsets: 0, groups: 0 });
    const r = coordinator.expire(now + 7 * DAY + 60_000);
    expect(r).toEqual({ offsets: 3, groups: 2 });
    expect((await admin.offsets('plain', null)).offsets).toEqual({});
    expect((await admin.offsets('emptied', null)).offsets).toEqual({});
    expect((await admin.offsets('active', null)).offsets).toEqual({ 'kept-0': { offset: 2, metadata: 'meta', errorCode: 0 } });
    expect((await admin.list()).groups.map((g) => g.groupId).sort()).toEqual(['active']);

    // Offsets of a deleted topic go with it at once, whatever their age (Kafka's
    // onPartitionsDeleted), so the topic created again under the name starts without them.
    await m.commit('active', { doomed: { 1: 9 } });
    await m.commit('plain', { doomed: { 0: 5 } }, { generationId: -1, memberId: '' });
    await admin.client.request(DeleteTopicsApi, 4, { topicNames: ['doomed'], timeoutMs: 1000 });
    expect(Object.keys((await admin.offsets('active', null)).offsets)).toEqual(['kept-0']);
    // The offsets-only group had nothing else: it went with them.
    expect((await admin.list()).groups.map((g) => g.groupId)).toEqual(['active']);
    await admin.client.request(MetadataApi, 4, { topics: [{ name: 'doomed' }], allowAutoTopicCreation: true });
    expect((await admin.offsets('active', { doomed: [0, 1] })).offsets).toEqual({
      'doomed-0': { offset: -1, metadata: '', errorCode: 0 }, 'doomed-1': { offset: -1, metadata: '', errorCode: 0 },
    });
    expect(coordinator.expire(Date.now())).toEqual({ offsets: 0, groups: 0 });

    // The removals were written as tombstones: a restart does not bring them back.
    m.close();
    e.close();
    await broker!.stop();
    ({ admin, coordinator, bootstrap } = await start(dir));
    expect((await admin.list()).groups.map((g) => g.groupId)).toEqual(['active']);
    expect((await admin.offsets('active', null)).offsets).toEqual({ 'kept-0': { offset: 2, metadata: 'meta', errorCode: 0 } });
    expect((await admin.offsets('plain', null)).offsets).toEqual({});
  });

  it('the retention check runs on its own every offsets.retention.check.interval.ms', async () => {
    const dir = tmpDir();
    const config = new BrokerConfig(new Map([
      ['log.dirs', dir], ['listeners', 'PLAINTEXT://127.0.0.1:0'], ['offsets.retention.minutes', '1'], ['offsets.retention.check.interval.ms', '100'],
    ]));
    broker = await Broker.start(config, logger.child({}, { level: 'silent' }));
    const admin = await Admin.open(`127.0.0.1:${broker.advertisedPort}`);
    open.push(admin);
    await admin.client.request(MetadataApi, 4, { topics: [{ name: 'kept' }], allowAutoTopicCreation: true });
    const m = await Member.open(`127.0.0.1:${broker.advertisedPort}`);
    open.push(m);
    // Committed "two minutes ago" (OffsetCommit v1 carries the commit timestamp).
    const r = await m.client.request((await import('../../src/protocol/messages/index.js')).OffsetCommitApi, 1, {
      groupId: 'old', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [{ name: 'kept', partitions: [{ partitionIndex: 0, committedOffset: 5n, commitTimestamp: BigInt(Date.now() - 120_000), committedMetadata: null }] }],
    });
    expect(r.topics[0]!.partitions[0]!.errorCode).toBe(0);
    await eventually(async () => (await admin.list()).groups.length === 0, 3000);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../src/broker/index.js';
import { kafkajs } from '../../helpers/kafkajs.js';
import { commit, describe, E, fetchOffset, heartbeat, joinRequest, listGroups, named, RawClient, topicIds } from './consumer-client.js';

/**
 * The consumer group protocol (KIP-848) over the wire, step by step with exact epochs: a second
 * member makes the group epoch 2, the first member keeps epoch 1 until it revokes what moves,
 * the second gets those partitions only once released; fencing, leaving, offsets by member
 * epoch, and a restart that reloads the group from __consumer_offsets.
 */
suite('ConsumerGroupHeartbeat state machine', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strand-cg-'));
  const config = { 'offsets.topic.num.partitions': '2', 'group.consumer.heartbeat.interval.ms': '1000' };
  let broker: RunningBroker;
  let c: RawClient;
  let names: Map<string, string>;
  let ids: Map<string, string>;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', dataDir, config });
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'a', numPartitions: 4 }] });
    await admin.disconnect();
    c = await RawClient.open(broker.bootstrap);
    ids = await topicIds(c, ['a']);
    names = new Map([...ids].map(([n, id]) => [id, n]));
  });
  afterAll(async () => {
    c?.socket.destroy();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('joins, moves partitions only after revocation, fences stale epochs, commits by member epoch, leaves, and survives a restart', async () => {
    const a = ids.get('a')!;
    // m1 alone: group epoch 1, everything.
    const r1 = await heartbeat(c, joinRequest('g', 'm1', ['a'], { serverAssignor: 'uniform' }));
    expect([r1.errorCode, r1.memberId, r1.memberEpoch, r1.heartbeatIntervalMs, named(r1, names)]).toEqual([E.NONE, 'm1', 1, 1000, { a: [0, 1, 2, 3] }]);

    // m2 joins: group epoch 2; its target (2, 3) is still m1's, so it gets epoch 2 and nothing yet.
    const r2 = await heartbeat(c, joinRequest('g', 'm2', ['a']));
    expect([r2.errorCode, r2.memberEpoch, named(r2, names)]).toEqual([E.NONE, 2, {}]);
    expect(await describe(c, 'g')).toEqual({
      errorCode: E.NONE, state: 'Reconciling', groupEpoch: 2, assignmentEpoch: 2, assignor: 'uniform',
      members: { m1: { epoch: 1, assigned: { a: [0, 1, 2, 3] }, target: { a: [0, 1] }, instanceId: null }, m2: { epoch: 2, assigned: {}, target: { a: [2, 3] }, instanceId: null } },
    });

    // m1 is told to keep 0 and 1 (revoke 2 and 3) at its current epoch, until it stops owning them.
    const all = [{ topicId: a, partitions: [0, 1, 2, 3] }];
    const r3 = await heartbeat(c, { groupId: 'g', memberId: 'm1', memberEpoch: 1, topicPartitions: all });
    expect([r3.errorCode, r3.memberEpoch, named(r3, names)]).toEqual([E.NONE, 1, { a: [0, 1] }]);
    const r4 = await heartbeat(c, { groupId: 'g', memberId: 'm1', memberEpoch: 1, topicPartitions: all });
    expect([r4.errorCode, r4.memberEpoch, r4.assignment]).toEqual([E.NONE, 1, null]);
    const r5 = await heartbeat(c, { groupId: 'g', memberId: 'm2', memberEpoch: 2 });
    expect([r5.errorCode, r5.memberEpoch, r5.assignment]).toEqual([E.NONE, 2, null]);

    // Bad input: stale and future epochs are fenced, and nothing else changes.
    const before = await describe(c, 'g');
    const stale = await heartbeat(c, { groupId: 'g', memberId: 'm2', memberEpoch: 1, topicPartitions: [] });
    expect([stale.errorCode, stale.memberEpoch, stale.assignment]).toEqual([E.FENCED_MEMBER_EPOCH, 0, null]);
    expect(stale.errorMessage).toBe('The consumer group member has a smaller member epoch (1) than the one known by the group coordinator (2). The member must abandon all its partitions and rejoin.');
    expect((await heartbeat(c, { groupId: 'g', memberId: 'm1', memberEpoch: 3 })).errorCode).toBe(E.FENCED_MEMBER_EPOCH);
    expect((await heartbeat(c, { groupId: 'g', memberId: 'nobody', memberEpoch: 1 })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await heartbeat(c, { groupId: 'no-such-group', memberId: 'm1', memberEpoch: 1 })).errorCode).toBe(E.GROUP_ID_NOT_FOUND);
    expect(await describe(c, 'g')).toEqual(before);

    // m1 revoked 2 and 3: epoch 2; then m2 gets them.
    const r6 = await heartbeat(c, { groupId: 'g', memberId: 'm1', memberEpoch: 1, topicPartitions: [{ topicId: a, partitions: [0, 1] }] });
    expect([r6.errorCode, r6.memberEpoch, named(r6, names)]).toEqual([E.NONE, 2, { a: [0, 1] }]);
    const r7 = await heartbeat(c, { groupId: 'g', memberId: 'm2', memberEpoch: 2, topicPartitions: [] });
    expect([r7.errorCode, r7.memberEpoch, named(r7, names)]).toEqual([E.NONE, 2, { a: [2, 3] }]);
    expect(await describe(c, 'g')).toMatchObject({ state: 'Stable', groupEpoch: 2, assignmentEpoch: 2, members: { m1: { epoch: 2, assigned: { a: [0, 1] } }, m2: { epoch: 2, assigned: { a: [2, 3] } } } });

    // Offsets: OffsetCommit v9 carries the member epoch.
    expect(await commit(c, 'g', 'm2', 2, 'a', 2, 5n)).toBe(E.NONE);
    expect(await commit(c, 'g', 'm2', 1, 'a', 2, 6n)).toBe(E.STALE_MEMBER_EPOCH);
    expect(await commit(c, 'g', 'm2', 3, 'a', 2, 6n)).toBe(E.FENCED_MEMBER_EPOCH);
    expect(await commit(c, 'g', 'ghost', 2, 'a', 2, 6n)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(await commit(c, 'g', 'm2', 2, 'a', 2, 6n, 8)).toBe(E.UNSUPPORTED_VERSION);
    expect(await fetchOffset(c, 'g', 'm2', 2, 'a', 2)).toEqual({ errorCode: E.NONE, offset: 5n });
    expect(await fetchOffset(c, 'g', 'm2', 1, 'a', 2)).toEqual({ errorCode: E.STALE_MEMBER_EPOCH, offset: null });
    expect(await fetchOffset(c, 'g', null, -1, 'a', 2)).toEqual({ errorCode: E.NONE, offset: 5n });
    expect(await listGroups(c)).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    expect(await listGroups(c, ['classic'])).toEqual([]);

    // m1 leaves: group epoch 3, and m2 takes everything at once (nobody owns 0 and 1 any more).
    const left = await heartbeat(c, { groupId: 'g', memberId: 'm1', memberEpoch: -1 });
    expect([left.errorCode, left.memberId, left.memberEpoch]).toEqual([E.NONE, 'm1', -1]);
    const r8 = await heartbeat(c, { groupId: 'g', memberId: 'm2', memberEpoch: 2, topicPartitions: [{ topicId: a, partitions: [2, 3] }] });
    expect([r8.errorCode, r8.memberEpoch, named(r8, names)]).toEqual([E.NONE, 3, { a: [0, 1, 2, 3] }]);
    expect((await heartbeat(c, { groupId: 'g', memberId: 'm1', memberEpoch: 2 })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);

    // A restart reloads the group, its epochs, assignments and offsets from __consumer_offsets.
    const was = await describe(c, 'g');
    c.socket.destroy();
    await broker.stop();
    broker = await startBroker({ logLevel: 'silent', dataDir, config });
    c = await RawClient.open(broker.bootstrap);
    expect(await describe(c, 'g')).toEqual(was);
    expect(was).toMatchObject({ state: 'Stable', groupEpoch: 3, assignmentEpoch: 3, members: { m2: { epoch: 3, assigned: { a: [0, 1, 2, 3] }, target: { a: [0, 1, 2, 3] } } } });
    expect(await fetchOffset(c, 'g', 'm2', 3, 'a', 2)).toEqual({ errorCode: E.NONE, offset: 5n });
    const r9 = await heartbeat(c, { groupId: 'g', memberId: 'm2', memberEpoch: 3 });
    expect([r9.errorCode, r9.memberEpoch, r9.assignment]).toEqual([E.NONE, 3, null]);
  });
});

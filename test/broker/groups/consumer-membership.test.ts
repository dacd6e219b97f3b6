import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../../src/broker/index.js';
import { kafkajs } from '../../helpers/kafkajs.js';
import { sleep, until } from '../../helpers/until.js';
import { Admin } from '../groups-client.js';
import { commit, describe, E, heartbeat, joinRequest, named, RawClient, topicIds } from './consumer-client.js';

/**
 * Consumer-protocol members over time: the range assignor, static members leaving with -2 and
 * a successor taking their place, members fenced by their session timeout and by their
 * rebalance timeout, and OffsetDelete on a consumer group.
 */
suite('consumer-protocol membership', () => {
  let broker: RunningBroker;
  let c: RawClient;
  let names: Map<string, string>;
  let ids: Map<string, string>;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'offsets.topic.num.partitions': '2', 'group.consumer.heartbeat.interval.ms': '200', 'group.consumer.session.timeout.ms': '1500' } });
    const k = kafkajs(broker.bootstrap).admin();
    await k.connect();
    await k.createTopics({ topics: [{ topic: 'x', numPartitions: 3 }, { topic: 'y', numPartitions: 3 }] });
    await k.disconnect();
    c = await RawClient.open(broker.bootstrap);
    ids = await topicIds(c, ['x', 'y']);
    names = new Map([...ids].map(([n, id]) => [id, n]));
  });
  afterAll(async () => {
    c?.socket.destroy();
    await broker?.stop();
  });

  it('range gives co-partitioned topics the same partition numbers, in member id order', async () => {
    const a = await heartbeat(c, joinRequest('rg', 'a', ['x', 'y'], { serverAssignor: 'range' }));
    expect(named(a, names)).toEqual({ x: [0, 1, 2], y: [0, 1, 2] });
    await heartbeat(c, joinRequest('rg', 'b', ['x', 'y'], { serverAssignor: 'range' }));
    const d = await describe(c, 'rg');
    expect([d.assignor, d.groupEpoch, d.members.a!.target, d.members.b!.target]).toEqual(['range', 2, { x: [0, 1], y: [0, 1] }, { x: [2], y: [2] }]);
  });

  it('a static member leaving with -2 keeps its place; a successor with its instance id takes it without a new group epoch; a duplicate is refused', async () => {
    const s1 = await heartbeat(c, joinRequest('st', 's1', ['x'], { instanceId: 'i1' }));
    expect([s1.errorCode, s1.memberEpoch, named(s1, names)]).toEqual([E.NONE, 1, { x: [0, 1, 2] }]);
    const dup = await heartbeat(c, joinRequest('st', 'other', ['x'], { instanceId: 'i1' }));
    expect([dup.errorCode, dup.errorMessage]).toEqual([E.UNRELEASED_INSTANCE_ID, 'Static member other with instance id i1 cannot join the group because the instance id is owned by s1 member.']);
    expect((await heartbeat(c, { groupId: 'st', memberId: 'other', memberEpoch: 1, instanceId: 'i1' })).errorCode).toBe(E.FENCED_INSTANCE_ID);
    // Joining again under its own id while it holds the instance is refused too, as in Kafka.
    expect((await heartbeat(c, joinRequest('st', 's1', ['x'], { instanceId: 'i1' }))).errorCode).toBe(E.UNRELEASED_INSTANCE_ID);

    const left = await heartbeat(c, { groupId: 'st', memberId: 's1', memberEpoch: -2, instanceId: 'i1' });
    expect([left.errorCode, left.memberEpoch]).toEqual([E.NONE, -2]);
    expect(await describe(c, 'st')).toMatchObject({ groupEpoch: 1, members: { s1: { epoch: -2, assigned: { x: [0, 1, 2] }, instanceId: 'i1' } } });

    const back = await heartbeat(c, joinRequest('st', 's1-restarted', ['x'], { instanceId: 'i1' }));
    expect([back.errorCode, back.memberId, back.memberEpoch, named(back, names)]).toEqual([E.NONE, 's1-restarted', 1, { x: [0, 1, 2] }]);
    const d = await describe(c, 'st');
    expect([d.state, d.groupEpoch, Object.keys(d.members), d.members['s1-restarted']!.instanceId]).toEqual(['Stable', 1, ['s1-restarted'], 'i1']);
    expect((await heartbeat(c, { groupId: 'st', memberId: 's1-restarted', memberEpoch: -1, instanceId: 'i1' })).memberEpoch).toBe(-1);
  });

  it('a member that stops heartbeating is fenced after group.consumer.session.timeout.ms and its partitions move', async () => {
    await heartbeat(c, joinRequest('se', 'alive', ['x']));
    await heartbeat(c, joinRequest('se', 'silent', ['x']));
    // `alive` settles (it gives up what the assignor moved to `silent`), then keeps heartbeating; `silent` never comes back.
    let epoch = 1;
    let owned = [0, 1, 2];
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const r = await heartbeat(c, { groupId: 'se', memberId: 'alive', memberEpoch: epoch, topicPartitions: [{ topicId: ids.get('x')!, partitions: owned }] });
      expect(r.errorCode).toBe(E.NONE);
      epoch = r.memberEpoch;
      if (r.assignment) owned = named(r, names)!.x ?? [];
      await sleep(200);
    }
    const d = await describe(c, 'se');
    expect([Object.keys(d.members), d.groupEpoch, d.members.alive!.assigned]).toEqual([['alive'], 3, { x: [0, 1, 2] }]);
    expect((await heartbeat(c, { groupId: 'se', memberId: 'silent', memberEpoch: 2 })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('a member that does not revoke within its rebalance timeout is fenced', async () => {
    const x = ids.get('x')!;
    await heartbeat(c, joinRequest('rt', 'holder', ['x'], { rebalanceTimeoutMs: 300 }));
    await heartbeat(c, joinRequest('rt', 'waiter', ['x']));
    const r = await heartbeat(c, { groupId: 'rt', memberId: 'holder', memberEpoch: 1, topicPartitions: [{ topicId: x, partitions: [0, 1, 2] }] });
    expect([r.memberEpoch, named(r, names)]).toEqual([1, { x: [0, 1] }]);
    // holder keeps heartbeating but keeps owning partition 2.
    await sleep(450);
    const late = await heartbeat(c, { groupId: 'rt', memberId: 'holder', memberEpoch: 1, topicPartitions: [{ topicId: x, partitions: [0, 1, 2] }] });
    expect(late.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    const w = await until('waiter gets everything', async () => {
      const res = await heartbeat(c, { groupId: 'rt', memberId: 'waiter', memberEpoch: (await describe(c, 'rt')).members.waiter!.epoch, topicPartitions: [] });
      return named(res, names)?.x?.length === 3 ? res : null;
    });
    expect(w.memberEpoch).toBe(3);
  });

  it('a regex subscription (v1) takes the topics it matches whole, and a new matching topic bumps the group epoch', async () => {
    const r = await heartbeat(c, joinRequest('re', 'm', [], { subscribedTopicRegex: '[xz]' }));
    expect([r.errorCode, r.memberEpoch, named(r, names)]).toEqual([E.NONE, 1, { x: [0, 1, 2] }]);
    const k = kafkajs(broker.bootstrap).admin();
    await k.connect();
    await k.createTopics({ topics: [{ topic: 'z', numPartitions: 1 }, { topic: 'zz', numPartitions: 1 }] });
    await k.disconnect();
    const zid = (await topicIds(c, ['z'])).get('z')!;
    const r2 = await heartbeat(c, { groupId: 're', memberId: 'm', memberEpoch: 1 });
    expect([r2.errorCode, r2.memberEpoch, r2.assignment?.topicPartitions.find((tp) => tp.topicId === zid)?.partitions]).toEqual([E.NONE, 2, [0]]);
    expect((await describe(c, 're')).members.m!.assigned.z).toEqual([0]);
    const bad = await heartbeat(c, joinRequest('re', 'n', [], { subscribedTopicRegex: '(' }));
    expect(bad.errorCode).toBe(128);
    expect(bad.errorMessage).toMatch(/^SubscribedTopicRegex `\(` is not a valid regular expression/);
  });

  it('OffsetDelete on a consumer group removes only offsets of topics nobody subscribes to', async () => {
    await heartbeat(c, joinRequest('od', 'm', ['x']));
    expect(await commit(c, 'od', 'm', 1, 'x', 0, 3n)).toBe(E.NONE);
    expect(await commit(c, 'od', 'm', 1, 'y', 0, 4n)).toBe(E.NONE);
    const admin = await Admin.open(broker.bootstrap);
    const r = await admin.deleteOffsets('od', { x: [0], y: [0] });
    expect([r.errorCode, r.topics.map((t) => [t.name, t.partitions[0]!.errorCode])]).toEqual([E.NONE, [['x', 86], ['y', E.NONE]]]);
    const left = await admin.offsets('od', null);
    expect(Object.keys(left.offsets)).toEqual(['x-0']);
    admin.close();
  });
});

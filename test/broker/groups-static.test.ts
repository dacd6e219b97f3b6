import { afterEach, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { LeaveGroupApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { Admin, E, Member, assigned, assignment, eventually, sleep, subscription } from './groups-client.js';

const GROUP = 'statics';

describe('static membership (KIP-345)', () => {
  let broker: RunningBroker | null = null;
  const open: Array<{ close(): void }> = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await broker?.stop();
    broker = null;
  });

  async function start(dataDir?: string) {
    broker = await startBroker({ dataDir, logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500', 'num.partitions': '4' } });
    const admin = await Admin.open(broker.bootstrap);
    open.push(admin);
    await admin.client.request(MetadataApi, 4, { topics: [{ name: 't' }], allowAutoTopicCreation: true });
    return admin;
  }
  async function member(instance: string) {
    const m = await Member.open(broker!.bootstrap, instance);
    open.push(m);
    return m;
  }
  const both = [{ name: 'range', metadata: subscription(['t']) }, { name: 'roundrobin', metadata: subscription(['t']) }];
  /** a (leader) and b, both preferring range over roundrobin, Stable, partitions split 0-1 / 2-3. */
  async function pair(sessionTimeoutMs = 10_000) {
    const [a, b] = [await member('a'), await member('b')];
    await a.join({ groupId: GROUP, sessionTimeoutMs, protocols: both });
    await a.sync(GROUP, []);
    const bj = b.join({ groupId: GROUP, sessionTimeoutMs, protocols: both });
    await eventually(async () => (await a.heartbeat(GROUP)) === E.REBALANCE_IN_PROGRESS);
    await a.join({ groupId: GROUP, sessionTimeoutMs, protocols: both });
    await bj;
    expect(a.isLeader).toBe(true);
    const bSync = b.sync(GROUP);
    await a.sync(GROUP, [{ memberId: a.memberId, assignment: assignment({ t: [0, 1] }) }, { memberId: b.memberId, assignment: assignment({ t: [2, 3] }) }]);
    expect(assigned((await bSync).assignment)).toEqual({ t: [2, 3] });
    return { a, b };
  }

  it('a static member that restarts (no member id) takes its old place: same generation and assignment, no rebalance, the old id is fenced', async () => {
    const admin = await start();
    const { a, b } = await pair();
    const generation = b.generationId;
    const oldId = b.memberId;
    // b restarts: a new connection, no member id, the same group.instance.id.
    const b2 = await member('b');
    const r = await b2.join({ groupId: GROUP });
    expect(r.errorCode).toBe(0);
    expect(r.memberId).not.toBe(oldId);
    expect(r.memberId.startsWith('b-')).toBe(true);
    expect(r.generationId).toBe(generation);
    expect(r.leader).toBe(a.memberId);
    expect(r.members).toEqual([]);
    expect(assigned((await b2.sync(GROUP)).assignment)).toEqual({ t: [2, 3] });
    // Nobody else noticed.
    expect(await a.heartbeat(GROUP)).toBe(0);
    expect(await b2.heartbeat(GROUP)).toBe(0);
    expect((await admin.describe(GROUP)).groupState).toBe('Stable');
    // The previous incarnation is fenced everywhere.
    expect(await b.heartbeat(GROUP)).toBe(E.FENCED_INSTANCE_ID);
    expect((await b.sync(GROUP)).errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect((await b.commit(GROUP, { t: { 2: 1 } }))[0]!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect((await b.join({ groupId: GROUP })).errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect((await b2.commit(GROUP, { t: { 2: 1 } }))[0]!.errorCode).toBe(0);
  });

  it('a restarted static leader: v9 says skip the assignment and names it leader; older versions name the old leader', async () => {
    await start();
    const { a, b } = await pair();
    const a2 = await member('a');
    const r9 = await a2.join({ groupId: GROUP, version: 9 });
    expect(r9).toMatchObject({ errorCode: 0, generationId: a.generationId, skipAssignment: true, leader: r9.memberId });
    expect(r9.members.map((m) => m.memberId).sort()).toEqual([r9.memberId, b.memberId].sort());
    const a3 = await member('a');
    const r5 = await a3.join({ groupId: GROUP, version: 5 });
    expect(r5.generationId).toBe(a.generationId);
    // The old leader id (a2's) makes a v5 client a follower, which just fetches its assignment.
    expect(r5.leader).toBe(r9.memberId);
    expect(r5.members).toEqual([]);
    expect(assigned((await a3.sync(GROUP)).assignment)).toEqual({ t: [0, 1] });
    expect(await b.heartbeat(GROUP)).toBe(0);
  });

  it('a static member rejoining with protocols that change the group\'s choice triggers a rebalance', async () => {
    await start();
    const { a, b } = await pair();
    const b2 = await member('b');
    // Votes tie 1:1 (a: range, b2: roundrobin); the earliest member's choice, range, stays:
    // answered at once, same generation.
    const same = await b2.join({ groupId: GROUP, protocols: [both[1]!, both[0]!] });
    expect(same).toMatchObject({ errorCode: 0, generationId: a.generationId, protocolName: 'range' });
    const b3 = await member('b');
    const changing = b3.join({ groupId: GROUP, protocols: [both[1]!] });
    // range is no longer supported by every member: the group rebalances onto roundrobin.
    await eventually(async () => (await a.heartbeat(GROUP)) === E.REBALANCE_IN_PROGRESS);
    const ra = await a.join({ groupId: GROUP, protocols: both });
    const rb = await changing;
    expect([ra.protocolName, rb.protocolName]).toEqual(['roundrobin', 'roundrobin']);
    expect(rb.generationId).toBe(b.generationId + 1);
  });

  it('a static member is removed by LeaveGroup with its instance id alone, or when its session times out (not when its connection closes)', async () => {
    const admin = await start();
    const { a, b } = await pair(1500);
    // b's connection closes: it stays a member until its session times out.
    b.close();
    await sleep(700);
    expect(await a.heartbeat(GROUP)).toBe(0);
    await eventually(async () => (await a.heartbeat(GROUP)) === E.REBALANCE_IN_PROGRESS, 5000, 200);
    const r = await a.join({ groupId: GROUP, sessionTimeoutMs: 1500, protocols: both });
    expect(r.members.map((m) => m.memberId)).toEqual([a.memberId]);
    await a.sync(GROUP, []);
    // An administrator removes a by group.instance.id (kafka-consumer-groups --delete-members style).
    const leave = await admin.client.request(LeaveGroupApi, 4, { groupId: GROUP, members: [{ memberId: '', groupInstanceId: 'a', reason: 'admin' }] });
    expect(leave.members!.map((m) => [m.memberId, m.groupInstanceId, m.errorCode])).toEqual([['', 'a', 0]]);
    expect((await admin.describe(GROUP)).groupState).toBe('Empty');
  });

  it('the new member id of a static member is persisted', async () => {
    const dir = tmpDir();
    let admin = await start(dir);
    const { a } = await pair();
    const b2 = await member('b');
    const r = await b2.join({ groupId: GROUP });
    await b2.sync(GROUP);
    for (const c of open.splice(0)) c.close();
    await broker!.stop();
    admin = await start(dir);
    const d = await admin.describe(GROUP);
    expect(d.groupState).toBe('Stable');
    expect(d.members.map((m) => [m.memberId, m.groupInstanceId]).sort()).toEqual([[a.memberId, 'a'], [r.memberId, 'b']].sort());
    const back = await member('b');
    back.memberId = r.memberId;
    back.generationId = r.generationId;
    expect(await back.heartbeat(GROUP)).toBe(0);
    const stale = await member('b');
    stale.memberId = 'b-stale';
    stale.generationId = r.generationId;
    expect(await stale.heartbeat(GROUP)).toBe(E.FENCED_INSTANCE_ID);
  });
});

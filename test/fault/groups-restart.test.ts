import { describe, expect, it } from 'vitest';
import { Admin, Member, assigned, assignment } from '../broker/groups-client.js';
import { type BrokerProcess, spawnBroker } from '../helpers/broker-process.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { tmpDir } from '../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function consumeNew(bootstrap: string, groupId: string, expected: number): Promise<string[]> {
  const got: string[] = [];
  const c = kafkajs(bootstrap).consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topics: ['rt'], fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
  const deadline = Date.now() + 20_000;
  while (got.length < expected && Date.now() < deadline) await sleep(50);
  await sleep(300); // nothing more arrives
  await c.disconnect(); // commits, then leaves
  return got.sort();
}

describe('groups across broker restarts', () => {
  it('committed offsets and group state survive a graceful stop and a SIGKILL', async () => {
    const dir = tmpDir();
    let b: BrokerProcess = await spawnBroker(dir);
    const setup = kafkajs(b.bootstrap);
    const kadmin = setup.admin();
    await kadmin.connect();
    await kadmin.createTopics({ topics: [{ topic: 'rt', numPartitions: 3 }] });
    await kadmin.disconnect();
    const producer = setup.producer();
    await producer.connect();
    await producer.send({ topic: 'rt', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `v${i}` })) });
    await producer.disconnect();

    // A Stable group (raw protocol) with an assignment and commits; an offsets-only group; a
    // kafkajs group that consumed everything and left.
    let m = await Member.open(b.bootstrap);
    const join = await m.join({ groupId: 'durable', topics: ['rt'], sessionTimeoutMs: 30_000 });
    expect(join.generationId).toBe(1);
    const memberId = m.memberId;
    await m.sync('durable', [{ memberId, assignment: assignment({ rt: [0, 1, 2] }) }]);
    expect((await m.commit('durable', { rt: { 0: 3, 1: 4, 2: 5 } }, { metadata: 'first' })).map((p) => p.errorCode)).toEqual([0, 0, 0]);
    let admin = await Admin.open(b.bootstrap);
    expect((await admin.client.request((await import('../../src/protocol/messages/index.js')).OffsetCommitApi, 2, {
      groupId: 'plain', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 'rt', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: 'p' }] }],
    })).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(await consumeNew(b.bootstrap, 'kj', 30)).toHaveLength(30);

    const check = async (offsets: [number, number, number], metadata: string) => {
      const o = await admin.offsets('durable', { rt: [0, 1, 2] });
      expect([0, 1, 2].map((p) => [o.offsets[`rt-${p}`]!.offset, o.offsets[`rt-${p}`]!.metadata])).toEqual(offsets.map((x) => [x, metadata]));
      expect((await admin.offsets('plain', null)).offsets).toEqual({ 'rt-0': { offset: 7, metadata: 'p', errorCode: 0 } });
      const kj = await admin.offsets('kj', { rt: [0, 1, 2] });
      expect(Object.values(kj.offsets).map((x) => x.offset)).toEqual([10, 10, 10]);
      const d = await admin.describe('durable');
      expect(d).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
      expect(d.members.map((x) => x.memberId)).toEqual([memberId]);
      expect(assigned(d.members[0]!.memberAssignment)).toEqual({ rt: [0, 1, 2] });
      expect(await admin.describe('kj')).toMatchObject({ groupState: 'Empty', protocolType: 'consumer', members: [] });
      // The member carries on in its generation, on a new connection.
      m.close();
      m = await Member.open(b.bootstrap);
      m.memberId = memberId;
      m.generationId = 1;
      expect(await m.heartbeat('durable')).toBe(0);
      expect(assigned((await m.sync('durable')).assignment)).toEqual({ rt: [0, 1, 2] });
    };

    // Graceful stop.
    m.close();
    admin.close();
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    b = await spawnBroker(dir);
    admin = await Admin.open(b.bootstrap);
    await check([3, 4, 5], 'first');
    expect((await m.commit('durable', { rt: { 0: 6, 1: 7, 2: 8 } }, { metadata: 'second' })).map((p) => p.errorCode)).toEqual([0, 0, 0]);

    // Crash.
    m.close();
    admin.close();
    b.child.kill('SIGKILL');
    expect(await b.exited).toBe('SIGKILL');
    b = await spawnBroker(dir);
    admin = await Admin.open(b.bootstrap);
    await check([6, 7, 8], 'second');

    // A kafkajs consumer of the group resumes after its commits: only the new messages.
    const p2 = kafkajs(b.bootstrap).producer();
    await p2.connect();
    await p2.send({ topic: 'rt', messages: [{ partition: 0, value: 'new0' }, { partition: 2, value: 'new2' }] });
    await p2.disconnect();
    expect(await consumeNew(b.bootstrap, 'kj', 2)).toEqual(['new0', 'new2']);

    // Deletions are durable too (tombstones).
    expect((await admin.delete(['plain']))[0]!.errorCode).toBe(0);
    m.close();
    admin.close();
    b.child.kill('SIGKILL');
    await b.exited;
    b = await spawnBroker(dir);
    admin = await Admin.open(b.bootstrap);
    expect((await admin.offsets('plain', null)).offsets).toEqual({});
    expect((await admin.list()).groups.map((g) => g.groupId).sort()).toEqual(['durable', 'kj']);
    admin.close();
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});

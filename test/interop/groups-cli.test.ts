import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { Admin, Member, assignment } from '../broker/groups-client.js';
import { runCli } from '../cli/run-cli.js';
import { kafkajs } from '../helpers/kafkajs.js';

const HOUR = 3_600_000;

/** Rows of a kafka-consumer-groups style table, as objects keyed by the header. */
function rows(stdout: string): Array<Record<string, string>> {
  const lines = stdout.split('\n').filter((l) => /\S/.test(l) && !l.startsWith('Consumer group') && !l.startsWith('Warning'));
  const header = lines[0]!.split(/\s{2,}/);
  return lines.slice(1).map((l) => Object.fromEntries(l.split(/\s{2,}/).map((v, i) => [header[i]!, v])));
}

describe('strand groups', () => {
  let broker: RunningBroker;
  let b: string[];
  let admin: Admin;
  const now = Date.now();

  const offsets = async (group: string) => {
    const o = (await admin.offsets(group, { orders: [0, 1] })).offsets;
    return [o['orders-0']!.offset, o['orders-1']!.offset];
  };
  const reset = (...args: string[]) => runCli(['groups', 'reset-offsets', ...args, ...b]);

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0' } });
    b = ['--bootstrap', broker.bootstrap];
    admin = await Admin.open(broker.bootstrap);
    const kafka = kafkajs(broker.bootstrap);
    const kadmin = kafka.admin();
    await kadmin.connect();
    await kadmin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    await kadmin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Per partition: offsets 0-4 two hours ago, 5-9 one hour ago.
    for (const p of [0, 1]) {
      await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ partition: p, value: `v${i}`, timestamp: String(now - (i < 5 ? 2 : 1) * HOUR) })) });
    }
    await producer.disconnect();
  });
  afterAll(async () => {
    admin.close();
    await broker.stop();
  });

  it('reset-offsets: every mode, dry run by default, --execute to apply', async () => {
    const m = await Member.open(broker.bootstrap);
    expect((await m.commit('billing', { orders: { 0: 4, 1: 6 } }, { generationId: -1, memberId: '' })).map((r) => r.errorCode)).toEqual([0, 0]);
    m.close();

    const dry = await reset('--group', 'billing', '--topic', 'orders', '--to-earliest');
    expect(dry.code).toBe(0);
    expect(rows(dry.stdout)).toEqual([
      { GROUP: 'billing', TOPIC: 'orders', PARTITION: '0', 'NEW-OFFSET': '0' },
      { GROUP: 'billing', TOPIC: 'orders', PARTITION: '1', 'NEW-OFFSET': '0' },
    ]);
    expect(dry.stderr).toContain('Dry run');
    expect(await offsets('billing')).toEqual([4, 6]);
    const explicitDry = await reset('--group', 'billing', '--all-topics', '--to-latest', '--dry-run');
    expect(rows(explicitDry.stdout).map((r) => r['NEW-OFFSET'])).toEqual(['10', '10']);
    expect(await offsets('billing')).toEqual([4, 6]);

    const run = async (...args: string[]) => {
      const r = await reset('--group', 'billing', ...args, '--execute');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('Dry run');
      return r;
    };
    await run('--topic', 'orders', '--to-earliest');
    expect(await offsets('billing')).toEqual([0, 0]);
    await run('--all-topics', '--to-latest');
    expect(await offsets('billing')).toEqual([10, 10]);
    await run('--topic', 'orders', '--to-offset', '3');
    expect(await offsets('billing')).toEqual([3, 3]);
    const clamped = await run('--topic', 'orders:1', '--to-offset', '50');
    expect(clamped.stderr).toContain('New offset (50) is higher than latest offset for topic partition orders-1. Value will be set to 10');
    expect(await offsets('billing')).toEqual([3, 10]);
    await run('--all-topics', '--shift-by', '-4');
    expect(await offsets('billing')).toEqual([0, 6]);
    await run('--topic', 'orders', '--to-datetime', new Date(now - 1.5 * HOUR).toISOString());
    expect(await offsets('billing')).toEqual([5, 5]);
    await run('--topic', 'orders:0', '--by-duration', 'P1D');
    expect(await offsets('billing')).toEqual([0, 5]);
    await run('--topic', 'orders', '--by-duration', 'PT90M');
    expect(await offsets('billing')).toEqual([5, 5]);
    // Nothing at or after the time: the end.
    await run('--topic', 'orders', '--by-duration', 'PT1M');
    expect(await offsets('billing')).toEqual([10, 10]);
    await run('--topic', 'orders', '--shift-by', '-100');
    expect(await offsets('billing')).toEqual([0, 0]);

    // Usage errors.
    expect((await reset('--group', 'billing', '--topic', 'orders')).code).toBe(2);
    expect((await reset('--group', 'billing', '--topic', 'orders', '--to-earliest', '--to-latest')).code).toBe(2);
    expect((await reset('--group', 'billing', '--to-earliest')).code).toBe(2);
    expect((await reset('--group', 'billing', '--topic', 'orders', '--by-duration', '90m')).code).toBe(2);
    expect((await reset('--group', 'billing', '--topic', 'orders', '--to-earliest', '--dry-run', '--execute')).code).toBe(2);
    const noTopic = await reset('--group', 'billing', '--topic', 'nosuch', '--to-earliest');
    expect(noTopic.code).toBe(1);
    expect(noTopic.stderr).toContain('nosuch');
    // Shifting needs a committed offset.
    const fresh = await reset('--group', 'never-committed', '--topic', 'orders', '--shift-by', '1');
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain('no committed offset');
  });

  it('refuses to reset an active group, and describe shows its members, offsets, log end offsets and lag', async () => {
    const m = await Member.open(broker.bootstrap);
    await m.join({ groupId: 'live', topics: ['orders'], sessionTimeoutMs: 30_000 });
    await m.sync('live', [{ memberId: m.memberId, assignment: assignment({ orders: [0, 1] }) }]);
    expect((await m.commit('live', { orders: { 0: 7 } })).map((r) => r.errorCode)).toEqual([0]);

    const refused = await reset('--group', 'live', '--topic', 'orders', '--to-earliest', '--execute');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Assignments can only be reset if the group 'live' is inactive, but the current state is Stable.");
    expect(await offsets('live')).toEqual([7, -1]);
    expect((await reset('--group', 'live', '--topic', 'orders', '--to-earliest')).code).toBe(1);

    const d = await runCli(['groups', 'describe', 'live', ...b]);
    expect(d.code).toBe(0);
    expect(rows(d.stdout)).toEqual([
      { GROUP: 'live', TOPIC: 'orders', PARTITION: '0', 'CURRENT-OFFSET': '7', 'LOG-END-OFFSET': '10', LAG: '3', 'CONSUMER-ID': m.memberId, HOST: '/127.0.0.1', 'CLIENT-ID': 'raw-test' },
      { GROUP: 'live', TOPIC: 'orders', PARTITION: '1', 'CURRENT-OFFSET': '-', 'LOG-END-OFFSET': '10', LAG: '-', 'CONSUMER-ID': m.memberId, HOST: '/127.0.0.1', 'CLIENT-ID': 'raw-test' },
    ]);
    const members = await runCli(['groups', 'describe', 'live', '--members', '--verbose', ...b]);
    expect(rows(members.stdout)).toEqual([{ GROUP: 'live', 'CONSUMER-ID': m.memberId, 'GROUP-INSTANCE-ID': '-', HOST: '/127.0.0.1', 'CLIENT-ID': 'raw-test', '#PARTITIONS': '2', ASSIGNMENT: 'orders(0,1)' }]);
    const state = await runCli(['groups', 'describe', 'live', '--state', ...b]);
    expect(rows(state.stdout)).toEqual([{ GROUP: 'live', 'COORDINATOR (ID)': `${broker.host}:${broker.port} (0)`, 'ASSIGNMENT-STRATEGY': 'range', STATE: 'Stable', '#MEMBERS': '1' }]);

    const list = await runCli(['groups', 'list', ...b]);
    expect(list.stdout.split('\n')).toEqual(expect.arrayContaining(['billing', 'live']));
    const states = await runCli(['groups', 'list', '--state', ...b]);
    expect(rows(states.stdout)).toEqual(expect.arrayContaining([{ GROUP: 'billing', STATE: 'Empty' }, { GROUP: 'live', STATE: 'Stable' }]));
    const stable = await runCli(['groups', 'list', '--state', 'stable', ...b]);
    expect(rows(stable.stdout)).toEqual([{ GROUP: 'live', STATE: 'Stable' }]);

    const empty = await runCli(['groups', 'describe', 'billing', ...b]);
    expect(empty.stdout).toContain("Consumer group 'billing' has no active members.");
    expect(rows(empty.stdout).map((r) => [r.PARTITION, r['CURRENT-OFFSET'], r.LAG, r['CONSUMER-ID']])).toEqual([['0', '0', '10', '-'], ['1', '0', '10', '-']]);
    const missing = await runCli(['groups', 'describe', 'nope', ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Consumer group 'nope' does not exist.");

    const del = await runCli(['groups', 'delete', 'billing', 'live', ...b]);
    expect(del.code).toBe(1);
    expect(del.stdout).toBe("Deletion of requested consumer groups ('billing') was successful.\n");
    expect(del.stderr).toContain("consumer group 'live' failed: the group has active members");
    expect((await runCli(['groups', 'list', ...b])).stdout.split('\n')).not.toContain('billing');
    await m.leave('live');
    m.close();
    expect((await runCli(['groups', 'delete', 'live', ...b])).code).toBe(0);
  });
});

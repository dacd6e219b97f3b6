import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { runCli } from '../cli/run-cli.js';
import { sleep, until } from '../helpers/until.js';
import { BalancedKcat } from '../helpers/balanced-kcat.js';

describe('librdkafka (kcat -G) consumer groups against strand', () => {
  let broker: RunningBroker;
  const running: BalancedKcat[] = [];
  const start = (group: string, topic: string, props?: Record<string, string>) => {
    const k = new BalancedKcat(broker.bootstrap, group, topic, props);
    running.push(k);
    return k;
  };

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': '0' } });
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kc', numPartitions: 4 }, { topic: 'ks', numPartitions: 4 }] });
    await admin.disconnect();
  });
  afterEach(async () => {
    for (const k of running.splice(0)) await k.stop('SIGKILL');
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('two balanced consumers share the partitions; their commits are visible to kafkajs', async () => {
    const a = start('kcg', 'kc');
    const b = start('kcg', 'kc');
    await until('both consumers assigned', () => {
      const [x, y] = [a.assignment, b.assignment];
      return x !== undefined && y !== undefined && x.length > 0 && y.length > 0 && new Set([...x, ...y]).size === 4 && x.length + y.length === 4;
    });
    // Ten messages per partition.
    for (let p = 0; p < 4; p++) {
      const input = Array.from({ length: 10 }, (_, i) => `m${p * 10 + i}`).join('\n') + '\n';
      expect((await kcat(['-b', broker.bootstrap, '-P', '-t', 'kc', '-p', String(p)], input)).code).toBe(0);
    }
    await until('all messages consumed', () => new Set([...a.messages, ...b.messages].map((m) => m.value)).size === 40);
    const [aParts, bParts] = [a.assignment!, b.assignment!];
    for (const m of a.messages) expect(aParts).toContain(m.partition);
    for (const m of b.messages) expect(bParts).toContain(m.partition);
    expect(a.messages.length + b.messages.length).toBe(40);

    // SIGTERM: librdkafka commits what it consumed and leaves the group.
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets('kc');
    const [t] = await admin.fetchOffsets({ groupId: 'kcg', topics: ['kc'] });
    expect(t!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual(ends.map((e) => [e.partition, e.high]).sort());
    const { groups: [g] } = await admin.describeGroups(['kcg']);
    expect(g).toMatchObject({ state: 'Empty', protocolType: 'consumer', members: [] });
    expect((await admin.listGroups()).groups).toContainEqual({ groupId: 'kcg', protocolType: 'consumer' });
    await admin.disconnect();
    // ... and to `strand groups describe`.
    const described = await runCli(['groups', 'describe', 'kcg', '--bootstrap', broker.bootstrap]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain("Consumer group 'kcg' has no active members.");
    const lines = described.stdout.split('\n').filter((l) => l.startsWith('kcg '));
    expect(lines.map((l) => l.split(/\s+/).slice(0, 6))).toEqual([0, 1, 2, 3].map((p) => ['kcg', 'kc', String(p), '10', '10', '0']));

    // A new librdkafka consumer of the group starts at the committed offsets: nothing old again.
    const c = start('kcg', 'kc');
    await until('assigned', () => c.assignment?.length === 4);
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'kc'], 'late\n');
    await until('the new message', () => c.messages.length > 0);
    await sleep(300);
    expect(c.messages.map((m) => m.value)).toEqual(['late']);
  });

  it('a static member (group.instance.id) restarted within its session timeout gets its partitions back without a rebalance of the others', async () => {
    const props = (id: string) => ({ 'group.instance.id': id, 'session.timeout.ms': '10000' });
    const a = start('static', 'ks', props('a'));
    const b = start('static', 'ks', props('b'));
    await until('both static members assigned', () => {
      const [x, y] = [a.assignment, b.assignment];
      return x !== undefined && y !== undefined && x.length === 2 && y.length === 2;
    });
    const aParts = a.assignment!;
    const bRebalances = b.assignments.length;
    // Only what b prints from here on: had b joined first, it revoked its partitions when a joined.
    const bStderrFrom = b.stderr.length;
    // a dies without leaving and comes back with the same instance id.
    await a.stop('SIGKILL');
    const a2 = start('static', 'ks', props('a'));
    await until('the restarted member assigned', () => a2.assignment !== undefined, 8000);
    expect(a2.assignment).toEqual(aParts);
    await sleep(1500);
    // b heard of no rebalance, and keeps its partitions.
    expect(b.assignments.length).toBe(bRebalances);
    expect(b.stderr.slice(bStderrFrom)).not.toContain('revoked');
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    const { groups: [g] } = await admin.describeGroups(['static']);
    expect(g!.state).toBe('Stable');
    expect(g!.members.map((m) => m.memberId.split('-')[0]).sort()).toEqual(['a', 'b']);
    await admin.disconnect();
  });
});

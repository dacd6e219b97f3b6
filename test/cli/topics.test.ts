import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { runCli } from './run-cli.js';

describe('strand topics', () => {
  let broker: RunningBroker;
  let b: string[];
  beforeAll(async () => {
    broker = await startBroker({ port: 0, logLevel: 'silent' });
    b = ['--bootstrap', broker.bootstrap];
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('creates, lists, describes, alters and deletes topics', async () => {
    const created = await runCli(['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', '--config', 'cleanup.policy=compact', ...b]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('Created topic orders.\n');
    expect((await runCli(['topics', 'create', 'events', ...b])).code).toBe(0);

    const list = await runCli(['topics', 'list', ...b]);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe('events\norders\n');

    const described = await runCli(['topics', 'describe', 'orders', ...b]);
    expect(described.code).toBe(0);
    const lines = described.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: /);
    expect(lines[0]).toContain('retention.ms=3600000');
    expect(lines[0]).toContain('cleanup.policy=compact');
    expect(lines.slice(1)).toEqual([0, 1, 2].map((p) => expect.stringMatching(new RegExp(`^\\tTopic: orders\\tPartition: ${p}\\tLeader: \\d+\\tReplicas: \\d+\\tIsr: \\d+$`))));

    const altered = await runCli(['topics', 'alter', 'orders', '--partitions', '5', '--add-config', 'retention.ms=60000', '--delete-config', 'cleanup.policy', ...b]);
    expect(altered.stderr).toBe('');
    expect(altered.code).toBe(0);
    expect(altered.stdout).toBe('Topic orders now has 5 partitions.\nUpdated configs of topic orders.\n');
    const after = await runCli(['topics', 'describe', 'orders', ...b]);
    expect(after.stdout).toContain('PartitionCount: 5');
    expect(after.stdout).toContain('Configs: retention.ms=60000\n');
    const all = await runCli(['topics', 'describe', 'orders', '--all-configs', ...b]);
    expect(all.stdout).toContain('retention.ms=60000 (DYNAMIC_TOPIC_CONFIG)');
    expect(all.stdout).toMatch(/cleanup\.policy=delete \([A-Z_]+\)/);

    const both = await runCli(['topics', 'describe', ...b]);
    expect(both.stdout.match(/^Topic: /gm)).toHaveLength(2);

    const deleted = await runCli(['topics', 'delete', 'orders', 'events', ...b]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('Deleted topic orders.\nDeleted topic events.\n');
    expect((await runCli(['topics', 'list', ...b])).stdout).toBe('');
  });

  it("accepts --bootstrap-server, Kafka's name for --bootstrap", async () => {
    const address = broker.bootstrap;
    const created = await runCli(['topics', 'create', 'kafka-named', '--bootstrap-server', address]);
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('Created topic kafka-named.\n');
    const listed = await runCli(['topics', 'list', '--bootstrap-server', address]);
    expect(listed.stdout.split('\n')).toContain('kafka-named');
    const both = await runCli(['topics', 'list', '--bootstrap-server', address, '--bootstrap', address]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --bootstrap or --bootstrap-server, not both');
    expect((await runCli(['topics', 'delete', 'kafka-named', '--bootstrap-server', address])).code).toBe(0);
  });

  it('reports an existing topic unless --if-not-exists, and a missing one unless --if-exists', async () => {
    expect((await runCli(['topics', 'create', 'dup', ...b])).code).toBe(0);
    const again = await runCli(['topics', 'create', 'dup', ...b]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('topic dup already exists; add --if-not-exists');
    const quiet = await runCli(['topics', 'create', 'dup', '--if-not-exists', ...b]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout + quiet.stderr).toBe('');

    const missing = await runCli(['topics', 'delete', 'nope', ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('topic nope does not exist');
    expect((await runCli(['topics', 'delete', 'nope', '--if-exists', ...b])).code).toBe(0);
    const describeMissing = await runCli(['topics', 'describe', 'nope', ...b]);
    expect(describeMissing.code).toBe(1);
    expect(describeMissing.stderr).toContain('topic nope does not exist');
  });

  it('refuses bad alterations with exit code 2 or the broker error', async () => {
    await runCli(['topics', 'create', 'shrink', '--partitions', '3', ...b]);
    const nothing = await runCli(['topics', 'alter', 'shrink', ...b]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to change; give --partitions, --add-config or --delete-config');
    const fewer = await runCli(['topics', 'alter', 'shrink', '--partitions', '2', ...b]);
    expect(fewer.code).toBe(2);
    expect(fewer.stderr).toContain('shrink has 3 partitions; partitions can only be added');
    const badValue = await runCli(['topics', 'alter', 'shrink', '--add-config', 'retention.ms=soon', ...b]);
    expect(badValue.code).toBe(1);
    expect(badValue.stderr).toContain('INVALID_CONFIG');
  });
});

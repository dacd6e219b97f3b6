/**
 * `strand cluster start|describe|reassign` as child processes: a local etcd and two brokers
 * started in one foreground process tree, described, a partition reassigned from a Kafka-style
 * plan and verified, and everything stopped by SIGINT (Ctrl-C).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ETCD_SKIPPED, freePort } from '../helpers/etcd.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { runCli, startCli } from './run-cli.js';

describe('strand cluster reassign: plan files', () => {
  it('refuses a plan that is not Kafka\'s format, naming the file (exit 2)', async () => {
    const dir = tmpDir('strand-plan-');
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 't', partition: 0, replicas: [1] }, { topic: 't', partition: 0, replicas: [2] }] }));
    const r = await runCli(['cluster', 'reassign', '-f', file, '--execute', '-b', '127.0.0.1:1']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: `error: ${file}: partition t-0 appears more than once\n(add --help for usage)\n` });
    const both = await runCli(['cluster', 'reassign', '-f', file, '--execute', '--verify']);
    expect({ code: both.code, stderr: both.stderr }).toEqual({ code: 2, stderr: 'error: give exactly one of --execute, --verify and --cancel\n(add --help for usage)\n' });
  });
});

describe.skipIf(ETCD_SKIPPED)('strand cluster start, describe, reassign (real etcd and broker processes)', () => {
  it('starts etcd and two brokers, describes them, reassigns a partition, and stops everything on SIGINT', async () => {
    const dir = tmpDir('strand-cluster-cli-');
    const etcdPort = await freePort();
    const port = await freePort();
    const started = startCli(['cluster', 'start', '--brokers', '2', '--data-dir', dir, '--port', String(port), '--etcd-port', String(etcdPort), '--override', 'broker.session.timeout.ms=3000'], { timeoutMs: 120_000 });
    try {
      const bootstrap = `127.0.0.1:${port},127.0.0.1:${port + 1}`;
      await until('the bootstrap servers printed', () => started.output().includes('Press Ctrl-C to stop.'), 60_000);
      expect(started.output().split('\n').filter((l) => l.startsWith('bootstrap servers:'))).toEqual([`bootstrap servers: ${bootstrap}`]);
      expect(started.output()).toContain(`etcd: 127.0.0.1:${etcdPort} (data and log in ${dir})\n`);

      const admin = kafkajs(bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'cli', numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const described = await until('both replicas in the ISR', async () => {
        const r = await runCli(['cluster', 'describe', '-b', `127.0.0.1:${port}`]);
        return r.stdout.includes('0 under-replicated') ? r : undefined;
      });
      expect(described.code).toBe(0);
      const lines = described.stdout.split('\n');
      expect(lines[0]).toMatch(/^Cluster strand-cluster, controller [12]$/);
      expect(lines.slice(2, 6)).toEqual(['Brokers (2):', 'ID  HOST:PORT        RACK', `1   127.0.0.1:${port}  -`, `2   127.0.0.1:${port + 1}  -`]);
      expect(lines[7]).toBe('Partitions (1, 0 under-replicated):');
      expect(lines[8]).toMatch(/^TOPIC\s+PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+ISR\s+OFFLINE\s+STATUS$/);
      const row = lines[9]!.split(/\s+/);
      expect([row[0], row[1], row[3], row[6], row[7]]).toEqual(['cli', '0', '0', '-', 'ok']);
      const replicas = row[4]!;
      expect(['1,2', '2,1']).toContain(replicas);

      // Move the partition to broker 2 alone.
      const plan = join(dir, 'plan.json');
      writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'cli', partition: 0, replicas: [2], log_dirs: ['any'] }] }));
      const executed = await runCli(['cluster', 'reassign', '-f', plan, '--execute', '-b', `127.0.0.1:${port}`]);
      expect({ code: executed.code, stdout: executed.stdout }).toEqual({
        code: 0,
        stdout: `Current partition replica assignment\n\n${JSON.stringify({ version: 1, partitions: [{ topic: 'cli', partition: 0, replicas: replicas.split(',').map(Number), log_dirs: ['any', 'any'] }] })}\n\nSave this to use as the --reassignment-json-file option during rollback\nSuccessfully started partition reassignment for cli-0\n`,
      });
      const verified = await until('the reassignment to complete', async () => {
        const r = await runCli(['cluster', 'reassign', '-f', plan, '--verify', '-b', `127.0.0.1:${port}`]);
        return r.code === 0 ? r : undefined;
      });
      expect(verified.stdout).toBe('Status of partition reassignment:\nReassignment of partition cli-0 is completed.\n');
      await until('broker 1 to delete its replica', () => !existsSync(join(dir, 'broker-1', 'cli-0')));
      const cancel = await runCli(['cluster', 'reassign', '-f', plan, '--cancel', '-b', `127.0.0.1:${port}`]);
      expect({ code: cancel.code, stderr: cancel.stderr }).toEqual({ code: 1, stderr: 'error: Error cancelling partition reassignment(s):\nAlterPartitionReassignments cli-0: NO_REASSIGNMENT_IN_PROGRESS (85): Unable to cancel reassignment of cli-0: no reassignment is in progress.\n' });

      started.child.kill('SIGINT');
      const done = await started.done;
      expect(done.code).toBe(0);
      expect(done.stdout.endsWith('stopping the brokers...\nstopped.\n')).toBe(true);
      expect(existsSync(join(dir, 'broker-2', 'cli-0'))).toBe(true);
    } finally {
      started.child.kill('SIGKILL');
    }
  }, 150_000);
});

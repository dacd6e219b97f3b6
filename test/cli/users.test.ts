import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { runCli } from './run-cli.js';

describe('strand users', () => {
  let broker: RunningBroker;
  let b: string[];
  beforeAll(async () => {
    broker = await startBroker({
      logLevel: 'silent',
      config: { listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512', 'connection.failed.authentication.delay.ms': '0' },
    });
    b = ['--bootstrap', broker.listeners[0]!.bootstrap];
  });
  afterAll(async () => broker.stop());

  const login = async (mechanism: 'scram-sha-256' | 'scram-sha-512', password: string) => {
    const admin = new Kafka({ brokers: [broker.listeners[1]!.bootstrap], sasl: { mechanism, username: 'alice', password }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect();
    }
  };

  it('adds, lists and removes SCRAM users that clients then log in as', async () => {
    const added = await runCli(['users', 'add', 'alice', '--password', 's3cret', '--iterations', '8192', ...b]);
    expect(added.stderr).toBe('');
    expect(added.stdout).toBe('Set SCRAM-SHA-256, SCRAM-SHA-512 credentials of user alice.\n');
    const dir = tmpDir();
    const pwFile = `${dir}/pw`;
    (await import('node:fs')).writeFileSync(pwFile, 'bob-pw\n');
    expect((await runCli(['users', 'add', 'bob', '-m', 'SCRAM-SHA-512', '--password-file', pwFile, ...b])).stdout).toBe('Set SCRAM-SHA-512 credentials of user bob.\n');
    expect((await runCli(['users', 'list', ...b])).stdout).toBe('alice\tSCRAM-SHA-256\titerations=8192\nalice\tSCRAM-SHA-512\titerations=8192\nbob\tSCRAM-SHA-512\titerations=4096\n');
    expect(await login('scram-sha-256', 's3cret')).toBe(true);
    expect(await login('scram-sha-512', 's3cret')).toBe(true);
    expect(await login('scram-sha-512', 'other')).toBe(false);

    expect((await runCli(['users', 'remove', 'alice', '-m', 'SCRAM-SHA-256', ...b])).stdout).toBe('Removed SCRAM-SHA-256 credentials of user alice.\n');
    expect(await login('scram-sha-256', 's3cret')).toBe(false);
    expect((await runCli(['users', 'remove', 'alice', ...b])).stdout).toBe('Removed SCRAM-SHA-512 credentials of user alice.\n');
    expect((await runCli(['users', 'list', ...b])).stdout).toBe('bob\tSCRAM-SHA-512\titerations=4096\n');
  });

  it('reports refusals and bad arguments', async () => {
    const few = await runCli(['users', 'add', 'carol', '--password', 'x', '--iterations', '100', ...b]);
    expect(few.code).toBe(1);
    expect(few.stderr).toContain('UNACCEPTABLE_CREDENTIAL (93): Too few iterations');
    const missing = await runCli(['users', 'list', 'nobody', ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('RESOURCE_NOT_FOUND (91): Attempt to describe a user credential that does not exist');
    const noPassword = await runCli(['users', 'add', 'carol', ...b]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('give exactly one of --password and --password-file');
    expect((await runCli(['users', 'add', 'carol', '-m', 'MD5', '--password', 'x', ...b])).stderr).toContain('--mechanism MD5: expected SCRAM-SHA-256 or SCRAM-SHA-512');
  });
});

describe('strand broker fails closed', () => {
  it('--override listeners=SASL_SSL://... without TLS settings does not start', async () => {
    const r = await runCli(['broker', '--data-dir', tmpDir(), '--override', 'listeners=SASL_SSL://127.0.0.1:0'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('listener SASL_SSL uses SASL_SSL but has no key');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { spawn } from 'node:child_process';
import { bundleScript } from '../helpers/bundle.js';

/** The strand CLI from a bundle (starts in a fraction of `--import tsx`). */
async function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = await bundleScript('src/cli/main.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, STRAND_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('strand quotas', () => {
  let broker: RunningBroker;
  let b: string[];
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
    b = ['--bootstrap', broker.bootstrap];
  });
  afterAll(async () => broker.stop());

  it('sets, lists and removes client quotas with Kafka errors passed on', async () => {
    const set = await runCli(['quotas', 'set', '--user', 'alice', '--client-id', 'app', 'producer_byte_rate=1048576', 'request_percentage=50', ...b]);
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe('Set producer_byte_rate=1048576 request_percentage=50 for user=alice client-id=app.\n');
    expect((await runCli(['quotas', 'set', '--client-id-default', 'consumer_byte_rate=2048', ...b])).code).toBe(0);
    expect((await runCli(['quotas', 'list', ...b])).stdout).toBe('user=alice client-id=app\tproducer_byte_rate=1048576 request_percentage=50\nclient-id=<default>\tconsumer_byte_rate=2048\n');
    const bad = await runCli(['quotas', 'set', '--user', 'alice', 'producer_byte_rate=1.5', ...b]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Configuration producer_byte_rate must be a Long value');
    // Without keys: every key the entity has.
    expect((await runCli(['quotas', 'remove', '--user', 'alice', '--client-id', 'app', ...b])).stdout).toBe('Removed producer_byte_rate, request_percentage of user=alice client-id=app.\n');
    expect((await runCli(['quotas', 'list', '--user', 'alice', '--client-id', 'app', ...b])).stdout).toBe('');
  }, 120_000);
});

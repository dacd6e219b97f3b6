/** `strand perf produce|consume|e2e` against a broker started in this process, through the real CLI. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/client/client.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { runCli } from '../cli/run-cli.js';

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.stop();
});

function json(stdout: string): Record<string, any> {
  const line = stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, any>;
}

async function endOffsets(topic: string): Promise<number[]> {
  const client = new KafkaClient({ bootstrap: broker.bootstrap });
  try {
    const partitions = await client.partitionsOf(topic);
    return await Promise.all(partitions.map(async (p) => (await client.listOffsets(topic, p, 'latest')).offset));
  } finally {
    await client.close();
  }
}

describe('strand perf', () => {
  it('produce creates the topic with --partitions and writes exactly --num-records', async () => {
    const r = await runCli(['perf', 'produce', '-b', broker.bootstrap, '--topic', 'perf-a', '--partitions', '3', '--num-records', '25000', '--record-size', '50', '--batch-size', '500', '--acks', '1', '--json', '--no-progress']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.mode).toBe('produce');
    expect(out.records).toBe(25000);
    expect(out.bytes).toBe(25000 * 50);
    expect(out.requests).toBe(50);
    expect(out.latency.count).toBe(25000);
    expect(out.latency.p99Ms).toBeGreaterThan(0);
    expect(out.settings.partitions).toBe(3);
    expect(out.settings.topicCreated).toBe(true);
    const ends = await endOffsets('perf-a');
    expect(ends).toHaveLength(3);
    expect(ends.reduce((a, b) => a + b, 0)).toBe(25000);
  });

  it('consume reads back what was produced, all of it by default, or --num-records', async () => {
    const all = await runCli(['perf', 'consume', '-b', broker.bootstrap, '--topic', 'perf-a', '--json', '--no-progress']);
    expect(all.code).toBe(0);
    const out = json(all.stdout);
    expect(out.mode).toBe('consume');
    expect(out.records).toBe(25000);
    expect(out.fetches).toBeGreaterThan(0);
    expect(out.fetchLatency.count).toBe(out.fetches);
    const some = await runCli(['perf', 'consume', '-b', broker.bootstrap, '--topic', 'perf-a', '--num-records', '1234', '--json', '--no-progress']);
    expect(some.code).toBe(0);
    expect(json(some.stdout).records).toBe(1234);
  });

  it('produce at --throughput with gzip and acks=all, then the text report', async () => {
    const r = await runCli(['perf', 'produce', '-b', broker.bootstrap, '--topic', 'perf-b', '--num-records', '6000', '--throughput', '20000', '--compression', 'gzip', '--acks', 'all', '--topic-config', 'flush.messages=1', '--no-progress']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^6000 records in [\d.]+ s: [\d.]+ records\/s, [\d.]+ MB\/s/);
    expect(r.stdout).toMatch(/latency: avg [\d.]+ ms, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms, p99.9 [\d.]+ ms, max [\d.]+ ms/);
    // 6,000 records at 20,000/s take at least ~0.3 s.
    const seconds = Number(/in ([\d.]+) s/.exec(r.stdout)![1]);
    expect(seconds).toBeGreaterThan(0.25);
    expect((await endOffsets('perf-b')).reduce((a, b) => a + b, 0)).toBe(6000);
    const back = await runCli(['perf', 'consume', '-b', broker.bootstrap, '--topic', 'perf-b', '--json', '--no-progress']);
    expect(json(back.stdout).records).toBe(6000);
  });

  it('e2e measures produce-to-consume latency of every record', async () => {
    const r = await runCli(['perf', 'e2e', '-b', broker.bootstrap, '--topic', 'perf-e2e', '--num-records', '5000', '--throughput', '10000', '--acks', '1', '--json', '--no-progress']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.mode).toBe('e2e');
    expect(out.records).toBe(5000);
    expect(out.latency.count).toBe(5000);
    expect(out.produceLatency.count).toBe(5000);
    expect(out.latency.p50Ms).toBeGreaterThanOrEqual(0);
  });

  it('refuses bad arguments with exit code 2', async () => {
    const small = await runCli(['perf', 'e2e', '-b', broker.bootstrap, '--topic', 'x', '--num-records', '10', '--record-size', '8']);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/record-size/);
    const rate = await runCli(['perf', 'produce', '-b', broker.bootstrap, '--topic', 'x', '--num-records', '10', '--throughput', '0']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/--throughput/);
  });
});

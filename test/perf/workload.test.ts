/**
 * `strand perf workload FILE.yaml`: OpenMessaging Benchmark workload files parsed field by field,
 * refused with the file and field named, and run against a broker started in this process
 * through the real CLI, the result in OMB's JSON shape and the records on the broker counted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '../../src/client/client.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { parseWorkload, readWorkload, WorkloadError } from '../../src/perf/workload.js';
import { runCli } from '../cli/run-cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'strand-workload-'));
let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function endOffsets(topic: string): Promise<number[]> {
  const client = new KafkaClient({ bootstrap: broker.bootstrap });
  try {
    const partitions = await client.partitionsOf(topic);
    return await Promise.all(partitions.map(async (p) => (await client.listOffsets(topic, p, 'latest')).offset));
  } finally {
    await client.close();
  }
}

describe('workload files', () => {
  it('reads the shipped workloads with OMB field names', () => {
    const w = readWorkload(join(ROOT, 'bench/workloads/1-topic-16-partitions-1kb.yaml'));
    // payloadFile does not exist beside it: messageSize stands.
    expect(w).toEqual({
      name: '1 topic / 16 partitions / 1Kb at 50k msg/s', topics: 1, partitionsPerTopic: 16, messageSize: 1024, payloadFile: 'payload/payload-1Kb.data',
      subscriptionsPerTopic: 1, consumerPerSubscription: 1, producersPerTopic: 1, producerRate: 50000, consumerBacklogSizeGB: 0, testDurationMinutes: 5,
    });
    expect(readWorkload(join(ROOT, 'bench/workloads/100-topics-1kb.yaml')).topics).toBe(100);
    expect(readWorkload(join(ROOT, 'bench/workloads/backlog-drain-1gb.yaml')).consumerBacklogSizeGB).toBe(1);
  });

  it('takes the message size from an existing payloadFile, relative to the workload file', () => {
    writeFileSync(join(dir, 'payload.data'), Buffer.alloc(333, 1));
    const w = parseWorkload('topics: 1\npartitionsPerTopic: 2\npayloadFile: payload.data\nproducerRate: 10\ntestDurationMinutes: 1\n', join(dir, 'w.yaml'));
    expect(w.messageSize).toBe(333);
    expect(w.subscriptionsPerTopic).toBe(1);
  });

  it('names the file and the field it refuses', () => {
    expect(() => parseWorkload('topics: 0\npartitionsPerTopic: 1\nmessageSize: 100\nproducerRate: 10\ntestDurationMinutes: 1\n', 'w.yaml'))
      .toThrow(new WorkloadError('w.yaml', 'topics', 'must be an integer of at least 1, not 0'));
    expect(() => parseWorkload('topics: 1\npartitionsPerTopic: 1\nmessageSize: 100\nproducerRate: 0\ntestDurationMinutes: 1\n', 'w.yaml'))
      .toThrow(/w\.yaml \(producerRate\): rate discovery/);
    expect(() => parseWorkload('topics: 1\nmessageSize: 100\nproducerRate: 5\ntestDurationMinutes: 1\n', 'w.yaml')).toThrow('w.yaml (partitionsPerTopic): is required');
    expect(() => parseWorkload('- a\n- b\n', 'w.yaml')).toThrow('w.yaml: expected a mapping of OMB workload fields');
  });
});

describe('strand perf workload', () => {
  it('runs two paced topics with two subscriptions each and prints OMB\'s result', async () => {
    const file = join(dir, 'two.yaml');
    writeFileSync(file, 'name: two\ntopics: 2\npartitionsPerTopic: 3\nmessageSize: 64\nsubscriptionsPerTopic: 2\nconsumerPerSubscription: 1\nproducersPerTopic: 1\nproducerRate: 4000\nconsumerBacklogSizeGB: 0\ntestDurationMinutes: 10\n');
    const r = await runCli(['perf', 'workload', file, '-b', broker.bootstrap, '--duration-seconds', '2', '--topic-prefix', 'wl-two']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.workload).toBe('two');
    expect(out.topics).toBe(2);
    expect(out.partitions).toBe(3);
    expect(out.consumersPerTopic).toBe(2);
    // 4,000 msg/s over 2 topics for 2 s: 4,000 per topic, read by each of the 2 subscriptions.
    expect(out.strand.published).toBe(8000);
    expect(out.strand.consumed).toBe(16000);
    expect(out.aggregatedPublishLatency99pct).toBeGreaterThan(0);
    expect(out.aggregatedEndToEndLatency99pct).toBeGreaterThan(0);
    expect(out.aggregatedEndToEndLatency99pct).toBeLessThanOrEqual(out.aggregatedEndToEndLatencyMax);
    expect(out.publishRate.length).toBeGreaterThan(0);
    for (const t of ['wl-two-0', 'wl-two-1']) expect((await endOffsets(t)).reduce((a, b) => a + b, 0), t).toBe(4000);
  }, 60_000);

  it('drains a backlog produced before the consumers start', async () => {
    const file = join(dir, 'backlog.yaml');
    // 0.0002 GB of 100-byte messages: 2,000 records of backlog, then 1,000/s for 1 s.
    writeFileSync(file, 'name: drain\ntopics: 1\npartitionsPerTopic: 2\nmessageSize: 100\nproducerRate: 1000\nconsumerBacklogSizeGB: 0.0002\ntestDurationMinutes: 1\n');
    const r = await runCli(['perf', 'workload', file, '-b', broker.bootstrap, '--duration-seconds', '1', '--topic-prefix', 'wl-drain']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, any>;
    expect(out.strand.backlogRecords).toBe(2000);
    expect(out.strand.published).toBe(1000);
    expect(out.strand.consumed).toBe(3000);
    expect(out.strand.drainSeconds).toBeGreaterThan(0);
    expect((await endOffsets('wl-drain-0')).reduce((a, b) => a + b, 0)).toBe(3000);
  }, 60_000);
});

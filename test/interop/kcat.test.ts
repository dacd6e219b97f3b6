import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kcat } from '../helpers/kcat-cli.js';

describe('kcat (librdkafka) against strand', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '1' } });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('-L -J lists the broker and topics as JSON', async () => {
    const r = await kcat(['-b', broker.bootstrap, '-P', '-t', 'listed', '-K:'], 'a:1\n');
    expect(r.code).toBe(0);
    const meta = await kcat(['-b', broker.bootstrap, '-L', '-J']);
    expect(meta.code).toBe(0);
    const json = JSON.parse(meta.stdout);
    expect(json.brokers).toEqual([expect.objectContaining({ id: 0, name: broker.bootstrap })]);
    const topic = json.topics.find((t: { topic: string }) => t.topic === 'listed');
    expect(topic.partitions).toEqual([expect.objectContaining({ partition: 0, leader: 0 })]);
  });

  it('-P -K: -H produces keyed messages with headers, -C -e -o beginning -f consumes them', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `key${i}:value ${i} ${'z'.repeat(i % 30)}`);
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'kc', '-K:', '-H', 'app=strand', '-H', 'n=2'], lines.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-b', broker.bootstrap, '-C', '-t', 'kc', '-e', '-o', 'beginning', '-f', '%o|%k|%s|%h\n']);
    expect(c.code, c.stderr).toBe(0);
    const got = c.stdout.trim().split('\n');
    expect(got.length).toBe(200);
    got.forEach((line, i) => {
      const [offset, key, value, headers] = line.split('|');
      expect(Number(offset)).toBe(i);
      expect(key).toBe(`key${i}`);
      expect(value).toBe(lines[i]!.slice(lines[i]!.indexOf(':') + 1));
      expect(headers).toBe('app=strand,n=2');
    });
    // From an offset in the middle.
    const mid = await kcat(['-b', broker.bootstrap, '-C', '-t', 'kc', '-e', '-o', '150', '-f', '%o\n']);
    expect(mid.stdout.trim().split('\n').map(Number)).toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
  });

  it('-Q finds offsets by timestamp', async () => {
    const before = Date.now() - 1;
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'times', '-K:'], 'a:1\nb:2\n');
    expect(p.code).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    const later = Date.now();
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'times', '-K:'], 'c:3\n');
    const q = await kcat(['-b', broker.bootstrap, '-Q', '-t', `times:0:${before}`]);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/times \[0\]\s+offset 0/);
    const q2 = await kcat(['-b', broker.bootstrap, '-Q', '-t', `times:0:${later}`]);
    expect(q2.stdout).toMatch(/times \[0\]\s+offset 2/);
  });
});

describe('kcat with enable.idempotence=true', () => {
  it('produces exactly the lines it was given', async () => {
    const broker = await startBroker();
    try {
      const lines = Array.from({ length: 500 }, (_, i) => `line-${i}`);
      const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'idem', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'], lines.join('\n') + '\n');
      expect(p.code, p.stderr).toBe(0);
      const c = await kcat(['-b', broker.bootstrap, '-C', '-t', 'idem', '-e', '-o', 'beginning', '-f', '%s\n']);
      expect(c.stdout.trim().split('\n')).toEqual(lines);
    } finally {
      await broker.stop();
    }
  });
});

describe('kcat compression without help', () => {
  it('librdkafka compresses with gzip, snappy and lz4 against strand (it checks for Produce v0)', async () => {
    const broker = await startBroker();
    const { RawClient } = await import('../helpers/raw-client.js');
    const { FetchApi } = await import('../../src/protocol/messages/index.js');
    try {
      for (const [codec, id] of [['gzip', 1], ['snappy', 2], ['lz4', 3], ['zstd', 4]] as const) {
        const topic = `z-${codec}`;
        const lines = Array.from({ length: 100 }, (_, i) => `${codec} line ${i} ${'x'.repeat(40)}`);
        const p = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec], lines.join('\n') + '\n');
        expect(p.code, p.stderr).toBe(0);
        expect(p.stderr).not.toMatch(/does not support compression/);
        const c = await RawClient.open(broker.bootstrap);
        const r = await c.request(FetchApi, 11, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '', topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }] });
        c.close();
        const records = r.responses[0]!.partitions[0]!.records!;
        expect(records.readInt16BE(21) & 7).toBe(id);
        const back = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%s\n']);
        expect(back.stdout.replace(/\n$/, '').split('\n')).toEqual(lines);
      }
    } finally {
      await broker.stop();
    }
  });
});

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { OffsetCommitApi } from '../../src/protocol/messages/index.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';

/** Bytes of the sealed segments of a partition directory, from the files (the active one is preallocated). */
function sealedBytes(dir: string): number {
  const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  return logs.slice(0, -1).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

const KEYS = 20;

describe('compaction against kafkajs (and kcat)', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  const dataDir = mkdtempSync(join(tmpdir(), 'strand-compaction-'));
  const config = {
    'log.cleaner.backoff.ms': '50',
    'group.initial.rebalance.delay.ms': '0',
    'offsets.topic.num.partitions': '1',
    'offsets.topic.segment.bytes': '2048',
    'log.cleaner.min.cleanable.ratio': '0.2',
  };

  beforeAll(async () => {
    broker = await startBroker({ logLevel: process.env.CLEANER_TEST_LOG ?? 'silent', dataDir, config });
    kafka = kafkajs(broker.bootstrap);
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('compacts a cleanup.policy=compact topic in the background; consumers see the latest value of every key', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'table', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '4096' }, { name: 'delete.retention.ms', value: '0' }] }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const latest = new Map<string, string | null>();
    for (let round = 0; round < 40; round++) {
      const messages = Array.from({ length: 25 }, (_, i) => {
        const key = `key-${(round * 25 + i) % KEYS}`;
        const value = `${key}@${round}.${i}`;
        latest.set(key, value);
        return { key, value };
      });
      await producer.send({ topic: 'table', messages, compression: round % 2 === 0 ? CompressionTypes.GZIP : CompressionTypes.None });
    }
    // A tombstone for key-3, then more data so that it leaves the active segment.
    await producer.send({ topic: 'table', messages: [{ key: 'key-3', value: null }] });
    latest.set('key-3', null);
    for (let round = 0; round < 10; round++) await producer.send({ topic: 'table', messages: Array.from({ length: 10 }, (_, i) => ({ key: `filler-${i}`, value: `f${round}` })) });
    await producer.disconnect();

    const partitionDir = join(dataDir, 'table-0');
    const written = 40 * 25 + 1 + 100;
    // The background cleaner brings the log down to about one record per key (plus the active segment).
    const fetched = await until('the cleaner to compact table-0', async () => {
      const all = await fetchAll(kafka, 'table', 0, 0, { isolationLevel: 0 });
      return all.length < 200 ? all : null;
    });
    expect(sealedBytes(partitionDir)).toBeLessThan(4096);
    // kafkajs's own decoder: offsets strictly increasing, with gaps, each record as produced.
    for (let i = 1; i < fetched.length; i++) expect(Number(fetched[i]!.offset)).toBeGreaterThan(Number(fetched[i - 1]!.offset));
    expect(Number(fetched.at(-1)!.offset)).toBe(written - 1);

    // A consumer group from the beginning sees the latest value of every key.
    const consumer = kafka.consumer({ groupId: 'table-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'table', fromBeginning: true });
    const seen = new Map<string, string | null>();
    let lastOffset = -1;
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.set(message.key!.toString(), message.value === null ? null : message.value.toString());
        lastOffset = Number(message.offset);
      },
    });
    await until('the consumer to reach the end', () => lastOffset === written - 1);
    await consumer.disconnect();
    for (const [key, value] of latest) {
      if (value === null) expect(seen.get(key) ?? null).toBeNull();
      else expect(seen.get(key), key).toBe(value);
    }

    // librdkafka (kcat) reads the compacted partition too: gaps, rewritten batches, the tombstone's horizon.
    const out = await kcat(['-C', '-b', broker.bootstrap, '-t', 'table', '-p', '0', '-o', 'beginning', '-e', '-Z', '-f', '%o\t%k\t%s\n']);
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout.trim().split('\n').map((l) => l.split('\t'));
    // (The cleaner may have run again since, dropping the tombstone: a subsequence of what kafkajs saw.)
    const offsets = lines.map(([o]) => Number(o));
    const before = new Set(fetched.map((m) => Number(m.offset)));
    for (let i = 0; i < offsets.length; i++) {
      expect(before.has(offsets[i]!)).toBe(true);
      if (i > 0) expect(offsets[i]).toBeGreaterThan(offsets[i - 1]!);
    }
    expect(offsets.at(-1)).toBe(written - 1);
    const byKcat = new Map(lines.map(([, k, v]) => [k!, v === 'NULL' ? null : v!]));
    for (const [key, value] of latest) if (value !== null) expect(byKcat.get(key), key).toBe(value);
  });

  it('compacts __consumer_offsets, and the latest commits survive a restart', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'committed', numPartitions: 2 }] });
    await admin.disconnect();
    // Standalone commits (no members, generation -1), as admin tools send them: one record each.
    const raw = await RawClient.open(broker.bootstrap);
    const commit = async (groupId: string, offsets: Array<[number, number]>) => {
      const r = await raw.request(OffsetCommitApi, 7, {
        groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'committed', partitions: offsets.map(([p, o]) => ({ partitionIndex: p, committedOffset: BigInt(o), committedLeaderEpoch: -1, committedMetadata: null })) }],
      });
      expect(r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))).toEqual(offsets.map(() => 0));
    };
    for (let i = 1; i <= 150; i++) await commit('committer', [[0, i], [1, i * 2]]);
    await commit('other', [[0, 7]]);
    raw.socket.destroy();
    const offsetsDir = join(dataDir, '__consumer_offsets-0');
    // 300 commit records of ~90 bytes (~27 KB) in 2 KiB segments: uncompacted, the sealed ones
    // hold over 24 KB; compacted, a few records. (Not a count of segments: later passes merge
    // cleaned segments, as Kafka's groupSegmentsBySize does, so a slow run may see only two.)
    await until('the cleaner to compact __consumer_offsets', () => readdirSync(offsetsDir).filter((n) => n.endsWith('.log')).length >= 2 && sealedBytes(offsetsDir) < 1024);

    await broker.stop();
    broker = await startBroker({ logLevel: process.env.CLEANER_TEST_LOG ?? 'silent', dataDir, config });
    kafka = kafkajs(broker.bootstrap);
    const again = kafka.admin();
    await again.connect();
    const [t] = await again.fetchOffsets({ groupId: 'committer', topics: ['committed'] });
    expect(t!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '150'], [1, '300']]);
    const [o] = await again.fetchOffsets({ groupId: 'other', topics: ['committed'] });
    expect(o!.partitions.find((p) => p.partition === 0)!.offset).toBe('7');
    await again.disconnect();
  });
});

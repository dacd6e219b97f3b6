/**
 * KIP-390 compression levels: a topic's compression.gzip.level / compression.zstd.level set the
 * level the broker recompresses with when its compression.type differs from the producer's.
 * The same batch, sent to topics that differ only in the level, is stored in different sizes,
 * and reads back the same through kafkajs and kcat.
 */
import { createRequire } from 'node:module';
import { type Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { codecFor } from '../../src/format/codecs.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { RawClient } from '../helpers/raw-client.js';

// kafkajs has no zstd of its own: strand's codec as its plugin, for reading.
const { Codecs } = createRequire(import.meta.url)('kafkajs/src/protocol/message/compression/index.js');
Codecs[4] = () => ({
  compress: async (encoder: { buffer: Buffer }) => codecFor(4).compress(encoder.buffer),
  decompress: async (buf: Buffer) => codecFor(4).decompress(buf),
});

const TOPICS = {
  'gzip-1': [['compression.type', 'gzip'], ['compression.gzip.level', '1']],
  'gzip-9': [['compression.type', 'gzip'], ['compression.gzip.level', '9']],
  'zstd-1': [['compression.type', 'zstd'], ['compression.zstd.level', '1']],
  'zstd-19': [['compression.type', 'zstd'], ['compression.zstd.level', '19']],
} as const;

// JSON-like records: what compression levels make a difference on.
const VALUES = Array.from({ length: 3000 }, (_, i) => `{"id":${i},"user":"user-${(i * 7919) % 1000}","tags":["t${i % 7}","t${i % 11}"],"score":${(i * 31) % 977},"note":"record ${i}"}`);

describe('compression.gzip.level and compression.zstd.level (KIP-390)', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker();
    kafka = kafkajs(broker.bootstrap);
    c = await RawClient.open(broker.bootstrap);
    await createTopics(broker.bootstrap, Object.entries(TOPICS).map(([topic, configs]) => ({ topic, configEntries: configs.map(([name, value]) => ({ name, value })) })));
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  async function produce(topic: string, records: Buffer): Promise<void> {
    const r = await c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  }

  /** Codec and size of every batch stored in the partition, as Fetch returns them. */
  async function stored(topic: string): Promise<{ codecs: number[]; bytes: number }> {
    const r = await c.request(FetchApi, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 24 }] }] });
    const records = r.responses[0]!.partitions[0]!.records!;
    const codecs: number[] = [];
    for (let pos = 0; pos < records.length; pos += records.readInt32BE(pos + 8) + 12) codecs.push(records.readInt16BE(pos + 21) & 7);
    return { codecs, bytes: records.length };
  }

  it('stores the same input smaller at the higher level; kafkajs and kcat read it back unchanged', async () => {
    const batch = encodeBatch(VALUES.map((value, i) => ({ key: `k${i % 40}`, value, timestamp: 1_700_000_000_000 + i })));
    // Offsets are assigned in place: each topic gets its own copy.
    for (const topic of Object.keys(TOPICS)) await produce(topic, Buffer.from(batch));
    const sizes: Record<string, number> = {};
    for (const topic of Object.keys(TOPICS)) {
      const s = await stored(topic);
      expect(s.codecs, topic).toEqual([topic.startsWith('gzip') ? 1 : 4]);
      sizes[topic] = s.bytes;
    }
    expect(sizes['gzip-9']!).toBeLessThan(sizes['gzip-1']! * 0.9);
    expect(sizes['zstd-19']!).toBeLessThan(sizes['zstd-1']! * 0.9);

    for (const topic of Object.keys(TOPICS)) {
      const got = await fetchAll(kafka, topic, 0);
      expect(got.map((m) => m.value!.toString()), topic).toEqual(VALUES);
      const k = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%s\n']);
      expect(k.code, k.stderr).toBe(0);
      expect(k.stdout.split('\n').slice(0, -1), topic).toEqual(VALUES);
    }
  });

  it('follows a level altered on a live topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'gzip-altered', configEntries: [{ name: 'compression.type', value: 'gzip' }, { name: 'compression.gzip.level', value: '1' }] }] });
    const batch = encodeBatch(VALUES.map((value) => ({ value })));
    await produce('gzip-altered', Buffer.from(batch));
    const first = (await stored('gzip-altered')).bytes;
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'gzip-altered', configEntries: [{ name: 'compression.type', value: 'gzip' }, { name: 'compression.gzip.level', value: '9' }] }] });
    await admin.disconnect();
    await produce('gzip-altered', Buffer.from(batch));
    const second = (await stored('gzip-altered')).bytes - first;
    expect(second).toBeLessThan(first * 0.9);
    expect((await fetchAll(kafka, 'gzip-altered', 0)).map((m) => m.value!.toString())).toEqual([...VALUES, ...VALUES]);
  });
});

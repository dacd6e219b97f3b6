import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { kcat } from '../helpers/kcat-cli.js';
import { createTopics } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('topic compression.type', () => {
  let broker: RunningBroker;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker();
    c = await RawClient.open(broker.bootstrap);
    await createTopics(broker.bootstrap, [{ topic: 'zstd-topic', configEntries: [{ name: 'compression.type', value: 'zstd' }] }, { topic: 'as-sent' }]);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  async function storedCodecs(topic: string): Promise<number[]> {
    const r = await c.request(FetchApi, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    const records = r.responses[0]!.partitions[0]!.records!;
    const codecs: number[] = [];
    for (let pos = 0; pos < records.length; pos += records.readInt32BE(pos + 8) + 12) codecs.push(records.readInt16BE(pos + 21) & 7);
    return codecs;
  }

  it('recompresses uncompressed batches to zstd, and both clients read them', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `record ${i} ${'compressible '.repeat(5)}`);
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', 'zstd-topic', '-z', 'none'], lines.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const codecs = await storedCodecs('zstd-topic');
    expect(codecs.length).toBeGreaterThan(0);
    expect(new Set(codecs)).toEqual(new Set([4]));
    const back = await kcat(['-b', broker.bootstrap, '-C', '-t', 'zstd-topic', '-e', '-o', 'beginning', '-f', '%o %s\n']);
    expect(back.stdout.replace(/\n$/, '').split('\n')).toEqual(lines.map((l, i) => `${i} ${l}`));
  });

  it('keeps the producer codec with compression.type=producer, and refuses a compressed batch whose records are corrupt', async () => {
    const gz = await compressBatch([{ value: 'a' }, { value: 'b' }], 'gzip');
    const ok = await c.request(ProduceApi, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'as-sent', partitionData: [{ index: 0, records: gz }] }] });
    expect(ok.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect(await storedCodecs('as-sent')).toEqual([1]);

    // Valid CRC over a compressed section that does not decompress: CORRUPT_MESSAGE, nothing written.
    const { crc32c } = await import('../../src/io/index.js');
    const bad = await compressBatch([{ value: 'x'.repeat(100) }], 'gzip');
    bad.fill(0x42, 70);
    bad.writeUInt32BE(crc32c(bad.subarray(21)), 17);
    const r = await c.request(ProduceApi, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'as-sent', partitionData: [{ index: 0, records: bad }] }] });
    expect([2, 87]).toContain(r.responses[0]!.partitionResponses[0]!.errorCode);
    expect(await storedCodecs('as-sent')).toEqual([1]);
  });
});

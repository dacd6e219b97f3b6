/**
 * Fetch with negative or absurd byte limits answers as Kafka 3.9 does (ReplicaManager's
 * readFromLocalLog and LogSegment.read): a partition read with a negative limit while it has data
 * fails alone with UNKNOWN_SERVER_ERROR and no offsets (Kafka's IllegalArgumentException "Invalid
 * max size"); the response budget, negative for a negative max_bytes, is at least 0 after the
 * first partition read, and the first partition with data may still pass it by its first batch;
 * min_bytes is capped at the budget; huge limits are capped by fetch.max.bytes. The connection
 * and every other partition are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

const INT_MAX = 0x7fffffff;
const UNKNOWN_SERVER_ERROR = -1;
const batch = (i: number) => encodeBatch([{ value: Buffer.alloc(1000, `${i}`) }], { now: 1_700_000_000_000 });
const BATCH = batch(0).length;

type Part = [topic: string, partition: number, fetchOffset: number, partitionMaxBytes: number];

describe('Fetch with negative or absurd byte limits', () => {
  let broker: RunningBroker;
  let c: RawClient;

  async function fetch(maxBytes: number, parts: Part[], options: { minBytes?: number; maxWaitMs?: number } = {}) {
    const topics = [...new Set(parts.map((p) => p[0]))].map((topic) => ({
      topic,
      partitions: parts.filter((p) => p[0] === topic).map(([, partition, fetchOffset, partitionMaxBytes]) => ({ partition, fetchOffset: BigInt(fetchOffset), partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1n })),
    }));
    const res = await c.request(FetchApi, 11, {
      replicaId: -1, maxWaitMs: options.maxWaitMs ?? 0, minBytes: options.minBytes ?? 0, maxBytes, isolationLevel: 0,
      sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '', topics,
    });
    expect(res.errorCode).toBe(0);
    return res.responses.flatMap((t) => t.partitions.map((p) => ({
      name: `${t.topic}-${p.partitionIndex}`, errorCode: p.errorCode, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset,
      lastStableOffset: p.lastStableOffset, bytes: p.records?.length ?? 0,
    })));
  }
  const ok = (name: string, bytes: number, hw = 3n) => ({ name, errorCode: 0, highWatermark: hw, logStartOffset: 0n, lastStableOffset: hw, bytes });
  const failed = (name: string) => ({ name, errorCode: UNKNOWN_SERVER_ERROR, highWatermark: -1n, logStartOffset: -1n, lastStableOffset: -1n, bytes: 0 });

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'num.partitions': '3' } });
    c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'data' }, { name: 'empty' }], allowAutoTopicCreation: true });
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < 3; i++) {
        const r = await c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'data', partitionData: [{ index: p, records: batch(i) }] }] });
        expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
    }
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('a negative partition_max_bytes fails that partition alone, when it has data to read', async () => {
    expect(await fetch(1 << 20, [['data', 0, 0, 1 << 20], ['data', 1, 0, -1], ['data', 2, 1, 1 << 20]])).toEqual([
      ok('data-0', 3 * BATCH), failed('data-1'), ok('data-2', 2 * BATCH),
    ]);
    expect(await fetch(1 << 20, [['data', 0, 0, -2_147_483_648], ['data', 1, 0, 1 << 20]])).toEqual([failed('data-0'), ok('data-1', 3 * BATCH)]);
    // Nothing to read (at the log end, or an empty partition): Kafka never reaches its check.
    expect(await fetch(1 << 20, [['data', 0, 3, -1], ['empty', 0, 0, -1]])).toEqual([ok('data-0', 0), ok('empty-0', 0, 0n)]);
    // Out of range comes first, as in Kafka's LocalLog.read.
    expect((await fetch(1 << 20, [['data', 0, 9, -1]]))[0]!.errorCode).toBe(1);
  });

  it('a negative max_bytes fails the first partition with data; the next one still gets its first batch, as in Kafka', async () => {
    expect(await fetch(-1, [['data', 0, 0, 1 << 20], ['data', 1, 0, 1 << 20], ['data', 2, 0, 1 << 20]])).toEqual([
      failed('data-0'), ok('data-1', BATCH), ok('data-2', 0),
    ]);
    // A first partition without data takes the negative budget without failing.
    expect(await fetch(-100, [['empty', 0, 0, 1 << 20], ['data', 0, 0, 1 << 20], ['data', 1, 0, 1 << 20]])).toEqual([
      ok('empty-0', 0, 0n), ok('data-0', BATCH), ok('data-1', 0),
    ]);
    expect(await fetch(-2_147_483_648, [['data', 2, 2, 1 << 20]])).toEqual([failed('data-2')]);
  });

  it('huge limits are capped by fetch.max.bytes and return everything here', async () => {
    expect(await fetch(INT_MAX, [['data', 0, 0, INT_MAX], ['data', 1, 0, INT_MAX], ['data', 2, 0, INT_MAX], ['empty', 0, 0, INT_MAX]])).toEqual([
      ok('data-0', 3 * BATCH), ok('data-1', 3 * BATCH), ok('data-2', 3 * BATCH), ok('empty-0', 0, 0n),
    ]);
  });

  it('min_bytes is capped at the budget: a fetch for no bytes does not wait', async () => {
    for (const maxBytes of [0, -1]) {
      const started = Date.now();
      expect(await fetch(maxBytes, [['empty', 0, 0, 1 << 20]], { minBytes: INT_MAX, maxWaitMs: 20_000 })).toEqual([ok('empty-0', 0, 0n)]);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    // A sane budget still waits for min_bytes (here until max_wait_ms).
    const started = Date.now();
    await fetch(1 << 20, [['empty', 0, 0, 1 << 20]], { minBytes: 1, maxWaitMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});

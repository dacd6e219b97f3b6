/**
 * Fetch byte limits (KIP-74) through the wire: the response budget is min(max_bytes,
 * fetch.max.bytes), each partition gets at most min(partition_max_bytes, what is left), only the
 * first partition with data may exceed its limit (by its first batch), and a batch that does not
 * fit is left out, never completed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import { FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

const FETCH_VERSION = 11;

/** One batch of one record whose value is `size` bytes of `fill`. */
const batchOf = (size: number, fill: string) => encodeBatch([{ value: Buffer.alloc(size, fill) }]);

function fetchBody(maxBytes: number, partitions: Array<[partition: number, fetchOffset: number, partitionMaxBytes: number]>, topic: string) {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic, partitions: partitions.map(([partition, fetchOffset, partitionMaxBytes]) => ({ partition, fetchOffset: BigInt(fetchOffset), partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1n })) }],
  };
}

/** Sends one Fetch and returns the size of the whole response frame and each partition's record bytes. */
async function fetchSizes(c: RawClient, body: ReturnType<typeof fetchBody>): Promise<{ frameBytes: number; records: number[]; firstOffsets: bigint[] }> {
  c.write(encodeRequestFrame(FetchApi, FETCH_VERSION, 77, 'limits', body));
  const frame = await c.readFrame();
  if (frame === null) throw new Error('the broker closed the connection');
  const res = decodeResponseFrame(FetchApi, FETCH_VERSION, frame).body;
  const parts = res.responses.flatMap((t) => t.partitions);
  for (const p of parts) expect(p.errorCode).toBe(0);
  return {
    frameBytes: frame.length + 4,
    records: parts.map((p) => p.records?.length ?? 0),
    firstOffsets: parts.map((p) => (p.records !== null && p.records !== undefined && p.records.length > 0 ? p.records.readBigInt64BE(0) : -1n)),
  };
}

describe('Fetch byte limits (KIP-74)', () => {
  let broker: RunningBroker;
  let c: RawClient;
  const produce = (topic: string, partition: number, records: Buffer) =>
    c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });

  // 'big': three partitions, each holding three batches of one ~900 KiB record.
  const BIG = batchOf(900 * 1024, 'b').length;
  // 'small': three partitions, each holding four batches of one 1000-byte record.
  const SMALL = batchOf(1000, 's').length;

  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '3' } });
    c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'big' }, { name: 'small' }], allowAutoTopicCreation: true });
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < 3; i++) expect((await produce('big', p, batchOf(900 * 1024, 'b'))).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      for (let i = 0; i < 4; i++) await produce('small', p, batchOf(1000, 's'));
    }
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('fetch.max.bytes=1000000 over three partitions of ~900 KiB batches: one whole batch, and a response librdkafka accepts (at most fetch.max.bytes + 512)', async () => {
    const r = await fetchSizes(c, fetchBody(1_000_000, [[0, 0, 1 << 20], [1, 0, 1 << 20], [2, 0, 1 << 20]], 'big'));
    expect(r.records).toEqual([BIG, 0, 0]);
    expect(r.frameBytes).toBeLessThanOrEqual(1_000_000 + 512);
    // The first partition already read: the next one with data is now the first and gets its batch.
    const next = await fetchSizes(c, fetchBody(1_000_000, [[0, 3, 1 << 20], [1, 0, 1 << 20], [2, 0, 1 << 20]], 'big'));
    expect(next.records).toEqual([0, BIG, 0]);
  });

  it('the first partition with data exceeds a tiny max_bytes by exactly one batch; later partitions get nothing', async () => {
    expect((await fetchSizes(c, fetchBody(10, [[0, 0, 1 << 20], [1, 0, 1 << 20], [2, 0, 1 << 20]], 'small'))).records).toEqual([SMALL, 0, 0]);
    // max_bytes 0 and partition_max_bytes 0: still one batch for the first partition (Kafka's minOneMessage).
    expect((await fetchSizes(c, fetchBody(0, [[0, 0, 0], [1, 0, 0], [2, 0, 0]], 'small'))).records).toEqual([SMALL, 0, 0]);
  });

  it('whole batches within the response budget; a batch that does not fit is left out, not completed', async () => {
    // 2.5 batches: two whole batches from partition 0, and half a batch left, which partition 1 cannot use.
    const half = Math.floor(2.5 * SMALL);
    expect((await fetchSizes(c, fetchBody(half, [[0, 0, 1 << 20], [1, 0, 1 << 20], [2, 0, 1 << 20]], 'small'))).records).toEqual([2 * SMALL, 0, 0]);
    // 6 batches: all four of partition 0, two of partition 1, none of partition 2.
    const r = await fetchSizes(c, fetchBody(6 * SMALL, [[0, 0, 1 << 20], [1, 0, 1 << 20], [2, 0, 1 << 20]], 'small'));
    expect(r.records).toEqual([4 * SMALL, 2 * SMALL, 0]);
    expect(r.firstOffsets).toEqual([0n, 0n, -1n]);
  });

  it('partition_max_bytes bounds every partition; only the first with data may exceed it', async () => {
    expect((await fetchSizes(c, fetchBody(1 << 20, [[0, 0, Math.floor(1.5 * SMALL)], [1, 1, 2 * SMALL], [2, 0, SMALL - 1]], 'small'))).records).toEqual([SMALL, 2 * SMALL, 0]);
    // partition 0 has nothing at its offset (its end), so partition 1 is the first with data.
    const r = await fetchSizes(c, fetchBody(1 << 20, [[0, 4, 1 << 20], [1, 2, 10], [2, 0, 10]], 'small'));
    expect(r.records).toEqual([0, SMALL, 0]);
    expect(r.firstOffsets).toEqual([-1n, 2n, -1n]);
  });
});

describe("the broker's fetch.max.bytes", () => {
  it('caps the response below what the client asks for, with the first batch still allowed past it', async () => {
    const SMALL = batchOf(1000, 's').length;
    const broker = await startBroker({ config: { 'num.partitions': '2', 'fetch.max.bytes': String(3 * SMALL) } });
    const c = await RawClient.open(broker.bootstrap);
    try {
      await c.request(MetadataApi, 4, { topics: [{ name: 'capped' }], allowAutoTopicCreation: true });
      for (let p = 0; p < 2; p++) {
        for (let i = 0; i < 4; i++) await c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'capped', partitionData: [{ index: p, records: batchOf(1000, 's') }] }] });
      }
      // The client asks for 50 MB; the broker's 3 batches win: three from partition 0, none from 1.
      expect((await fetchSizes(c, fetchBody(50 << 20, [[0, 0, 1 << 20], [1, 0, 1 << 20]], 'capped'))).records).toEqual([3 * SMALL, 0]);
      // Below the broker's cap, the client's max_bytes wins.
      expect((await fetchSizes(c, fetchBody(2 * SMALL, [[0, 0, 1 << 20], [1, 0, 1 << 20]], 'capped'))).records).toEqual([2 * SMALL, 0]);
      // A single batch larger than fetch.max.bytes is still served whole to the first partition.
      await c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'capped', partitionData: [{ index: 1, records: batchOf(10_000, 'L') }] }] });
      expect((await fetchSizes(c, fetchBody(50 << 20, [[1, 4, 1 << 20], [0, 0, 1 << 20]], 'capped'))).records).toEqual([batchOf(10_000, 'L').length, 0]);
    } finally {
      c.close();
      await broker.stop();
    }
  });

  it('is refused below 1024, as Kafka does', async () => {
    await expect(startBroker({ config: { 'fetch.max.bytes': '1023' } })).rejects.toThrow(/fetch\.max\.bytes="1023" is invalid: must be at least 1024/);
  });
});

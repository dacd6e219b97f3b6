import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { FetchApi, ListOffsetsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

/** Valid requests of several APIs, as frames (with size prefix), to mutate. */
function seeds(): Buffer[] {
  return [
    Buffer.concat(encodeRequestFrame(MetadataApi, 4, 1, 'f', { topics: [{ name: 'fz' }], allowAutoTopicCreation: true })),
    Buffer.concat(encodeRequestFrame(MetadataApi, 12, 1, 'f', { topics: null, allowAutoTopicCreation: false })),
    Buffer.concat(encodeRequestFrame(ProduceApi, 7, 1, 'f', { transactionalId: null, acks: 1, timeoutMs: 100, topicData: [{ name: 'fz', partitionData: [{ index: 0, records: encodeBatch([{ key: 'k', value: 'v' }]) }] }] })),
    Buffer.concat(encodeRequestFrame(ProduceApi, 9, 1, 'f', { transactionalId: null, acks: -1, timeoutMs: 100, topicData: [{ name: 'fz', partitionData: [{ index: 0, records: encodeBatch([{ value: 'w' }]) }] }] })),
    Buffer.concat(encodeRequestFrame(FetchApi, 11, 1, 'f', { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'fz', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' })),
    Buffer.concat(encodeRequestFrame(ListOffsetsApi, 2, 1, 'f', { replicaId: -1, isolationLevel: 0, topics: [{ name: 'fz', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })),
  ];
}

describe('fuzzed frames', () => {
  let broker: RunningBroker;
  let good: RawClient;
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
    good = await RawClient.open(broker.bootstrap);
  });
  afterAll(async () => {
    good.close();
    await broker.stop();
  });

  it('never crash the broker nor stop it answering a well-behaved client', async () => {
    const base = seeds();
    const mutated = fc.tuple(fc.integer({ min: 0, max: base.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.boolean()).map(([i, flips, keepSize]) => {
      const b = Buffer.from(base[i]!);
      for (const [at, v] of flips) {
        const pos = keepSize ? 4 + (at % (b.length - 4)) : at % b.length;
        b[pos] = v;
      }
      return b;
    });
    const random = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((a) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(a.length);
      return Buffer.concat([size, Buffer.from(a)]);
    });
    const truncated = fc.tuple(fc.integer({ min: 0, max: base.length - 1 }), fc.nat()).map(([i, cut]) => {
      const b = Buffer.from(base[i]!);
      const keep = 4 + (cut % (b.length - 4));
      b.writeInt32BE(keep - 4, 0);
      return b.subarray(0, keep);
    });
    await fc.assert(fc.asyncProperty(fc.oneof(mutated, random, truncated), async (bytes) => {
      const c = await RawClient.open(broker.bootstrap);
      c.write(bytes);
      // Either an answer or a close; never a hang of the whole broker.
      await c.readFrame(2000).catch(() => null);
      c.close();
      const meta = await good.request(MetadataApi, 1, { topics: null });
      expect(meta.brokers.length).toBe(1);
    }), { numRuns: 300 });
  });
});

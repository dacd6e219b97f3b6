import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { RawClient } from '../helpers/raw-client.js';

describe('Fetch', () => {
  let broker: RunningBroker;
  let c: RawClient;
  const produce = (topic: string, partition: number, values: string[]) =>
    c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeBatch(values.map((value) => ({ value }))) }] }] });
  const fetch = (body: Record<string, unknown>, version = 11) =>
    c.request(FetchApi, version, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '', ...body });
  const part = (partition: number, fetchOffset: number, partitionMaxBytes = 1 << 20) => ({ partition, fetchOffset: BigInt(fetchOffset), partitionMaxBytes, currentLeaderEpoch: -1, logStartOffset: -1n });

  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '3' } });
    c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'f' }], allowAutoTopicCreation: true });
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('answers OFFSET_OUT_OF_RANGE and UNKNOWN_TOPIC_OR_PARTITION per partition', async () => {
    await produce('f', 0, ['a', 'b']);
    const r = await fetch({ topics: [{ topic: 'f', partitions: [part(0, 5)] }, { topic: 'nope', partitions: [part(0, 0)] }] });
    expect(r.responses[0]!.partitions[0]).toMatchObject({ errorCode: 1, highWatermark: 2n });
    expect(r.responses[1]!.partitions[0]!.errorCode).toBe(3);
  });

  it('checks current_leader_epoch as Kafka does on a single broker leading in epoch 0, and refuses a fetch claiming to be a replica', async () => {
    const at = (currentLeaderEpoch: number) => ({ ...part(0, 0), currentLeaderEpoch });
    const r = await fetch({ topics: [{ topic: 'f', partitions: [at(1)] }, { topic: 'f', partitions: [at(0)] }, { topic: 'f', partitions: [at(-1)] }] });
    // UNKNOWN_LEADER_EPOCH is 75 (76 is UNSUPPORTED_COMPRESSION_TYPE, which it once answered).
    expect(r.responses.flatMap((t) => t.partitions.map((p) => p.errorCode))).toEqual([75, 0, 0]);
    // No broker follows a single node: replica id 1 is nobody's, nothing is read or recorded.
    const forged = await fetch({ replicaId: 1, topics: [{ topic: 'f', partitions: [part(0, 0)] }] });
    expect({ errorCode: forged.responses[0]!.partitions[0]!.errorCode, bytes: forged.responses[0]!.partitions[0]!.records?.length ?? 0 }).toEqual({ errorCode: 6, bytes: 0 });
  });

  it('long-polls until an append arrives', async () => {
    const waiting = fetch({ maxWaitMs: 20_000, minBytes: 1, topics: [{ topic: 'f', partitions: [part(1, 0)] }] });
    // The fetch is parked on the broker; a second connection produces.
    const other = await RawClient.open(broker.bootstrap);
    await other.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'f', partitionData: [{ index: 1, records: encodeBatch([{ value: 'wake' }]) }] }] });
    other.close();
    const r = await waiting;
    const p = r.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(1n);
    expect(p.records!.length).toBeGreaterThan(61);
  });

  it('returns after max_wait_ms with nothing when nothing arrives', async () => {
    const r = await fetch({ maxWaitMs: 50, minBytes: 1, topics: [{ topic: 'f', partitions: [part(2, 0)] }] });
    expect(r.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
    expect(r.responses[0]!.partitions[0]!.records!.length).toBe(0);
  });

  it('respects max_bytes but always returns at least one whole batch (KIP-74)', async () => {
    await produce('f', 2, ['x'.repeat(500)]);
    await produce('f', 2, ['y'.repeat(500)]);
    const tiny = await fetch({ maxBytes: 10, topics: [{ topic: 'f', partitions: [part(2, 0, 10)] }] });
    const records = tiny.responses[0]!.partitions[0]!.records!;
    expect(records.readInt32BE(8) + 12).toBe(records.length); // exactly one batch
    const both = await fetch({ topics: [{ topic: 'f', partitions: [part(2, 0)] }] });
    expect(both.responses[0]!.partitions[0]!.records!.length).toBe(records.length * 2);
  });

  it('incremental fetch sessions (KIP-227): a full fetch opens a session, later fetches return only news', async () => {
    const full = await fetch({ sessionId: 0, sessionEpoch: 0, topics: [{ topic: 'f', partitions: [part(0, 2), part(1, 1), part(2, 2)] }] });
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses[0]!.partitions.length).toBe(3);
    const id = full.sessionId;
    // Nothing changed: an incremental fetch with no partitions returns none.
    const quiet = await fetch({ sessionId: id, sessionEpoch: 1, topics: [] });
    expect(quiet.errorCode).toBe(0);
    expect(quiet.sessionId).toBe(id);
    expect(quiet.responses).toEqual([]);
    // New data on partition 0 only: just that partition comes back.
    await produce('f', 0, ['news']);
    const news = await fetch({ sessionId: id, sessionEpoch: 2, topics: [] });
    expect(news.responses[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0]);
    expect(news.responses[0]!.partitions[0]!.highWatermark).toBe(3n);
    // The client moves its offset; the broker keeps the session's other partitions.
    const moved = await fetch({ sessionId: id, sessionEpoch: 3, topics: [{ topic: 'f', partitions: [part(0, 3)] }] });
    expect(moved.responses).toEqual([]);
    // A wrong epoch and an unknown session are errors the client recovers from with a full fetch.
    expect((await fetch({ sessionId: id, sessionEpoch: 9, topics: [] })).errorCode).toBe(71);
    expect((await fetch({ sessionId: id + 1, sessionEpoch: 1, topics: [] })).errorCode).toBe(70);
    // Forgetting a partition removes it from the session.
    await produce('f', 1, ['later']);
    const forgot = await fetch({ sessionId: id, sessionEpoch: 4, topics: [], forgottenTopicsData: [{ topic: 'f', partitions: [1] }] });
    expect(forgot.responses).toEqual([]);
    // Closing the session (epoch -1) makes a sessionless full fetch.
    const closed = await fetch({ sessionId: id, sessionEpoch: -1, topics: [{ topic: 'f', partitions: [part(1, 0)] }] });
    expect(closed.sessionId).toBe(0);
    expect((await fetch({ sessionId: id, sessionEpoch: 5, topics: [] })).errorCode).toBe(70);
  });

  it('answers pipelined requests in request order', async () => {
    const p = await RawClient.open(broker.bootstrap);
    const frames: Buffer[] = [];
    for (let id = 1; id <= 40; id++) {
      // Odd ids long-poll briefly, even ones are instant: order must still be 1..40.
      const body = id % 2 === 1
        ? encodeRequestFrame(FetchApi, 4, id, 'o', { replicaId: -1, maxWaitMs: 30, minBytes: 1_000_000, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] })
        : encodeRequestFrame(MetadataApi, 1, id, 'o', { topics: null });
      frames.push(...body);
    }
    p.write(Buffer.concat(frames));
    for (let id = 1; id <= 40; id++) {
      const frame = await p.readFrame();
      expect(frame!.readInt32BE(0)).toBe(id);
    }
    p.close();
  });
});

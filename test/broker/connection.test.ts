import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { batchSizeAt, encodeBatch, readBatchRecords } from '../../src/format/record-batch.js';
import type { StoredRecord } from '../../src/format/record.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import { FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

describe('connections', () => {
  it('closes a connection idle for connections.max.idle.ms', async () => {
    const broker = await startBroker({ config: { 'connections.max.idle.ms': '200' } });
    const c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 1, { topics: null });
    expect(await c.closedByBroker(3000)).toBe(true);
    await broker.stop();
  });

  it('with queued.max.requests reached, later requests wait and are answered in order', async () => {
    const broker = await startBroker({ config: { 'queued.max.requests': '2' } });
    const c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'bp' }], allowAutoTopicCreation: true });
    // Two long polls fill the queue; the Metadata behind them is not even read until they end.
    const poll = (id: number) => encodeRequestFrame(FetchApi, 4, id, 'bp', { replicaId: -1, maxWaitMs: 300, minBytes: 1, maxBytes: 1024, isolationLevel: 0, topics: [{ topic: 'bp', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }] });
    c.write([...poll(100), ...poll(101), ...encodeRequestFrame(MetadataApi, 1, 102, 'bp', { topics: null })]);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await c.readFrame())!.readInt32BE(0));
    expect(ids).toEqual([100, 101, 102]);
    c.close();
    await broker.stop();
  });

  it('a client that never reads its responses does not make the broker buffer without bound', async () => {
    const broker = await startBroker({ config: { 'queued.max.requests': '8' } });
    const socket = connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => socket.once('connect', r));
    socket.pause(); // never read
    const frame = Buffer.concat(encodeRequestFrame(MetadataApi, 1, 1, 'slow', { topics: null }));
    let written = 0;
    // 24 MB of requests: their answers (~40 MB) are far more than the kernel's socket buffers
    // hold, so a broker that keeps reading would buffer them itself.
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame));
    while (written < 24 << 20) {
      socket.write(batch);
      written += batch.length;
    }
    // Buffer memory (requests read, answers held), not RSS: the process's RSS also moves with the
    // JavaScript heap, by about 30 MB here on a quiet machine and by 120 MB once under load, which
    // says nothing about what the broker buffers. Bytes it kept would all be Buffers.
    const before = process.memoryUsage().arrayBuffers;
    await new Promise((r) => setTimeout(r, 300));
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(socket.writableLength).toBeGreaterThan(0); // the broker is not reading
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    // Other clients are still served.
    const other = await RawClient.open(broker.bootstrap);
    const meta = await other.request(MetadataApi, 1, { topics: null });
    expect(meta.brokers.length).toBe(1);
    other.close();
    socket.destroy();
    expect(written).toBeGreaterThan(0);
    await broker.stop();
  });

  it.each([['own buffers (onread, with the native backend)', undefined], ["Node's socket reads (STRAND_SOCKET_READS=stream)", 'stream']])('pipelined produce requests, plain and compressed, all arrive intact while their buffers are reused: %s', async (_, mode) => {
    if (mode === undefined) delete process.env.STRAND_SOCKET_READS;
    else process.env.STRAND_SOCKET_READS = mode;
    const broker = await startBroker({ config: { 'num.partitions': '1' } });
    const c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'reuse' }], allowAutoTopicCreation: true });
    // 60 requests of ~100 KB, every third gzip (validated in the worker pool, so the requests
    // after it are read into recycled buffers while it is still in flight).
    const values: string[] = [];
    const frames: Buffer[] = [];
    for (let r = 0; r < 60; r++) {
      const records = Array.from({ length: 400 }, (_, i) => {
        const v = `${r}:${i}:`.padEnd(240, String.fromCharCode(65 + ((r * 7 + i) % 26)));
        values.push(v);
        return { value: Buffer.from(v) };
      });
      const batch = r % 3 === 2 ? compressBatch(records, 'gzip') : encodeBatch(records);
      frames.push(...encodeRequestFrame(ProduceApi, 9, 1000 + r, 'reuse', { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'reuse', partitionData: [{ index: 0, records: batch }] }] }));
    }
    c.write(frames);
    for (let r = 0; r < 60; r++) {
      const res = decodeResponseFrame(ProduceApi, 9, (await c.readFrame(10_000))!);
      expect(res.correlationId).toBe(1000 + r);
      expect(res.body.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    }
    const got: StoredRecord[] = [];
    for (let offset = 0n; got.length < values.length;) {
      const f = await c.request(FetchApi, 4, { replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 8 << 20, isolationLevel: 0, topics: [{ topic: 'reuse', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }] });
      const data = f.responses[0]!.partitions[0]!.records!;
      for (let pos = 0; pos < data.length;) {
        const size = batchSizeAt(data, pos, data.length);
        if (size < 0) break;
        readBatchRecords(data, pos, size, got);
        pos += size;
      }
      offset = BigInt(got.length);
    }
    expect(got.map((r) => r.value!.toString())).toEqual(values);
    c.close();
    await broker.stop();
    delete process.env.STRAND_SOCKET_READS;
  });
});

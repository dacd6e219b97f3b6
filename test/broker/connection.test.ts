import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { FetchApi, MetadataApi } from '../../src/protocol/messages/index.js';
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
    // Write requests until the kernel pushes back on us: the broker has stopped reading.
    for (let i = 0; i < 200_000; i++) {
      written += frame.length;
      if (!socket.write(frame)) break;
    }
    const before = process.memoryUsage().rss;
    await new Promise((r) => setTimeout(r, 300));
    const grown = process.memoryUsage().rss - before;
    expect(socket.writableLength).toBeGreaterThan(0); // the broker is not reading
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    // Other clients are still served.
    const other = await RawClient.open(broker.bootstrap);
    const meta = await other.request(MetadataApi, 1, { topics: null });
    expect(meta.brokers.length).toBe(1);
    other.close();
    socket.destroy();
    expect(written).toBeGreaterThan(0);
    await broker.stop();
  });
});

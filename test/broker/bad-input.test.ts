import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { ApiVersionsApi, FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { RawClient } from '../helpers/raw-client.js';

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('bad input closes only the offending connection', () => {
  let broker: RunningBroker;
  let good: RawClient;

  async function produce(client: RawClient, topic: string, records: Buffer) {
    return client.request(ProduceApi, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  }

  async function stillServing() {
    const meta = await good.request(MetadataApi, 4, { topics: [{ name: 'kept' }], allowAutoTopicCreation: false });
    expect(meta.topics[0]!.errorCode).toBe(0);
    const res = await good.request(FetchApi, 4, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'kept', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    expect(res.responses[0]!.partitions[0]!.highWatermark).toBe(3n);
  }

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
    good = await RawClient.open(broker.bootstrap);
    await good.request(MetadataApi, 4, { topics: [{ name: 'kept' }], allowAutoTopicCreation: true });
    const r = await produce(good, 'kept', encodeBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });
  afterAll(async () => {
    good.close();
    await broker.stop();
  });

  it('garbage bytes', async () => {
    const c = await RawClient.open(broker.bootstrap);
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n'));
    expect(await c.closedByBroker()).toBe(true);
    await stillServing();
  });

  it('a length prefix of 0x7fffffff', async () => {
    const c = await RawClient.open(broker.bootstrap);
    c.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    expect(await c.closedByBroker()).toBe(true);
    await stillServing();
  });

  it('a negative length prefix', async () => {
    const c = await RawClient.open(broker.bootstrap);
    c.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
    expect(await c.closedByBroker()).toBe(true);
  });

  it('an unknown API key', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const header = Buffer.alloc(10);
    header.writeInt16BE(999, 0);
    header.writeInt16BE(0, 2);
    header.writeInt32BE(7, 4);
    header.writeInt16BE(-1, 8);
    c.write(frame(header));
    expect(await c.closedByBroker()).toBe(true);
    await stillServing();
  });

  it('a known API key at an unsupported version; ApiVersions answers v0 with UNSUPPORTED_VERSION', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const header = Buffer.alloc(10);
    header.writeInt16BE(0, 0); // Produce
    header.writeInt16BE(99, 2);
    header.writeInt32BE(8, 4);
    header.writeInt16BE(-1, 8);
    c.write(frame(header));
    expect(await c.closedByBroker()).toBe(true);

    const v = await RawClient.open(broker.bootstrap);
    // A future ApiVersions version uses the flexible request header v2: an empty tag section follows the client id.
    const av = Buffer.alloc(11);
    av.writeInt16BE(18, 0);
    av.writeInt16BE(77, 2);
    av.writeInt32BE(9, 4);
    av.writeInt16BE(-1, 8);
    v.write(frame(av));
    const res = await v.readFrame();
    expect(res).not.toBeNull();
    expect(res!.readInt32BE(0)).toBe(9); // correlation id, response header v0
    expect(res!.readInt16BE(4)).toBe(35); // UNSUPPORTED_VERSION
    const versions = await v.request(ApiVersionsApi, 0, {});
    expect(versions.apiKeys.find((k) => k.apiKey === 0)).toMatchObject({ minVersion: 0, maxVersion: 11 });
    v.close();
    await stillServing();
  });

  it('a truncated request', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const full = Buffer.concat(encodeRequestFrame(MetadataApi, 4, 5, 'x', { topics: [{ name: 'kept' }], allowAutoTopicCreation: false }));
    const body = full.subarray(4, full.length - 6);
    c.write(frame(body));
    expect(await c.closedByBroker()).toBe(true);
    await stillServing();
  });

  it('a Produce with a corrupted batch CRC gets CORRUPT_MESSAGE and writes nothing', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const batch = encodeBatch([{ value: 'evil' }]);
    batch[batch.length - 1]! ^= 0xff;
    const r = await produce(c, 'kept', batch);
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(2);
    c.close();
    await stillServing();
  });

  it('a batch over max.message.bytes gets MESSAGE_TOO_LARGE', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const r = await produce(c, 'kept', encodeBatch([{ value: Buffer.alloc(1_100_000) }]));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(10);
    c.close();
    await stillServing();
  });

  it('a topic name with illegal characters', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const meta = await c.request(MetadataApi, 4, { topics: [{ name: 'bad/name!' }], allowAutoTopicCreation: true });
    expect(meta.topics[0]!.errorCode).toBe(17); // INVALID_TOPIC_EXCEPTION
    const p = await produce(c, 'bad/name!', encodeBatch([{ value: 'x' }]));
    expect(p.responses[0]!.partitionResponses[0]!.errorCode).toBe(3);
    c.close();
    await stillServing();
  });
});

/**
 * queued.max.response.bytes.per.connection: a client that pipelines many Fetch requests and does not read its
 * responses must not make the broker build (on the portable backend: copy onto the heap) all
 * of them. The connection runs one Fetch at a time and starts the next only while its
 * untaken response bytes are below the bound; once the client reads, every request is served.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { io } from '../../src/io/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import { FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { readFrames } from '../helpers/read-frames.js';

const FETCHES = 200;
const BOUND = 8 * 1024 * 1024;
const MiB = 1024 * 1024;
/** Four batches of one 250,000-byte record: just under 1 MiB, all of it in every response. */
const BATCHES = 4;
const batch = (fill: number) => encodeBatch([{ value: Buffer.alloc(250_000, fill) }]);

function fetchFrame(correlationId: number): Buffer[] {
  return encodeRequestFrame(FetchApi, 11, correlationId, 'piper', {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic: 'piped', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: MiB, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
  });
}

describe('queued.max.response.bytes.per.connection', () => {
  let broker: RunningBroker;
  let producer: RawClient;
  const produce = (fill: number) =>
    producer.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'piped', partitionData: [{ index: 0, records: batch(fill) }] }] });

  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '1', 'queued.max.response.bytes.per.connection': String(BOUND) } });
    producer = await RawClient.open(broker.bootstrap);
    await producer.request(MetadataApi, 4, { topics: [{ name: 'piped' }], allowAutoTopicCreation: true });
    for (let i = 0; i < BATCHES; i++) await produce(97 + i);
  });
  afterAll(async () => {
    producer.close();
    await broker.stop();
  });

  it(`${FETCHES} pipelined 1 MiB fetches from a client that does not read: the broker builds only what the bound allows, and serves all once the client reads`, async () => {
    const socket = connect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    const before = process.memoryUsage();
    socket.write(Buffer.concat(Array.from({ length: FETCHES }, (_, i) => Buffer.concat(fetchFrame(i + 1)))));
    // Let the broker do all it will do, sampling the memory it takes.
    let peakArrayBuffers = 0;
    let peakRss = 0;
    for (let t = 0; t < 50; t++) {
      await new Promise((r) => setTimeout(r, 20));
      const m = process.memoryUsage();
      peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers - before.arrayBuffers);
      peakRss = Math.max(peakRss, m.rss - before.rss);
    }
    // Fetches the broker has not started yet see what is appended now; those it built already do not.
    const appended = await produce(122);
    expect(appended.responses[0]!.partitionResponses[0]!.baseOffset).toBe(BigInt(BATCHES));
    const frames = await readFrames(socket, FETCHES);
    socket.destroy();

    const answers = frames.map((f) => decodeResponseFrame(FetchApi, 11, f));
    expect(answers.map((a) => a.correlationId)).toEqual(Array.from({ length: FETCHES }, (_, i) => i + 1));
    const oneMiBOfBatches = BATCHES * batch(97).length;
    let builtEarly = 0;
    for (const a of answers) {
      const p = a.body.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.records!.length).toBe(oneMiBOfBatches); // the fifth batch does not fit in 1 MiB
      expect(p.records!.readBigInt64BE(0)).toBe(0n);
      if (p.highWatermark === BigInt(BATCHES)) builtEarly++;
      else expect(p.highWatermark).toBe(BigInt(BATCHES + 1));
    }
    // Built before the client read: the bound (8 fetches), one more, and what the kernel's
    // socket buffers took (a few MiB on loopback). Without the bound, all 200.
    expect(builtEarly).toBeGreaterThanOrEqual(BOUND / oneMiBOfBatches);
    expect(builtEarly).toBeLessThanOrEqual(24);
    // The portable backend copies each response's records onto the heap: at most the built
    // fetches' worth of them (about 24 MiB; 200 MiB without the bound). The native one sends
    // views of the mapped segment, so its heap does not grow with them at all.
    if (io.name === 'portable') expect(peakArrayBuffers).toBeLessThan(40 * MiB);
    else expect(peakArrayBuffers).toBeLessThan(8 * MiB);
    console.log(`response-queue: backend ${io.name}, built before the client read ${builtEarly} of ${FETCHES}, peak growth arrayBuffers ${(peakArrayBuffers / MiB).toFixed(1)} MiB, rss ${(peakRss / MiB).toFixed(1)} MiB`);
  });
});

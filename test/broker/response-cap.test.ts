/**
 * queued.max.response.bytes: clients that pipeline Fetch requests and never read must not make
 * the broker hold their answers without bound, even when each stays under its connection's own
 * bound. The broker's count of held response bytes (Broker.responseMemory, every answered byte
 * until its socket hands it to the kernel) stays within the cap plus one Fetch response per
 * connection; a client that holds nothing is served meanwhile; once the slow clients read, each
 * gets every answer, in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { logger } from '../../src/logger.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import { FetchApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { until } from '../helpers/until.js';
import { readFrames } from '../helpers/read-frames.js';

const MiB = 1024 * 1024;
const CAP = 4 * MiB;
const SLOW = 3;
/** Fetches each slow client pipelines per round, and at most. */
const ROUND = 10;
const MAX_FETCHES = 200;
/** Four batches of one 250,000-byte record: just under 1 MiB, all of it in every answer. */
const BATCHES = 4;
const batch = (fill: number) => encodeBatch([{ value: Buffer.alloc(250_000, fill) }]);
const RECORD_BYTES = BATCHES * batch(0).length;

function fetchFrame(correlationId: number): Buffer {
  return Buffer.concat(encodeRequestFrame(FetchApi, 11, correlationId, 'slow', {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic: 'capped', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: MiB, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
  }));
}

describe('queued.max.response.bytes', () => {
  let broker: Broker;
  let dir: string;
  let bootstrap: string;
  let producer: RawClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strand-response-cap-'));
    const source = new Map(Object.entries({ 'log.dirs': dir, 'listeners': 'PLAINTEXT://127.0.0.1:0', 'num.partitions': '1', 'queued.max.response.bytes': String(CAP) }));
    broker = await Broker.start(new BrokerConfig(source), logger.child({}, { level: 'warn' }));
    bootstrap = `${broker.advertisedHost}:${broker.advertisedPort}`;
    producer = await RawClient.open(bootstrap);
    await producer.request(MetadataApi, 4, { topics: [{ name: 'capped' }], allowAutoTopicCreation: true });
    for (let i = 0; i < BATCHES; i++) {
      await producer.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'capped', partitionData: [{ index: 0, records: batch(97 + i) }] }] });
    }
  });
  afterAll(async () => {
    producer.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${SLOW} clients pipelining 1 MiB fetches and not reading: the broker holds at most the cap plus one answer per connection, serves others, and answers everything in order`, async () => {
    const slow: Socket[] = [];
    for (let i = 0; i < SLOW; i++) {
      const s = connect({ host: broker.advertisedHost, port: broker.advertisedPort });
      await new Promise((r) => s.once('connect', r));
      s.pause();
      slow.push(s);
    }
    const memory = broker.responseMemory;
    // The kernel's socket buffers take some answers first (how many depends on its tuning): keep
    // pipelining until the broker itself holds the cap.
    let sent = 0;
    await until('the broker to hold the cap in unread answers', () => {
      if (memory.used >= CAP) return true;
      if (sent < MAX_FETCHES) {
        const requests = Buffer.concat(Array.from({ length: ROUND }, (_, i) => fetchFrame(sent + i + 1)));
        for (const s of slow) s.write(requests);
        sent += ROUND;
      }
      return false;
    });
    // One more round each, which a broker without the cap would build at once.
    const requests = Buffer.concat(Array.from({ length: ROUND }, (_, i) => fetchFrame(sent + i + 1)));
    for (const s of slow) s.write(requests);
    sent += ROUND;

    // A client holding nothing is served while the cap is reached.
    const other = await RawClient.open(bootstrap);
    expect(memory.used).toBeGreaterThanOrEqual(CAP);
    other.write(fetchFrame(777));
    const otherFrame = await other.readFrame(30_000);
    const otherAnswer = decodeResponseFrame(FetchApi, 11, otherFrame!);
    expect(otherAnswer.correlationId).toBe(777);
    expect(otherAnswer.body.responses[0]!.partitions[0]!.records!.length).toBe(RECORD_BYTES);
    other.close();

    const frames = await Promise.all(slow.map((s) => readFrames(s, sent)));
    for (const s of slow) s.destroy();
    for (const f of frames) {
      const answers = f.map((frame) => decodeResponseFrame(FetchApi, 11, frame));
      expect(answers.map((a) => a.correlationId)).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
      for (const a of answers) {
        const p = a.body.responses[0]!.partitions[0]!;
        expect(p.errorCode).toBe(0);
        expect(p.records!.length).toBe(RECORD_BYTES);
        // The last record's last value byte (its header count follows).
        expect(p.records![p.records!.length - 2]).toBe(97 + BATCHES - 1);
      }
    }
    // Each answer is its records and under a hundred bytes of headers. Without the cap, every
    // fetch would be built at once (each connection's own bound is 64 MiB).
    const answerBytes = otherFrame!.length + 4;
    expect(answerBytes - RECORD_BYTES).toBeLessThan(100);
    expect(memory.peak).toBeGreaterThanOrEqual(CAP);
    expect(memory.peak).toBeLessThanOrEqual(CAP + (SLOW + 1) * answerBytes);
    await until('every answer to leave the count', () => memory.used === 0);
    console.log(`response-cap: ${sent} fetches per slow client, peak ${(memory.peak / MiB).toFixed(2)} MiB held with a cap of ${CAP / MiB} MiB`);
  });
});

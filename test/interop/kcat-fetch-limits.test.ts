/**
 * librdkafka (kcat) with fetch.max.bytes=1000000 against partitions of ~900 KiB records: it
 * refuses a response larger than receive.message.max.bytes ("Invalid response size"), which
 * librdkafka 2.15 held at fetch.max.bytes + 512 in the report of issue 13 (Debian's 2.0.2 is
 * told so here). The broker must keep to KIP-74 (one oversized batch only for the first
 * partition with data) for it to consume every partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { kcat } from '../helpers/kcat-cli.js';
import { RawClient } from '../helpers/raw-client.js';

const RECORD_BYTES = 900 * 1024;
const PER_PARTITION = 3;

describe('kcat consumes partitions of ~900 KiB records with fetch.max.bytes=1000000', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '3' } });
    const c = await RawClient.open(broker.bootstrap);
    await c.request(MetadataApi, 4, { topics: [{ name: 'large' }], allowAutoTopicCreation: true });
    for (let p = 0; p < 3; p++) {
      for (let i = 0; i < PER_PARTITION; i++) {
        const value = Buffer.alloc(RECORD_BYTES, 97 + p * PER_PARTITION + i); // 'a', 'b', ...: one letter per record
        const res = await c.request(ProduceApi, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'large', partitionData: [{ index: p, records: encodeBatch([{ value }]) }] }] });
        expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
    }
    c.close();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('reads all three partitions, every record whole', async () => {
    // %p partition, %o offset, %S value size; the first byte of each value names the record.
    const r = await kcat(['-b', broker.bootstrap, '-C', '-t', 'large', '-o', 'beginning', '-e', '-X', 'fetch.max.bytes=1000000', '-X', 'receive.message.max.bytes=1000512', '-f', '%p %o %S %s\n'], undefined, 60_000);
    expect(r.stderr).not.toMatch(/Invalid response size/);
    expect(r.code, r.stderr).toBe(0);
    const got = r.stdout.split('\n').filter((l) => l !== '').map((l) => {
      const [p, o, size, value] = l.split(' ');
      return { p: Number(p), o: Number(o), size: Number(size), first: value!.charCodeAt(0), whole: value === String.fromCharCode(value!.charCodeAt(0)).repeat(RECORD_BYTES) };
    });
    got.sort((a, b) => a.p - b.p || a.o - b.o);
    const want = [];
    for (let p = 0; p < 3; p++) for (let o = 0; o < PER_PARTITION; o++) want.push({ p, o, size: RECORD_BYTES, first: 97 + p * PER_PARTITION + o, whole: true });
    expect(got).toEqual(want);
  });
});

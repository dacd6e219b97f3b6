import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readBatchHeader } from '../../src/format/batch-header.js';
import { checkBatch, encodeBatch, readBatchRecords, validateBatches } from '../../src/format/record-batch.js';
import type { StoredRecord } from '../../src/format/record.js';
import { CorruptBatchError, InvalidRecordError } from '../../src/errors.js';

const require = createRequire(import.meta.url);
const { RecordBatch: KafkaRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const KafkaBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkaDecoder = require('kafkajs/src/protocol/decoder.js');

function decode(buf: Buffer): StoredRecord[] {
  const out: StoredRecord[] = [];
  readBatchRecords(buf, 0, buf.length, out);
  return out;
}

describe('RecordBatch v2', () => {
  it('round-trips keys, values, nulls, repeated headers and timestamps', () => {
    const batch = encodeBatch([
      { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000, headers: [{ key: 'h', value: 'a' }, { key: 'h', value: null }] },
      { key: null, value: Buffer.from([0, 1, 2]), timestamp: 1_700_000_000_500 },
      { key: Buffer.alloc(0), value: null, timestamp: 1_699_999_999_000, headers: { x: 'y' } },
    ], { baseOffset: 42 });
    expect(checkBatch(batch, 0, batch.length)).toBeNull();
    const h = readBatchHeader(batch);
    expect(h).toMatchObject({ baseOffset: 42, magic: 2, recordCount: 3, lastOffsetDelta: 2, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_500, producerId: -1 });
    const records = decode(batch);
    expect(records.map((r) => r.offset)).toEqual([42, 43, 44]);
    expect(records[0]!.key!.toString()).toBe('k1');
    expect(records[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('a') }, { key: 'h', value: null }]);
    expect(records[1]!.key).toBeNull();
    expect(records[1]!.value).toEqual(Buffer.from([0, 1, 2]));
    expect(records[2]!.key).toEqual(Buffer.alloc(0));
    expect(records[2]!.value).toBeNull();
    expect(records[2]!.timestamp).toBe(1_699_999_999_000);
    expect(records[2]!.headers).toEqual([{ key: 'x', value: Buffer.from('y') }]);
  });

  it('writes the same bytes as the kafkajs encoder', async () => {
    const base = 1_700_000_000_000;
    const input = [
      { key: Buffer.from('user-1'), value: Buffer.from('{"a":1}'), headers: { trace: Buffer.from('t1') }, timestampDelta: 0 },
      { key: null, value: Buffer.from('x'.repeat(300)), headers: {}, timestampDelta: 17 },
      { key: Buffer.from('user-3'), value: null, headers: { a: Buffer.from('1'), b: Buffer.from('2') }, timestampDelta: 123456 },
    ];
    const theirs = (await KafkaRecordBatch({
      firstOffset: '0', firstTimestamp: base, maxTimestamp: base + 123456, partitionLeaderEpoch: 0, lastOffsetDelta: 2,
      producerEpoch: 0, firstSequence: 0,
      records: input.map((r, i) => KafkaRecord({ offsetDelta: i, timestampDelta: r.timestampDelta, key: r.key, value: r.value, headers: r.headers })),
    })).buffer as Buffer;
    const ours = encodeBatch(
      input.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: base + r.timestampDelta })),
      { partitionLeaderEpoch: 0, producerEpoch: 0, baseSequence: 0 },
    );
    expect(ours.toString('hex')).toBe(theirs.toString('hex'));
    expect(validateBatches(theirs, 'test')).toBe(1);
    expect(decode(theirs).map((r) => r.value?.length ?? null)).toEqual([7, 300, null]);
  });

  it('is read back by the kafkajs decoder', async () => {
    const ours = encodeBatch([{ key: 'a', value: 'b', timestamp: 1000, headers: { h: 'v' } }, { value: 'c', timestamp: 1001 }], { baseOffset: 7 });
    const decoded = await KafkaBatchDecoder(new KafkaDecoder(ours));
    expect(decoded.firstOffset).toBe('7');
    expect(decoded.records.map((r: { value: Buffer }) => r.value.toString())).toEqual(['b', 'c']);
    expect(decoded.records[0].headers.h.toString()).toBe('v');
  });

  it('round-trips arbitrary records (property)', () => {
    const bytes = fc.option(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), { nil: null });
    fc.assert(fc.property(
      fc.array(fc.record({ key: bytes, value: bytes, timestamp: fc.integer({ min: 0, max: 2 ** 45 }), headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: bytes }), { maxLength: 3 }) }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 2 ** 50 }),
      (records, baseOffset) => {
        const batch = encodeBatch(records, { baseOffset });
        expect(validateBatches(batch, 't')).toBe(1);
        const back = decode(batch);
        expect(back.length).toBe(records.length);
        back.forEach((r, i) => {
          expect(r.offset).toBe(baseOffset + i);
          expect(r.timestamp).toBe(records[i]!.timestamp);
          expect(r.key).toEqual(records[i]!.key);
          expect(r.value).toEqual(records[i]!.value);
          expect(r.headers).toEqual(records[i]!.headers);
        });
      },
    ), { numRuns: 200 });
  });

  describe('validation', () => {
    const good = () => encodeBatch([{ key: 'k', value: 'v' }, { key: 'k2', value: 'v2' }]);

    it('rejects a flipped bit anywhere in the CRC-covered part', () => {
      const b = good();
      for (let i = 21; i < b.length; i++) {
        const c = Buffer.from(b);
        c[i] ^= 0x10;
        expect(() => validateBatches(c, 't'), `byte ${i}`).toThrow(CorruptBatchError);
      }
    });

    it('rejects bad magic, truncation and a bad length', () => {
      const magic = good();
      magic[16] = 1;
      expect(() => validateBatches(magic, 't')).toThrow(/magic/);
      expect(() => validateBatches(good().subarray(0, 70), 't')).toThrow(/length|truncated/);
      const len = good();
      len.writeInt32BE(10, 8);
      expect(() => validateBatches(len, 't')).toThrow(CorruptBatchError);
      expect(() => validateBatches(Buffer.alloc(0), 't')).toThrow(/no record batch/);
    });

    it('rejects a record count that disagrees with the records (CRC recomputed)', async () => {
      const { crc32c } = await import('../../src/io/index.js');
      const b = good();
      b.writeInt32BE(3, 57);
      b.writeInt32BE(2, 23);
      b.writeUInt32BE(crc32c(b.subarray(21)), 17);
      expect(() => validateBatches(b, 't')).toThrow(InvalidRecordError);
    });

    it('accepts several batches back to back', () => {
      expect(validateBatches(Buffer.concat([good(), good(), good()]), 't')).toBe(3);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/client/records.js';
import { CorruptBatchError } from '../../src/errors.js';
import { encodeBatch } from '../../src/format/record-batch.js';

const CONTROL = 0x20;

describe('decodeRecords', () => {
  const a = encodeBatch([{ value: 'a0' }, { value: 'a1' }, { value: 'a2' }], { baseOffset: 10 });
  const b = encodeBatch([{ key: 'k', value: 'b0', headers: { h: 'v' } }], { baseOffset: 13 });

  it('reads whole batches, drops records before the requested offset, and says where to go next', () => {
    const got = decodeRecords(Buffer.concat([a, b]), 11);
    expect(got.records.map((r) => [r.offset, r.value?.toString()])).toEqual([[11, 'a1'], [12, 'a2'], [13, 'b0']]);
    expect(got.records[2]!.key?.toString()).toBe('k');
    expect(got.records[2]!.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', 'v']]);
    expect(got.nextOffset).toBe(14);
    expect(got.batches).toBe(2);
  });

  it('ignores a batch cut short at the end of the record set', () => {
    const got = decodeRecords(Buffer.concat([a, b.subarray(0, b.length - 5)]), 10);
    expect(got.records.map((r) => r.offset)).toEqual([10, 11, 12]);
    expect(got.nextOffset).toBe(13);
    const none = decodeRecords(a.subarray(0, 40), 10);
    expect(none).toEqual({ records: [], nextOffset: 10, batches: 0 });
  });

  it('skips control batches but moves past them', () => {
    const marker = encodeBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { baseOffset: 14, attributes: CONTROL });
    const got = decodeRecords(Buffer.concat([b, marker]), 13);
    expect(got.records.map((r) => r.offset)).toEqual([13]);
    expect(got.nextOffset).toBe(15);
  });

  it('throws CorruptBatchError on a CRC mismatch', () => {
    const bad = Buffer.from(b);
    bad[bad.length - 2] ^= 1;
    expect(() => decodeRecords(bad, 13, 'orders-0')).toThrow(CorruptBatchError);
    expect(() => decodeRecords(bad, 13, 'orders-0')).toThrow(/orders-0: batch at offset 13: CRC-32C mismatch/);
  });
});

/**
 * The load generator's batches: stamps round-trip, every batch is a valid v2 batch of the count
 * asked for (checked as the broker checks a producer's: framing, CRC, records against the
 * header), and batches given back are reused, never one still lent.
 */
import { describe, expect, it } from 'vitest';
import { LAST_OFFSET_DELTA, RECORD_COUNT } from '../../src/format/batch-header.js';
import { decompressBatch } from '../../src/format/compression.js';
import { validateBatches } from '../../src/format/record-batch.js';
import { BatchFactory, readStamp } from '../../src/perf/batches.js';

function records(batch: Buffer): number {
  expect(validateBatches(batch, 'test')).toBe(1);
  expect(batch.readInt32BE(LAST_OFFSET_DELTA)).toBe(batch.readInt32BE(RECORD_COUNT) - 1);
  return batch.readInt32BE(RECORD_COUNT);
}

describe('BatchFactory.stamped', () => {
  it('reuses a batch given back, stamped again; never one still lent', () => {
    const f = new BatchFactory({ recordSize: 100, compression: 'none', seed: 7 });
    const a = f.stamped(50, 1.5, 2.25);
    const b = f.stamped(50, 3.5, 4.75);
    expect(b.buffer === a.buffer).toBe(false);
    expect(readStamp(a, 0, a.length)).toEqual([1.5, 2.25]);
    expect(readStamp(b, 0, b.length)).toEqual([3.5, 4.75]);
    expect([records(a), records(b)]).toEqual([50, 50]);

    f.release(a);
    const c = f.stamped(50, 10.125, 11.5);
    expect(c.buffer === a.buffer).toBe(true);
    expect(readStamp(c, 0, c.length)).toEqual([10.125, 11.5]);
    expect(records(c)).toBe(50);
    // b is still lent: its bytes are untouched.
    expect(readStamp(b, 0, b.length)).toEqual([3.5, 4.75]);
    expect(records(b)).toBe(50);

    // Both lent: a new copy. Releasing twice, or a buffer never lent, changes nothing.
    const d = f.stamped(20, 1, 2);
    expect(d.buffer === b.buffer || d.buffer === c.buffer).toBe(false);
    f.release(c);
    f.release(c);
    f.release(Buffer.alloc(10));
    const e = f.stamped(1, 5, 6);
    expect(e.buffer === c.buffer).toBe(true);
    expect(f.stamped(7, 5, 6).buffer === c.buffer).toBe(false);
    expect([records(d), records(e)]).toEqual([20, 1]);
    expect(readStamp(d, 0, d.length)).toEqual([1, 2]);
    expect(readStamp(e, 0, e.length)).toEqual([5, 6]);
  });

  it('cuts any count, up to more than asked before, from one template', () => {
    const f = new BatchFactory({ recordSize: 100, compression: 'none', seed: 3 });
    for (const n of [3, 1, 2, 500, 499, 17, 1000, 1]) {
      const batch = f.stamped(n, n, n + 1);
      expect(records(batch)).toBe(n);
      expect(readStamp(batch, 0, batch.length)).toEqual([n, n + 1]);
      f.release(batch);
    }
  });

  it('compressed batches carry the stamp and count of each call', () => {
    const f = new BatchFactory({ recordSize: 100, compression: 'gzip', seed: 7 });
    const a = f.stamped(30, 1, 2);
    f.release(a); // no-op: the codec's output is never reused
    const b = f.stamped(12, 3, 4);
    expect(b.buffer === a.buffer).toBe(false);
    expect(readStamp(a, 0, a.length)).toEqual([1, 2]);
    expect(readStamp(b, 0, b.length)).toEqual([3, 4]);
    expect([records(a), records(b)]).toEqual([30, 12]);
    expect(records(decompressBatch(b))).toBe(12);
  });
});

describe('BatchFactory.batch', () => {
  it('keeps the first counts built; cuts any other from a pooled copy, reused once given back', () => {
    const f = new BatchFactory({ recordSize: 100, compression: 'none', seed: 5, variants: 1 });
    const kept = [1000, 1, 2, 3].map((n) => f.batch(n));
    expect(kept.map(records)).toEqual([1000, 1, 2, 3]);
    expect(f.batch(1000) === kept[0]).toBe(true);
    const cut = f.batch(480);
    expect(records(cut)).toBe(480);
    f.release(cut);
    const again = f.batch(470);
    expect(again.buffer === cut.buffer).toBe(true);
    expect(records(again)).toBe(470);
    f.release(kept[0]!); // not lent: still the cached batch afterwards
    expect(f.batch(1000) === kept[0]).toBe(true);
  });
});

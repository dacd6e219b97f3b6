/** End-to-end latency batches: the stamp round-trips, the CRC stays valid, and answered batches are reused. */
import { describe, expect, it } from 'vitest';
import { ATTRIBUTES, CRC, RECORD_COUNT } from '../../src/format/batch-header.js';
import { crc32c } from '../../src/io/index.js';
import { BatchFactory, readStamp } from '../../src/perf/batches.js';

function crcOk(batch: Buffer): boolean {
  return batch.readUInt32BE(CRC) === crc32c(batch.subarray(ATTRIBUTES));
}

describe('BatchFactory.stamped', () => {
  it('reuses a batch given back, stamped again with a valid CRC; never one still lent', () => {
    const f = new BatchFactory({ recordSize: 100, compression: 'none', seed: 7 });
    const a = f.stamped(50, 1.5, 2.25);
    const b = f.stamped(50, 3.5, 4.75);
    expect(b).not.toBe(a);
    expect(readStamp(a, 0, a.length)).toEqual([1.5, 2.25]);
    expect(readStamp(b, 0, b.length)).toEqual([3.5, 4.75]);
    expect(crcOk(a) && crcOk(b)).toBe(true);

    f.release(a);
    const c = f.stamped(50, 10.125, 11.5);
    expect(c).toBe(a);
    expect(readStamp(c, 0, c.length)).toEqual([10.125, 11.5]);
    expect(crcOk(c)).toBe(true);
    expect(c.readInt32BE(RECORD_COUNT)).toBe(50);
    // b is still lent: its bytes are untouched.
    expect(readStamp(b, 0, b.length)).toEqual([3.5, 4.75]);
    expect(crcOk(b)).toBe(true);

    // Another size has its own copies; releasing a buffer twice, or one never lent, does nothing.
    f.release(c);
    f.release(c);
    f.release(Buffer.alloc(10));
    const d = f.stamped(20, 1, 2);
    expect(d.length).toBeLessThan(a.length);
    expect(f.stamped(50, 5, 6)).toBe(a);
    expect(f.stamped(50, 7, 8)).not.toBe(a);
  });

  it('compressed batches carry the stamp of each call', () => {
    const f = new BatchFactory({ recordSize: 100, compression: 'gzip', seed: 7 });
    const a = f.stamped(30, 1, 2);
    f.release(a); // no-op: the codec's output is never reused
    const b = f.stamped(30, 3, 4);
    expect(b).not.toBe(a);
    expect(readStamp(a, 0, a.length)).toEqual([1, 2]);
    expect(readStamp(b, 0, b.length)).toEqual([3, 4]);
    expect(crcOk(a) && crcOk(b)).toBe(true);
  });
});

/** SegmentFile.copyTo on the active backend: exact bytes, its range checks, and use after close. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError } from '../../src/errors.js';
import { io } from '../../src/io/index.js';
import { tmpDir } from '../helpers/tmp.js';

describe('SegmentFile.copyTo', () => {
  it('copies exactly the range asked for into the given buffer, and nothing around it', () => {
    const f = io.openSegmentFile(join(tmpDir(), 'c.log'), { preallocate: 1 << 16 });
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    f.append([data.subarray(0, 3000)]);
    f.append([data.subarray(3000)]);
    for (const [at, n] of [[0, 61], [2990, 20], [4999, 1], [0, 5000], [17, 0]] as const) {
      const target = Buffer.alloc(n + 2, 0xee);
      f.copyTo(at, target.subarray(1, n + 1));
      expect(target.subarray(1, n + 1)).toEqual(data.subarray(at, at + n));
      expect([target[0], target[n + 1]]).toEqual([0xee, 0xee]);
    }
    f.close();
  });

  it('refuses a range beyond the logical size (not into the preallocation), then use after close', () => {
    const f = io.openSegmentFile(join(tmpDir(), 'r.log'), { preallocate: 1 << 16 });
    f.append([Buffer.from('0123456789')]);
    for (const [at, n] of [[0, 11], [10, 1], [-1, 1], [1.5, 2]] as const) expect(() => f.copyTo(at, Buffer.alloc(n))).toThrow(InvalidArgumentError);
    f.truncate(4);
    expect(() => f.copyTo(0, Buffer.alloc(5))).toThrow(InvalidArgumentError);
    const four = Buffer.alloc(4);
    f.copyTo(0, four);
    expect(four.toString()).toBe('0123');
    f.close();
    expect(() => f.copyTo(0, Buffer.alloc(1))).toThrow(ClosedError);
  });
});

import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';

describe('zero-copy views', () => {
  it('a view from read stays readable after retention deletes its segment', async () => {
    const log = await openLog(tmpDir(), { segmentBytes: 4096, retentionMs: 1000 });
    for (let i = 0; i < 100; i++) await log.append([{ value: `old-${i}-${'o'.repeat(40)}`, timestamp: 1000 }]);
    for (let i = 0; i < 5; i++) await log.append([{ value: `new-${i}`, timestamp: 10_000_000 }]);
    const held = await log.read(0, { maxBytes: 100_000 });
    const slice = log.readSlice(0, 100_000)!;
    const copies = held.records.map((r) => Buffer.from(r.value!));
    const sliceCopy = Buffer.from(slice.view);
    expect(log.applyRetention(20_000_000 - 5_000_000)).toBeGreaterThan(0);
    expect(log.startOffset).toBeGreaterThan(0);
    (globalThis as { gc?: () => void }).gc?.();
    // Touch every byte of the views after their files are gone.
    held.records.forEach((r, i) => expect(r.value!.equals(copies[i]!)).toBe(true));
    expect(slice.view.equals(sliceCopy)).toBe(true);
    // And after truncation of the active segment as well.
    const tail = log.readSlice(100, 100_000)!;
    const tailCopy = Buffer.from(tail.view);
    log.truncateTo(101);
    expect(tail.view.equals(tailCopy)).toBe(true);
    await log.close();
    expect(tail.view.equals(tailCopy)).toBe(true);
  });
});

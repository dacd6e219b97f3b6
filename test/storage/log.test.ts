import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClosedError, DirectoryLockedError, InvalidArgumentError, OffsetOutOfRangeError, RecordTooLargeError, encodeBatch, openLog } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';

const values = (rs: { value: Buffer | null }[]) => rs.map((r) => r.value?.toString());

/** Base offsets of the segments on disk, from their file names. */
const segmentBases = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => Number(f.slice(0, -4)))
    .sort((a, b) => a - b);

/**
 * Where segments start for one-record batches of the given sizes, by Kafka's roll rule: a batch
 * that would take the active segment past segment.bytes starts a new one.
 */
function expectedLayout(batchBytes: number[], segmentBytes: number): { bases: number[]; sizes: number[] } {
  const bases = [0];
  const sizes = [0];
  batchBytes.forEach((n, offset) => {
    if (sizes.at(-1)! > 0 && sizes.at(-1)! + n > segmentBytes) {
      bases.push(offset);
      sizes.push(0);
    }
    sizes[sizes.length - 1]! += n;
  });
  return { bases, sizes };
}

/** The size of `log.append([{ value: 'v<i>' }])`'s batch: 70 bytes for v0-v9, 71 for v10-v99, 72 from v100. */
const vBatch = (i: number) => encodeBatch([{ value: `v${i}` }]).length;

describe('Log', () => {
  it('appends records and reads them back with offsets, keys and headers', async () => {
    const log = await openLog(tmpDir());
    expect(log.startOffset).toBe(0);
    expect(log.endOffset).toBe(0);
    const a = await log.append([{ key: 'k', value: 'one', headers: [{ key: 'h', value: 'x' }], timestamp: 1000 }, { value: 'two', timestamp: 1001 }]);
    expect(a).toEqual({ baseOffset: 0, lastOffset: 1 });
    const b = await log.append([{ value: 'three' }]);
    expect(b).toEqual({ baseOffset: 2, lastOffset: 2 });
    expect(log.endOffset).toBe(3);
    const { records, nextOffset } = await log.read(0);
    expect(values(records)).toEqual(['one', 'two', 'three']);
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(records[0]!.key!.toString()).toBe('k');
    expect(records[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);
    expect(records[0]!.timestamp).toBe(1000);
    expect(nextOffset).toBe(3);
    // Reading from the middle of a batch skips the earlier records of that batch.
    expect(values((await log.read(1)).records)).toEqual(['two', 'three']);
    expect(await log.read(3)).toEqual({ records: [], nextOffset: 3 });
    await log.close();
  });

  it('appends raw batches, rewriting the base offset in place', async () => {
    const log = await openLog(tmpDir());
    await log.append([{ value: 'a' }]);
    const batch = Buffer.concat([encodeBatch([{ value: 'b' }, { value: 'c' }]), encodeBatch([{ value: 'd' }])]);
    expect(await log.appendBatch(batch)).toEqual({ baseOffset: 1, lastOffset: 3 });
    expect(batch.readBigInt64BE(0)).toBe(1n);
    expect(values((await log.read(0)).records)).toEqual(['a', 'b', 'c', 'd']);
    await expect(log.appendBatch(Buffer.from('not a batch at all, definitely not'))).rejects.toThrow(/bad length|truncated/);
    await log.close();
  });

  it('reads from every offset of a log mixing batches far smaller and far larger than a scan window', async () => {
    // A batch scan copies headers through a 16 KiB window: several small batches per copy, then
    // just the header of each large one. Sizes here alternate across that boundary, and the
    // index (every 4 KiB) points into the middle of runs of both kinds.
    const log = await openLog(tmpDir(), { segmentBytes: 1 << 20, indexIntervalBytes: 4096 });
    const recordsPer = [1, 200, 3, 1, 150, 2, 400, 1, 1, 90, 5, 300, 1];
    const sizes: number[] = [];
    let offset = 0;
    for (const [b, n] of recordsPer.entries()) {
      const batch = encodeBatch(Array.from({ length: n }, (_, i) => ({ value: `b${b}-r${i}-${'v'.repeat(90)}` })));
      sizes.push(batch.length);
      expect(await log.appendBatch(batch)).toEqual({ baseOffset: offset, lastOffset: offset + n - 1 });
      offset += n;
    }
    expect(Math.max(...sizes)).toBeGreaterThan(32 * 1024);
    expect(Math.min(...sizes)).toBeLessThan(200);
    const firsts = recordsPer.map((_, b) => recordsPer.slice(0, b).reduce((a, n) => a + n, 0));
    for (let o = 0; o < offset; o++) {
      const b = firsts.findLastIndex((f) => f <= o);
      // maxBytes 1: exactly the batch holding o (KIP-74: at least one whole batch).
      const one = log.readSlice(o, 1)!;
      expect([one.firstOffset, one.nextOffset, one.view.length]).toEqual([firsts[b], firsts[b]! + recordsPer[b]!, sizes[b]]);
      // maxBytes of the next two batches: both, and nothing more.
      const two = sizes.slice(b, b + 2).reduce((a, n) => a + n, 0);
      const slice = log.readSlice(o, two)!;
      const end = Math.min(b + 2, recordsPer.length);
      expect([slice.nextOffset, slice.view.length]).toEqual([firsts[end] ?? offset, two]);
    }
    expect((await log.read(firsts[6]! + 7, { maxBytes: 1 })).records[0]!.value!.toString()).toBe(`b6-r7-${'v'.repeat(90)}`);
    await log.close();
  });

  it('rolls segments on segment.bytes and reads across them, respecting maxBytes', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { segmentBytes: 4096, indexIntervalBytes: 256 });
    const input = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `value-${i}-${'x'.repeat(50)}` }));
    for (const r of input) await log.append([r]);
    // Batches of 129, 131 and 133 bytes (one-, two- and three-digit i): 31 fit in a 4096-byte
    // segment, 30 once most are 133 bytes.
    const { bases } = expectedLayout(input.map((r) => encodeBatch([r]).length), 4096);
    expect(bases).toEqual([0, 31, 62, 93, 123, 153, 183]);
    expect(log.segmentCount).toBe(7);
    expect(segmentBases(dir)).toEqual(bases);
    const seen: string[] = [];
    const perRead: number[] = [];
    let offset = 0;
    while (offset < log.endOffset) {
      const { records, nextOffset } = await log.read(offset, { maxBytes: 500 });
      perRead.push(records.length);
      seen.push(...records.map((r) => r.key!.toString()));
      offset = nextOffset;
    }
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => `k${i}`));
    // Three whole batches fit in 500 bytes, four do not; as in Kafka, a read ends at its segment's
    // end, so each segment of n batches takes floor(n / 3) reads of three and one of the rest.
    const counts = bases.map((b, i) => (bases[i + 1] ?? 200) - b);
    expect(counts).toEqual([31, 31, 31, 30, 30, 30, 17]);
    expect(perRead).toEqual(counts.flatMap((n) => [...Array<number>(Math.floor(n / 3)).fill(3), ...(n % 3 ? [n % 3] : [])]));
    // Every offset can be the start of a read, whichever segment and index entry it falls in.
    for (const o of [0, 1, 57, 99, 150, 199]) expect((await log.read(o, { maxBytes: 1 })).records[0]!.offset).toBe(o);
    await log.close();
  });

  it('finds offsets by timestamp', async () => {
    const log = await openLog(tmpDir(), { segmentBytes: 2048, indexIntervalBytes: 100 });
    for (let i = 0; i < 100; i++) await log.append([{ value: `v${i}`, timestamp: 10_000 + i * 10 }]);
    expect(await log.offsetForTime(0)).toBe(0);
    expect(await log.offsetForTime(10_000)).toBe(0);
    expect(await log.offsetForTime(10_005)).toBe(1);
    expect(await log.offsetForTime(10_500)).toBe(50);
    expect(await log.offsetForTime(10_990)).toBe(99);
    expect(await log.offsetForTime(11_000)).toBeNull();
    await log.close();
  });

  it('truncates to an offset and keeps appending after it', async () => {
    const log = await openLog(tmpDir(), { segmentBytes: 2048 });
    for (let i = 0; i < 60; i++) await log.append([{ value: `v${i}` }]);
    log.truncateTo(25);
    expect(log.endOffset).toBe(25);
    await log.append([{ value: 'new' }]);
    const { records } = await log.read(20, { maxBytes: 1 << 20 });
    expect(values(records)).toEqual(['v20', 'v21', 'v22', 'v23', 'v24', 'new']);
    expect(records.at(-1)!.offset).toBe(25);
    await log.close();
  });

  it('advances the log start offset and deletes whole segments below it', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { segmentBytes: 2048 });
    for (let i = 0; i < 100; i++) await log.append([{ value: `v${i}` }]);
    // 10 batches of 70 bytes and 18 of 71 fill the first 2048 bytes, then 28 of 71 each.
    expect(expectedLayout(Array.from({ length: 100 }, (_, i) => vBatch(i)), 2048).bases).toEqual([0, 28, 56, 84]);
    expect(segmentBases(dir)).toEqual([0, 28, 56, 84]);
    log.advanceStartOffset(70);
    expect(log.startOffset).toBe(70);
    // Offsets 0-55 are all below 70: their two segments go; 56-83 holds offset 70 and stays.
    expect(segmentBases(dir)).toEqual([56, 84]);
    expect(log.segmentCount).toBe(2);
    await expect(log.read(10)).rejects.toThrow(OffsetOutOfRangeError);
    expect((await log.read(70)).records[0]!.offset).toBe(70);
    await log.close();
  });

  it('applies retention.ms and retention.bytes in whole segments, never the active one', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { segmentBytes: 2048, retentionMs: 1000, retentionBytes: -1 });
    for (let i = 0; i < 100; i++) await log.append([{ value: `v${i}`, timestamp: i < 50 ? 1000 : 1_000_000 }]);
    expect(segmentBases(dir)).toEqual([0, 28, 56, 84]);
    // At 1,000,500 only the segment of offsets 0-27 is all older than 1000 ms (its newest record
    // is at 1000); 28-55 holds offsets 50-55, stamped 1,000,000, so it and all after it stay.
    expect(log.applyRetention(1_000_500)).toBe(1);
    expect(segmentBases(dir)).toEqual([28, 56, 84]);
    expect(log.startOffset).toBe(28);
    await expect(log.read(27)).rejects.toThrow(OffsetOutOfRangeError);
    expect((await log.read(28)).records[0]!.offset).toBe(28);
    // Far in the future everything is expired, but the active segment (84-99) is never deleted.
    expect(log.applyRetention(10 ** 13)).toBe(2);
    expect(segmentBases(dir)).toEqual([84]);
    expect(log.startOffset).toBe(84);
    expect(log.endOffset).toBe(100);
    await log.close();

    const sizedDir = tmpDir();
    const sized = await openLog(sizedDir, { segmentBytes: 2048, retentionBytes: 4096, retentionMs: -1 });
    for (let i = 0; i < 200; i++) await sized.append([{ value: `v${i}` }]);
    const { bases, sizes } = expectedLayout(Array.from({ length: 200 }, (_, i) => vBatch(i)), 2048);
    expect(bases).toEqual([0, 28, 56, 84, 112, 140, 168, 196]);
    expect(sizes).toEqual([1978, 1988, 1988, 2000, 2016, 2016, 2016, 288]);
    expect(segmentBases(sizedDir)).toEqual(bases);
    expect(sized.size).toBe(14_290);
    // As Kafka: delete the oldest segments while what is left stays at least retention.bytes.
    // 14,290 - (1978 + 1988 + 1988 + 2000 + 2016) = 4320 >= 4096; one more would leave 2304.
    expect(sized.applyRetention()).toBe(5);
    expect(segmentBases(sizedDir)).toEqual([140, 168, 196]);
    expect(sized.size).toBe(4320);
    expect(sized.startOffset).toBe(140);
    await sized.close();
  });

  it('reopens after a clean close with everything in place', async () => {
    const dir = tmpDir();
    let log = await openLog(dir, { segmentBytes: 2048 });
    for (let i = 0; i < 80; i++) await log.append([{ value: `v${i}`, timestamp: 5000 + i }]);
    log.advanceStartOffset(3);
    await log.close();
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(true);
    log = await openLog(dir, { segmentBytes: 2048 });
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(false);
    expect(log.startOffset).toBe(3);
    expect(log.endOffset).toBe(80);
    expect(await log.offsetForTime(5040)).toBe(40);
    await log.append([{ value: 'after' }]);
    const all = [];
    for (let o = 3; o < log.endOffset;) {
      const r = await log.read(o);
      all.push(...r.records);
      o = r.nextOffset;
    }
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 78 }, (_, i) => i + 3));
    expect(all.at(-1)!.value!.toString()).toBe('after');
    await log.close();
  });

  it('gives typed errors for misuse', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { segmentBytes: 4096, maxMessageBytes: 1000 });
    await log.append([{ value: 'x' }]);
    await expect(log.read(-1)).rejects.toThrow(InvalidArgumentError);
    await expect(log.read(5)).rejects.toThrow(OffsetOutOfRangeError);
    await expect(log.append([{ value: 'y'.repeat(5000) }])).rejects.toThrow(RecordTooLargeError);
    await expect(openLog(dir)).rejects.toThrow(DirectoryLockedError);
    await expect(openLog(tmpDir(), { segmentBytes: -5 })).rejects.toThrow(InvalidArgumentError);
    await log.close();
    await expect(log.append([{ value: 'z' }])).rejects.toThrow(ClosedError);
    await expect(log.read(0)).rejects.toThrow(ClosedError);
  });
});

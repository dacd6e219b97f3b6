import { closeSync, openSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../src/format/record-batch.js';
import { io } from '../../src/io/index.js';
import { logFilePath } from '../../src/storage/file-names.js';
import { RecoveryScan } from '../../src/storage/recovery-scan.js';
import { Segment } from '../../src/storage/segment.js';
import { tmpDir } from '../helpers/tmp.js';

const WINDOW = 256;

/**
 * Batches of 1 to 40 records of 20-byte values (about 100 to 1,300 bytes): below, across and
 * several times a 256-byte window, at positions that are not multiples of it.
 */
function batches() {
  const counts = [1, 10, 40, 2, 40, 1, 10, 3];
  const parts: Buffer[] = [];
  const expected: { pos: number; size: number; baseOffset: number; lastOffset: number; maxTimestamp: number }[] = [];
  let pos = 0;
  let offset = 0;
  for (let i = 0; i < counts.length; i++) {
    const now = 1_700_000_000_000 + i;
    const batch = encodeBatch(Array.from({ length: counts[i]! }, (_, j) => ({ value: `value-${String(offset + j).padStart(14, '0')}` })), { baseOffset: offset, now });
    parts.push(batch);
    expected.push({ pos, size: batch.length, baseOffset: offset, lastOffset: offset + counts[i]! - 1, maxTimestamp: now });
    pos += batch.length;
    offset += counts[i]!;
  }
  return { bytes: Buffer.concat(parts), expected, records: offset };
}

function scanFile(path: string, window?: number) {
  const file = io.openSegmentFile(path, { readOnly: true });
  const scan = new RecoveryScan(file, window);
  const seen: { pos: number; size: number; baseOffset: number; lastOffset: number; maxTimestamp: number }[] = [];
  for (; scan.valid; scan.next()) seen.push({ pos: scan.pos, size: scan.size, baseOffset: scan.baseOffset, lastOffset: scan.lastOffset, maxTimestamp: scan.maxTimestamp });
  file.close();
  return { seen, end: scan.pos, problem: scan.problem };
}

function scanBytes(bytes: Buffer, window?: number) {
  const path = join(tmpDir(), 'scan.log');
  writeFileSync(path, bytes);
  return scanFile(path, window);
}

describe('recovery scan', () => {
  const { bytes, expected } = batches();

  it('walks batches smaller than, across and larger than its window', () => {
    expect(expected.filter((b) => b.size > 4 * WINDOW).length).toBe(2);
    expect(expected.some((b) => b.size < WINDOW && Math.floor(b.pos / WINDOW) !== Math.floor((b.pos + b.size - 1) / WINDOW))).toBe(true);
    for (const window of [WINDOW, undefined]) {
      expect(scanBytes(bytes, window)).toEqual({ seen: expected, end: bytes.length, problem: null });
    }
  });

  it('stops at a batch torn anywhere, window boundaries included', () => {
    for (const torn of expected.slice(1)) {
      // From past the length field: a remainder of only leading zero bytes reads as preallocated space.
      for (let cut = torn.pos + 12; cut < torn.pos + torn.size; cut += cut % WINDOW === WINDOW - 1 ? 1 : 13) {
        const r = scanBytes(bytes.subarray(0, cut), WINDOW);
        expect(r.end).toBe(torn.pos);
        expect(r.problem).toBe(`bad batch length at byte ${torn.pos}`);
        expect(r.seen).toEqual(expected.filter((b) => b.pos < torn.pos));
      }
    }
  });

  it('checks the CRC-32C of every batch, a large one in window-sized pieces', () => {
    for (const [victim, at] of [[expected[2]!, 3 * WINDOW + 5], [expected[3]!, 70], [expected[4]!, expected[4]!.size - 1]] as const) {
      const damaged = Buffer.from(bytes);
      damaged[victim.pos + at]! ^= 0x40;
      const r = scanBytes(damaged, WINDOW);
      expect(r.end).toBe(victim.pos);
      expect(r.problem).toMatch(new RegExp(`^CRC-32C mismatch \\(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\\) at byte ${victim.pos}$`));
      expect(r.seen).toEqual(expected.filter((b) => b.pos < victim.pos));
    }
  });

  it('takes a tail of zeros for preallocated space, and a byte anywhere in it for a torn write', () => {
    for (const zeros of [30, 5 * WINDOW + 17]) {
      const tail = Buffer.concat([bytes, Buffer.alloc(zeros)]);
      expect(scanBytes(tail, WINDOW)).toEqual({ seen: expected, end: bytes.length, problem: null });
      tail[tail.length - 1] = 1;
      expect(scanBytes(tail, WINDOW)).toEqual({ seen: expected, end: bytes.length, problem: `bad batch length at byte ${bytes.length}` });
    }
  });

  it('takes a sparse or preallocated tail for zeros without a byte of it written, and finds one written far into it', () => {
    const path = join(tmpDir(), 'scan.log');
    const tail = 4 * 1024 * 1024;
    // A hole (the file extended by truncate) on both backends; on the native one also a tail
    // reserved by posix_fallocate and never written, as an active segment's after a crash.
    writeFileSync(path, bytes);
    truncateSync(path, bytes.length + tail);
    expect(scanFile(path, WINDOW)).toEqual({ seen: expected, end: bytes.length, problem: null });
    if (io.name === 'native') {
      writeFileSync(path, bytes);
      const writer = io.openSegmentFile(path, { preallocate: bytes.length + tail, size: bytes.length });
      expect(scanFile(path, WINDOW)).toEqual({ seen: expected, end: bytes.length, problem: null });
      writer.close();
      truncateSync(path, bytes.length + tail);
    }
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([7]), 0, 1, bytes.length + tail - 3 * 4096 - 5);
    closeSync(fd);
    expect(scanFile(path, WINDOW)).toEqual({ seen: expected, end: bytes.length, problem: `bad batch length at byte ${bytes.length}` });
  });
});

describe('Segment.recover', () => {
  it('truncates a crashed segment’s preallocated tail in place: no copy of the file, no fsync', () => {
    const { bytes, expected, records } = batches();
    const dir = tmpDir();
    const path = logFilePath(dir, 0);
    const preallocated = 1024 * 1024;
    // What a crash leaves of an active segment: its batches, then the rest of its preallocation.
    writeFileSync(path, Buffer.concat([bytes, Buffer.alloc(preallocated - bytes.length)]));
    const inode = statSync(path).ino;
    const fsyncs = io.fsyncCount();
    const { segment, recovery } = Segment.open(dir, 0, { indexIntervalBytes: 512, preallocateBytes: preallocated }, true, true);
    expect(recovery).toEqual({ validBytes: bytes.length, truncatedBytes: preallocated - bytes.length, problem: null });
    // The native backend replaces a file truncated under a live view (a copy and an fdatasync):
    // recovery must not hold one, so the file keeps its inode and nothing is synced.
    expect(io.fsyncCount()).toBe(fsyncs);
    expect(statSync(path).ino).toBe(inode);
    expect(readdirSync(dir).filter((f) => f.includes('swap'))).toEqual([]);
    expect(segment.nextOffset).toBe(records);
    expect(segment.maxTimestamp).toBe(expected.at(-1)!.maxTimestamp);
    expect(segment.read(0, 1 << 20)!.view.equals(bytes)).toBe(true);
    expect(segment.positionOf(expected[5]!.baseOffset)).toBe(expected[5]!.pos);
    segment.close();
    expect(statSync(path).size).toBe(bytes.length);
  });
});

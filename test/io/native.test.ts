/**
 * The native addon through src/io/native.ts: CRC-32C kernels (hardware and software) against a
 * bitwise reference, and SegmentFile's append / view / truncate / reopen / close contract.
 * Zero-copy safety is in native-views.test.ts, group commit in native-sync.test.ts.
 * Skipped in the portable pass of `npm test` (they test the addon, not the active backend).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError, StorageIOError } from '../../src/errors.js';
import { loadNativeBackend } from '../../src/io/native.js';
import { tmpDir } from '../helpers/tmp.js';

const skip = process.env.STRAND_BACKEND === 'portable';
const native = skip ? undefined! : loadNativeBackend();
const ascii = (s: string) => Buffer.from(s, 'latin1');

/** Bit-at-a-time CRC-32C, straight from the definition. */
function crc32cBitwise(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe.skipIf(skip)('native backend', () => {
  it('loads, and says which CRC kernel it runs', () => {
    expect(native.name).toBe('native');
    expect(['sse4.2', 'armv8-crc', 'software']).toContain(native.crc32cImplementation);
    if (process.arch === 'x64') expect(native.crc32cImplementation).toBe('sse4.2'); // every x86-64 CI machine has it
    expect(native.addonPath).toMatch(/strand_native\.node$/);
    expect(loadNativeBackend()).toBe(native);
  });
});

describe.skipIf(skip).each([
  ['hardware', () => native.crc32c],
  ['software', () => native.crc32cSoftware],
] as const)('native crc32c (%s kernel)', (_name, kernel) => {
  it('gives the standard check values', () => {
    const crc = kernel();
    expect(crc(new Uint8Array(0))).toBe(0);
    expect(crc(ascii('123456789'))).toBe(0xe3069283);
    expect(crc(ascii('a'))).toBe(0xc1d04330);
    // RFC 3720 (iSCSI) B.4
    expect(crc(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('matches the bitwise reference on 1 MiB of random data, and is unsigned', () => {
    const crc = kernel();
    const data = randomBytes(1 << 20);
    const expected = crc32cBitwise(data);
    expect(crc(data)).toBe(expected);
    for (let i = 0; i < 64; i++) {
      const v = crc(data.subarray(i * 1000, i * 1000 + 999));
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
    }
  });

  it('matches the reference for every length 0..300 at several misalignments', () => {
    const crc = kernel();
    const big = randomBytes(300 + 64);
    for (const offset of [0, 1, 2, 3, 5, 7, 8, 13, 31]) {
      for (let len = 0; len <= 300; len++) {
        const slice = big.subarray(offset, offset + len);
        const got = crc(slice);
        if (got !== crc32cBitwise(slice)) expect.fail(`length ${len} at offset ${offset}: ${got.toString(16)}`);
      }
    }
  });

  it('covers the three-way block boundaries (768 B, 24 KiB) exactly', () => {
    const crc = kernel();
    const data = randomBytes(3 * 8192 * 2 + 1000);
    for (const len of [767, 768, 769, 775, 776, 1535, 1536, 24575, 24576, 24577, 24583, 49152, 49159, data.length]) {
      for (const offset of [0, 3]) {
        const slice = data.subarray(offset, offset + len);
        expect(crc(slice)).toBe(crc32cBitwise(slice));
      }
    }
  });

  it('chains through the seed: crc(b, crc(a)) === crc(a || b)', () => {
    const crc = kernel();
    const data = randomBytes(70_000);
    const whole = crc(data);
    for (const cut of [0, 1, 7, 8, 767, 768, 24_576, 40_000, 69_999, 70_000]) {
      expect(crc(data.subarray(cut), crc(data.subarray(0, cut)))).toBe(whole);
    }
    expect(crc(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
    expect(crc(ascii('456789'), crc(ascii('123')))).toBe(0xe3069283);
  });

  it('reads only the view it is given, whatever its buffer', () => {
    const crc = kernel();
    const backing = new ArrayBuffer(64);
    new Uint8Array(backing).fill(0xaa).set(ascii('123456789'), 17);
    expect(crc(new Uint8Array(backing, 17, 9))).toBe(0xe3069283);
  });

  it('rejects what is not bytes, and bad seeds', () => {
    const crc = kernel();
    expect(() => crc('123' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => crc(null as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => crc(ascii('1'), -1)).toThrow(InvalidArgumentError);
    expect(() => crc(ascii('1'), 2 ** 32)).toThrow(InvalidArgumentError);
    expect(() => crc(ascii('1'), 1.5)).toThrow(InvalidArgumentError);
    expect(crc(ascii('1'), 0xffffffff)).toBe(crc32cBitwise(ascii('1'), 0xffffffff));
  });
});

describe.skipIf(skip)('native SegmentFile', () => {
  it('appends, views and reports size; close trims the preallocation', async () => {
    const path = join(tmpDir(), 'a.log');
    const f = native.openSegmentFile(path, { preallocate: 1 << 20 });
    expect(f.path).toBe(path);
    expect(f.size).toBe(0);
    expect(f.capacity).toBeGreaterThanOrEqual(1 << 20);
    expect(statSync(path).size).toBe(f.capacity); // preallocated on disk
    expect(f.append([ascii('hello '), ascii('world')])).toBe(0);
    expect(f.append([])).toBe(11);
    expect(f.append([ascii('!')])).toBe(11);
    expect(f.size).toBe(12);
    expect(f.view(0, 12).toString()).toBe('hello world!');
    expect(f.view(6, 5).toString()).toBe('world');
    expect(f.view(12, 0).length).toBe(0);
    expect(f.view(0, 0).length).toBe(0);
    f.close();
    expect(statSync(path).size).toBe(12);
    expect(readFileSync(path, 'latin1')).toBe('hello world!');
    expect(f.size).toBe(12);
  });

  it('appends from views of its own mapping', () => {
    const f = native.openSegmentFile(join(tmpDir(), 'self.log'));
    f.append([ascii('abcdef')]);
    expect(f.append([f.view(2, 3), f.view(0, 1)])).toBe(6);
    expect(f.view(0, f.size).toString()).toBe('abcdefcdea');
    f.close();
  });

  it('grows beyond its preallocation, keeping every byte', () => {
    const path = join(tmpDir(), 'grow.log');
    const f = native.openSegmentFile(path, { preallocate: 4096 });
    const chunks: Buffer[] = [];
    for (let i = 0; i < 300; i++) chunks.push(randomBytes(1 + ((i * 7919) % 20_000)));
    let expected = 0;
    for (const c of chunks) {
      expect(f.append([c])).toBe(expected);
      expected += c.length;
    }
    expect(f.size).toBe(expected);
    expect(f.capacity).toBeGreaterThanOrEqual(expected);
    const all = Buffer.concat(chunks);
    expect(f.view(0, f.size).equals(all)).toBe(true);
    f.close();
    expect(readFileSync(path).equals(all)).toBe(true);
  });

  it('truncate drops the tail, zeroes it on disk, and appends continue there', () => {
    const path = join(tmpDir(), 't.log');
    const f = native.openSegmentFile(path, { preallocate: 8192 });
    f.append([Buffer.alloc(1000, 0x41), Buffer.alloc(1000, 0x42)]);
    f.truncate(1500);
    expect(f.size).toBe(1500);
    // No view is alive: truncated in place, and the dropped bytes are zero in the file itself
    // (so a later scan can never mistake them for batches).
    const onDisk = readFileSync(path);
    expect(onDisk.length).toBe(f.capacity);
    expect(onDisk.subarray(0, 1000).every((b) => b === 0x41)).toBe(true);
    expect(onDisk.subarray(1000, 1500).every((b) => b === 0x42)).toBe(true);
    expect(onDisk.subarray(1500, 2000).every((b) => b === 0)).toBe(true);
    expect(f.append([ascii('xyz')])).toBe(1500);
    expect(f.view(1499, 4).toString('latin1')).toBe('Bxyz');
    f.truncate(0);
    expect(f.size).toBe(0);
    expect(readFileSync(path).subarray(0, 2000).every((b) => b === 0)).toBe(true);
    f.truncate(0);
    f.close();
    expect(statSync(path).size).toBe(0);
  });

  it('reopens with the file length, or with a given size that drops a torn tail', () => {
    const dir = tmpDir();
    const path = join(dir, 'r.log');
    const f = native.openSegmentFile(path, { preallocate: 4096 });
    f.append([ascii('0123456789'.repeat(10))]);
    f.close();

    const again = native.openSegmentFile(path);
    expect(again.size).toBe(100);
    expect(again.view(90, 10).toString()).toBe('0123456789');
    again.close();

    const recovered = native.openSegmentFile(path, { size: 60, preallocate: 4096 });
    expect(recovered.size).toBe(60);
    expect(readFileSync(path).subarray(60, 100).every((b) => b === 0)).toBe(true);
    expect(recovered.append([ascii('X')])).toBe(60);
    recovered.close();
    expect(readFileSync(path, 'latin1')).toBe('0123456789'.repeat(6) + 'X');

    expect(() => native.openSegmentFile(path, { size: 62 })).toThrow(StorageIOError);
    expect(readdirSync(dir)).toEqual(['r.log']);
  });

  it('opens read-only: views work, writes are refused, the file is untouched', () => {
    const path = join(tmpDir(), 'ro.log');
    writeFileSync(path, 'sealed segment bytes');
    const f = native.openSegmentFile(path, { readOnly: true, preallocate: 1 << 20 });
    expect(f.size).toBe(20);
    const v = f.view(0, 6);
    expect(v.toString()).toBe('sealed');
    expect(() => f.append([ascii('x')])).toThrow(StorageIOError);
    expect(() => f.truncate(0)).toThrow(StorageIOError);
    // A stray write into a view of a read-only file must neither crash nor reach the file.
    v[0] = 0x53;
    expect(readFileSync(path, 'latin1')).toBe('sealed segment bytes');
    f.close();
    expect(statSync(path).size).toBe(20);

    const partial = native.openSegmentFile(path, { readOnly: true, size: 6 });
    expect(partial.size).toBe(6);
    expect(() => partial.view(0, 7)).toThrow(InvalidArgumentError);
    partial.close();
    expect(readFileSync(path, 'latin1')).toBe('sealed segment bytes');

    const empty = join(tmpDir(), 'empty.log');
    writeFileSync(empty, '');
    const e = native.openSegmentFile(empty, { readOnly: true });
    expect(e.size).toBe(0);
    expect(e.view(0, 0).length).toBe(0);
    e.close();
  });

  it('throws StorageIOError naming the file and the OS error', () => {
    const path = join(tmpDir(), 'missing', 'x.log');
    let caught: unknown;
    try {
      native.openSegmentFile(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StorageIOError);
    const e = caught as StorageIOError & { syscall: string; errno: number; osCode: string };
    expect(e.code).toBe('ERR_STRAND_IO');
    expect(e.path).toBe(path);
    expect(e.syscall).toBe('open');
    expect(e.osCode).toBe('ENOENT');
    expect(e.errno).toBeGreaterThan(0);
    expect(e.message).toContain(path);
    expect(e.message).toContain('ENOENT');
    expect(() => native.openSegmentFile(tmpDir())).toThrow(StorageIOError); // a directory
    expect(() => native.openSegmentFile(join(tmpDir(), 'x'), { readOnly: true })).toThrow(/ENOENT/);
  });

  it('validates arguments before they reach C++', () => {
    const f = native.openSegmentFile(join(tmpDir(), 'v.log'));
    f.append([ascii('0123456789')]);
    for (const [p, l] of [[-1, 1], [0, 11], [10, 1], [1.5, 1], [0, Number.NaN], [Number.MAX_SAFE_INTEGER, 1]] as const) {
      expect(() => f.view(p, l)).toThrow(InvalidArgumentError);
    }
    expect(() => f.truncate(11)).toThrow(InvalidArgumentError);
    expect(() => f.truncate(-1)).toThrow(InvalidArgumentError);
    expect(() => f.append('abc' as unknown as Uint8Array[])).toThrow(InvalidArgumentError);
    expect(() => f.append([ascii('a'), 'b' as unknown as Uint8Array])).toThrow(InvalidArgumentError);
    expect(f.size).toBe(10); // nothing half-appended
    expect(() => native.openSegmentFile('')).toThrow(InvalidArgumentError);
    expect(() => native.openSegmentFile(join(tmpDir(), 'y'), { preallocate: -1 })).toThrow(InvalidArgumentError);
    expect(() => native.openSegmentFile(join(tmpDir(), 'y'), { size: 1.5 })).toThrow(InvalidArgumentError);
    f.close();
  });

  it('refuses use after close with ClosedError; close is idempotent', async () => {
    const f = native.openSegmentFile(join(tmpDir(), 'c.log'));
    f.append([ascii('abc')]);
    f.close();
    f.close();
    expect(() => f.append([ascii('x')])).toThrow(ClosedError);
    expect(() => f.view(0, 1)).toThrow(ClosedError);
    expect(() => f.truncate(0)).toThrow(ClosedError);
    await expect(f.sync()).rejects.toBeInstanceOf(ClosedError);
    expect(f.size).toBe(3);
  });

  it.skipIf(process.platform !== 'linux')('does not leak file descriptors', async () => {
    const dir = tmpDir();
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const views: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const f = native.openSegmentFile(join(dir, `${i}.log`), { preallocate: 4096 });
      f.append([ascii(`file ${i}`)]);
      views.push(f.view(0, 4));
      if (i % 3 === 0) f.truncate(2); // with a live view: the swap path
      if (i % 2 === 0) await f.sync();
      f.close();
    }
    expect(fds()).toBe(before); // views hold mappings, never fds
    expect(views.every((v) => v.toString() === 'file')).toBe(true);
    expect(readdirSync(dir).length).toBe(200); // no temporary files left behind
  });
});

/**
 * The power-cut file system itself (test/fault/powercut/powercutfs.c), with real files on a real
 * FUSE mount: what was synced survives a cut byte for byte, and nothing else does.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { io } from '../../src/io/index.js';
import { mountPowercutFs, powercutFsSkipped, type PowercutFs } from '../helpers/powercut-fs.js';

/** Same length and no differing byte (a deep equality of large buffers is slow and unreadable). */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  const differsAt = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(differsAt).toBe(-1);
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

/** Writes a file, fsyncs it, then fsyncs its directory: all of it durable. */
function writeDurable(path: string, data: Buffer): void {
  const fd = openSync(path, 'w');
  writeSync(fd, data);
  fsyncSync(fd);
  closeSync(fd);
  syncPath(join(path, '..'));
}

function writeAt(path: string, data: Buffer, position: number): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, data, 0, data.length, position);
  closeSync(fd);
}

/**
 * fallocate(2) calls, [path, mode, offset, length] each, from one separate process that does
 * nothing else (util-linux's fallocate(1) fsyncs the file afterwards, making the change durable).
 */
function fallocate(calls: [string, number, number, number][]): void {
  const script = [
    'import ctypes, os, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]',
    'args = sys.argv[1:]',
    'for i in range(0, len(args), 4):',
    '    fd = os.open(args[i], os.O_RDWR)',
    '    if libc.fallocate(fd, int(args[i + 1]), int(args[i + 2]), int(args[i + 3])) != 0:',
    '        sys.exit("fallocate " + args[i] + ": " + os.strerror(ctypes.get_errno()))',
    '    os.close(fd)',
  ].join('\n');
  execFileSync('python3', ['-c', script, ...calls.flat().map(String)]);
}
const FALLOC_FL_KEEP_SIZE = 0x01;
const FALLOC_FL_PUNCH_HOLE = 0x02;
const FALLOC_FL_ZERO_RANGE = 0x10;

/** The torn prefix powercutfs keeps for a seed: its xorshift64 draw, in 512-byte blocks. */
function tornPrefix(seed: bigint, writeLength: number): number {
  const mask = (1n << 64n) - 1n;
  let x = seed;
  x ^= (x << 13n) & mask;
  x ^= x >> 7n;
  x ^= (x << 17n) & mask;
  return Number(x % BigInt(Math.ceil(writeLength / 512))) * 512;
}

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

describe.skipIf(powercutFsSkipped)('power-cut file system', () => {
  let fs: PowercutFs;
  const m = (name: string) => join(fs.mountpoint, name);
  const b = (name: string) => join(fs.backing, name);

  beforeEach(async () => {
    fs = await mountPowercutFs();
  });
  afterEach(async () => {
    await fs.dispose();
  });

  it('keeps a synced write and drops the unsynced writes after it', async () => {
    const synced = randomBytes(10_000);
    const later = randomBytes(5_000);
    writeDurable(m('f'), synced);
    writeAt(m('f'), later, 3_000); // overwrite
    writeAt(m('f'), later, 10_000); // extend
    const seen = Buffer.concat([synced.subarray(0, 3_000), later, synced.subarray(8_000), later]);
    expectBytes(readFileSync(m('f')), seen);

    await fs.cut();

    expectBytes(readFileSync(b('f')), synced);
    expect(() => openSync(m('f'), 'r')).toThrow(/EIO/);
    expect((await fs.stats()).cut).toBe(true);
  });

  it('undoes unsynced size changes: truncate down and up, O_TRUNC, an extending write, fallocate', async () => {
    const content = randomBytes(10_000);
    for (const name of ['shrunk', 'grown', 'otrunc', 'extended', 'allocated', 'zeroed', 'punched']) writeDurable(m(name), content);

    truncateSync(m('shrunk'), 3_000);
    const fd = openSync(m('grown'), 'r+');
    ftruncateSync(fd, 50_000);
    closeSync(fd);
    closeSync(openSync(m('otrunc'), 'w'));
    writeAt(m('extended'), Buffer.from('past the end'), 20_000);
    fallocate([
      [m('allocated'), 0, 0, 1_048_576], // what posix_fallocate asks for
      [m('zeroed'), FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 4_096, 4_096],
      [m('punched'), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 8_192],
    ]);
    expect([m('shrunk'), m('grown'), m('otrunc'), m('extended'), m('allocated')].map((p) => statSync(p).size)).toEqual([3_000, 50_000, 0, 20_012, 1_048_576]);
    expect(readFileSync(m('zeroed')).subarray(4096, 8192).every((byte) => byte === 0)).toBe(true);
    expect(readFileSync(m('punched')).subarray(0, 8192).every((byte) => byte === 0)).toBe(true);

    await fs.cut();

    for (const name of ['shrunk', 'grown', 'otrunc', 'extended', 'allocated', 'zeroed', 'punched']) expectBytes(readFileSync(b(name)), content);
  });

  it('drops a synced file whose directory was not fsynced, and keeps it once the directory is', async () => {
    const data = randomBytes(4_000);
    mkdirSync(m('d'));
    syncPath(fs.mountpoint);
    for (const path of [m('lost'), m('d/kept'), m('d/also-kept')]) {
      const fd = openSync(path, 'wx');
      writeSync(fd, data);
      fsyncSync(fd);
      closeSync(fd);
    }
    syncPath(m('d')); // makes d's entries durable, but not the root's 'lost' ...
    writeFileSync(m('d/after-sync'), data); // ... nor what d gets after it
    mkdirSync(m('newdir'));

    await fs.cut();

    expect(readdirSync(fs.backing).sort()).toEqual(['d']);
    expect(readdirSync(b('d')).sort()).toEqual(['also-kept', 'kept']);
    expectBytes(readFileSync(b('d/kept')), data);
    expectBytes(readFileSync(b('d/also-kept')), data);
  });

  it('undoes unsynced renames (over an existing file too), unlinks, rmdir and mkdir; keeps synced ones', async () => {
    const [a, target, replacement, removed, movedAway, gone] = [1, 2, 3, 4, 5, 6].map(() => randomBytes(3_000));
    writeDurable(m('a'), a);
    writeDurable(m('target'), target);
    writeDurable(m('replacement'), replacement);
    writeDurable(m('removed'), removed);
    writeDurable(m('moved-away'), movedAway);
    writeDurable(m('gone'), gone);
    mkdirSync(m('emptydir'));
    syncPath(fs.mountpoint);
    // Durable changes: a rename and an unlink followed by a directory fsync.
    renameSync(m('moved-away'), m('moved-here'));
    unlinkSync(m('gone'));
    syncPath(fs.mountpoint);
    // Volatile changes.
    renameSync(m('a'), m('a2'));
    renameSync(m('replacement'), m('target'));
    unlinkSync(m('removed'));
    rmdirSync(m('emptydir'));
    mkdirSync(m('newdir'));
    writeFileSync(m('newdir/inside'), 'x');
    expect(readdirSync(fs.mountpoint).sort()).toEqual(['a2', 'moved-here', 'newdir', 'target']);
    expectBytes(readFileSync(m('target')), replacement);

    await fs.cut();

    expect(readdirSync(fs.backing).sort()).toEqual(['a', 'emptydir', 'moved-here', 'removed', 'replacement', 'target']);
    expectBytes(readFileSync(b('a')), a);
    expectBytes(readFileSync(b('target')), target);
    expectBytes(readFileSync(b('replacement')), replacement);
    expectBytes(readFileSync(b('removed')), removed);
    expectBytes(readFileSync(b('moved-here')), movedAway);
    expect(readdirSync(b('emptydir'))).toEqual([]);
  });

  it('finds a file after an unsynced rename of its directory to undo its unsynced writes', async () => {
    const data = randomBytes(6_000);
    mkdirSync(m('dir'));
    syncPath(fs.mountpoint);
    writeDurable(m('dir/f'), data);
    writeAt(m('dir/f'), randomBytes(2_000), 5_000);
    renameSync(m('dir'), m('dir2'));
    writeAt(m('dir2/f'), randomBytes(100), 0);

    await fs.cut();

    expect(readdirSync(fs.backing)).toEqual(['dir']);
    expectBytes(readFileSync(b('dir/f')), data);
  });

  it('torn cut: keeps a prefix of the last unsynced write, a multiple of 512 bytes, chosen by the seed', async () => {
    const seeds = [1n, 2n, 3n, 7n, 42n, 1234n];
    const kept = new Set<number>();
    for (const seed of seeds) {
      const old = randomBytes(8_192);
      const earlier = randomBytes(3_000);
      const last = randomBytes(5_000);
      writeDurable(m('f'), old);
      writeDurable(m('other'), old);
      writeAt(m('other'), earlier, 0); // unsynced, but not the last write: undone whole
      writeAt(m('f'), last, 1_000);

      await fs.cut({ torn: true, seed: Number(seed) });

      const prefix = tornPrefix(seed, last.length);
      expect((await fs.stats()).tornKept).toBe(prefix);
      expectBytes(readFileSync(b('f')), Buffer.concat([old.subarray(0, 1_000), last.subarray(0, prefix), old.subarray(1_000 + prefix)]));
      expectBytes(readFileSync(b('other')), old);
      kept.add(prefix);
      await fs.remount();
    }
    expect(kept.size).toBeGreaterThan(1); // the seeds above draw different prefixes
  });

  it('serves a segment file through mmap: synced appends survive the cut, later ones do not', async () => {
    const file = io.openSegmentFile(m('00000000000000000000.log'));
    const synced = randomBytes(3_000);
    const unsynced = randomBytes(2_000);
    expect(file.append([synced])).toBe(0);
    await file.sync();
    expect(file.append([unsynced])).toBe(3_000);
    expectBytes(Buffer.from(file.view(0, 5_000)), Buffer.concat([synced, unsynced]));
    file.close();

    await fs.cut();

    const onDisk = readFileSync(b('00000000000000000000.log'));
    expectBytes(onDisk.subarray(0, 3_000), synced);
    // The native backend preallocates (and synced that size); past the synced bytes only zeros.
    expect(onDisk.subarray(3_000).every((byte) => byte === 0)).toBe(true);
  });

  it('random operations in one directory: after a cut, every name and byte is what the last fsyncs made durable', async () => {
    // The model: an inode's durable bytes are its bytes at its last fsync; the durable names are
    // the directory's names at its last fsync.
    type Inode = { now: Buffer; durable: Buffer };
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const rnd = prng(seed);
      const names = ['a', 'b', 'c', 'd', 'e'];
      const current = new Map<string, Inode>();
      let durableNames = new Map<string, Inode>();
      for (let step = 0; step < 80; step++) {
        const name = names[rnd(names.length)]!;
        const file = current.get(name);
        const op = rnd(10);
        if (!file || op === 0) {
          if (file) unlinkSync(m(name));
          const data = randomBytes(rnd(3) === 0 ? 0 : rnd(9000));
          writeFileSync(m(name), data);
          current.set(name, { now: data, durable: Buffer.alloc(0) });
        } else if (op <= 3) {
          const at = rnd(file.now.length + 2000);
          const data = randomBytes(1 + rnd(6000));
          writeAt(m(name), data, at);
          const grown = Buffer.alloc(Math.max(file.now.length, at + data.length));
          file.now.copy(grown);
          data.copy(grown, at);
          file.now = grown;
        } else if (op === 4) {
          const size = rnd(file.now.length + 3000);
          truncateSync(m(name), size);
          const resized = Buffer.alloc(size);
          file.now.copy(resized, 0, 0, Math.min(size, file.now.length));
          file.now = resized;
        } else if (op <= 6) {
          syncPath(m(name));
          file.durable = Buffer.from(file.now);
        } else if (op === 7) {
          const to = names[rnd(names.length)]!;
          renameSync(m(name), m(to));
          current.delete(name);
          current.set(to, file);
        } else if (op === 8) {
          unlinkSync(m(name));
          current.delete(name);
        } else {
          syncPath(fs.mountpoint);
          durableNames = new Map(current);
        }
      }

      await fs.cut();

      const listing = readdirSync(fs.backing).sort();
      expect({ seed, listing }).toEqual({ seed, listing: [...durableNames.keys()].sort() });
      for (const [name, inode] of durableNames) expectBytes(readFileSync(b(name)), inode.durable);
      await fs.remount();
      for (const name of readdirSync(fs.mountpoint)) unlinkSync(m(name));
      syncPath(fs.mountpoint);
    }
  });

  it('counts fsyncs, fails every operation after a cut, and remounts with what was durable', async () => {
    writeDurable(m('f'), Buffer.from('durable'));
    syncPath(m('f'));
    const stats = await fs.stats();
    expect(stats).toEqual({ fsyncs: 2, dirFsyncs: 1, pendingData: 0, pendingEntries: 0, cut: false, conflicts: 0, tornKept: 0 });
    writeFileSync(m('g'), 'volatile');
    expect(await fs.stats()).toMatchObject({ pendingData: 1, pendingEntries: 1 });
    // Durably unlinked, g can never be seen again: nothing of it stays pending.
    unlinkSync(m('g'));
    syncPath(fs.mountpoint);
    expect(await fs.stats()).toMatchObject({ dirFsyncs: 2, pendingData: 0, pendingEntries: 0 });
    writeFileSync(m('g'), 'volatile');

    await fs.cut();

    expect(() => writeFileSync(m('h'), 'x')).toThrow(/EIO/);
    expect(() => readdirSync(fs.mountpoint)).toThrow(/EIO/);
    await fs.remount();
    expect(await fs.fsyncCount()).toBe(0);
    expect(readdirSync(fs.mountpoint)).toEqual(['f']);
    expect(readFileSync(m('f'), 'utf8')).toBe('durable');
    expect(existsSync(b('.powercut-trash'))).toBe(true); // the new mount's, hidden from the mount:
    expect(existsSync(m('.powercut-trash'))).toBe(false);
  });
});

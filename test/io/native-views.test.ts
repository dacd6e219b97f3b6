/**
 * The zero-copy contract of the native SegmentFile (native/segment_core.h): a view's bytes never
 * change and never fault, whatever happens to the file afterwards (truncate, delete, growth,
 * close), and the mapping is released once the file is closed and the last view collected.
 * Scenarios that need `gc()`, a clean /proc/self/maps or resource limits run in a child process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageIOError } from '../../src/errors.js';
import { loadNativeBackend } from '../../src/io/native.js';
import { tmpDir } from '../helpers/tmp.js';
import { runNativeChild } from './native-child.js';

const skip = process.env.STRAND_BACKEND === 'portable';
const native = skip ? undefined! : loadNativeBackend();
const linux = process.platform === 'linux';
const gc = (globalThis as { gc?: () => void }).gc;

// tmpfs has no FALLOC_FL_ZERO_RANGE: truncation there takes the write-zeros fallback.
const shmRoot = linux && existsSync('/dev/shm') ? mkdtempSync('/dev/shm/strand-test-') : undefined;
afterAll(() => {
  if (shmRoot) rmSync(shmRoot, { recursive: true, force: true });
});

describe.skipIf(skip)('native views are zero-copy and stable', () => {
  it('a view outlives truncation, deletion and close of its file, byte for byte', () => {
    const path = join(tmpDir(), 'seg.log');
    const f = native.openSegmentFile(path, { preallocate: 64 * 1024 });
    const data = randomBytes(40_000);
    f.append([data]);
    const view = f.view(1000, 30_000);
    const copy = Buffer.from(view);

    f.truncate(5000); // the view reaches past 5000: the file is swapped, the view keeps the old one
    expect(view.equals(copy)).toBe(true);
    f.append([Buffer.alloc(35_000, 0xee)]); // rewrites [5000, 40000) of the *file*
    expect(view.equals(copy)).toBe(true);
    expect(f.view(0, 5000).equals(data.subarray(0, 5000))).toBe(true);
    expect(f.view(5000, 10).every((b) => b === 0xee)).toBe(true);

    unlinkSync(path);
    gc?.();
    expect(view.equals(copy)).toBe(true);
    f.close();
    gc?.();
    expect(view.equals(copy)).toBe(true);
  });

  it('truncation under a live view swaps the file atomically and keeps capacity', () => {
    const dir = tmpDir();
    const path = join(dir, 'swap.log');
    const f = native.openSegmentFile(path, { preallocate: 32 * 1024 });
    f.append([Buffer.alloc(10_000, 1), Buffer.alloc(10_000, 2)]);
    const inodeBefore = statSync(path).ino;
    const view = f.view(9000, 2000);
    f.truncate(10_500);
    expect(statSync(path).ino).not.toBe(inodeBefore);
    const onDisk = readFileSync(path);
    expect(onDisk.length).toBe(f.capacity);
    expect(onDisk.subarray(0, 10_000).every((b) => b === 1)).toBe(true);
    expect(onDisk.subarray(10_000, 10_500).every((b) => b === 2)).toBe(true);
    expect(onDisk.subarray(10_500).every((b) => b === 0)).toBe(true);
    expect(view.subarray(0, 1000).every((b) => b === 1)).toBe(true);
    expect(view.subarray(1000).every((b) => b === 2)).toBe(true);
    // A view that ends before the cut does not force a swap.
    const early = f.view(0, 100);
    const inodeNow = statSync(path).ino;
    f.truncate(10_000);
    expect(statSync(path).ino).toBe(inodeNow);
    expect(early.every((b) => b === 1)).toBe(true);
    f.close();
    expect(readFileSync(path).length).toBe(10_000);
    expect(view.subarray(1000).every((b) => b === 2)).toBe(true);
  });

  it('old views stay readable after the file grows far beyond its first mapping', () => {
    const path = join(tmpDir(), 'big.log');
    const f = native.openSegmentFile(path, { preallocate: 4096 });
    f.append([Buffer.from('first bytes')]);
    const first = f.view(0, 11);
    const chunk = Buffer.alloc(8 << 20);
    const rssBefore = process.memoryUsage().rss;
    // 280 MiB: more than the 256 MiB address-space reservation, so the file gets a new mapping
    // while `first` pins the old one.
    for (let i = 0; i < 35; i++) {
      chunk.fill(i + 1);
      f.append([chunk]);
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(first.toString()).toBe('first bytes');
    for (const i of [0, 17, 31, 34]) {
      const v = f.view(11 + i * chunk.length, 4096);
      expect(v.every((b) => b === i + 1)).toBe(true);
    }
    // Pages far behind the write head are released as we go (MADV_DONTNEED), so RSS does not
    // track the bytes written.
    expect(rssGrowth).toBeLessThan(160 << 20);
    f.close();
    expect(statSync(path).size).toBe(11 + 35 * chunk.length);
    expect(first.toString()).toBe('first bytes');
    unlinkSync(path);
  });

  it.skipIf(!shmRoot)('truncation on tmpfs (no ZERO_RANGE) zeroes the dropped bytes too', () => {
    const path = join(shmRoot!, 'shm.log');
    const f = native.openSegmentFile(path, { preallocate: 1 << 20 });
    f.append([Buffer.alloc(300_000, 7)]);
    f.truncate(123_457);
    const onDisk = readFileSync(path);
    expect(onDisk.subarray(0, 123_457).every((b) => b === 7)).toBe(true);
    expect(onDisk.subarray(123_457).every((b) => b === 0)).toBe(true);
    const v = f.view(0, 10);
    f.truncate(5); // swap path on tmpfs
    expect(v.every((b) => b === 7)).toBe(true);
    f.close();
    expect(readFileSync(path)).toEqual(Buffer.alloc(5, 7));
    // Reopening a longer file with a smaller size drops the tail the same way.
    const g = native.openSegmentFile(path, { size: 2, preallocate: 4096 });
    expect(readFileSync(path).subarray(2).every((b) => b === 0)).toBe(true);
    g.close();
    expect(statSync(path).size).toBe(2);
  });

  it('a file reopened while old views are alive is swapped, not cut under them', () => {
    const path = join(tmpDir(), 'reopen.log');
    const f = native.openSegmentFile(path);
    f.append([Buffer.alloc(50_000, 9)]);
    const view = f.view(40_000, 10_000);
    f.close();
    // Recovery reopens it with a smaller validated size and closes it again: the file is
    // trimmed to 10 bytes, but `view` (same inode, same process) must not fault.
    const g = native.openSegmentFile(path, { size: 10 });
    g.close();
    expect(statSync(path).size).toBe(10);
    expect(view.every((b) => b === 9)).toBe(true);
  });
});

describe.skipIf(skip || !linux)('native mappings are released, and failures are errors (child process)', () => {
  it('a large view read after its range was released gives its pages back when it is collected', () => {
    const dir = tmpDir();
    const r = runNativeChild(
      `
      const rssFile = () => Number(/RssFile:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
      const MiB = 1 << 20;
      const f = new addon.SegmentFile(path.join(env.DIR, 'q.log'), 0, -1, false);
      for (let i = 0; i < 16; i++) f.append([Buffer.alloc(4 * MiB, i + 1)]);
      // Eight 8 MiB views taken first and read afterwards, as responses queued behind a slow
      // socket are: each period's release happens before their pages are faulted in.
      let views = Array.from({ length: 8 }, (_, k) => f.view(k * 8 * MiB, 8 * MiB));
      const before = rssFile();
      let sum = 0;
      for (const v of views) for (let i = 0; i < v.length; i += 4096) sum += v[i];
      const whileHeld = rssFile() - before;
      views = null;
      await gcAndSettle();
      const afterCollect = rssFile() - before;
      f.close();
      console.log(JSON.stringify({ sum, whileHeld, afterCollect }));
      `,
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { sum, whileHeld, afterCollect } = JSON.parse(r.stdout) as { sum: number; whileHeld: number; afterCollect: number };
    expect(sum).toBe(1024 * (16 * 17) / 2); // 1,024 pages of each 4 MiB chunk, filled with 1..16
    expect(whileHeld).toBeGreaterThan(48 << 20);
    // Without the release on collection all 64 MiB stay mapped.
    expect(afterCollect).toBeLessThan(16 << 20);
  });

  it('reading a segment through views does not keep it mapped: file-backed RSS stays bounded, active or sealed', () => {
    const dir = tmpDir();
    const r = runNativeChild(
      `
      const rssFile = () => Number(/RssFile:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
      const p = path.join(env.DIR, 'r.log');
      const MiB = 1 << 20, total = 256 * MiB;
      const chunk = Buffer.alloc(4 * MiB);
      const active = new addon.SegmentFile(p, 0, -1, false);
      for (let at = 0; at < total; at += chunk.length) { chunk.fill((at / chunk.length) & 0xff); active.append([chunk]); }
      // Touch every page through 1 MiB views, as a consumer reading from offset 0 would.
      const readAll = (f) => {
        const before = rssFile();
        let peak = 0;
        for (let at = 0; at < total; at += MiB) {
          const v = f.view(at, MiB);
          for (let i = 0; i < v.length; i += 4096) if (v[i] !== ((at / chunk.length) & 0xff)) throw new Error('wrong byte at ' + (at + i));
          peak = Math.max(peak, rssFile() - before);
        }
        return peak;
      };
      const activeGrowth = readAll(active);
      active.close();
      const sealed = new addon.SegmentFile(p, 0, -1, true);
      const sealedGrowth = readAll(sealed);
      // What was released reads back the same.
      if (sealed.view(0, 10).some((b) => b !== 0) || sealed.view(total - 10, 10).some((b) => b !== 63)) throw new Error('bytes changed');
      sealed.close();
      console.log(JSON.stringify({ activeGrowth, sealedGrowth }));
      `,
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { activeGrowth, sealedGrowth } = JSON.parse(r.stdout) as { activeGrowth: number; sealedGrowth: number };
    // Without the release both reach the full 256 MiB; with it, about 8 MiB of views at a time.
    expect(activeGrowth).toBeLessThan(48 << 20);
    expect(sealedGrowth).toBeLessThan(48 << 20);
  });

  it('munmaps only after close() and the collection of the last view', () => {
    const dir = tmpDir();
    const r = runNativeChild(
      `
      const p = path.join(env.DIR, 'm.log');
      const mapped = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes(p)).length;
      const f = new addon.SegmentFile(p, 1 << 20, -1, false);
      f.append([Buffer.alloc(100000, 3)]);
      let view = f.view(10, 50000);
      f.close();
      fs.unlinkSync(p);
      await gcAndSettle();
      const whileViewed = mapped();
      if (view.some((b) => b !== 3)) throw new Error('view changed');
      view = null;
      await gcAndSettle();
      console.log(JSON.stringify({ whileViewed, after: mapped() }));
      `,
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ whileViewed: 1, after: 0 });
  });

  it('truncating and deleting under views that are collected one by one never faults', () => {
    const r = runNativeChild(
      `
      const p = path.join(env.DIR, 'churn.log');
      const f = new addon.SegmentFile(p, 4096, -1, false);
      const views = [];
      let expected = [];
      for (let round = 0; round < 200; round++) {
        const b = Buffer.alloc(1000 + round * 37, round & 0xff);
        const pos = f.append([b]);
        views.push([f.view(pos, b.length), round & 0xff]);
        if (round % 7 === 6) f.truncate(Math.floor(f.size / 2));
        if (round % 13 === 12) { views.splice(0, views.length / 2); await gcAndSettle(); }
        for (const [v, byte] of views) if (v.some((x) => x !== byte)) throw new Error('view changed in round ' + round);
      }
      f.close();
      fs.unlinkSync(p);
      await gcAndSettle();
      for (const [v, byte] of views) if (v.some((x) => x !== byte)) throw new Error('view changed after delete');
      console.log('ok', fs.readdirSync(env.DIR).length);
      `,
      tmpDir(),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok 0');
  });

  it('running out of file space is a StorageIOError, never a SIGBUS', () => {
    // RLIMIT_FSIZE of 1 MiB, with SIGXFSZ ignored: growing the file fails with EFBIG.
    const r = runNativeChild(
      `
      const f = new addon.SegmentFile(path.join(env.DIR, 'full.log'), 0, -1, false);
      const chunk = Buffer.alloc(64 * 1024, 1);
      let written = 0;
      try {
        for (;;) { f.append([chunk]); written += chunk.length; }
      } catch (e) {
        console.log(JSON.stringify({ code: e.code, osCode: e.osCode, syscall: e.syscall, written, size: f.size }));
      }
      f.close();
      `,
      tmpDir(),
      { shellPrefix: "trap '' XFSZ; ulimit -f 1024;" },
    );
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { code: string; osCode: string; syscall: string; written: number; size: number };
    expect(out.code).toBe('ERR_STRAND_IO');
    expect(out.osCode).toBe('EFBIG');
    expect(out.written).toBe(out.size);
    expect(out.written).toBeLessThanOrEqual(1 << 20);
    expect(out.written).toBeGreaterThan(0);
  });

  it('the StorageIOError handed to initialize() is what native failures throw', () => {
    expect(() => native.openSegmentFile('/proc/definitely/not/here')).toThrow(StorageIOError);
  });
});

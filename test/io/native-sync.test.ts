/**
 * Group commit in the native addon (native/flusher.h): concurrent sync() calls share fsyncs,
 * a sync covers every append made before it, close() with a sync in flight is safe, and the
 * flusher thread neither keeps an idle process alive nor crashes a worker thread's teardown.
 *
 * Counts are exact. Where they depend on what the flusher thread is doing, the test first makes
 * it busy: it starts an fdatasync of 64 MiB of dirty pages and watches /proc until the flusher
 * thread is inside that call, so the next round is known to take everything queued meanwhile.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNativeBackend, type NativeSegmentFile } from '../../src/io/native.js';
import { tmpDir } from '../helpers/tmp.js';
import { runNativeChild } from './native-child.js';

const skip = process.env.STRAND_BACKEND === 'portable';
const native = skip ? undefined! : loadNativeBackend();
const linux = process.platform === 'linux';
const FDATASYNC = process.arch === 'arm64' ? 83 : 75; // Linux syscall numbers
const BIG = 64 << 20;

/** The descriptor this process holds on `path`. */
function fdOf(path: string): number {
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) return Number(fd);
    } catch {
      // closed while listing
    }
  }
  throw new Error(`no descriptor open on ${path}`);
}

/** Whether a thread of this process is inside fdatasync(fd) right now. */
function inFdatasync(fd: number): boolean {
  for (const tid of readdirSync('/proc/self/task')) {
    let line: string;
    try {
      line = readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const [nr, arg0] = line.split(' ');
    if (Number(nr) === FDATASYNC && Number(arg0) === fd) return true;
  }
  return false;
}

/**
 * Appends 64 MiB to `file` (already synced once, so no directory fsync is pending), asks for a
 * sync and returns once the flusher thread is inside that fdatasync: the sync's writeSeq is
 * taken, and the thread takes no new request until the call returns. False if the fdatasync
 * ended before it was seen (the caller tries again).
 */
function startSlowSync(file: NativeSegmentFile, path: string): { started: boolean; done: Promise<void> } {
  const fd = fdOf(path);
  const before = native.fsyncCount();
  file.append([Buffer.alloc(BIG, 7)]);
  const done = file.sync();
  for (;;) {
    if (inFdatasync(fd)) return { started: true, done };
    if (native.fsyncCount() !== before) return { started: false, done };
  }
}

/**
 * Opens fresh files with `open`, then runs `queue` (synchronous: appends and sync() calls on
 * them) while the flusher thread is inside a slow fdatasync of another file, and checks that it
 * still was when `queue` returned. When it was not (the fdatasync ended first: a loaded machine
 * can pause this thread longer than the call takes), everything is awaited, closed and tried
 * again on new files. Returns the files, the syncs `queue` made, the slow sync, and the fsync
 * count before it.
 */
async function whileFlusherBusy(
  open: (dir: string) => Promise<NativeSegmentFile[]>,
  queue: (files: NativeSegmentFile[]) => Promise<void>[],
): Promise<{ dir: string; files: NativeSegmentFile[]; syncs: Promise<void>[]; slow: Promise<void>; before: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const dir = tmpDir();
    const files = await open(dir);
    const path = join(dir, 'busy.log');
    const busy = await syncedFile(path, BIG + 4096);
    const before = native.fsyncCount();
    const { started, done } = startSlowSync(busy, path);
    const syncs = started ? queue(files) : [];
    const stillBusy = started && native.fsyncCount() === before;
    busy.close();
    if (stillBusy) return { dir, files, syncs, slow: done, before };
    await Promise.all([done, ...syncs]);
    for (const f of files) f.close();
  }
  throw new Error('the flusher was never seen inside a 64 MiB fdatasync through a whole queue in 10 attempts');
}

/** A new segment file, synced once: its first sync also fsyncs the directory, which is not measured here. */
async function syncedFile(path: string, preallocate = 1 << 20): Promise<NativeSegmentFile> {
  const f = native.openSegmentFile(path, { preallocate });
  f.append([Buffer.from('\n')]);
  await f.sync();
  return f;
}

describe.skipIf(skip)('native sync (group commit)', () => {
  it.skipIf(!linux)('200 sync() calls, each after its append, queued while the flusher is busy, cost one fsync, and all resolve', async () => {
    const { dir, files, syncs, slow, before } = await whileFlusherBusy(
      async (d) => [await syncedFile(join(d, 'g.log'))],
      ([f]) => {
        const out: Promise<void>[] = [];
        for (let i = 0; i < 200; i++) {
          f!.append([Buffer.from(`record ${i}\n`)]);
          out.push(f!.sync());
        }
        return out;
      },
    );
    const settled = await Promise.allSettled([slow, ...syncs]);
    expect(settled.filter((s) => s.status !== 'fulfilled')).toEqual([]);
    // The busy file's fdatasync, then one round that takes all 200 requests: one fdatasync of g.log.
    expect(native.fsyncCount() - before).toBe(2);
    files[0]!.close();
    expect(readFileSync(join(dir, 'g.log'), 'utf8')).toBe(`\n${Array.from({ length: 200 }, (_, i) => `record ${i}\n`).join('')}`);
  });

  it('any number of sync() calls covering the same appends cost exactly one fsync', async () => {
    const f = await syncedFile(join(tmpDir(), 'same.log'));
    for (let i = 0; i < 100; i++) f.append([Buffer.from(`record ${i}\n`)]);
    const before = native.fsyncCount();
    await Promise.all(Array.from({ length: 1000 }, () => f.sync()));
    expect(native.fsyncCount() - before).toBe(1);
    f.close();
  });

  it.skipIf(!linux)('one fsync per distinct file per round, across many files', async () => {
    const { dir, files, syncs, slow, before } = await whileFlusherBusy(
      (d) => Promise.all(Array.from({ length: 10 }, (_, i) => syncedFile(join(d, `${i}.log`), 4096))),
      (fs) => {
        const out: Promise<void>[] = [];
        for (let round = 0; round < 20; round++) {
          for (const f of fs) {
            f.append([Buffer.from('x')]);
            out.push(f.sync());
          }
        }
        return out;
      },
    );
    await Promise.all([slow, ...syncs]);
    // The busy file's fdatasync, then one round with 200 requests over 10 files: 10 fdatasyncs.
    expect(native.fsyncCount() - before).toBe(11);
    // Another round, with nothing queued behind a busy flusher, is one per file too.
    const again = native.fsyncCount();
    for (const f of files) f.append([Buffer.from('y')]);
    await Promise.all(files.map((f) => f.sync()));
    expect(native.fsyncCount() - again).toBe(10);
    for (const f of files) f.close();
    for (let i = 0; i < 10; i++) expect(readFileSync(join(dir, `${i}.log`), 'utf8')).toBe(`\n${'x'.repeat(20)}y`);
  });

  it('the first sync of a new file also fsyncs its directory; an existing file has no entry to sync', async () => {
    const dir = tmpDir();
    const created = native.openSegmentFile(join(dir, 'new.log'));
    created.append([Buffer.from('a')]);
    let before = native.fsyncCount();
    await created.sync();
    // fdatasync of the file, then fsync of the directory, so that its new entry survives a power
    // cut (fsyncCount counts both).
    expect(native.fsyncCount() - before).toBe(2);
    created.append([Buffer.from('b')]);
    before = native.fsyncCount();
    await created.sync();
    expect(native.fsyncCount() - before).toBe(1);
    created.close();

    writeFileSync(join(dir, 'old.log'), '');
    const existing = native.openSegmentFile(join(dir, 'old.log'));
    existing.append([Buffer.from('a')]);
    before = native.fsyncCount();
    await existing.sync();
    expect(native.fsyncCount() - before).toBe(1);
    existing.close();
  });

  it('a sync with nothing new to cover resolves without an fsync', async () => {
    const f = await syncedFile(join(tmpDir(), 'idle.log'));
    f.append([Buffer.from('a')]);
    await f.sync();
    const before = native.fsyncCount();
    await Promise.all([f.sync(), f.sync(), f.sync()]);
    expect(native.fsyncCount()).toBe(before);
    f.append([Buffer.from('b')]);
    await f.sync();
    expect(native.fsyncCount()).toBe(before + 1);
    f.close();
  });

  it.skipIf(!linux)('a sync called after an append covers it, even while an fsync that started before the append runs', async () => {
    for (let attempt = 0; ; attempt++) {
      const path = join(tmpDir(), 'order.log');
      const f = await syncedFile(path, BIG + 4096);
      const before = native.fsyncCount();
      // The first sync's fdatasync is seen running before 'second' is appended: it cannot cover it.
      const { started, done: first } = startSlowSync(f, path);
      if (!started) {
        await first;
        f.close();
        if (attempt < 9) continue;
        throw new Error('the flusher was never seen inside a 64 MiB fdatasync in 10 attempts');
      }
      f.append([Buffer.from('second')]);
      const second = f.sync();
      const order: string[] = [];
      const counts: number[] = [];
      await Promise.all([
        first.then(() => order.push('first')),
        second.then(() => {
          order.push('second');
          counts.push(native.fsyncCount() - before);
        }),
      ]);
      // `second` resolves after `first`, and only once a second fdatasync, started after its
      // append, has returned: exactly two, and nothing is left to cover.
      expect(order).toEqual(['first', 'second']);
      expect(counts).toEqual([2]);
      await f.sync();
      expect(native.fsyncCount() - before).toBe(2);
      f.close();
      expect(readFileSync(path).subarray(1 + BIG).toString()).toBe('second');
      return;
    }
  });

  it('close() while syncs are pending is safe: they still resolve, then the fd is released', async () => {
    const dir = tmpDir();
    const fds = () => readdirSync('/proc/self/fd').length;
    const baseline = process.platform === 'linux' ? fds() : 0;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const f = native.openSegmentFile(join(dir, `${i}.log`), { preallocate: 64 * 1024 });
      f.append([Buffer.alloc(10_000, i)]);
      pending.push(f.sync(), f.sync());
      f.close();
    }
    await Promise.all(pending);
    if (process.platform === 'linux') expect(fds()).toBe(baseline);
    for (let i = 0; i < 20; i++) expect(readFileSync(join(dir, `${i}.log`)).length).toBe(10_000);
  });

  it.skipIf(process.platform !== 'linux')('an idle flusher does not keep the process alive', () => {
    const r = runNativeChild(
      `
      // An existing file: its first sync is one fdatasync, with no directory entry to sync.
      fs.writeFileSync(path.join(env.DIR, 'exit.log'), '');
      const f = new addon.SegmentFile(path.join(env.DIR, 'exit.log'), 0, -1, false);
      f.append([Buffer.from('bye')]);
      await f.sync();
      f.close();
      console.log('synced', addon.fsyncCount());
      // Nothing else to do: the process must exit now, although the flusher thread exists.
      `,
      tmpDir(),
      { timeoutMs: 20_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('synced 1');
    expect(r.ms).toBeLessThan(10_000);
  });

  it.skipIf(process.platform !== 'linux')('a pending sync keeps the process alive until it resolves', () => {
    const r = runNativeChild(
      `
      const f = new addon.SegmentFile(path.join(env.DIR, 'pending.log'), 0, -1, false);
      f.append([Buffer.alloc(1 << 20, 1)]);
      f.sync().then(() => console.log('resolved'));
      `,
      tmpDir(),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('resolved');
  });

  it.skipIf(process.platform !== 'linux')('loads in worker threads, each with its own flusher, and survives their termination mid-sync', () => {
    const r = runNativeChild(
      `
      const { Worker } = require('worker_threads');
      const workerCode = \`
        const { parentPort, workerData } = require('worker_threads');
        const addon = require(workerData.addon);
        const f = new addon.SegmentFile(workerData.path, 1 << 20, -1, false);
        let n = 0;
        const loop = () => { f.append([Buffer.alloc(4096, 1)]); f.sync().then(() => { if (++n === 5) parentPort.postMessage('running'); loop(); }); };
        loop();
      \`;
      const workers = [0, 1, 2].map((i) => new Worker(workerCode, { eval: true, workerData: { addon: env.STRAND_ADDON, path: path.join(env.DIR, 'w' + i + '.log') } }));
      await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
      await Promise.all(workers.map((w) => w.terminate())); // syncs are in flight
      fs.writeFileSync(path.join(env.DIR, 'main.log'), '');
      const f = new addon.SegmentFile(path.join(env.DIR, 'main.log'), 0, -1, false);
      f.append([Buffer.from('main')]);
      await f.sync();
      f.close();
      console.log('ok', addon.fsyncCount());
      `,
      tmpDir(),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The workers' fsyncs are not in the main thread's count: one fdatasync of main.log, which
    // existed before it was opened (so no directory fsync).
    expect(r.stdout.trim()).toBe('ok 1');
  });
});

/**
 * Group commit in the native addon (native/flusher.h): concurrent sync() calls share fsyncs,
 * a sync covers every append made before it, close() with a sync in flight is safe, and the
 * flusher thread neither keeps an idle process alive nor crashes a worker thread's teardown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNativeBackend } from '../../src/io/native.js';
import { tmpDir } from '../helpers/tmp.js';
import { runNativeChild } from './native-child.js';

const skip = process.env.STRAND_BACKEND === 'portable';
const native = skip ? undefined! : loadNativeBackend();

describe.skipIf(skip)('native sync (group commit)', () => {
  it('200 concurrent sync() calls after appends cost a handful of fsyncs, and all resolve', async () => {
    const path = join(tmpDir(), 'g.log');
    const f = native.openSegmentFile(path, { preallocate: 1 << 20 });
    const before = native.fsyncCount();
    const syncs: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      f.append([Buffer.from(`record ${i}\n`)]);
      syncs.push(f.sync());
    }
    const settled = await Promise.allSettled(syncs);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    const used = native.fsyncCount() - before;
    expect(used).toBeGreaterThanOrEqual(1);
    // Each flusher round takes everything queued so far: the count is the number of rounds
    // that fit while this loop runs (a few when fsync is fast), never one per call.
    expect(used).toBeLessThanOrEqual(20);
    f.close();
    expect(readFileSync(path, 'utf8').split('\n')[199]).toBe('record 199');
  });

  it('any number of sync() calls covering the same appends cost exactly one fsync', async () => {
    const f = native.openSegmentFile(join(tmpDir(), 'same.log'));
    for (let i = 0; i < 100; i++) f.append([Buffer.from(`record ${i}\n`)]);
    const before = native.fsyncCount();
    await Promise.all(Array.from({ length: 1000 }, () => f.sync()));
    expect(native.fsyncCount() - before).toBe(1);
    f.close();
  });

  it('one fsync per distinct file per round, across many files', async () => {
    const dir = tmpDir();
    const files = Array.from({ length: 10 }, (_, i) => native.openSegmentFile(join(dir, `${i}.log`), { preallocate: 4096 }));
    const before = native.fsyncCount();
    const syncs: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      for (const f of files) {
        f.append([Buffer.from('x')]);
        syncs.push(f.sync());
      }
    }
    await Promise.all(syncs);
    const used = native.fsyncCount() - before;
    expect(used).toBeGreaterThanOrEqual(10);
    expect(used).toBeLessThanOrEqual(30);
    for (const f of files) f.close();
  });

  it('a sync with nothing new to cover resolves without an fsync', async () => {
    const f = native.openSegmentFile(join(tmpDir(), 'idle.log'));
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

  it('a sync called after an append covers it, even while another fsync runs', async () => {
    const f = native.openSegmentFile(join(tmpDir(), 'order.log'));
    const before = native.fsyncCount();
    f.append([Buffer.from('first')]);
    const first = f.sync();
    f.append([Buffer.from('second')]);
    const second = f.sync(); // the first fsync may already have started without 'second'
    await Promise.all([first, second]);
    // Either one fsync after both appends, or two: never a resolved `second` without one after it.
    expect(native.fsyncCount() - before).toBeGreaterThanOrEqual(1);
    const after = native.fsyncCount();
    await f.sync();
    expect(native.fsyncCount()).toBe(after); // everything was covered
    f.close();
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
    expect(r.stdout.trim()).toBe('ok 1'); // the main thread's count is its own
  });
});
